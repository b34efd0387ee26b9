/* dl-download-task-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before dl-download-task-private.h"
#endif

#include <libbridge.h>

#include "dl-download.h"
#include "dl-manager.h"

G_BEGIN_DECLS

/* What a download task runs on: owned references to both. */
typedef struct
{
  DlManager  *manager;
  DlDownload *download;
} DlTaskData;

void _dl_download_task_run (BridgeTask *task,
                            gpointer    user_data);

G_END_DECLS
