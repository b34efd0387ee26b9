/* bridge-subprocess.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-async-result-private.h"
#include "bridge-stream-reader.h"
#include "bridge-subprocess.h"

/* Awaiting a child process. GIO learns of the child's exit from a SIGCHLD
 * watch on the GLib worker thread and calls back on the task's context. */

/**
 * bridge_subprocess_wait:
 * @subprocess: a `GSubprocess`
 * @error: return location for %G_IO_ERROR_CANCELLED if the task was
 *   cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits until @subprocess exits: `g_subprocess_wait_async()` and
 * `_finish()` with the task's cancellable. Cancelling stops the wait, not
 * the process: use `g_subprocess_force_exit()` for that. Read the outcome
 * with `g_subprocess_get_exit_status()` and friends.
 *
 * Returns: %TRUE once the process has exited
 *
 * Since: 0.1
 */
gboolean
bridge_subprocess_wait (GSubprocess  *subprocess,
                        GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_SUBPROCESS (subprocess), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return FALSE;
  g_subprocess_wait_async (subprocess, cancellable, bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return FALSE;
  return g_subprocess_wait_finish (subprocess, result, error);
}

/**
 * bridge_subprocess_wait_check:
 * @subprocess: a `GSubprocess`
 * @error: return location for an error when the process failed (a
 *   `G_SPAWN_EXIT_ERROR` or a signal), %G_IO_ERROR_CANCELLED if the task was
 *   cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits until @subprocess exits and checks that it succeeded:
 * `g_subprocess_wait_check_async()` and `_finish()` with the task's
 * cancellable. Cancelling stops the wait, not the process.
 *
 * Returns: %TRUE if the process exited with status 0
 *
 * Since: 0.1
 */
gboolean
bridge_subprocess_wait_check (GSubprocess  *subprocess,
                              GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_SUBPROCESS (subprocess), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return FALSE;
  g_subprocess_wait_check_async (subprocess, cancellable, bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return FALSE;
  return g_subprocess_wait_check_finish (subprocess, result, error);
}

/* ---- pipes ---------------------------------------------------------------------------- */

/**
 * bridge_subprocess_communicate:
 * @subprocess: a `GSubprocess` started with the pipes it is given data
 *   for or asked to collect (`G_SUBPROCESS_FLAGS_STDIN_PIPE`,
 *   `_STDOUT_PIPE`, `_STDERR_PIPE`)
 * @stdin_buf: (nullable): what to write to its standard input, which is
 *   then closed; %NULL closes a piped standard input at once (GIO cannot
 *   leave it open, where asyncio would)
 * @stdout_buf: (out) (optional) (transfer full) (nullable): everything it
 *   wrote to its standard output
 * @stderr_buf: (out) (optional) (transfer full) (nullable): everything it
 *   wrote to its standard error
 * @error: return location for a pipe error, %G_IO_ERROR_CANCELLED if the
 *   task was cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits, inside the current task, while @subprocess is fed @stdin_buf and
 * its output is collected, until it has exited
 * (`await process.communicate (input)`). The pipes are served together, so
 * a child that writes much before it reads cannot dead-lock with us.
 *
 * As in asyncio, cancelling the task stops waiting and reading but does not
 * stop the child: call `g_subprocess_force_exit()` for that, then
 * [func@Bridge.subprocess_wait]. The exit status is not checked here;
 * see `g_subprocess_get_successful()`.
 *
 * Returns: %TRUE once the child has exited and its output is in
 *
 * Since: 0.1
 */
gboolean
bridge_subprocess_communicate (GSubprocess  *subprocess,
                               GBytes       *stdin_buf,
                               GBytes      **stdout_buf,
                               GBytes      **stderr_buf,
                               GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) empty = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  g_return_val_if_fail (G_IS_SUBPROCESS (subprocess), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (stdout_buf != NULL)
    *stdout_buf = NULL;
  if (stderr_buf != NULL)
    *stderr_buf = NULL;

  if (!(future = _bridge_async_begin (G_STRFUNC, NULL, NULL, &cancellable, error)))
    return FALSE;
  /* GIO requires input for a piped standard input. */
  if (stdin_buf == NULL && g_subprocess_get_stdin_pipe (subprocess) != NULL)
    stdin_buf = empty = g_bytes_new (NULL, 0);
  g_subprocess_communicate_async (subprocess, stdin_buf, cancellable, bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return FALSE;
  return g_subprocess_communicate_finish (subprocess, result, stdout_buf, stderr_buf, error);
}

/**
 * bridge_subprocess_get_stdout_reader:
 * @subprocess: a `GSubprocess` started with `G_SUBPROCESS_FLAGS_STDOUT_PIPE`
 *
 * Returns a reader of the child's standard output, to stream it as it
 * comes (`process.stdout`, a `StreamReader`): line by line with
 * [method@Bridge.StreamReader.read_line], or chunk by chunk.
 *
 * Returns: (transfer full): a new [class@Bridge.StreamReader]
 *
 * Since: 0.1
 */
BridgeStreamReader *
bridge_subprocess_get_stdout_reader (GSubprocess *subprocess)
{
  GInputStream *pipe;

  g_return_val_if_fail (G_IS_SUBPROCESS (subprocess), NULL);

  pipe = g_subprocess_get_stdout_pipe (subprocess);
  if (pipe == NULL)
    {
      g_critical ("%s: the subprocess was started without G_SUBPROCESS_FLAGS_STDOUT_PIPE",
                  G_STRFUNC);
      return NULL;
    }
  return bridge_stream_reader_new (pipe, 0);
}

/**
 * bridge_subprocess_get_stderr_reader:
 * @subprocess: a `GSubprocess` started with `G_SUBPROCESS_FLAGS_STDERR_PIPE`
 *
 * Like [func@Bridge.subprocess_get_stdout_reader], for the standard error
 * (`process.stderr`).
 *
 * Returns: (transfer full): a new [class@Bridge.StreamReader]
 *
 * Since: 0.1
 */
BridgeStreamReader *
bridge_subprocess_get_stderr_reader (GSubprocess *subprocess)
{
  GInputStream *pipe;

  g_return_val_if_fail (G_IS_SUBPROCESS (subprocess), NULL);

  pipe = g_subprocess_get_stderr_pipe (subprocess);
  if (pipe == NULL)
    {
      g_critical ("%s: the subprocess was started without G_SUBPROCESS_FLAGS_STDERR_PIPE",
                  G_STRFUNC);
      return NULL;
    }
  return bridge_stream_reader_new (pipe, 0);
}
