/* bridge-subprocess.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-async-result-private.h"
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
