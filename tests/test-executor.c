/* test-executor.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <pthread.h>

#include "test-gio-util.h"

/* BridgeExecutor (a ThreadPoolExecutor given to loop.run_in_executor()):
 * results, the bound, thread names, FIFO order, cancellation while running
 * and while queued, shutdown with and without waiting, and misuse. */

static void
run_body (BridgeTaskFunc func,
          gpointer       data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (func, data, &error));
  g_assert_no_error (error);
}

/* Lets the loop run (in a task) until @condition holds. */
#define AWAIT_TRUE(condition)                                                         \
  G_STMT_START {                                                                      \
    gint64 _deadline = g_get_monotonic_time () + TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC; \
    while (!(condition))                                                              \
      {                                                                               \
        g_assert_cmpint (g_get_monotonic_time (), <, _deadline);                      \
        g_assert_true (bridge_sleep (0.001, NULL));                                   \
      }                                                                               \
  } G_STMT_END

/* ---- a gate that jobs wait at ------------------------------------------------------- */

typedef struct
{
  GMutex   lock;
  GCond    cond;
  gboolean open;
  gint     arrived;
  gint     running;
  gint     max_running;
  gint     ran;
  GString *order;
  char    *thread_names[8];
} Gate;

static void
gate_init (Gate *gate)
{
  memset (gate, 0, sizeof *gate);
  g_mutex_init (&gate->lock);
  g_cond_init (&gate->cond);
  gate->order = g_string_new (NULL);
}

static void
gate_clear (Gate *gate)
{
  g_mutex_clear (&gate->lock);
  g_cond_clear (&gate->cond);
  g_string_free (gate->order, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (gate->thread_names); i++)
    g_free (gate->thread_names[i]);
}

static void
gate_open (Gate *gate)
{
  g_mutex_lock (&gate->lock);
  gate->open = TRUE;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->lock);
}

static gint
gate_arrived (Gate *gate)
{
  gint arrived;

  g_mutex_lock (&gate->lock);
  arrived = gate->arrived;
  g_mutex_unlock (&gate->lock);
  return arrived;
}

/* Waits (in a task) until @n jobs reached the gate. */
static void
gate_await_arrived (Gate *gate,
                    gint  n)
{
  AWAIT_TRUE (gate_arrived (gate) >= n);
}

typedef struct
{
  Gate *gate;
  guint index;
} GateJob;

static GateJob *
gate_job_new (Gate  *gate,
              guint  index)
{
  GateJob *job = g_new (GateJob, 1);

  job->gate = gate;
  job->index = index;
  return job;
}

/* Records its thread's name and its order, then waits for the gate. */
static void
gate_func (BridgeFuture *future,
           gpointer      user_data,
           GCancellable *cancellable)
{
  GateJob *job = user_data;
  Gate *gate = job->gate;
  char name[16] = "";

  pthread_getname_np (pthread_self (), name, sizeof name);

  g_mutex_lock (&gate->lock);
  gate->arrived++;
  gate->running++;
  gate->max_running = MAX (gate->max_running, gate->running);
  g_string_append_printf (gate->order, "%u ", job->index);
  if (job->index < G_N_ELEMENTS (gate->thread_names))
    gate->thread_names[job->index] = g_strdup (name);
  while (!gate->open && !g_cancellable_is_cancelled (cancellable))
    g_cond_wait_until (&gate->cond, &gate->lock, g_get_monotonic_time () + G_TIME_SPAN_MILLISECOND);
  gate->running--;
  gate->ran++;
  g_mutex_unlock (&gate->lock);

  bridge_future_set_int64 (future, job->index * 10, NULL);
}

/* ---- results ------------------------------------------------------------------------- */

typedef struct
{
  GThread *loop_thread;
  GThread *worker;
  GThread *destroyed_in;
} Where;

static void
where_func (BridgeFuture *future,
            gpointer      user_data,
            GCancellable *cancellable)
{
  Where *where = user_data;

  where->worker = g_thread_self ();
  bridge_future_set_string (future, "done", NULL);
}

static void
where_destroy (gpointer user_data)
{
  Where *where = user_data;

  where->destroyed_in = g_thread_self ();
}

static void
result_body (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(BridgeExecutor) executor = bridge_executor_new ("results", 2);
  g_autoptr(GError) error = NULL;
  g_autofree char *result = NULL;
  Where where = { g_thread_self (), NULL, NULL };
  BridgeFuture *future;

  g_assert_cmpstr (bridge_executor_get_name (executor), ==, "results");
  g_assert_cmpuint (bridge_executor_get_max_threads (executor), ==, 2);
  /* Threads start with the first job. */
  g_assert_cmpuint (bridge_executor_get_n_threads (executor), ==, 0);

  future = bridge_run_in_executor (executor, where_func, &where, where_destroy);
  result = bridge_await_string (future, &error);
  bridge_future_unref (future);
  g_assert_no_error (error);
  g_assert_cmpstr (result, ==, "done");

  /* It ran on a thread of the executor, and the data was freed on the
   * loop's thread before the await returned. */
  g_assert_nonnull (where.worker);
  g_assert_true (where.worker != where.loop_thread);
  g_assert_true (where.destroyed_in == where.loop_thread);
  g_assert_cmpuint (bridge_executor_get_n_threads (executor), ==, 1);
  bridge_executor_shutdown (executor, TRUE);
  g_assert_cmpuint (bridge_executor_get_n_threads (executor), ==, 0);
}

static void
test_result (void)
{
  run_body (result_body, NULL);
}

static void
error_func (BridgeFuture *future,
            gpointer      user_data,
            GCancellable *cancellable)
{
  bridge_future_set_error (future, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NO_SPACE, "disk full"), NULL);
}

static void
error_body (BridgeTask *task,
            gpointer    user_data)
{
  g_autoptr(BridgeExecutor) executor = bridge_executor_new ("errors", 1);
  g_autoptr(GError) error = NULL;
  BridgeFuture *future = bridge_run_in_executor (executor, error_func, NULL, NULL);

  g_assert_false (bridge_await (future, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  bridge_future_unref (future);
  bridge_executor_shutdown (executor, TRUE);
}

static void
test_error (void)
{
  run_body (error_body, NULL);
}

/* ---- the bound, names and order ------------------------------------------------------ */

#define N_JOBS 6

static void
bound_body (BridgeTask *task,
            gpointer    user_data)
{
  g_autoptr(BridgeExecutor) executor = bridge_executor_new ("bounded", 2);
  BridgeFuture *futures[N_JOBS];
  Gate gate;

  gate_init (&gate);
  for (guint i = 0; i < N_JOBS; i++)
    futures[i] = bridge_run_in_executor (executor, gate_func, gate_job_new (&gate, i), g_free);

  /* Two start, the others wait for a thread. */
  gate_await_arrived (&gate, 2);
  g_assert_true (bridge_sleep (0.05, NULL));
  g_assert_cmpint (gate_arrived (&gate), ==, 2);
  g_assert_cmpuint (bridge_executor_get_n_threads (executor), ==, 2);

  gate_open (&gate);
  for (guint i = 0; i < N_JOBS; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_cmpint (bridge_await_int64 (futures[i], &error), ==, i * 10);
      g_assert_no_error (error);
      bridge_future_unref (futures[i]);
    }
  g_assert_cmpint (gate.max_running, ==, 2);
  g_assert_cmpint (gate.ran, ==, N_JOBS);
  g_assert_cmpuint (bridge_executor_get_n_threads (executor), ==, 2);
  bridge_executor_shutdown (executor, TRUE);
  gate_clear (&gate);
}

static void
test_bounded (void)
{
  run_body (bound_body, NULL);
}

static void
order_body (BridgeTask *task,
            gpointer    user_data)
{
  g_autoptr(BridgeExecutor) executor = bridge_executor_new ("fifo", 1);
  BridgeFuture *futures[N_JOBS];
  Gate gate;

  gate_init (&gate);
  gate_open (&gate);
  for (guint i = 0; i < N_JOBS; i++)
    futures[i] = bridge_run_in_executor (executor, gate_func, gate_job_new (&gate, i), g_free);
  for (guint i = 0; i < N_JOBS; i++)
    {
      g_assert_true (bridge_await (futures[i], NULL));
      bridge_future_unref (futures[i]);
    }
  g_assert_cmpstr (gate.order->str, ==, "0 1 2 3 4 5 ");
  bridge_executor_shutdown (executor, TRUE);
  gate_clear (&gate);
}

static void
test_fifo (void)
{
  run_body (order_body, NULL);
}

static void
names_body (BridgeTask *task,
            gpointer    user_data)
{
  const char *name = user_data;
  g_autoptr(BridgeExecutor) executor = bridge_executor_new (name, 2);
  BridgeFuture *futures[2];
  Gate gate;

  gate_init (&gate);
  for (guint i = 0; i < 2; i++)
    futures[i] = bridge_run_in_executor (executor, gate_func, gate_job_new (&gate, i), g_free);
  /* Both at the gate at once: two threads. */
  gate_await_arrived (&gate, 2);
  gate_open (&gate);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_true (bridge_await (futures[i], NULL));
      bridge_future_unref (futures[i]);
    }
  bridge_executor_shutdown (executor, TRUE);

  if (strlen (name) < 10)
    {
      g_autofree char *first = g_strdup_printf ("%s-0", name);
      g_autofree char *second = g_strdup_printf ("%s-1", name);

      g_assert_true ((g_str_equal (gate.thread_names[0], first) && g_str_equal (gate.thread_names[1], second)) ||
                     (g_str_equal (gate.thread_names[0], second) && g_str_equal (gate.thread_names[1], first)));
    }
  else
    {
      /* Cut to the kernel's 15 bytes, keeping the number. */
      for (guint i = 0; i < 2; i++)
        {
          g_assert_cmpuint (strlen (gate.thread_names[i]), ==, 15);
          g_assert_true (g_str_has_prefix (gate.thread_names[i], "downloader-"));
          g_assert_true (g_str_has_suffix (gate.thread_names[i], "-0") ||
                         g_str_has_suffix (gate.thread_names[i], "-1"));
        }
    }
  gate_clear (&gate);
}

static void
test_thread_names (void)
{
  run_body (names_body, (gpointer) "disk");
}

static void
test_long_thread_names (void)
{
  run_body (names_body, (gpointer) "downloader-disk-writer");
}

/* ---- cancellation ---------------------------------------------------------------------- */

typedef struct
{
  gint saw_flag;
  gint saw_cancellable;
  gint started;
} Watcher;

static void
cancellable_func (BridgeFuture *future,
                  gpointer      user_data,
                  GCancellable *cancellable)
{
  Watcher *watcher = user_data;
  gint64 deadline = g_get_monotonic_time () + TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;

  g_atomic_int_set (&watcher->started, 1);
  while (!g_cancellable_is_cancelled (cancellable) && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_atomic_int_set (&watcher->saw_cancellable, g_cancellable_is_cancelled (cancellable));
  g_atomic_int_set (&watcher->saw_flag, bridge_thread_is_cancelled ());
  bridge_future_set_int64 (future, 1, NULL);   /* dropped: nobody wants it */
}

static void
cancel_running_body (BridgeTask *task,
                     gpointer    user_data)
{
  g_autoptr(BridgeExecutor) executor = bridge_executor_new ("cancel", 1);
  g_autoptr(GError) error = NULL;
  Watcher watcher = { 0 };
  TestCanceller canceller;
  BridgeFuture *future = bridge_run_in_executor (executor, cancellable_func, &watcher, NULL);

  test_cancel_later (&canceller, 0.05);
  g_assert_false (bridge_await (future, &error));
  test_assert_woke_promptly (&canceller);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  bridge_task_uncancel (task);
  bridge_future_unref (future);

  /* The function saw both signals and stopped. */
  bridge_executor_shutdown (executor, TRUE);
  g_assert_true (g_atomic_int_get (&watcher.started));
  g_assert_true (g_atomic_int_get (&watcher.saw_cancellable));
  g_assert_true (g_atomic_int_get (&watcher.saw_flag));
}

static void
test_cancel_running (void)
{
  run_body (cancel_running_body, NULL);
}

static void
count_destroy (gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
}

static void
never_func (BridgeFuture *future,
            gpointer      user_data,
            GCancellable *cancellable)
{
  g_error ("a job cancelled before it started ran");
}

static void
cancel_queued_body (BridgeTask *task,
                    gpointer    user_data)
{
  g_autoptr(BridgeExecutor) executor = bridge_executor_new ("queued", 1);
  g_autoptr(GError) error = NULL;
  BridgeFuture *blocker, *queued;
  gint destroyed = 0;
  Gate gate;

  gate_init (&gate);
  blocker = bridge_run_in_executor (executor, gate_func, gate_job_new (&gate, 0), g_free);
  queued = bridge_run_in_executor (executor, never_func, &destroyed, count_destroy);
  gate_await_arrived (&gate, 1);

  g_assert_true (bridge_future_cancel (queued, NULL));
  /* The cancellation reaches the job through the loop (done callbacks run
   * from the ready queue): let it, before the worker can take the job. */
  g_assert_true (bridge_yield (NULL));
  gate_open (&gate);
  g_assert_cmpint (bridge_await_int64 (blocker, &error), ==, 0);
  g_assert_no_error (error);
  g_assert_false (bridge_await (queued, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The queued job was skipped, and its data still freed. */
  bridge_executor_shutdown (executor, TRUE);
  AWAIT_TRUE (g_atomic_int_get (&destroyed) == 1);
  bridge_future_unref (blocker);
  bridge_future_unref (queued);
  gate_clear (&gate);
}

static void
test_cancel_queued (void)
{
  run_body (cancel_queued_body, NULL);
}

/* ---- shutdown -------------------------------------------------------------------------- */

static void
shutdown_wait_body (BridgeTask *task,
                    gpointer    user_data)
{
  g_autoptr(BridgeExecutor) executor = bridge_executor_new ("drain", 1);
  BridgeFuture *futures[3];
  Gate gate;

  gate_init (&gate);
  gate_open (&gate);
  for (guint i = 0; i < 3; i++)
    futures[i] = bridge_run_in_executor (executor, gate_func, gate_job_new (&gate, i), g_free);

  /* Waiting: the running and the queued jobs all ran before it returns. */
  bridge_executor_shutdown (executor, TRUE);
  g_assert_true (bridge_executor_is_shut_down (executor));
  g_assert_cmpint (gate.ran, ==, 3);
  g_assert_cmpuint (bridge_executor_get_n_threads (executor), ==, 0);

  /* Their results still arrive through the loop. */
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpint (bridge_await_int64 (futures[i], NULL), ==, i * 10);
      bridge_future_unref (futures[i]);
    }
  gate_clear (&gate);
}

static void
test_shutdown_wait (void)
{
  run_body (shutdown_wait_body, NULL);
}

static void
shutdown_nowait_body (BridgeTask *task,
                      gpointer    user_data)
{
  BridgeExecutor *executor = bridge_executor_new ("nowait", 1);
  BridgeFuture *futures[2];
  Gate gate;

  gate_init (&gate);
  for (guint i = 0; i < 2; i++)
    futures[i] = bridge_run_in_executor (executor, gate_func, gate_job_new (&gate, i), g_free);
  gate_await_arrived (&gate, 1);

  /* Not waiting, and the last reference dropped: the work goes on. */
  bridge_executor_shutdown (executor, FALSE);
  g_assert_finalize_object (executor);
  gate_open (&gate);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpint (bridge_await_int64 (futures[i], NULL), ==, i * 10);
      bridge_future_unref (futures[i]);
    }
  g_assert_cmpint (gate.ran, ==, 2);
  gate_clear (&gate);
}

static void
test_shutdown_nowait (void)
{
  run_body (shutdown_nowait_body, NULL);
}

static void
after_shutdown_body (BridgeTask *task,
                     gpointer    user_data)
{
  g_autoptr(BridgeExecutor) executor = bridge_executor_new ("closed", 1);
  g_autoptr(GError) error = NULL;
  gint destroyed = 0;
  BridgeFuture *future;

  bridge_executor_shutdown (executor, TRUE);
  bridge_executor_shutdown (executor, TRUE);   /* again: nothing more */
  future = bridge_run_in_executor (executor, never_func, &destroyed, count_destroy);
  g_assert_true (bridge_future_is_done (future));
  g_assert_false (bridge_await (future, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_nonnull (strstr (error->message, "after its shutdown"));
  g_assert_cmpint (destroyed, ==, 1);
  bridge_future_unref (future);
}

static void
test_after_shutdown (void)
{
  run_body (after_shutdown_body, NULL);
}

typedef struct
{
  BridgeExecutor *executor;
} SelfShutdown;

static void
self_shutdown_func (BridgeFuture *future,
                    gpointer      user_data,
                    GCancellable *cancellable)
{
  SelfShutdown *self = user_data;

  bridge_executor_shutdown (self->executor, TRUE);
}

static void
self_shutdown_body (BridgeTask *task,
                    gpointer    user_data)
{
  SelfShutdown self = { bridge_executor_new ("self", 1) };
  BridgeFuture *future = bridge_run_in_executor (self.executor, self_shutdown_func, &self, NULL);

  bridge_await (future, NULL);
  bridge_future_unref (future);
  g_object_unref (self.executor);
}

static void
test_shutdown_from_own_job (void)
{
  if (g_test_subprocess ())
    {
      run_body (self_shutdown_body, NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*bridge_executor_shutdown: called with wait=TRUE from a job of executor*self*");
}

/* NULL is the shared pool of bridge_run_in_thread(). */
static void
default_body (BridgeTask *task,
              gpointer    user_data)
{
  Where where = { g_thread_self (), NULL, NULL };
  g_autofree char *result = NULL;
  BridgeFuture *future = bridge_run_in_executor (NULL, where_func, &where, where_destroy);

  result = bridge_await_string (future, NULL);
  g_assert_cmpstr (result, ==, "done");
  g_assert_true (where.worker != where.loop_thread);
  bridge_future_unref (future);
}

static void
test_default_executor (void)
{
  run_body (default_body, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/executor/result", test_result);
  g_test_add_func ("/libbridge/executor/error", test_error);
  g_test_add_func ("/libbridge/executor/bounded", test_bounded);
  g_test_add_func ("/libbridge/executor/fifo", test_fifo);
  g_test_add_func ("/libbridge/executor/thread-names", test_thread_names);
  g_test_add_func ("/libbridge/executor/thread-names-cut", test_long_thread_names);
  g_test_add_func ("/libbridge/executor/cancel-running", test_cancel_running);
  g_test_add_func ("/libbridge/executor/cancel-queued", test_cancel_queued);
  g_test_add_func ("/libbridge/executor/shutdown/wait", test_shutdown_wait);
  g_test_add_func ("/libbridge/executor/shutdown/no-wait", test_shutdown_nowait);
  g_test_add_func ("/libbridge/executor/shutdown/then-run", test_after_shutdown);
  g_test_add_func ("/libbridge/executor/shutdown/from-own-job", test_shutdown_from_own_job);
  g_test_add_func ("/libbridge/executor/default", test_default_executor);

  return g_test_run ();
}
