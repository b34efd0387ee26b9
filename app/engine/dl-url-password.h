/* dl-url-password.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean  dl_url_has_password       (const char *url);

char     *dl_url_without_password   (const char *url) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
