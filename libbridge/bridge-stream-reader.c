/* bridge-stream-reader.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-loop.h"
#include "bridge-stream.h"
#include "bridge-stream-reader.h"

/**
 * BridgeStreamReader:
 *
 * Iterates over the chunks of a `GInputStream` from a task, the way
 * `async for chunk in response.content.iter_chunked(n)` does in Python:
 *
 * ```c
 * g_autoptr(BridgeStreamReader) reader = bridge_stream_reader_new (stream, 0);
 * GBytes *chunk;
 *
 * while ((chunk = bridge_stream_reader_next (reader, &error)))
 *   {
 *     consume (chunk);
 *     g_bytes_unref (chunk);
 *   }
 * if (error != NULL)
 *   …   // a read failed, or the task was cancelled
 * ```
 *
 * Each chunk is what one read returned: at most the chunk size, and as soon
 * as data arrives, so progress can be reported as it comes. Reads use
 * [func@Bridge.input_stream_read_bytes], so cancelling the task wakes it at
 * once from [method@Bridge.StreamReader.next].
 *
 * Since: 0.1
 */
struct _BridgeStreamReader
{
  GObject       parent_instance;

  GInputStream *stream;
  gsize         chunk_size;
  guint64       bytes_read;
  gboolean      at_end;
  GByteArray   *buffer;   /* read from the stream, not returned yet */
  gsize         limit;
};

G_DEFINE_FINAL_TYPE (BridgeStreamReader, bridge_stream_reader, G_TYPE_OBJECT)

static void
bridge_stream_reader_finalize (GObject *object)
{
  BridgeStreamReader *self = (BridgeStreamReader *) object;

  g_clear_object (&self->stream);
  g_clear_pointer (&self->buffer, g_byte_array_unref);

  G_OBJECT_CLASS (bridge_stream_reader_parent_class)->finalize (object);
}

static void
bridge_stream_reader_class_init (BridgeStreamReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bridge_stream_reader_finalize;
}

static void
bridge_stream_reader_init (BridgeStreamReader *self)
{
  self->buffer = g_byte_array_new ();
  self->limit = BRIDGE_STREAM_READER_DEFAULT_LIMIT;
}

/**
 * bridge_stream_reader_new: (constructor)
 * @stream: the stream to read
 * @chunk_size: the largest chunk to return, or 0 for
 *   %BRIDGE_STREAM_READER_DEFAULT_CHUNK_SIZE
 *
 * Creates a reader that returns the contents of @stream chunk by chunk.
 *
 * Returns: (transfer full): a new [class@Bridge.StreamReader]
 *
 * Since: 0.1
 */
BridgeStreamReader *
bridge_stream_reader_new (GInputStream *stream,
                          gsize         chunk_size)
{
  BridgeStreamReader *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);

  self = g_object_new (BRIDGE_TYPE_STREAM_READER, NULL);
  self->stream = g_object_ref (stream);
  self->chunk_size = chunk_size != 0 ? chunk_size : BRIDGE_STREAM_READER_DEFAULT_CHUNK_SIZE;
  return self;
}

/**
 * bridge_stream_reader_next:
 * @reader: a [class@Bridge.StreamReader]
 * @error: return location for a read error, %G_IO_ERROR_CANCELLED if the
 *   task was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits, inside the current task, for the next chunk (`__anext__`). At the
 * end of the stream it returns %NULL without an error, and keeps doing so.
 * After an error, calling it again retries the read.
 *
 * Returns: (transfer full) (nullable): the next chunk, never empty; %NULL at
 *   the end of the stream or with @error set
 *
 * Since: 0.1
 */
GBytes *
bridge_stream_reader_next (BridgeStreamReader  *reader,
                           GError             **error)
{
  GBytes *chunk;

  g_return_val_if_fail (BRIDGE_IS_STREAM_READER (reader), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* What read_line() and friends read ahead comes first. */
  if (reader->buffer->len > 0)
    {
      GBytes *buffered = g_byte_array_free_to_bytes (g_steal_pointer (&reader->buffer));

      reader->buffer = g_byte_array_new ();
      return buffered;
    }

  if (reader->at_end)
    return NULL;

  /* Chunks of a stream are bulk: below GTK's redraw (see
   * bridge_loop_set_io_priority()). */
  chunk = bridge_input_stream_read_bytes (reader->stream, reader->chunk_size,
                                          BRIDGE_IO_PRIORITY_LOOP, error);
  if (chunk == NULL)
    return NULL;

  if (g_bytes_get_size (chunk) == 0)
    {
      reader->at_end = TRUE;
      g_bytes_unref (chunk);
      return NULL;
    }

  reader->bytes_read += g_bytes_get_size (chunk);
  return chunk;
}

/**
 * bridge_stream_reader_get_stream:
 * @reader: a [class@Bridge.StreamReader]
 *
 * Gives the input stream @reader reads.
 *
 * Returns: (transfer none): the stream being read
 *
 * Since: 0.1
 */
GInputStream *
bridge_stream_reader_get_stream (BridgeStreamReader *reader)
{
  g_return_val_if_fail (BRIDGE_IS_STREAM_READER (reader), NULL);

  return reader->stream;
}

/**
 * bridge_stream_reader_get_chunk_size:
 * @reader: a [class@Bridge.StreamReader]
 *
 * Reads the chunk size @reader was created with.
 *
 * Returns: the largest chunk [method@Bridge.StreamReader.next] returns
 *
 * Since: 0.1
 */
gsize
bridge_stream_reader_get_chunk_size (BridgeStreamReader *reader)
{
  g_return_val_if_fail (BRIDGE_IS_STREAM_READER (reader), 0);

  return reader->chunk_size;
}

/**
 * bridge_stream_reader_get_bytes_read:
 * @reader: a [class@Bridge.StreamReader]
 *
 * Counts the bytes @reader has handed out.
 *
 * Returns: the total size of the chunks returned so far
 *
 * Since: 0.1
 */
guint64
bridge_stream_reader_get_bytes_read (BridgeStreamReader *reader)
{
  g_return_val_if_fail (BRIDGE_IS_STREAM_READER (reader), 0);

  return reader->bytes_read;
}

/**
 * bridge_stream_reader_is_at_end:
 * @reader: a [class@Bridge.StreamReader]
 *
 * Tells whether @reader has seen the end of its stream.
 *
 * Returns: whether the end of the stream was reached and everything
 *   read was returned (`at_eof()`)
 *
 * Since: 0.1
 */
gboolean
bridge_stream_reader_is_at_end (BridgeStreamReader *reader)
{
  g_return_val_if_fail (BRIDGE_IS_STREAM_READER (reader), FALSE);

  return reader->at_end && reader->buffer->len == 0;
}

/* ---- reading by delimiter and by size ------------------------------------------------- */

/**
 * bridge_stream_error_quark:
 *
 * The domain of [error@Bridge.StreamError]; use the %BRIDGE_STREAM_ERROR
 * macro in C.
 *
 * Returns: the quark `bridge-stream-error-quark`
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (bridge-stream-error-quark, bridge_stream_error)

/* Reads one more chunk into the buffer. FALSE with @error set on a read
 * error or a cancellation (the buffer keeps what it had), FALSE without an
 * error at the end of the stream. */
static gboolean
fill_buffer (BridgeStreamReader  *reader,
             GError             **error)
{
  g_autoptr(GBytes) chunk = NULL;

  if (reader->at_end)
    return FALSE;

  chunk = bridge_input_stream_read_bytes (reader->stream, reader->chunk_size,
                                          G_PRIORITY_DEFAULT, error);
  if (chunk == NULL)
    return FALSE;

  if (g_bytes_get_size (chunk) == 0)
    {
      reader->at_end = TRUE;
      return FALSE;
    }

  reader->bytes_read += g_bytes_get_size (chunk);
  g_byte_array_append (reader->buffer, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  return TRUE;
}

/* Takes the first @n bytes of the buffer. */
static GBytes *
take_buffered (BridgeStreamReader *reader,
               gsize               n)
{
  GBytes *taken = g_bytes_new (reader->buffer->data, n);

  g_byte_array_remove_range (reader->buffer, 0, n);
  return taken;
}

static gssize
find_separator (BridgeStreamReader *reader,
                const guint8       *separator,
                gsize               separator_len,
                gsize               from)
{
  if (reader->buffer->len < separator_len)
    return -1;

  for (gsize i = from; i + separator_len <= reader->buffer->len; i++)
    if (memcmp (reader->buffer->data + i, separator, separator_len) == 0)
      return (gssize) i;
  return -1;
}

/**
 * bridge_stream_reader_read_until:
 * @reader: a [class@Bridge.StreamReader]
 * @separator: (array length=separator_len) (element-type guint8): the bytes
 *   that end the data to return
 * @separator_len: the length of @separator, at least 1
 * @error: return location for %BRIDGE_STREAM_ERROR_INCOMPLETE_READ,
 *   %BRIDGE_STREAM_ERROR_LIMIT_OVERRUN, a read error,
 *   %G_IO_ERROR_CANCELLED if the task was cancelled, or
 *   %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits, inside the current task, until @separator arrives and returns
 * everything up to and including it (`StreamReader.readuntil()`).
 *
 * As in asyncio: if the stream ends first, this fails with
 * %BRIDGE_STREAM_ERROR_INCOMPLETE_READ; if @separator is not found within
 * the reader's limit ([method@Bridge.StreamReader.set_limit]), it fails with
 * %BRIDGE_STREAM_ERROR_LIMIT_OVERRUN. In both cases, and when the task is
 * cancelled, nothing is consumed: where asyncio hands the partial data over
 * in the exception, here it stays in the reader, for
 * [method@Bridge.StreamReader.read] or [method@Bridge.StreamReader.next].
 *
 * Returns: (transfer full) (nullable): the data including @separator, or
 *   %NULL with @error set
 *
 * Since: 0.1
 */
GBytes *
bridge_stream_reader_read_until (BridgeStreamReader  *reader,
                                 const guint8        *separator,
                                 gsize                separator_len,
                                 GError             **error)
{
  gsize searched = 0;

  g_return_val_if_fail (BRIDGE_IS_STREAM_READER (reader), NULL);
  g_return_val_if_fail (separator != NULL && separator_len > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (;;)
    {
      GError *read_error = NULL;
      gssize found = find_separator (reader, separator, separator_len, searched);

      if (found >= 0)
        {
          gsize end = (gsize) found + separator_len;

          if (end > reader->limit)
            {
              g_set_error (error, BRIDGE_STREAM_ERROR, BRIDGE_STREAM_ERROR_LIMIT_OVERRUN,
                           "Separator is found, but chunk is longer than limit (%" G_GSIZE_FORMAT
                           " bytes)", reader->limit);
              return NULL;
            }
          return take_buffered (reader, end);
        }

      if (reader->buffer->len > reader->limit)
        {
          g_set_error (error, BRIDGE_STREAM_ERROR, BRIDGE_STREAM_ERROR_LIMIT_OVERRUN,
                       "Separator is not found, and chunk exceeds the limit (%" G_GSIZE_FORMAT
                       " bytes)", reader->limit);
          return NULL;
        }

      /* Only the new bytes need searching, and the tail of the old ones
       * that a separator could start in. */
      searched = reader->buffer->len >= separator_len ? reader->buffer->len - separator_len + 1 : 0;

      if (!fill_buffer (reader, &read_error))
        {
          if (read_error != NULL)
            g_propagate_error (error, read_error);
          else
            g_set_error (error, BRIDGE_STREAM_ERROR, BRIDGE_STREAM_ERROR_INCOMPLETE_READ,
                         "%u bytes read on a total of undefined expected bytes",
                         reader->buffer->len);
          return NULL;
        }
    }
}

/**
 * bridge_stream_reader_read_line:
 * @reader: a [class@Bridge.StreamReader]
 * @error: return location for %BRIDGE_STREAM_ERROR_LIMIT_OVERRUN, a read
 *   error, %G_IO_ERROR_CANCELLED if the task was cancelled, or
 *   %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits, inside the current task, for a line and returns it with its
 * `\n` (`StreamReader.readline()`). At the end of the stream it returns
 * what is left without a `\n`, and then empty bytes, as asyncio does.
 *
 * A line longer than the reader's limit fails with
 * %BRIDGE_STREAM_ERROR_LIMIT_OVERRUN and, as in asyncio, is dropped: up to
 * and including its `\n` if that was read, else everything read so far.
 *
 * Returns: (transfer full) (nullable): the line, empty at the end of the
 *   stream; %NULL with @error set
 *
 * Since: 0.1
 */
GBytes *
bridge_stream_reader_read_line (BridgeStreamReader  *reader,
                                GError             **error)
{
  static const guint8 newline = '\n';
  GError *local_error = NULL;
  GBytes *line;

  g_return_val_if_fail (BRIDGE_IS_STREAM_READER (reader), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  line = bridge_stream_reader_read_until (reader, &newline, 1, &local_error);
  if (line != NULL)
    return line;

  if (g_error_matches (local_error, BRIDGE_STREAM_ERROR, BRIDGE_STREAM_ERROR_INCOMPLETE_READ))
    {
      g_clear_error (&local_error);
      return take_buffered (reader, reader->buffer->len);
    }

  if (g_error_matches (local_error, BRIDGE_STREAM_ERROR, BRIDGE_STREAM_ERROR_LIMIT_OVERRUN))
    {
      gssize found = find_separator (reader, &newline, 1, 0);

      g_byte_array_remove_range (reader->buffer, 0,
                                 found >= 0 ? (guint) found + 1 : reader->buffer->len);
    }

  g_propagate_error (error, local_error);
  return NULL;
}

/**
 * bridge_stream_reader_read_exactly:
 * @reader: a [class@Bridge.StreamReader]
 * @n: how many bytes to read
 * @error: return location for %BRIDGE_STREAM_ERROR_INCOMPLETE_READ, a read
 *   error, %G_IO_ERROR_CANCELLED if the task was cancelled, or
 *   %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits, inside the current task, for exactly @n bytes
 * (`StreamReader.readexactly()`). If the stream ends first, this fails with
 * %BRIDGE_STREAM_ERROR_INCOMPLETE_READ and the bytes that did arrive stay
 * in the reader (asyncio passes them in the exception), as they do when
 * the task is cancelled.
 *
 * Returns: (transfer full) (nullable): @n bytes, or %NULL with @error set
 *
 * Since: 0.1
 */
GBytes *
bridge_stream_reader_read_exactly (BridgeStreamReader  *reader,
                                   gsize                n,
                                   GError             **error)
{
  g_return_val_if_fail (BRIDGE_IS_STREAM_READER (reader), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  while (reader->buffer->len < n)
    {
      GError *read_error = NULL;

      if (!fill_buffer (reader, &read_error))
        {
          if (read_error != NULL)
            g_propagate_error (error, read_error);
          else
            g_set_error (error, BRIDGE_STREAM_ERROR, BRIDGE_STREAM_ERROR_INCOMPLETE_READ,
                         "%u bytes read on a total of %" G_GSIZE_FORMAT " expected bytes",
                         reader->buffer->len, n);
          return NULL;
        }
    }

  return take_buffered (reader, n);
}

/**
 * bridge_stream_reader_read:
 * @reader: a [class@Bridge.StreamReader]
 * @n: the most bytes to return, or -1 for everything up to the end of
 *   the stream
 * @error: return location for a read error, %G_IO_ERROR_CANCELLED if the
 *   task was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits, inside the current task, for data (`StreamReader.read (n)`): with
 * @n ≥ 0, returns up to @n bytes as soon as any is there; with -1, reads
 * to the end of the stream. At the end it returns empty bytes. With -1, a
 * cancellation keeps what was read in the reader.
 *
 * Returns: (transfer full) (nullable): the data, empty at the end of the
 *   stream; %NULL with @error set
 *
 * Since: 0.1
 */
GBytes *
bridge_stream_reader_read (BridgeStreamReader  *reader,
                           gssize               n,
                           GError             **error)
{
  g_return_val_if_fail (BRIDGE_IS_STREAM_READER (reader), NULL);
  g_return_val_if_fail (n >= -1, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (n == 0)
    return g_bytes_new (NULL, 0);

  if (n < 0)
    {
      GError *read_error = NULL;

      while (fill_buffer (reader, &read_error))
        ;
      if (read_error != NULL)
        {
          g_propagate_error (error, read_error);
          return NULL;
        }
      return take_buffered (reader, reader->buffer->len);
    }

  if (reader->buffer->len == 0 && !fill_buffer (reader, error))
    return (error != NULL && *error != NULL) ? NULL : g_bytes_new (NULL, 0);

  return take_buffered (reader, MIN ((gsize) n, reader->buffer->len));
}

/**
 * bridge_stream_reader_set_limit:
 * @reader: a [class@Bridge.StreamReader]
 * @limit: the longest line or separated chunk accepted, in bytes
 *
 * Sets the limit of [method@Bridge.StreamReader.read_line] and
 * [method@Bridge.StreamReader.read_until] (the `limit` argument of
 * `asyncio.open_connection()`), which keeps a peer that never sends a
 * separator from filling the memory. The default is
 * %BRIDGE_STREAM_READER_DEFAULT_LIMIT.
 *
 * Since: 0.1
 */
void
bridge_stream_reader_set_limit (BridgeStreamReader *reader,
                                gsize               limit)
{
  g_return_if_fail (BRIDGE_IS_STREAM_READER (reader));
  g_return_if_fail (limit > 0);

  reader->limit = limit;
}

/**
 * bridge_stream_reader_get_limit:
 * @reader: a [class@Bridge.StreamReader]
 *
 * Reads the limit set with [method@Bridge.StreamReader.set_limit].
 *
 * Returns: the limit of [method@Bridge.StreamReader.read_until]
 *
 * Since: 0.1
 */
gsize
bridge_stream_reader_get_limit (BridgeStreamReader *reader)
{
  g_return_val_if_fail (BRIDGE_IS_STREAM_READER (reader), 0);

  return reader->limit;
}
