/* bridge-stream.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "bridge-async-result-private.h"
#include "bridge-future.h"
#include "bridge-loop-private.h"
#include "bridge-stream.h"

/* Awaitable GInputStream and GOutputStream operations.
 *
 * GIO reads into and writes from memory it does not own, and for streams
 * that are not pollable (files, pipes) it does so in a worker thread that a
 * cancellable cannot interrupt. A cancelled task wakes before that thread is
 * done, and may free its buffer at once; so the wrappers that take a raw
 * buffer give GIO memory of their own, kept with the operation until GIO
 * calls back, and copy. The GBytes variants need no copy. */

/**
 * bridge_input_stream_read_bytes:
 * @stream: a `GInputStream`
 * @count: the most bytes to read
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Reads up to @count bytes from @stream, waiting inside the current task:
 * `g_input_stream_read_bytes_async()` and `_finish()` with the task's
 * cancellable. Like all waiting wrappers, it returns at once with
 * %G_IO_ERROR_CANCELLED when the task is cancelled.
 *
 * Returns: (transfer full) (nullable): the bytes read, empty at the end of
 *   the stream, or %NULL with @error set
 *
 * Since: 0.1
 */
GBytes *
bridge_input_stream_read_bytes (GInputStream  *stream,
                                gsize          count,
                                int            io_priority,
                                GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return NULL;
  g_input_stream_read_bytes_async (stream, count, _bridge_loop_resolve_io_priority (io_priority), cancellable,
                                   bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return NULL;
  return g_input_stream_read_bytes_finish (stream, result, error);
}

/**
 * bridge_input_stream_read_all:
 * @stream: a `GInputStream`
 * @buffer: (array length=count) (element-type guint8) (out caller-allocates):
 *   the buffer to fill
 * @count: the number of bytes to read
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @bytes_read: (out) (optional): how many bytes were read into @buffer
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Fills @buffer with @count bytes from @stream, stopping early only at the
 * end of the stream: `g_input_stream_read_all_async()` and `_finish()` with
 * the task's cancellable. As with GIO, @bytes_read is less than @count at
 * the end of the stream, and on error it tells how much of @buffer is valid.
 *
 * GIO reads into memory owned by the operation, which is copied into
 * @buffer only while the task still waits. So a task that is cancelled may
 * free @buffer as soon as this returns, even though GIO is still busy.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
bridge_input_stream_read_all (GInputStream  *stream,
                              void          *buffer,
                              gsize          count,
                              int            io_priority,
                              gsize         *bytes_read,
                              GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(BridgeFuture) keep = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;
  guint8 *scratch;
  gsize n = 0;
  gboolean ret;

  if (bytes_read != NULL)
    *bytes_read = 0;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), FALSE);
  g_return_val_if_fail (buffer != NULL || count == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  scratch = g_malloc (MAX (count, 1));
  if (!(future = _bridge_async_begin (G_STRFUNC, scratch, g_free, &cancellable, error)))
    return FALSE;
  /* Our own reference keeps the scratch buffer for the copy below. */
  keep = bridge_future_ref (future);
  g_input_stream_read_all_async (stream, scratch, count, _bridge_loop_resolve_io_priority (io_priority), cancellable,
                                 bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return FALSE;

  ret = g_input_stream_read_all_finish (stream, result, &n, error);
  if (n > 0)
    memcpy (buffer, scratch, n);
  if (bytes_read != NULL)
    *bytes_read = n;
  return ret;
}

/**
 * bridge_input_stream_close:
 * @stream: a `GInputStream`
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Closes @stream: `g_input_stream_close_async()` and `_finish()` with the
 * task's cancellable.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
bridge_input_stream_close (GInputStream  *stream,
                           int            io_priority,
                           GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return FALSE;
  g_input_stream_close_async (stream, _bridge_loop_resolve_io_priority (io_priority), cancellable, bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return FALSE;
  return g_input_stream_close_finish (stream, result, error);
}

/**
 * bridge_output_stream_write_bytes:
 * @stream: a `GOutputStream`
 * @bytes: the data to write; a reference is kept until GIO is done with it
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Makes one write of up to the size of @bytes:
 * `g_output_stream_write_bytes_async()` and `_finish()` with the task's
 * cancellable.
 *
 * Returns: the number of bytes written, or -1 with @error set
 *
 * Since: 0.1
 */
gssize
bridge_output_stream_write_bytes (GOutputStream  *stream,
                                  GBytes         *bytes,
                                  int             io_priority,
                                  GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), -1);
  g_return_val_if_fail (bytes != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return -1;
  g_output_stream_write_bytes_async (stream, bytes, _bridge_loop_resolve_io_priority (io_priority), cancellable,
                                     bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return -1;
  return g_output_stream_write_bytes_finish (stream, result, error);
}

static gboolean
write_all_common (GOutputStream  *stream,
                  const void     *data,
                  gsize           count,
                  gpointer        owner,
                  GDestroyNotify  owner_destroy,
                  int             io_priority,
                  gsize          *bytes_written,
                  const char     *function,
                  GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;
  gsize n = 0;
  gboolean ret;

  if (!(future = _bridge_async_begin (function, owner, owner_destroy, &cancellable, error)))
    return FALSE;
  g_output_stream_write_all_async (stream, data, count, _bridge_loop_resolve_io_priority (io_priority), cancellable,
                                   bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return FALSE;

  ret = g_output_stream_write_all_finish (stream, result, &n, error);
  if (bytes_written != NULL)
    *bytes_written = n;
  return ret;
}

/**
 * bridge_output_stream_write_all:
 * @stream: a `GOutputStream`
 * @buffer: (array length=count) (element-type guint8): the data to write
 * @count: the number of bytes to write
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @bytes_written: (out) (optional): how many bytes were written
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Writes all of @buffer to @stream: `g_output_stream_write_all_async()` and
 * `_finish()` with the task's cancellable. On error, @bytes_written tells
 * how much was written.
 *
 * @buffer is copied first, because for files and pipes GIO writes from a
 * worker thread that cancellation cannot interrupt: a cancelled task may
 * free @buffer as soon as this returns. To avoid the copy, use
 * [func@Bridge.output_stream_write_all_bytes].
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
bridge_output_stream_write_all (GOutputStream  *stream,
                                const void     *buffer,
                                gsize           count,
                                int             io_priority,
                                gsize          *bytes_written,
                                GError        **error)
{
  gpointer copy;

  if (bytes_written != NULL)
    *bytes_written = 0;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), FALSE);
  g_return_val_if_fail (buffer != NULL || count == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  copy = g_memdup2 (buffer, count);
  return write_all_common (stream, copy, count, copy, g_free, io_priority, bytes_written,
                           G_STRFUNC, error);
}

/**
 * bridge_output_stream_write_all_bytes:
 * @stream: a `GOutputStream`
 * @bytes: the data to write; a reference is kept until GIO is done with it
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @bytes_written: (out) (optional): how many bytes were written
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Like [func@Bridge.output_stream_write_all], without copying: @bytes
 * itself stays alive until GIO is done with it.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
bridge_output_stream_write_all_bytes (GOutputStream  *stream,
                                      GBytes         *bytes,
                                      int             io_priority,
                                      gsize          *bytes_written,
                                      GError        **error)
{
  gconstpointer data;
  gsize size;

  if (bytes_written != NULL)
    *bytes_written = 0;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  data = g_bytes_get_data (bytes, &size);
  return write_all_common (stream, data, size, g_bytes_ref (bytes),
                           (GDestroyNotify) g_bytes_unref, io_priority, bytes_written,
                           G_STRFUNC, error);
}

/**
 * bridge_output_stream_flush:
 * @stream: a `GOutputStream`
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Flushes @stream: `g_output_stream_flush_async()` and `_finish()` with the
 * task's cancellable.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
bridge_output_stream_flush (GOutputStream  *stream,
                            int             io_priority,
                            GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return FALSE;
  g_output_stream_flush_async (stream, _bridge_loop_resolve_io_priority (io_priority), cancellable, bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return FALSE;
  return g_output_stream_flush_finish (stream, result, error);
}

/**
 * bridge_output_stream_close:
 * @stream: a `GOutputStream`
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Closes @stream, flushing it first: `g_output_stream_close_async()` and
 * `_finish()` with the task's cancellable. For a stream from
 * [func@Bridge.file_replace], this is the step that moves the new file into
 * place.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
bridge_output_stream_close (GOutputStream  *stream,
                            int             io_priority,
                            GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return FALSE;
  g_output_stream_close_async (stream, _bridge_loop_resolve_io_priority (io_priority), cancellable, bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return FALSE;
  return g_output_stream_close_finish (stream, result, error);
}
