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

#include "dl-download-private.h"
#include "dl-manager.h"

G_BEGIN_DECLS

/* Settings a download task reads once per attempt. */
typedef struct
{
  guint   max_retries;
  double  idle_timeout;
  double  connect_timeout;
  double  retry_delay;
  double  max_retry_delay;
  double  max_time;          /* 0: no limit */
} DlManagerSettings;

/* An output folder, for syncing it after renames (dl-download-task.c). */
typedef struct _DlFolder DlFolder;

DlFolder *_dl_folder_new                 (int                 fd);
DlFolder *_dl_folder_ref                 (DlFolder           *self);
void      _dl_folder_unref               (DlFolder           *self);

/* A blocking call on the disk, for _dl_run_on_disk_thread(). */
typedef gboolean (*DlDiskFunc) (gpointer   data,
                                GError   **error);

/* What a download task runs on: owned references to both. */
typedef struct
{
  DlManager  *manager;
  DlDownload *download;
} DlTaskData;

void      _dl_manager_start              (DlManager          *self,
                                          DlDownload         *download);
void      _dl_manager_discard_part       (DlManager          *self,
                                          DlDownload         *download);
void      _dl_manager_forget             (DlManager          *self,
                                          DlDownload         *download);
void      _dl_manager_save               (DlManager          *self,
                                          DlDownload         *download);
void      _dl_manager_save_progress      (DlManager          *self,
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
DlFolder *_dl_manager_use_folder        (DlManager          *self,
                                          const char         *path,
                                          BridgeFuture      **opening);
DlFolder *_dl_manager_add_folder        (DlManager          *self,
                                          const char         *path,
                                          int                 fd);
gboolean  _dl_manager_wait_for_proxy_resolver (GError            **error);
void      _dl_manager_preconnect        (DlManager          *self,
                                          GUri               *uri);
void      _dl_manager_release_folder    (DlManager          *self,
                                          const char         *path,
                                          DlFolder           *folder);

/* dl-download-task.c */
void      _dl_download_task_run          (BridgeTask         *task,
                                          gpointer            user_data);
void      _dl_download_task_trim_buffers (void);
void      _dl_download_task_warm_up      (void);
BridgeFuture *_dl_run_on_disk_thread     (DlDiskFunc          func,
                                          gpointer            data,
                                          GDestroyNotify      destroy);

G_END_DECLS
