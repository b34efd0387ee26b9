/* dl-manager-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before dl-manager-private.h"
#endif

#include <libbridge.h>

#include "dl-disk-private.h"
#include "dl-download-private.h"
#include "dl-manager.h"
#include "dl-proxy-resolver-private.h"
#include "dl-rate-limit-private.h"

G_BEGIN_DECLS

/* Settings a download task reads once per attempt. */
typedef struct
{
  guint   max_retries;
  double  idle_timeout;
  double  connect_timeout;
  double  retry_delay;
  double  max_retry_delay;
  double  max_retry_after;   /* the longest Retry-After honoured */
  gint64  max_file_size;     /* 0: no limit */
  gboolean hash_files;       /* compute every saved file's SHA-256 */
  double  max_time;          /* 0: no limit */
  guint   connections;       /* per download, when the server grants ranges */
  gint64  min_split_size;    /* no range is split into parts smaller than this */
} DlManagerSettings;

void      _dl_manager_start              (DlManager          *self,
                                          DlDownload         *download);
void      _dl_manager_metered_changed    (DlManager          *self);
void      _dl_manager_stop_task          (DlManager          *self,
                                          DlDownload         *download);
void      _dl_manager_forget             (DlManager          *self,
                                          DlDownload         *download);
void      _dl_manager_get_settings       (DlManager          *self,
                                          DlManagerSettings  *settings);
gboolean  _dl_manager_acquire_ticket     (DlManager          *self,
                                          DlDownload         *download,
                                          GError            **error);
void      _dl_manager_release_ticket     (DlManager          *self,
                                          DlDownload         *download);
gboolean  _dl_manager_acquire_slot       (DlManager          *self,
                                          DlDownload         *download,
                                          GError            **error);
void      _dl_manager_release_slot       (DlManager          *self,
                                          DlDownload         *download);
gboolean  _dl_manager_try_acquire_connection (DlManager      *self,
                                              DlDownload     *download);
void      _dl_manager_release_connection (DlManager          *self,
                                          DlDownload         *download);
gboolean  _dl_manager_is_host_wanted     (DlManager          *self,
                                          DlDownload         *download);
DlFolders *_dl_manager_get_folders      (DlManager          *self);
DlRateLimit *_dl_manager_get_rate_limit (DlManager          *self);
gboolean  _dl_manager_wait_for_proxy_resolver (DlManager         *self,
                                               GError           **error);
void      _dl_manager_preconnect        (DlManager          *self,
                                          GUri               *uri);
DlCredentialProvider *_dl_manager_get_credential_provider (DlManager *self);
DlProxyResolver      *_dl_manager_get_proxy_resolver      (DlManager *self);

G_END_DECLS
