/* dl-download-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before dl-download-private.h"
#endif

#include <libbridge.h>

#include "dl-download.h"
#include "dl-rate-limit-private.h"
#include "dl-request-options.h"
#include "dl-store.h"

G_BEGIN_DECLS

/* Why a running task was cancelled: it decides what the task leaves behind. */
typedef enum
{
  DL_STOP_NONE,
  DL_STOP_PAUSE,      /* keep .part, state paused */
  DL_STOP_CANCEL,     /* remove .part, state cancelled */
  DL_STOP_REMOVE,     /* remove .part, forget the download */
  DL_STOP_SHUTDOWN,   /* keep .part, keep the stored state so a restart resumes */
  DL_STOP_TIME_LIMIT, /* keep .part, state failed: DlManager:max-time ran out */
  DL_STOP_METERED,    /* keep .part, keep the stored state: a metered network */
} DlStopReason;

struct _DlDownload
{
  GObject          parent_instance;

  /* Borrowed: the manager owns its downloads and clears this in dispose. */
  DlManager       *manager;

  /* Owned */
  char            *url;          /* without its password: shown and stored */
  char            *request_url;  /* with it, in memory only; NULL: url */
  char            *auth_user;    /* credentials for its origin, in memory only */
  char            *auth_password;
  char            *output_dir;
  char            *host;
  char            *file_name;
  char            *sha256;
  char            *file_sha256;  /* of the saved bytes, when hashed (memory only) */
  char            *etag;
  char            *last_modified;
  char            *error_message;
  GError          *error;
  BridgeTask      *task;
  BridgeFuture    *discarding;  /* the removal of the partial file, or NULL */
  DlRateLimit     *rate_limit;  /* its own speed limit */
  DlRequestOptions *request_options;  /* what its requests add, or NULL */

  gint64           id;
  DlDownloadState  state;
  gint64           bytes_received;
  gint64           resume_offset;
  gint64           total_bytes;
  double           speed;
  gint64           eta;
  guint            attempts;
  gint64           retry_at;
  gint64           created_at;
  gint64           finished_at;

  /* Progress throttling: what the UI was last told, and the speed sample. */
  gint64           notified_bytes;
  gint64           sample_time;
  gint64           sample_bytes;

  DlStopReason     stop_reason;
  DlRangeSupport   range_support;
  GArray          *ranges;        /* DlStoreRange, when fetched in parts, or NULL */
  guint            n_connections;
  guint            holds_ticket : 1;
  guint            holds_slot : 1;
  guint            removed : 1;
  guint            inserting : 1;     /* its first record is on its way to the store */
  guint            save_pending : 1;  /* saved meanwhile: save again once inserted */
  guint            metered_paused : 1; /* waits for an unmetered network */
  guint            allow_metered : 1;  /* "Download Anyway" */
};

char          *_dl_download_dup_part_owner      (DlDownload           *self);
DlDownload    *_dl_download_new                 (DlManager            *manager,
                                                 const DlStoreRecord  *record) G_GNUC_WARN_UNUSED_RESULT;
DlStoreRecord *_dl_download_to_record           (DlDownload           *self) G_GNUC_WARN_UNUSED_RESULT;
void           _dl_download_set_state           (DlDownload           *self,
                                                 DlDownloadState       state);
void           _dl_download_set_metered_paused  (DlDownload           *self,
                                                 gboolean              metered_paused);
void           _dl_download_set_file_name       (DlDownload           *self,
                                                 const char           *file_name);
void           _dl_download_set_bytes_received  (DlDownload           *self,
                                                 gint64                bytes_received);
void           _dl_download_set_total_bytes     (DlDownload           *self,
                                                 gint64                total_bytes);
void           _dl_download_set_error           (DlDownload           *self,
                                                 const GError         *error);
void           _dl_download_set_range_support   (DlDownload           *self,
                                                 DlRangeSupport        support);
void           _dl_download_set_attempts        (DlDownload           *self,
                                                 guint                 attempts);
void           _dl_download_set_retry_at        (DlDownload           *self,
                                                 gint64                retry_at);
void           _dl_download_set_validators      (DlDownload           *self,
                                                 const char           *etag,
                                                 const char           *last_modified);
void           _dl_download_save                (DlDownload           *self);
void           _dl_download_advance_resume_offset (DlDownload         *self,
                                                 gint64                offset);
void           _dl_download_rewind              (DlDownload           *self,
                                                 gint64                offset);
void           _dl_download_set_ranges          (DlDownload           *self,
                                                 const GArray         *ranges,
                                                 gint64                contiguous);
void           _dl_download_set_n_connections   (DlDownload           *self,
                                                 guint                 n_connections);
void           _dl_download_tick                (DlDownload           *self,
                                                 gint64                now);
void           _dl_download_set_task            (DlDownload           *self,
                                                 BridgeTask           *task);
void           _dl_download_detach              (DlDownload           *self);

G_END_DECLS
