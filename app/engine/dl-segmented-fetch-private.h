/* dl-segmented-fetch-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before dl-segmented-fetch-private.h"
#endif

#include <libbridge.h>
#include <libsoup/soup.h>

#include "dl-manager-private.h"
#include "dl-part-file-private.h"

G_BEGIN_DECLS

/* How fetching a file in parts ended. */
typedef enum
{
  DL_FETCH_DONE,      /* every byte is written and synced */
  DL_FETCH_RETRY,     /* too many failures in a row: the ranges are kept */
  DL_FETCH_RESTART,   /* the server sent another version, or no range: start over */
  DL_FETCH_FATAL,     /* the disk failed */
  DL_FETCH_STOPPED,   /* cancelled */
} DlFetchOutcome;

/* What a fetch in parts works with; borrowed for the call. */
typedef struct
{
  DlManager               *manager;
  DlDownload              *download;
  DlPart                  *part;       /* created; nothing written through it */
  const DlManagerSettings *settings;
  gint64                   size;       /* of the complete file */
} DlFetchTarget;

gboolean        _dl_segmented_fetch_wanted (const DlFetchTarget  *target,
                                            SoupMessage          *msg,
                                            gint64                offset);
gint64          _dl_segmented_fetch_resume_offset (DlDownload    *download);
gint64          _dl_segmented_fetch_durable_end (DlDownload      *download);
void            _dl_segmented_fetch_ask_from_start (SoupMessage  *msg,
                                                    DlDownload   *download);
DlFetchOutcome  _dl_segmented_fetch_run    (const DlFetchTarget  *target,
                                            SoupMessage          *msg,
                                            GInputStream         *stream,
                                            GError              **error);

G_END_DECLS
