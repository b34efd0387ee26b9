/* guide-asyncio.c: the program of the guide "From asyncio to libbridge".
 *
 * The same program as this Python one, line for line:
 *
 *   async def square(n):
 *       await asyncio.sleep(0.01 * n)
 *       return n * n
 *
 *   async def main():
 *       squares = await asyncio.gather(*(square(n) for n in (1, 2, 3)))
 *       try:
 *           await asyncio.wait_for(asyncio.sleep(10), timeout=0.05)
 *       except TimeoutError:
 *           ...
 *       async with asyncio.TaskGroup() as group:
 *           for n in (4, 5):
 *               group.create_task(square(n))
 *       # Python 3.12, after loop.set_task_factory(asyncio.eager_task_factory):
 *       known = asyncio.create_task(square_known(6))
 *       assert known.done() and known.result() == 36
 *
 *   asyncio.run(main())
 *
 * plus a task-local variable (a ContextVar) inherited by a child task, and
 * asyncio.run() returning the main coroutine's result.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbridge.h>

static void
square (BridgeTask *task,
        gpointer    user_data)
{
  gint64 n = GPOINTER_TO_INT (user_data);
  GError *error = NULL;

  if (!bridge_sleep (0.01 * n, &error))      /* await asyncio.sleep (0.01 * n) */
    {
      bridge_task_return_error (task, error);
      return;
    }
  bridge_task_return_int64 (task, n * n);    /* return n * n */
}

static gboolean
gather_squares (GError **error)
{
  BridgeFuture *children[3];
  g_autoptr(BridgeFuture) all = NULL;
  gboolean ok;

  for (guint i = 0; i < G_N_ELEMENTS (children); i++)
    children[i] = BRIDGE_FUTURE (bridge_spawn (square, GINT_TO_POINTER (i + 1), NULL));

  all = bridge_gather (children, G_N_ELEMENTS (children), FALSE);
  ok = bridge_await (all, error);              /* results keep argument order */
  for (guint i = 0; ok && i < G_N_ELEMENTS (children); i++)
    g_print ("square %u = %" G_GINT64_FORMAT "\n", i + 1,
             bridge_future_get_int64 (children[i], NULL));

  for (guint i = 0; i < G_N_ELEMENTS (children); i++)
    bridge_future_unref (children[i]);
  return ok;
}

static void
sleep_long (BridgeTask *task,
            gpointer    user_data)
{
  bridge_sleep (10, NULL);
}

static gboolean
wait_for_with_timeout (void)
{
  g_autoptr(BridgeTask) sleeper = bridge_spawn (sleep_long, NULL, NULL);
  g_autoptr(GError) error = NULL;

  if (bridge_wait_for (BRIDGE_FUTURE (sleeper), 0.05, &error))
    return FALSE;

  /* asyncio raises TimeoutError; libbridge reports G_IO_ERROR_TIMED_OUT, and
   * the inner task was cancelled, as wait_for() does. */
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) &&
         bridge_future_is_cancelled (BRIDGE_FUTURE (sleeper));
}

static gboolean
task_group (GError **error)
{
  g_autoptr(BridgeTaskGroup) group = bridge_task_group_new ();

  for (int n = 4; n <= 5; n++)
    bridge_task_group_spawn (group, square, GINT_TO_POINTER (n), NULL, NULL);

  /* The end of `async with`: waits for every child; the first failure
   * cancels the others and is reported here. */
  return bridge_task_group_wait (group, error);
}

/* request_id = contextvars.ContextVar ("request_id") */
static BridgeTaskLocal request_id = BRIDGE_TASK_LOCAL_INIT ("request-id");

static void
handle_request (BridgeTask *task,
                gpointer    user_data)
{
  /* Inherited from the spawning task, as create_task() copies the context. */
  gboolean inherited = g_strcmp0 (bridge_task_local_get (&request_id), "req-1") == 0;

  /* A set in the child stays the child's. */
  bridge_task_local_set (&request_id, g_strdup ("req-2"), g_free);
  bridge_task_return_boolean (task, inherited);
}

static gboolean
task_local (GError **error)
{
  g_autoptr(BridgeTask) child = NULL;

  bridge_task_local_set (&request_id, g_strdup ("req-1"), g_free);
  child = bridge_spawn (handle_request, NULL, NULL);
  return bridge_await_boolean (BRIDGE_FUTURE (child), error) &&
         g_strcmp0 (bridge_task_local_get (&request_id), "req-1") == 0;
}

static void
answer (BridgeTask *task,
        gpointer    user_data)
{
  bridge_task_return_int64 (task, 42);
}

static void
square_known (BridgeTask *task,
              gpointer    user_data)
{
  gint64 n = GPOINTER_TO_INT (user_data);

  bridge_task_return_int64 (task, n * n);    /* return n * n, no await */
}

static gboolean
eager_start (void)
{
  /* Runs square_known() inside this call, up to its first await: with none,
   * the task is done before bridge_spawn_eager() returns. */
  g_autoptr(BridgeTask) known = bridge_spawn_eager (square_known, GINT_TO_POINTER (6), NULL);

  return bridge_future_is_done (BRIDGE_FUTURE (known)) &&
         bridge_future_get_int64 (BRIDGE_FUTURE (known), NULL) == 36;
}

static void
main_task (BridgeTask *task,
           gpointer    user_data)
{
  GError *error = NULL;

  if (!gather_squares (&error) || !task_group (&error) || !task_local (&error))
    {
      if (error == NULL)
        error = g_error_new (BRIDGE_ERROR, BRIDGE_ERROR_FAILED, "wrong result");
      bridge_task_return_error (task, error);
      return;
    }
  if (!wait_for_with_timeout ())
    bridge_task_return_new_error (task, BRIDGE_ERROR, BRIDGE_ERROR_FAILED,
                                  "wait_for() did not time out");
  else if (!eager_start ())
    bridge_task_return_new_error (task, BRIDGE_ERROR, BRIDGE_ERROR_FAILED,
                                  "an eager task that never awaits was not done at once");
}

int
main (void)
{
  g_autoptr(GError) error = NULL;

  g_autoptr(BridgeFuture) finished = NULL;

  if (!bridge_run (main_task, NULL, &error))   /* asyncio.run (main ()) */
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  /* value = asyncio.run (answer ()): the finished main task holds the result. */
  finished = bridge_run_full ("answer", answer, NULL, NULL, &error);
  if (finished == NULL || bridge_future_get_int64 (finished, &error) != 42)
    {
      g_printerr ("%s\n", error != NULL ? error->message : "wrong result");
      return 1;
    }
  return 0;
}
