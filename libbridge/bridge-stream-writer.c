/* bridge-stream-writer.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-error.h"
#include "bridge-future-private.h"
#include "bridge-stream.h"
#include "bridge-stream-writer.h"
#include "bridge-task.h"

/**
 * BridgeStreamWriter:
 *
 * asyncio's `StreamWriter` over a `GOutputStream`: writing never waits,
 * and [method@Bridge.StreamWriter.drain] is where a task waits for the
 * data to go out.
 *
 * ```c
 * for (guint i = 0; i < n_records; i++)
 *   {
 *     bridge_stream_writer_write_bytes (writer, records[i]);
 *     if (!bridge_stream_writer_drain (writer, &error))   // flow control
 *       return;
 *   }
 * bridge_stream_writer_close (writer, &error);
 * ```
 *
 * Written data goes into a buffer that the writer sends in the background,
 * one asynchronous write at a time, while the loop runs. Drain waits only
 * while the buffer holds more than the high-water mark, and then until it
 * is down to the low-water mark, so a fast producer is held back by a slow
 * peer without a wait per write. A write error is kept and reported by
 * every later drain and close; what was buffered then is dropped.
 *
 * Since: 0.1
 */

struct _BridgeStreamWriter
{
  GObject        parent_instance;

  GOutputStream *stream;
  GQueue         pending;       /* GBytes, in order */
  gsize          buffered;      /* pending plus what the write in flight has left */
  gsize          high_water;
  gsize          low_water;
  GError        *error;         /* the first write error */
  GPtrArray     *drainers;      /* BridgeFuture, completed at the low-water mark */
  gboolean       writing;
  gboolean       closing;
};

G_DEFINE_FINAL_TYPE (BridgeStreamWriter, bridge_stream_writer, G_TYPE_OBJECT)

static void start_write (BridgeStreamWriter *writer);

typedef struct
{
  BridgeFuture *future;
  gsize         threshold;   /* woken once at most this much is buffered */
} Drainer;

static void
drainer_free (gpointer data)
{
  Drainer *drainer = data;

  bridge_future_unref (drainer->future);
  g_free (drainer);
}

/* Completes the drainers whose threshold is reached (all on an error). */
static void
wake_drainers (BridgeStreamWriter *writer)
{
  for (guint i = 0; i < writer->drainers->len;)
    {
      Drainer *drainer = g_ptr_array_index (writer->drainers, i);

      if (writer->error == NULL && writer->buffered > drainer->threshold &&
          !bridge_future_is_done (drainer->future))
        {
          i++;
          continue;
        }

      /* A drainer whose task was cancelled is done already. */
      if (!bridge_future_is_done (drainer->future))
        {
          if (writer->error != NULL)
            bridge_future_set_error (drainer->future, g_error_copy (writer->error), NULL);
          else
            bridge_future_set_value (drainer->future, NULL, NULL);
        }
      g_ptr_array_remove_index_fast (writer->drainers, i);
    }
}

static void
write_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  BridgeStreamWriter *writer = user_data;
  g_autoptr(GBytes) written = g_queue_pop_head (&writer->pending);
  GError *error = NULL;
  gssize n;

  writer->writing = FALSE;
  n = g_output_stream_write_bytes_finish (writer->stream, result, &error);
  if (n < 0)
    {
      if (writer->error == NULL)
        writer->error = error;
      else
        g_error_free (error);
      /* asyncio's transport aborts: nothing more goes out. */
      g_queue_clear_full (&writer->pending, (GDestroyNotify) g_bytes_unref);
      writer->buffered = 0;
      wake_drainers (writer);
    }
  else
    {
      gsize size = g_bytes_get_size (written);

      writer->buffered -= (gsize) n;
      if ((gsize) n < size)
        g_queue_push_head (&writer->pending, g_bytes_new_from_bytes (written, n, size - n));
      wake_drainers (writer);
      start_write (writer);
    }

  g_object_unref (writer);
}

static void
start_write (BridgeStreamWriter *writer)
{
  if (writer->writing || writer->error != NULL || g_queue_is_empty (&writer->pending))
    return;

  writer->writing = TRUE;
  /* The write holds the writer: data handed to write() goes out even if
   * the caller drops the writer at once. */
  g_output_stream_write_bytes_async (writer->stream, g_queue_peek_head (&writer->pending),
                                     G_PRIORITY_DEFAULT, NULL, write_done, g_object_ref (writer));
}

static void
bridge_stream_writer_finalize (GObject *object)
{
  BridgeStreamWriter *writer = (BridgeStreamWriter *) object;

  g_queue_clear_full (&writer->pending, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&writer->drainers, g_ptr_array_unref);
  g_clear_error (&writer->error);
  g_clear_object (&writer->stream);

  G_OBJECT_CLASS (bridge_stream_writer_parent_class)->finalize (object);
}

static void
bridge_stream_writer_class_init (BridgeStreamWriterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bridge_stream_writer_finalize;
}

static void
bridge_stream_writer_init (BridgeStreamWriter *writer)
{
  g_queue_init (&writer->pending);
  writer->drainers = g_ptr_array_new_with_free_func (drainer_free);
  writer->high_water = BRIDGE_STREAM_WRITER_DEFAULT_HIGH_WATER;
  writer->low_water = BRIDGE_STREAM_WRITER_DEFAULT_HIGH_WATER / 4;
}

/**
 * bridge_stream_writer_new: (constructor)
 * @stream: the stream to write to
 *
 * Creates a writer for @stream, with asyncio's buffer limits (64 KiB high,
 * 16 KiB low).
 *
 * Returns: (transfer full): a new [class@Bridge.StreamWriter]
 *
 * Since: 0.1
 */
BridgeStreamWriter *
bridge_stream_writer_new (GOutputStream *stream)
{
  BridgeStreamWriter *writer;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), NULL);

  writer = g_object_new (BRIDGE_TYPE_STREAM_WRITER, NULL);
  writer->stream = g_object_ref (stream);
  return writer;
}

/**
 * bridge_stream_writer_get_stream:
 * @writer: a [class@Bridge.StreamWriter]
 *
 * Gives the stream @writer writes to.
 *
 * Returns: (transfer none): the stream written to
 *
 * Since: 0.1
 */
GOutputStream *
bridge_stream_writer_get_stream (BridgeStreamWriter *writer)
{
  g_return_val_if_fail (BRIDGE_IS_STREAM_WRITER (writer), NULL);

  return writer->stream;
}

/**
 * bridge_stream_writer_write_bytes:
 * @writer: a [class@Bridge.StreamWriter]
 * @bytes: the data
 *
 * Adds @bytes to the buffer and returns at once (`StreamWriter.write()`);
 * the data goes out in the background while the loop runs. Follow with
 * [method@Bridge.StreamWriter.drain] to let the buffer empty. After a write
 * error, or once closing began, the data is dropped.
 *
 * Since: 0.1
 */
void
bridge_stream_writer_write_bytes (BridgeStreamWriter *writer,
                                  GBytes             *bytes)
{
  g_return_if_fail (BRIDGE_IS_STREAM_WRITER (writer));
  g_return_if_fail (bytes != NULL);

  if (writer->error != NULL || writer->closing || g_bytes_get_size (bytes) == 0)
    return;

  g_queue_push_tail (&writer->pending, g_bytes_ref (bytes));
  writer->buffered += g_bytes_get_size (bytes);
  start_write (writer);
}

/**
 * bridge_stream_writer_write:
 * @writer: a [class@Bridge.StreamWriter]
 * @data: (array length=size): the data, copied
 * @size: its size
 *
 * Like [method@Bridge.StreamWriter.write_bytes], with a copy of @data.
 *
 * Since: 0.1
 */
void
bridge_stream_writer_write (BridgeStreamWriter *writer,
                            const guint8       *data,
                            gsize               size)
{
  g_autoptr(GBytes) bytes = NULL;

  g_return_if_fail (BRIDGE_IS_STREAM_WRITER (writer));
  g_return_if_fail (data != NULL || size == 0);

  bytes = g_bytes_new (data, size);
  bridge_stream_writer_write_bytes (writer, bytes);
}

/**
 * bridge_stream_writer_get_buffer_size:
 * @writer: a [class@Bridge.StreamWriter]
 *
 * Measures the buffer of @writer.
 *
 * Returns: how many bytes wait to be written
 *   (`transport.get_write_buffer_size()`)
 *
 * Since: 0.1
 */
gsize
bridge_stream_writer_get_buffer_size (BridgeStreamWriter *writer)
{
  g_return_val_if_fail (BRIDGE_IS_STREAM_WRITER (writer), 0);

  return writer->buffered;
}

/**
 * bridge_stream_writer_set_buffer_limits:
 * @writer: a [class@Bridge.StreamWriter]
 * @high: drain waits while more than this many bytes are buffered
 * @low: and then until at most this many are; at most @high
 *
 * Sets the flow-control limits (`transport.set_write_buffer_limits()`).
 * With @high 0, every drain waits until the buffer is empty.
 *
 * Since: 0.1
 */
void
bridge_stream_writer_set_buffer_limits (BridgeStreamWriter *writer,
                                        gsize               high,
                                        gsize               low)
{
  g_return_if_fail (BRIDGE_IS_STREAM_WRITER (writer));
  g_return_if_fail (low <= high);

  writer->high_water = high;
  writer->low_water = low;
}

static gboolean
await_low_water (BridgeStreamWriter  *writer,
                 gsize                threshold,
                 const char          *function,
                 GError             **error)
{
  BridgeTask *task = bridge_task_get_current ();
  g_autoptr(BridgeStreamWriter) held = NULL;
  BridgeFuture *future;
  Drainer *drainer;
  gboolean ret;

  if (task == NULL)
    {
      g_set_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                   "%s() called outside a task: only code running in a task "
                   "started with bridge_spawn() can wait", function);
      return FALSE;
    }

  if (writer->error != NULL)
    {
      g_propagate_error (error, g_error_copy (writer->error));
      return FALSE;
    }

  if (writer->buffered <= threshold)
    return bridge_yield (error);   /* asyncio's drain() yields even then */

  held = g_object_ref (writer);
  drainer = g_new (Drainer, 1);
  drainer->future = bridge_future_new_for_loop (bridge_future_get_loop (BRIDGE_FUTURE (task)));
  drainer->threshold = threshold;
  bridge_future_set_label (drainer->future, function);
  future = bridge_future_ref (drainer->future);
  g_ptr_array_add (writer->drainers, drainer);
  ret = bridge_await (future, error);
  bridge_future_unref (future);
  return ret;
}

/**
 * bridge_stream_writer_drain:
 * @writer: a [class@Bridge.StreamWriter]
 * @error: return location for the write error that stopped the writer,
 *   %G_IO_ERROR_CANCELLED if the task was cancelled, or
 *   %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits, inside the current task, while the buffer is above its high-water
 * mark, until it is down to the low-water mark (`await writer.drain()`);
 * otherwise it only yields to the loop once. Cancelling the task stops the
 * wait, not the writing.
 *
 * Returns: %TRUE if the writer is fine
 *
 * Since: 0.1
 */
gboolean
bridge_stream_writer_drain (BridgeStreamWriter  *writer,
                            GError             **error)
{
  g_return_val_if_fail (BRIDGE_IS_STREAM_WRITER (writer), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* At or below the high-water mark there is nothing to wait for. */
  return await_low_water (writer,
                          writer->buffered <= writer->high_water ? G_MAXSIZE : writer->low_water,
                          G_STRFUNC, error);
}

/**
 * bridge_stream_writer_close:
 * @writer: a [class@Bridge.StreamWriter]
 * @error: return location for a write or close error,
 *   %G_IO_ERROR_CANCELLED if the task was cancelled, or
 *   %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits, inside the current task, until everything written went out, then
 * closes the stream (`writer.close()` and `await writer.wait_closed()`).
 * Later writes are dropped. If the task is cancelled while the buffer
 * empties, the stream is left open.
 *
 * The stream of a `GSocketConnection` does not close the socket: close the
 * connection itself (`g_io_stream_close()`) afterwards, as asyncio's
 * transport does.
 *
 * Returns: %TRUE if everything was written and the stream closed
 *
 * Since: 0.1
 */
gboolean
bridge_stream_writer_close (BridgeStreamWriter  *writer,
                            GError             **error)
{
  g_return_val_if_fail (BRIDGE_IS_STREAM_WRITER (writer), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  writer->closing = TRUE;
  if (!await_low_water (writer, 0, G_STRFUNC, error))
    return FALSE;
  /* The last write's callback may still be on its way. */
  while (writer->writing)
    if (!bridge_yield (error))
      return FALSE;
  return bridge_output_stream_close (writer->stream, G_PRIORITY_DEFAULT, error);
}
