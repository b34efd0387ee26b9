/* guide-threads.c: the program of the guide "Threads and executors".
 *
 * Blocking work goes to a worker thread with bridge_run_in_thread(), and
 * the task awaits it like any future; threads the program owns hand results
 * back with bridge_loop_call_soon_threadsafe() or by completing a future,
 * both safe from any thread. A pool of its own is a BridgeExecutor; a plain
 * thread starts a task on the loop with bridge_loop_spawn_threadsafe() and
 * blocks for its result with bridge_future_wait_sync().
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbridge.h>

/* Blocking code: runs on a worker thread, never on the loop's. */
static void
count_primes (BridgeFuture *future,
              gpointer      user_data,
              GCancellable *cancellable)
{
  gint64 limit = GPOINTER_TO_INT (user_data);
  gint64 found = 0;

  for (gint64 n = 2; n < limit; n++)
    {
      gboolean prime = TRUE;

      if (n % 1000 == 0 && bridge_thread_is_cancelled ())
        return;                             /* nobody waits for the result */
      for (gint64 d = 2; d * d <= n && prime; d++)
        prime = n % d != 0;
      found += prime;
    }
  bridge_future_set_int64 (future, found, NULL);
}

static gboolean
primes_in_a_thread (GError **error)
{
  g_autoptr(BridgeFuture) job = bridge_run_in_thread (count_primes, GINT_TO_POINTER (100000), NULL);
  gint64 n_primes = bridge_await_int64 (job, error);   /* the loop runs on meanwhile */

  if (n_primes != 9592)
    return FALSE;
  g_print ("%" G_GINT64_FORMAT " primes below 100000\n", n_primes);
  return TRUE;
}

static gboolean
primes_in_an_executor (GError **error)
{
  /* A pool of its own: its slow jobs never hold up bridge_run_in_thread(). */
  g_autoptr(BridgeExecutor) primes = bridge_executor_new ("primes", 2);
  g_autoptr(BridgeFuture) job = bridge_run_in_executor (primes, count_primes,
                                                        GINT_TO_POINTER (1000), NULL);
  g_autoptr(BridgeFuture) refused = NULL;
  gint64 n_primes = bridge_await_int64 (job, error);

  /* At exit: take no more work, and wait until its threads have ended. */
  bridge_executor_shutdown (primes, TRUE);
  refused = bridge_run_in_executor (primes, count_primes, GINT_TO_POINTER (1000), NULL);
  return n_primes == 168 &&
         g_error_matches (bridge_future_get_error (refused),
                          BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
}

static gboolean
cancel_a_thread_job (void)
{
  g_autoptr(BridgeFuture) job = bridge_run_in_thread (count_primes, GINT_TO_POINTER (G_MAXINT), NULL);
  g_autoptr(GError) error = NULL;

  /* The await ends at once with G_IO_ERROR_TIMED_OUT; the thread sees
   * bridge_thread_is_cancelled() and stops at its next check. */
  return !bridge_wait_for (job, 0.05, &error) &&
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

typedef struct
{
  BridgeLoop   *loop;
  BridgeFuture *reply;
} Helper;

static void
deliver_on_loop (gpointer user_data)
{
  BridgeFuture *reply = user_data;

  /* Back on the loop's thread: free to touch loop-side objects. */
  bridge_future_set_string (reply, "hello from the helper thread", NULL);
}

static gpointer
helper_thread (gpointer user_data)
{
  Helper *helper = user_data;

  /* Any thread may schedule a callback on a loop it does not run. */
  bridge_handle_unref (bridge_loop_call_soon_threadsafe (helper->loop, deliver_on_loop,
                                                         bridge_future_ref (helper->reply),
                                                         (GDestroyNotify) bridge_future_unref));
  return NULL;
}

static void
answer_task (BridgeTask *task,
             gpointer    user_data)
{
  bridge_task_return_int64 (task, 42);
}

static gpointer
plain_thread (gpointer user_data)
{
  Helper *helper = user_data;
  g_autoptr(GError) error = NULL;
  /* A task on a loop this thread does not run... */
  g_autoptr(BridgeFuture) answer = bridge_loop_spawn_threadsafe (helper->loop, answer_task,
                                                                 NULL, NULL);

  /* ...and a blocking wait for it: this thread has no loop to await with. */
  if (bridge_future_wait_sync (answer, 10.0, &error))
    bridge_future_set_int64 (helper->reply, bridge_future_get_int64 (answer, NULL), NULL);
  else
    bridge_future_set_error (helper->reply, g_steal_pointer (&error), NULL);
  return NULL;
}

static gboolean
task_from_plain_thread (GError **error)
{
  g_autoptr(BridgeFuture) reply = bridge_future_new ();
  Helper helper = { bridge_future_get_loop (reply), reply };
  GThread *thread = g_thread_new ("plain", plain_thread, &helper);
  gint64 answer = bridge_await_int64 (reply, error);

  g_thread_join (thread);
  return answer == 42;
}

static gboolean
reply_from_own_thread (GError **error)
{
  g_autoptr(BridgeFuture) reply = bridge_future_new ();
  Helper helper = { bridge_future_get_loop (reply), reply };
  GThread *thread = g_thread_new ("helper", helper_thread, &helper);
  g_autofree char *text = bridge_await_string (reply, error);

  g_thread_join (thread);
  if (text == NULL)
    return FALSE;
  g_print ("%s\n", text);
  return TRUE;
}

static void
main_task (BridgeTask *task,
           gpointer    user_data)
{
  GError *error = NULL;

  if (!primes_in_a_thread (&error) || !primes_in_an_executor (&error) ||
      !reply_from_own_thread (&error) || !task_from_plain_thread (&error))
    {
      if (error == NULL)
        error = g_error_new (BRIDGE_ERROR, BRIDGE_ERROR_FAILED, "wrong result");
      bridge_task_return_error (task, error);
      return;
    }
  if (!cancel_a_thread_job ())
    bridge_task_return_new_error (task, BRIDGE_ERROR, BRIDGE_ERROR_FAILED,
                                  "a thread job was not cancelled");
}

int
main (void)
{
  g_autoptr(GError) error = NULL;

  if (!bridge_run (main_task, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  return 0;
}
