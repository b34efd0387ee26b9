/* dl-download-job-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before dl-download-job-private.h"
#endif

#include <libbridge.h>

#include "dl-disk-private.h"
#include "dl-download-private.h"
#include "dl-manager-private.h"
#include "dl-part-file-private.h"

G_BEGIN_DECLS

/* What one run of a download's task works with (dl-download-task.c), and
 * how an attempt ended; the end of a download is dl-download-finish.c's. */

typedef enum
{
  OUTCOME_DONE,      /* the file is complete under its final name */
  OUTCOME_RETRY,     /* a transient failure: try again after a delay */
  OUTCOME_FATAL,     /* retrying would not help */
  OUTCOME_STOPPED,   /* cancelled: pause, cancel, remove or shutdown */
} Outcome;

typedef struct
{
  DlManager          *manager;
  DlDownload         *download;
  BridgeTask         *task;
  DlManagerSettings   settings;

  DlFolder           *folder;       /* the output folder, NULL until opened */
  DlSharedFd         *dir;          /* its descriptor */
  DlPart             *part;         /* NULL until the partial file is open */

  double              retry_after;  /* from the last response, or -1 */
  gint64              high_water;   /* the furthest this task has got */
  gboolean            not_ours;     /* another process holds the partial file */
  gboolean            resumable;    /* the last response allowed ranges */
  gint64              size;         /* of the complete file */
  gboolean            done;         /* recorded as done already */
  gboolean            one_connection; /* fetching in parts went wrong: never again */
} Job;

static inline BridgeLoop *
task_loop (Job *job)
{
  return bridge_future_get_loop (BRIDGE_FUTURE (job->task));
}

/* A disk job failed: stop if that was a cancellation, else give up. */
static inline Outcome
disk_outcome (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? OUTCOME_STOPPED : OUTCOME_FATAL;
}

void     _dl_download_job_discard_part  (Job          *job);
void     _dl_download_job_done          (Job          *job,
                                         gboolean      recorded);
Outcome  _dl_download_job_finish_start  (Job          *job,
                                         gint64        total,
                                         GError      **error);
Outcome  _dl_download_job_finish_wait   (Job          *job,
                                         GError      **error);

G_END_DECLS
