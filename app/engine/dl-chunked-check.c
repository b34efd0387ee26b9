/* dl-chunked-check.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "dl-chunked-check.h"
#include "dl-download.h"

/* libsoup 3.2 decodes a chunked body leniently: a connection closed where
 * the next chunk's size line should be, a size line that is not hex ("zz",
 * "-10"), or an overflowing one ("ffffffffffffffff") all end the body as if
 * the last chunk had come, and the stream reports a clean end. A download
 * of unknown length would then be saved short and called complete.
 *
 * The framing itself is out of reach (libsoup reads it), but its size is
 * not: the message's metrics count the body bytes read off the connection,
 * framing included, while the stream hands out the data. libsoup's reader
 * returns data from one chunk at a time, so a read that starts a chunk
 * consumed exactly the CRLF that ends the previous chunk and the new size
 * line, and the read that finds the end consumed the CRLF of the last chunk,
 * "0" CRLF and the final CRLF. A correct body always adds up; the broken
 * ones above never do: their last read consumed too little (a cut) or too
 * much (garbage taken for a last chunk and a trailer), or a size line's
 * length does not match the data of its chunk. Chunk extensions and
 * trailers, which libsoup 3.2 cannot read correctly either, are refused
 * the same way. */

#define CRLF 2
#define LAST_CHUNK_LINE 3   /* "0" CRLF */

static gboolean
set_framing_error (GError     **error,
                   const char  *what)
{
  g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_LENGTH,
               "The chunked body is broken (%s); the connection may have been cut", what);
  return FALSE;
}

static guint
hex_digits (guint64 value)
{
  guint n = 1;

  while (value >>= 4)
    n++;
  return n;
}

/* The chunk that just ended had a size line of the right length. */
static gboolean
check_chunk (DlChunkedCheck  *self,
             GError         **error)
{
  if (self->in_chunk && self->size_line != hex_digits (self->chunk_size) + CRLF)
    return set_framing_error (error, "a size line does not match its chunk");
  return TRUE;
}

/**
 * dl_chunked_check_init:
 * @self: a check, before the first read of the body
 */
void
dl_chunked_check_init (DlChunkedCheck *self)
{
  self->wire = 0;
  self->chunk_size = 0;
  self->size_line = 0;
  self->in_chunk = FALSE;
}

/**
 * dl_chunked_check_data:
 * @self: a check
 * @n_data: the bytes of data the last read returned (more than 0)
 * @wire: the body bytes read off the connection since the start
 *   (soup_message_metrics_get_response_body_bytes_received())
 * @error: the framing error
 *
 * Returns: %FALSE when the framing consumed by this read cannot be right
 */
gboolean
dl_chunked_check_data (DlChunkedCheck  *self,
                       gsize            n_data,
                       guint64          wire,
                       GError         **error)
{
  guint64 consumed = wire - self->wire;
  guint64 framing;

  if (wire < self->wire || consumed < n_data)
    return set_framing_error (error, "less read than returned");
  framing = consumed - n_data;
  self->wire = wire;

  /* More data of the same chunk. */
  if (framing == 0 && self->in_chunk)
    {
      self->chunk_size += n_data;
      return TRUE;
    }

  /* A new chunk: the previous one's CRLF, then the size line. */
  if (!check_chunk (self, error))
    return FALSE;
  if (self->in_chunk)
    {
      if (framing < CRLF)
        return set_framing_error (error, "a chunk without its CRLF");
      framing -= CRLF;
    }
  if (framing < 1 + CRLF)
    return set_framing_error (error, "a chunk without a size line");
  self->size_line = framing;
  self->chunk_size = n_data;
  self->in_chunk = TRUE;
  return TRUE;
}

/**
 * dl_chunked_check_end:
 * @self: a check
 * @wire: the body bytes read off the connection, at the end of the stream
 * @error: the framing error
 *
 * Returns: %FALSE when the body did not end with its last chunk ("0"
 *   CRLF CRLF after the last chunk's CRLF): it was cut, or garbage
 */
gboolean
dl_chunked_check_end (DlChunkedCheck  *self,
                      guint64          wire,
                      GError         **error)
{
  guint64 expected = (self->in_chunk ? CRLF : 0) + LAST_CHUNK_LINE + CRLF;

  if (!check_chunk (self, error))
    return FALSE;
  if (wire < self->wire || wire - self->wire != expected)
    return set_framing_error (error, "no last chunk");
  self->wire = wire;
  return TRUE;
}
