/* bridge-run.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-error.h"
#include "bridge-future-private.h"
#include "bridge-loop-private.h"
#include "bridge-run.h"
#include "bridge-task.h"

/* The runner (asyncio.run()): a loop of its own for one main task, kept apart
 * from the loop, which knows nothing of a "main" task. */

/**
 * bridge_run_full:
 * @name: (nullable): the main task's name; %NULL for "main"
 * @func: (scope notified): the main task's body
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data once @func has returned
 * @error: return location for %BRIDGE_ERROR_INVALID_STATE when called from a
 *   running loop or task
 *
 * Runs @func as a task on a new loop with a new `GMainContext`, until it
 * finishes (`asyncio.run()`). Tasks still running then are cancelled and
 * waited for, and the loop is closed.
 *
 * Returns the main task, done, which holds what `asyncio.run()` returns:
 * read its result with the `bridge_future_get_*()` functions, and its error,
 * if it failed, with [method@Bridge.Future.get_error] or any getter's @error.
 *
 * Returns: (transfer full) (nullable): the finished main task, or %NULL
 *   with @error set when it could not run
 *
 * Since: 0.1
 */
BridgeFuture *
bridge_run_full (const char      *name,
                 BridgeTaskFunc   func,
                 gpointer         user_data,
                 GDestroyNotify   destroy,
                 GError         **error)
{
  g_autoptr(BridgeLoop) loop = NULL;
  g_autoptr(GPtrArray) leftover = NULL;
  BridgeTask *main_task;

  g_return_val_if_fail (func != NULL, NULL);

  if (_bridge_loop_get_current () != NULL || bridge_task_get_current () != NULL)
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                           "bridge_run() cannot be called from a running event loop");
      if (destroy != NULL)
        destroy (user_data);
      return NULL;
    }

  loop = bridge_loop_new (NULL);
  main_task = bridge_spawn_full (loop, name != NULL ? name : "main", BRIDGE_STACK_SIZE_DEFAULT,
                                 func, user_data, destroy);
  /* The outcome stays in the task, for the caller to read. */
  (void) bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (main_task), NULL);

  /* Cancel what is left and let it clean up, as asyncio.run() does. */
  leftover = bridge_loop_list_tasks (loop);
  for (guint i = 0; i < leftover->len; i++)
    bridge_task_cancel (g_ptr_array_index (leftover, i), NULL);
  for (guint i = 0; i < leftover->len; i++)
    {
      BridgeFuture *task = g_ptr_array_index (leftover, i);

      if (!bridge_future_is_done (task))
        {
          GError *ignored = NULL;
          if (!bridge_loop_run_until_complete (loop, task, &ignored))
            g_clear_error (&ignored);
        }
    }

  bridge_loop_close (loop, NULL);
  return BRIDGE_FUTURE (main_task);
}

/**
 * bridge_run:
 * @func: (scope call): the main task's body
 * @user_data: data for @func
 * @error: return location for the main task's error
 *
 * Runs @func as the main task of a new loop until it finishes
 * (`asyncio.run()`); see [func@Bridge.run_full], which also returns the
 * main task's result.
 *
 * Returns: %TRUE if the main task completed without an error
 *
 * Since: 0.1
 */
gboolean
bridge_run (BridgeTaskFunc   func,
            gpointer         user_data,
            GError         **error)
{
  g_autoptr(BridgeFuture) main_task = NULL;

  g_return_val_if_fail (func != NULL, FALSE);

  main_task = bridge_run_full (NULL, func, user_data, NULL, error);
  if (main_task == NULL)
    return FALSE;
  return bridge_future_get_value (main_task, NULL, error);
}
