/* bridge-file.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-async-result-private.h"
#include "bridge-loop-private.h"
#include "bridge-file.h"

/* Awaitable GFile operations. Each runs the GIO `_async` call with the
 * current task's cancellable and returns what its `_finish` returns; see
 * bridge-async-result.c for how cancellation wakes the task at once. */

/**
 * bridge_file_read:
 * @file: a `GFile`
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Opens @file for reading, waiting inside the current task:
 * `g_file_read_async()` and `_finish()` with the task's cancellable.
 *
 * Returns: (transfer full) (nullable): the stream, or %NULL with @error set
 *
 * Since: 0.1
 */
GFileInputStream *
bridge_file_read (GFile   *file,
                  int      io_priority,
                  GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return NULL;
  g_file_read_async (file, _bridge_loop_resolve_io_priority (io_priority), cancellable, bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return NULL;
  return g_file_read_finish (file, result, error);
}

/**
 * bridge_file_replace:
 * @file: a `GFile`
 * @etag: (nullable): the entity tag the current file must have, or %NULL
 * @make_backup: whether to keep a backup of the current file
 * @flags: `GFileCreateFlags`
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Opens @file for replacing, waiting inside the current task:
 * `g_file_replace_async()` and `_finish()` with the task's cancellable. The
 * new content replaces the old one when the stream is closed (see
 * [func@Bridge.output_stream_close]).
 *
 * Returns: (transfer full) (nullable): the stream, or %NULL with @error set
 *
 * Since: 0.1
 */
GFileOutputStream *
bridge_file_replace (GFile             *file,
                     const char        *etag,
                     gboolean           make_backup,
                     GFileCreateFlags   flags,
                     int                io_priority,
                     GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return NULL;
  g_file_replace_async (file, etag, make_backup, flags, _bridge_loop_resolve_io_priority (io_priority), cancellable,
                        bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return NULL;
  return g_file_replace_finish (file, result, error);
}

/**
 * bridge_file_create:
 * @file: a `GFile` that must not exist yet
 * @flags: `GFileCreateFlags`
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @error: return location for an error (%G_IO_ERROR_EXISTS when @file
 *   exists), %G_IO_ERROR_CANCELLED if the task was cancelled, or
 *   %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Creates @file and opens it for writing, waiting inside the current task:
 * `g_file_create_async()` and `_finish()` with the task's cancellable.
 *
 * Returns: (transfer full) (nullable): the stream, or %NULL with @error set
 *
 * Since: 0.1
 */
GFileOutputStream *
bridge_file_create (GFile             *file,
                    GFileCreateFlags   flags,
                    int                io_priority,
                    GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return NULL;
  g_file_create_async (file, flags, _bridge_loop_resolve_io_priority (io_priority), cancellable, bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return NULL;
  return g_file_create_finish (file, result, error);
}

/**
 * bridge_file_append_to:
 * @file: a `GFile`, created if it does not exist
 * @flags: `GFileCreateFlags`
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Opens @file for appending, waiting inside the current task:
 * `g_file_append_to_async()` and `_finish()` with the task's cancellable.
 *
 * Returns: (transfer full) (nullable): the stream, or %NULL with @error set
 *
 * Since: 0.1
 */
GFileOutputStream *
bridge_file_append_to (GFile             *file,
                       GFileCreateFlags   flags,
                       int                io_priority,
                       GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return NULL;
  g_file_append_to_async (file, flags, _bridge_loop_resolve_io_priority (io_priority), cancellable, bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return NULL;
  return g_file_append_to_finish (file, result, error);
}

/**
 * bridge_file_query_info:
 * @file: a `GFile`
 * @attributes: the attributes to query, such as `"standard::size"`
 * @flags: `GFileQueryInfoFlags`
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Queries information on @file, waiting inside the current task:
 * `g_file_query_info_async()` and `_finish()` with the task's cancellable.
 *
 * Returns: (transfer full) (nullable): the information, or %NULL with
 *   @error set
 *
 * Since: 0.1
 */
GFileInfo *
bridge_file_query_info (GFile                *file,
                        const char           *attributes,
                        GFileQueryInfoFlags   flags,
                        int                   io_priority,
                        GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (attributes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return NULL;
  g_file_query_info_async (file, attributes, flags, _bridge_loop_resolve_io_priority (io_priority), cancellable,
                           bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return NULL;
  return g_file_query_info_finish (file, result, error);
}

/**
 * bridge_file_move:
 * @source: the `GFile` to move
 * @destination: where to move it
 * @flags: `GFileCopyFlags`, such as %G_FILE_COPY_OVERWRITE
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Moves @source to @destination, waiting inside the current task:
 * `g_file_move_async()` and `_finish()` with the task's cancellable. On
 * the same file system this is a rename.
 *
 * There is no progress callback: GIO may deliver progress after a cancelled
 * task has moved on, when whatever the callback would look at may be gone.
 * Code that needs progress can call `g_file_move_async()` with
 * [func@Bridge.async_ready] and progress data that outlives the operation.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
bridge_file_move (GFile           *source,
                  GFile           *destination,
                  GFileCopyFlags   flags,
                  int              io_priority,
                  GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_FILE (source), FALSE);
  g_return_val_if_fail (G_IS_FILE (destination), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return FALSE;
  g_file_move_async (source, destination, flags, _bridge_loop_resolve_io_priority (io_priority), cancellable, NULL, NULL,
                     bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return FALSE;
  return g_file_move_finish (source, result, error);
}

/**
 * bridge_file_delete:
 * @file: a `GFile`
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @error: return location for an error (%G_IO_ERROR_NOT_FOUND when @file
 *   does not exist), %G_IO_ERROR_CANCELLED if the task was cancelled, or
 *   %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Deletes @file, waiting inside the current task: `g_file_delete_async()`
 * and `_finish()` with the task's cancellable.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
bridge_file_delete (GFile   *file,
                    int      io_priority,
                    GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_FILE (file), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return FALSE;
  g_file_delete_async (file, _bridge_loop_resolve_io_priority (io_priority), cancellable, bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return FALSE;
  return g_file_delete_finish (file, result, error);
}

/**
 * bridge_file_load_contents:
 * @file: a `GFile`
 * @contents: (out) (transfer full) (array length=length) (element-type guint8):
 *   the contents, with a nul byte after them
 * @length: (out) (optional): the length of @contents
 * @etag_out: (out) (optional) (nullable) (transfer full): the entity tag
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Reads the whole of @file, waiting inside the current task:
 * `g_file_load_contents_async()` and `_finish()` with the task's
 * cancellable.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
bridge_file_load_contents (GFile   *file,
                           char   **contents,
                           gsize   *length,
                           char   **etag_out,
                           GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_FILE (file), FALSE);
  g_return_val_if_fail (contents != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *contents = NULL;
  if (length != NULL)
    *length = 0;
  if (etag_out != NULL)
    *etag_out = NULL;

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return FALSE;
  g_file_load_contents_async (file, cancellable, bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return FALSE;
  return g_file_load_contents_finish (file, result, contents, length, etag_out, error);
}

/**
 * bridge_file_replace_contents:
 * @file: a `GFile`
 * @contents: (array length=length) (element-type guint8): the new contents
 * @length: the length of @contents
 * @etag: (nullable): the entity tag the current file must have, or %NULL
 * @make_backup: whether to keep a backup of the current file
 * @flags: `GFileCreateFlags`
 * @new_etag: (out) (optional) (nullable) (transfer full): the entity tag of
 *   the new file
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Replaces the contents of @file, atomically where the file system allows,
 * waiting inside the current task: `g_file_replace_contents_async()` and
 * `_finish()` with the task's cancellable.
 *
 * Unlike with `g_file_replace_contents_async()`, @contents is copied, so the
 * caller may free it as soon as this returns, even when it returns because
 * the task was cancelled while GIO was still writing.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
bridge_file_replace_contents (GFile             *file,
                              const char        *contents,
                              gsize              length,
                              const char        *etag,
                              gboolean           make_backup,
                              GFileCreateFlags   flags,
                              char             **new_etag,
                              GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) bytes = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_FILE (file), FALSE);
  g_return_val_if_fail (contents != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (new_etag != NULL)
    *new_etag = NULL;

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return FALSE;
  /* GIO keeps its own reference to the bytes until it is done with them. */
  bytes = g_bytes_new (contents, length);
  g_file_replace_contents_bytes_async (file, bytes, etag, make_backup, flags, cancellable,
                                       bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return FALSE;
  return g_file_replace_contents_finish (file, result, new_etag, error);
}
