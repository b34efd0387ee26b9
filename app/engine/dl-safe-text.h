/* dl-safe-text.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char     *dl_safe_text_for_terminal (const char *text) G_GNUC_WARN_UNUSED_RESULT;

gboolean  dl_safe_text_is_unsafe_char (gunichar c);

G_END_DECLS
