/* dl-download.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "dl-enums.h"
#include "dl-request-options.h"
#include "dl-types.h"

G_BEGIN_DECLS

#define DL_TYPE_DOWNLOAD (dl_download_get_type ())
#define DL_DOWNLOAD_ERROR (dl_download_error_quark ())

G_DECLARE_FINAL_TYPE (DlDownload, dl_download, DL, DOWNLOAD, GObject)

GQuark           dl_download_error_quark         (void);

gint64           dl_download_get_id              (DlDownload  *self);
const char      *dl_download_get_url             (DlDownload  *self);
void             dl_download_set_credentials     (DlDownload  *self,
                                                  const char  *user,
                                                  const char  *password);
void             dl_download_set_request_url     (DlDownload  *self,
                                                  const char  *url);
const char      *dl_download_get_output_dir      (DlDownload  *self);
const char      *dl_download_get_file_name       (DlDownload  *self);
char            *dl_download_dup_path            (DlDownload  *self) G_GNUC_WARN_UNUSED_RESULT;
const char      *dl_download_get_sha256          (DlDownload  *self);
const char      *dl_download_get_file_sha256     (DlDownload  *self);
DlDownloadState  dl_download_get_state           (DlDownload  *self);
gint64           dl_download_get_bytes_received  (DlDownload  *self);
gint64           dl_download_get_total_bytes     (DlDownload  *self);
double           dl_download_get_speed           (DlDownload  *self);
gint64           dl_download_get_eta             (DlDownload  *self);
const char      *dl_download_get_error_message   (DlDownload  *self);
const GError    *dl_download_get_error           (DlDownload  *self);
guint            dl_download_get_attempts        (DlDownload  *self);
DlRangeSupport   dl_download_get_range_support   (DlDownload  *self);
guint            dl_download_get_n_connections   (DlDownload  *self);
gint64           dl_download_get_retry_at        (DlDownload  *self);
gint64           dl_download_get_created_at      (DlDownload  *self);
gint64           dl_download_get_finished_at     (DlDownload  *self);
gboolean         dl_download_is_finished         (DlDownload  *self);
gboolean         dl_download_is_running          (DlDownload  *self);
guint64          dl_download_get_rate_limit      (DlDownload  *self);
void             dl_download_set_rate_limit      (DlDownload  *self,
                                                  guint64      bytes_per_second);
DlRequestOptions *dl_download_get_request_options (DlDownload *self);
void             dl_download_set_request_options (DlDownload       *self,
                                                  DlRequestOptions *options);

gboolean         dl_download_get_metered_paused  (DlDownload  *self);
gboolean         dl_download_get_allow_metered   (DlDownload  *self);
void             dl_download_set_allow_metered   (DlDownload  *self,
                                                  gboolean     allow_metered);

gboolean         dl_download_can_pause           (DlDownload  *self);
gboolean         dl_download_can_resume          (DlDownload  *self);
gboolean         dl_download_can_retry           (DlDownload  *self);
gboolean         dl_download_can_cancel          (DlDownload  *self);

void             dl_download_pause               (DlDownload  *self);
void             dl_download_resume              (DlDownload  *self);
void             dl_download_cancel              (DlDownload  *self);
void             dl_download_retry               (DlDownload  *self);
void             dl_download_remove              (DlDownload  *self);

gboolean         dl_download_state_is_active     (DlDownloadState state);
gboolean         dl_download_state_is_finished   (DlDownloadState state);

G_END_DECLS
