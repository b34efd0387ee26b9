/* dl-application.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "dl-manager.h"

G_BEGIN_DECLS

/* The schema id stays the stable one in .Devel builds (see data/). */
#define DL_SETTINGS_SCHEMA_ID "io.github.libbridge.Downloader"

#define DL_TYPE_APPLICATION (dl_application_get_type ())

G_DECLARE_FINAL_TYPE (DlApplication, dl_application, DL, APPLICATION, AdwApplication)

DlApplication *dl_application_new               (void) G_GNUC_WARN_UNUSED_RESULT;
DlManager     *dl_application_get_manager       (DlApplication  *self);
void           dl_application_set_manager       (DlApplication  *self,
                                                 DlManager      *manager);
GSettings     *dl_application_get_settings      (DlApplication  *self);
gboolean       dl_application_get_demo          (DlApplication  *self);
const char    *dl_application_get_demo_dir      (DlApplication  *self);
int            dl_application_get_exit_status   (DlApplication  *self);
void           dl_application_report_error      (DlApplication  *self,
                                                 const char     *message);
GtkWindow     *dl_application_ensure_window     (DlApplication  *self);
gboolean       dl_application_confirm_close     (DlApplication  *self,
                                                 GtkWindow      *window);
GtkWindow     *dl_application_show_inspector    (DlApplication  *self);
GtkWindow     *dl_application_show_preferences  (DlApplication  *self);
gboolean       dl_application_get_in_background (DlApplication  *self);

G_END_DECLS
