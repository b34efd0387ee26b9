/* dl-download-row.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "dl-download.h"

G_BEGIN_DECLS

#define DL_TYPE_DOWNLOAD_ROW (dl_download_row_get_type ())

G_DECLARE_FINAL_TYPE (DlDownloadRow, dl_download_row, DL, DOWNLOAD_ROW, GtkWidget)

GtkWidget  *dl_download_row_new              (DlDownload     *download);
DlDownload *dl_download_row_get_download     (DlDownloadRow  *self);
void        dl_download_row_set_download     (DlDownloadRow  *self,
                                              DlDownload     *download);
const char *dl_download_row_get_status_text  (DlDownloadRow  *self);
const char *dl_download_row_get_title        (DlDownloadRow  *self);
void        dl_download_row_refresh          (DlDownloadRow  *self);
void        dl_download_row_sync_view        (DlDownloadRow  *self);
GtkWidget  *dl_download_row_get_button       (DlDownloadRow  *self,
                                              const char     *name);
gboolean    dl_download_row_get_menu_open    (DlDownloadRow  *self);
void        dl_download_row_set_cancel_pending (DlDownloadRow *self,
                                              gboolean        pending);
void        dl_download_row_set_file_missing (DlDownloadRow  *self,
                                              gboolean        missing);
gboolean    dl_download_row_get_file_missing (DlDownloadRow  *self);
void        dl_download_row_set_show_folder  (DlDownloadRow  *self,
                                              gboolean        show);
const char *dl_download_row_get_host_text    (DlDownloadRow  *self);

G_END_DECLS
