/* bridge-runner.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-error.h"
#include "bridge-loop-private.h"
#include "bridge-runner.h"
#include "bridge-task.h"

/**
 * BridgeRunner:
 *
 * A loop that runs one main task after another and is closed once at the
 * end: `asyncio.Runner`, for programs (and tests) that call into tasks from
 * synchronous code several times.
 *
 * ```c
 * g_autoptr(BridgeRunner) runner = bridge_runner_new ();
 *
 * bridge_runner_run (runner, connect_body, config, NULL, NULL, &error);
 * while (have_work ())
 *   bridge_runner_run (runner, handle_one_body, next_item (), g_free, NULL, &error);
 * bridge_runner_close (runner);   // or on the last unref
 * ```
 *
 * Tasks spawned by one run and still running carry on in the next runs;
 * closing cancels whatever is left, lets it clean up, and closes the loop,
 * as [func@Bridge.run] does for a single run.
 *
 * Since: 0.1
 */

struct _BridgeRunner
{
  GObject     parent_instance;
  BridgeLoop *loop;    /* NULL once closed */
};

G_DEFINE_FINAL_TYPE (BridgeRunner, bridge_runner, G_TYPE_OBJECT)

static void
bridge_runner_finalize (GObject *object)
{
  bridge_runner_close (BRIDGE_RUNNER (object));

  G_OBJECT_CLASS (bridge_runner_parent_class)->finalize (object);
}

static void
bridge_runner_class_init (BridgeRunnerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bridge_runner_finalize;
}

static void
bridge_runner_init (BridgeRunner *runner)
{
}

/**
 * bridge_runner_new: (constructor)
 *
 * Creates a runner with a loop of its own, on a new `GMainContext`
 * (`asyncio.Runner()`).
 *
 * Returns: (transfer full): a new [class@Bridge.Runner]
 *
 * Since: 0.1
 */
BridgeRunner *
bridge_runner_new (void)
{
  BridgeRunner *runner = g_object_new (BRIDGE_TYPE_RUNNER, NULL);

  runner->loop = bridge_loop_new (NULL);
  return runner;
}

/**
 * bridge_runner_get_loop:
 * @runner: a [class@Bridge.Runner]
 *
 * Gives the loop that @runner runs its tasks on.
 *
 * Returns: (transfer none) (nullable): the runner's loop
 *   (`Runner.get_loop()`), %NULL once closed
 *
 * Since: 0.1
 */
BridgeLoop *
bridge_runner_get_loop (BridgeRunner *runner)
{
  g_return_val_if_fail (BRIDGE_IS_RUNNER (runner), NULL);

  return runner->loop;
}

/**
 * bridge_runner_run:
 * @runner: a [class@Bridge.Runner]
 * @func: (scope notified): the main task's body
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when @func has returned
 * @task: (out) (optional) (transfer full) (nullable): the finished main
 *   task, to read its result from
 * @error: return location for the main task's error, or
 *   %BRIDGE_ERROR_INVALID_STATE when @runner is closed or its loop is
 *   already running
 *
 * Spawns a main task on the runner's loop and runs the loop until that
 * task is done (`Runner.run (coro)`). Other tasks go on where they are
 * when it returns, and run again in the next call.
 *
 * Returns: %TRUE if the main task succeeded
 *
 * Since: 0.1
 */
gboolean
bridge_runner_run (BridgeRunner    *runner,
                   BridgeTaskFunc   func,
                   gpointer         user_data,
                   GDestroyNotify   destroy,
                   BridgeTask     **task,
                   GError         **error)
{
  g_autoptr(BridgeTask) main_task = NULL;
  gboolean ret;

  g_return_val_if_fail (BRIDGE_IS_RUNNER (runner), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (task != NULL)
    *task = NULL;

  if (runner->loop == NULL || bridge_loop_is_running (runner->loop) ||
      _bridge_loop_get_current () == runner->loop)
    {
      g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                           runner->loop == NULL ? "Runner is closed" :
                           "bridge_runner_run() cannot be called from a running event loop");
      if (destroy != NULL)
        destroy (user_data);
      return FALSE;
    }

  main_task = bridge_spawn_full (runner->loop, "main", BRIDGE_STACK_SIZE_DEFAULT,
                                 func, user_data, destroy);
  ret = bridge_loop_run_until_complete (runner->loop, BRIDGE_FUTURE (main_task), error);
  if (task != NULL)
    *task = g_steal_pointer (&main_task);
  return ret;
}

/**
 * bridge_runner_close:
 * @runner: a [class@Bridge.Runner]
 *
 * Cancels the tasks still running on the runner's loop, runs the loop until
 * they have finished their cleanup, and closes it (`Runner.close()`).
 * Closing twice does nothing; the last unref closes too.
 *
 * Since: 0.1
 */
void
bridge_runner_close (BridgeRunner *runner)
{
  g_autoptr(GPtrArray) leftover = NULL;
  g_autoptr(BridgeLoop) loop = NULL;

  g_return_if_fail (BRIDGE_IS_RUNNER (runner));

  if (runner->loop == NULL)
    return;
  if (bridge_loop_is_running (runner->loop))
    {
      g_critical ("%s: the runner's loop is running; close it after bridge_runner_run() returns",
                  G_STRFUNC);
      return;
    }

  loop = g_steal_pointer (&runner->loop);
  leftover = bridge_loop_list_tasks (loop);
  for (guint i = 0; i < leftover->len; i++)
    bridge_task_cancel (g_ptr_array_index (leftover, i), "The runner was closed");
  for (guint i = 0; i < leftover->len; i++)
    {
      BridgeFuture *leftover_task = g_ptr_array_index (leftover, i);

      if (!bridge_future_is_done (leftover_task))
        {
          GError *ignored = NULL;

          if (!bridge_loop_run_until_complete (loop, leftover_task, &ignored))
            g_clear_error (&ignored);
        }
    }

  bridge_loop_close (loop, NULL);
}
