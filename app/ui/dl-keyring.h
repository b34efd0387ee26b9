/* dl-keyring.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The credentials the app remembers, in the keyring (Secret Service, or
 * the Secret portal inside Flatpak); never in the history. All of these
 * wait, so they run inside a libbridge task. */

gboolean  dl_keyring_store   (const char  *host,
                              const char  *realm,
                              const char  *user,
                              const char  *password,
                              GError     **error);
gboolean  dl_keyring_lookup  (const char  *host,
                              const char  *realm,
                              char       **user,
                              char       **password,
                              GError     **error);
gboolean  dl_keyring_clear   (const char  *host,
                              const char  *realm,
                              const char  *user,
                              GError     **error);

G_END_DECLS
