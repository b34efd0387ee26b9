/* dl-chunked-check.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Checks the framing of a chunked response body from what libsoup reports
 * of it; see dl-chunked-check.c. */
typedef struct
{
  guint64  wire;          /* body bytes read off the connection so far */
  guint64  chunk_size;    /* data of the current chunk so far */
  guint64  size_line;     /* the current chunk's size line, CRLF included */
  gboolean in_chunk;
} DlChunkedCheck;

void      dl_chunked_check_init (DlChunkedCheck  *self);

gboolean  dl_chunked_check_data (DlChunkedCheck  *self,
                                 gsize            n_data,
                                 guint64          wire,
                                 GError         **error);

gboolean  dl_chunked_check_end  (DlChunkedCheck  *self,
                                 guint64          wire,
                                 GError         **error);

G_END_DECLS
