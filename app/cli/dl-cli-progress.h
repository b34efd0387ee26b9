/* dl-cli-progress.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "dl-download.h"

G_BEGIN_DECLS

/**
 * DlCliProgressMode:
 * @DL_CLI_PROGRESS_SILENT: nothing (--quiet, --json)
 * @DL_CLI_PROGRESS_LINES: plain lines now and then (stderr is not a terminal)
 * @DL_CLI_PROGRESS_LIVE: a line per active download, redrawn in place
 *
 * How the headless mode shows its downloads on stderr.
 */
typedef enum
{
  DL_CLI_PROGRESS_SILENT,
  DL_CLI_PROGRESS_LINES,
  DL_CLI_PROGRESS_LIVE,
} DlCliProgressMode;

/**
 * DlCliOutcome:
 * @DL_CLI_OUTCOME_PENDING: not finished yet
 * @DL_CLI_OUTCOME_DONE: saved whole
 * @DL_CLI_OUTCOME_FAILED: given up
 * @DL_CLI_OUTCOME_STOPPED: interrupted, resumable by the same command
 */
typedef enum
{
  DL_CLI_OUTCOME_PENDING,
  DL_CLI_OUTCOME_DONE,
  DL_CLI_OUTCOME_FAILED,
  DL_CLI_OUTCOME_STOPPED,
} DlCliOutcome;

typedef struct _DlCliProgress DlCliProgress;

DlCliProgress *dl_cli_progress_new          (DlCliProgressMode  mode,
                                             guint              n_items);
void           dl_cli_progress_free         (DlCliProgress     *self);
void           dl_cli_progress_start        (DlCliProgress     *self,
                                             GMainContext      *context);
void           dl_cli_progress_stop         (DlCliProgress     *self);
void           dl_cli_progress_track        (DlCliProgress     *self,
                                             guint              index,
                                             const char        *url,
                                             DlDownload        *download);
void           dl_cli_progress_finish       (DlCliProgress     *self,
                                             guint              index,
                                             DlCliOutcome       outcome,
                                             const char        *detail);
void           dl_cli_progress_message      (DlCliProgress     *self,
                                             const char        *text);
void           dl_cli_progress_print_summary (DlCliProgress    *self);

char          *dl_cli_progress_format_line  (DlDownload        *download,
                                             const char        *name,
                                             guint              width,
                                             gint64             now) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlCliProgress, dl_cli_progress_free)

G_END_DECLS
