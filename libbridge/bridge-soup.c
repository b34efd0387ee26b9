/* bridge-soup.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-async-result-private.h"
#include "bridge-loop-private.h"
#include "bridge-soup.h"

/* Awaitable libsoup 3 requests. Built only with libsoup support
 * (BRIDGE_HAS_SOUP in bridge-version.h). A SoupSession belongs to the
 * thread-default main context it was created in: create it inside a task,
 * or with the loop's context pushed, and use it from that loop's tasks. */

/**
 * bridge_soup_session_send:
 * @session: a `SoupSession`
 * @msg: the `SoupMessage` to send
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Sends @msg and waits, inside the current task, for the response headers:
 * `soup_session_send_async()` and `_finish()` with the task's cancellable.
 * The status and headers are then on @msg (`soup_message_get_status()`,
 * `soup_message_get_response_headers()`); the body is read from the
 * returned stream, for instance with [func@Bridge.input_stream_read_bytes]
 * or a [class@Bridge.StreamReader]. An HTTP error status is not an error
 * here, as with libsoup.
 *
 * Cancelling the task during the connection or while waiting for the
 * headers makes libsoup close the connection. To stop reading the body,
 * unref the stream: libsoup does not reuse a connection whose body was not
 * read to the end.
 *
 * Returns: (transfer full) (nullable): the response body stream, or %NULL
 *   with @error set
 *
 * Since: 0.1
 */
GInputStream *
bridge_soup_session_send (SoupSession  *session,
                          SoupMessage  *msg,
                          int           io_priority,
                          GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (SOUP_IS_SESSION (session), NULL);
  g_return_val_if_fail (SOUP_IS_MESSAGE (msg), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return NULL;
  soup_session_send_async (session, msg, _bridge_loop_resolve_io_priority (io_priority), cancellable, bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return NULL;
  return soup_session_send_finish (session, result, error);
}

/**
 * bridge_soup_session_send_and_read:
 * @session: a `SoupSession`
 * @msg: the `SoupMessage` to send
 * @io_priority: the I/O priority, such as %G_PRIORITY_DEFAULT
 * @error: return location for an error, %G_IO_ERROR_CANCELLED if the task
 *   was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Sends @msg and reads the whole response body, waiting inside the current
 * task: `soup_session_send_and_read_async()` and `_finish()` with the
 * task's cancellable. The status and headers are on @msg afterwards.
 *
 * Returns: (transfer full) (nullable): the response body, or %NULL with
 *   @error set
 *
 * Since: 0.1
 */
GBytes *
bridge_soup_session_send_and_read (SoupSession  *session,
                                   SoupMessage  *msg,
                                   int           io_priority,
                                   GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (SOUP_IS_SESSION (session), NULL);
  g_return_val_if_fail (SOUP_IS_MESSAGE (msg), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return NULL;
  soup_session_send_and_read_async (session, msg, _bridge_loop_resolve_io_priority (io_priority), cancellable,
                                    bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return NULL;
  return soup_session_send_and_read_finish (session, result, error);
}
