/* dl-window.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "dl-download-row.h"
#include "dl-manager.h"

G_BEGIN_DECLS

#define DL_TYPE_WINDOW (dl_window_get_type ())

G_DECLARE_FINAL_TYPE (DlWindow, dl_window, DL, WINDOW, AdwApplicationWindow)

DlWindow      *dl_window_new               (GtkApplication      *application,
                                            DlManager           *manager) G_GNUC_WARN_UNUSED_RESULT;
guint          dl_window_add_text          (DlWindow            *self,
                                            const char          *text);
guint          dl_window_add_links         (DlWindow            *self,
                                            const char * const  *links);
void           dl_window_show_toast        (DlWindow            *self,
                                            const char          *message);
void           dl_window_show_error        (DlWindow            *self,
                                            const char          *summary,
                                            const char          *details);
void           dl_window_reveal_download   (DlWindow            *self,
                                            DlDownload          *download);
DlDownloadRow *dl_window_find_row          (DlWindow            *self,
                                            DlDownload          *download);
const char    *dl_window_get_subtitle      (DlWindow            *self);
const char    *dl_window_get_visible_page  (DlWindow            *self);
void           dl_window_set_add_open      (DlWindow            *self,
                                            gboolean             open);
gboolean       dl_window_get_add_open      (DlWindow            *self);
void           dl_window_save_state        (DlWindow            *self);
AdwToast      *dl_window_get_last_toast    (DlWindow            *self);

G_END_DECLS
