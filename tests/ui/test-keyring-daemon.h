/* test-keyring-daemon.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A real Secret Service for a test program: gnome-keyring-daemon on a
 * private session bus (a dbus-daemon of its own, which the process then
 * uses as its session bus), with a new, unlocked login keyring in a folder of its own.
 * One per process: start it before g_test_run(), stop it after. */
typedef struct _TestKeyringDaemon TestKeyringDaemon;

TestKeyringDaemon *test_keyring_daemon_start (void);
void               test_keyring_daemon_stop  (TestKeyringDaemon *self);

G_END_DECLS
