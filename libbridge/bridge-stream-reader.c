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
};

G_DEFINE_FINAL_TYPE (BridgeStreamReader, bridge_stream_reader, G_TYPE_OBJECT)

static void
bridge_stream_reader_finalize (GObject *object)
{
  BridgeStreamReader *self = (BridgeStreamReader *) object;

  g_clear_object (&self->stream);

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
 * Returns: whether the end of the stream was reached
 *
 * Since: 0.1
 */
gboolean
bridge_stream_reader_is_at_end (BridgeStreamReader *reader)
{
  g_return_val_if_fail (BRIDGE_IS_STREAM_READER (reader), FALSE);

  return reader->at_end;
}
