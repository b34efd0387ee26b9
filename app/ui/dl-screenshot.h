/* dl-screenshot.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

GdkTexture *dl_screenshot_take  (GtkWidget   *widget,
                                 GError     **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean    dl_screenshot_save  (GtkWidget   *widget,
                                 const char  *path,
                                 GError     **error);

G_END_DECLS
