/* test-thread.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "test-gio-util.h"

/* bridge_run_in_thread() (asyncio.to_thread) and
 * bridge_loop_spawn_threadsafe() (asyncio.run_coroutine_threadsafe). */

#define POOL_SIZE 2

static void
run_body (BridgeTaskFunc func)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (func, NULL, &error));
  g_assert_no_error (error);
}

/* ---- worker functions --------------------------------------------------------- */

typedef struct
{
  gint64        n;
  GThread      *worker;        /* where the function ran */
  GThread      *destroyed_in;  /* where the data was freed */
  BridgeFuture *destroyed;     /* completed when the data is freed */
  gboolean      saw_flag;
  gboolean      saw_cancellable;
  gint          ran;
} Job;

static Job *
job_new (gint64 n)
{
  Job *job = g_new0 (Job, 1);

  job->n = n;
  job->destroyed = bridge_future_new ();
  return job;
}

static void
job_destroy (gpointer data)
{
  Job *job = data;

  job->destroyed_in = g_thread_self ();
  bridge_future_set_value (job->destroyed, NULL, NULL);
}

/* Awaits the job's destroy notification and frees it. */
static void
job_await_free (Job *job)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_await (job->destroyed, &error));
  g_assert_no_error (error);
  bridge_future_unref (job->destroyed);
  g_free (job);
}

static void
sum_func (BridgeFuture *future,
          gpointer      user_data,
          GCancellable *cancellable)
{
  Job *job = user_data;
  gint64 sum = 0;

  job->worker = g_thread_self ();
  for (gint64 i = 1; i <= job->n; i++)
    sum += i;
  bridge_future_set_int64 (future, sum, NULL);
}

static void
error_func (BridgeFuture *future,
            gpointer      user_data,
            GCancellable *cancellable)
{
  bridge_future_set_error (future, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such thing"),
                           NULL);
}

static void
nothing_func (BridgeFuture *future,
              gpointer      user_data,
              GCancellable *cancellable)
{
  Job *job = user_data;

  g_atomic_int_inc (&job->ran);
}

static gint n_strings_freed;

static void
string_free (gpointer data)
{
  g_atomic_int_inc (&n_strings_freed);
  g_free (data);
}

static void
pointer_func (BridgeFuture *future,
              gpointer      user_data,
              GCancellable *cancellable)
{
  bridge_future_set_pointer (future, g_strdup ("from a thread"), string_free, NULL);
}

/* Works until cancelled, then still sets a result nobody will see. */
static void
until_cancelled_func (BridgeFuture *future,
                      gpointer      user_data,
                      GCancellable *cancellable)
{
  Job *job = user_data;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  /* A computation that checks the flag between steps; each step stands
   * for a slice of work. */
  while (!bridge_thread_is_cancelled () && g_get_monotonic_time () < deadline)
    g_usleep (1000);

  job->saw_flag = bridge_thread_is_cancelled ();
  job->saw_cancellable = g_cancellable_is_cancelled (cancellable);
  bridge_future_set_pointer (future, g_strdup ("too late"), string_free, NULL);
}

/* ---- run_in_thread ----------------------------------------------------------------- */

static void
result_body (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeFuture) future = NULL;
  Job *job = job_new (1000);

  g_assert_false (bridge_thread_is_cancelled ());
  future = bridge_run_in_thread (sum_func, job, job_destroy);
  g_assert_cmpint (bridge_await_int64 (future, &error), ==, 500500);
  g_assert_no_error (error);

  /* The work ran on a worker; the data is freed back on the loop's thread. */
  g_assert_nonnull (job->worker);
  g_assert_true (job->worker != g_thread_self ());
  job_await_free (job);
}

static void
test_result (void)
{
  run_body (result_body);
}

static void
destroy_thread_body (BridgeTask *task,
                     gpointer    user_data)
{
  g_autoptr(BridgeFuture) future = NULL;
  Job *job = job_new (10);
  GThread *self = g_thread_self ();

  future = bridge_run_in_thread (sum_func, job, job_destroy);
  g_assert_true (bridge_await (job->destroyed, NULL));
  g_assert_true (job->destroyed_in == self);
  g_assert_true (bridge_future_is_done (future));
  job_await_free (job);
}

static void
test_destroy_thread (void)
{
  run_body (destroy_thread_body);
}

static void
error_body (BridgeTask *task,
            gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeFuture) future = bridge_run_in_thread (error_func, NULL, NULL);

  g_assert_false (bridge_await (future, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no such thing");
}

static void
test_error (void)
{
  run_body (error_body);
}

static void
no_result_body (BridgeTask *task,
                gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeFuture) future = NULL;
  GValue value = G_VALUE_INIT;
  Job *job = job_new (0);

  future = bridge_run_in_thread (nothing_func, job, job_destroy);
  g_assert_true (bridge_await_value (future, &value, &error));
  g_assert_no_error (error);
  g_assert_false (G_IS_VALUE (&value));
  g_assert_cmpint (job->ran, ==, 1);
  job_await_free (job);
}

static void
test_no_result (void)
{
  run_body (no_result_body);
}

static void
pointer_body (BridgeTask *task,
              gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeFuture) future = bridge_run_in_thread (pointer_func, NULL, NULL);
  g_autofree char *string = bridge_await_pointer (future, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (string, ==, "from a thread");
}

static void
test_pointer (void)
{
  run_body (pointer_body);
}

static void
cancel_body (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeFuture) future = NULL;
  TestCanceller canceller;
  Job *job = job_new (0);
  gint freed_before = g_atomic_int_get (&n_strings_freed);

  future = bridge_run_in_thread (until_cancelled_func, job, job_destroy);
  test_cancel_later (&canceller, 0.05);
  g_assert_false (bridge_await (future, &error));
  test_assert_woke_promptly (&canceller);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (bridge_future_is_cancelled (future));
  bridge_task_uncancel (task);

  /* The function saw both the flag and its cancellable, stopped, and the
   * result it set anyway was freed instead of delivered. */
  g_assert_true (bridge_await (job->destroyed, NULL));
  g_assert_true (job->saw_flag);
  g_assert_true (job->saw_cancellable);
  g_assert_cmpint (g_atomic_int_get (&n_strings_freed), ==, freed_before + 1);
  job_await_free (job);
}

static void
test_cancel (void)
{
  run_body (cancel_body);
}

static GMutex gate_lock;
static GCond gate_cond;
static gboolean gate_open;
static gint gate_waiting;

static void
gate_func (BridgeFuture *future,
           gpointer      user_data,
           GCancellable *cancellable)
{
  g_mutex_lock (&gate_lock);
  gate_waiting++;
  g_cond_broadcast (&gate_cond);
  while (!gate_open)
    g_cond_wait (&gate_cond, &gate_lock);
  g_mutex_unlock (&gate_lock);
}

static void
cancel_queued_body (BridgeTask *task,
                    gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  BridgeFuture *blockers[POOL_SIZE];
  g_autoptr(BridgeFuture) queued = NULL;
  Job *job = job_new (0);

  g_assert_cmpuint (bridge_thread_get_max_threads (), ==, POOL_SIZE);

  /* Occupy every worker. */
  gate_open = FALSE;
  gate_waiting = 0;
  for (guint i = 0; i < POOL_SIZE; i++)
    blockers[i] = bridge_run_in_thread (gate_func, NULL, NULL);
  g_mutex_lock (&gate_lock);
  while (gate_waiting < POOL_SIZE)
    g_cond_wait (&gate_cond, &gate_lock);
  g_mutex_unlock (&gate_lock);

  /* This one waits in the queue; cancelled there, it never runs. */
  queued = bridge_run_in_thread (nothing_func, job, job_destroy);
  g_assert_true (bridge_future_cancel (queued, NULL));
  g_assert_false (bridge_await (queued, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Let the cancellation reach the job (a done callback) before the
   * workers free up. */
  g_assert_true (bridge_yield (NULL));

  g_mutex_lock (&gate_lock);
  gate_open = TRUE;
  g_cond_broadcast (&gate_cond);
  g_mutex_unlock (&gate_lock);

  for (guint i = 0; i < POOL_SIZE; i++)
    {
      g_assert_true (bridge_await (blockers[i], NULL));
      bridge_future_unref (blockers[i]);
    }
  g_assert_true (bridge_await (job->destroyed, NULL));
  g_assert_cmpint (g_atomic_int_get (&job->ran), ==, 0);
  job_await_free (job);
}

static void
test_cancel_queued (void)
{
  run_body (cancel_queued_body);
}

static void
nobody_waits_body (BridgeTask *task,
                   gpointer    user_data)
{
  Job *job = job_new (0);
  gint freed_before = g_atomic_int_get (&n_strings_freed);

  /* The future is dropped at once: its result is freed when it arrives. */
  bridge_future_unref (bridge_run_in_thread (pointer_func, job, job_destroy));
  g_assert_true (bridge_await (job->destroyed, NULL));
  g_assert_cmpint (g_atomic_int_get (&n_strings_freed), ==, freed_before + 1);
  job_await_free (job);
}

static void
test_nobody_waits (void)
{
  run_body (nobody_waits_body);
}

#define N_ROUND_TRIPS 2000
#define N_AT_ONCE 100

static void
many_body (BridgeTask *task,
           gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  BridgeFuture *futures[N_AT_ONCE];
  Job jobs[N_AT_ONCE];
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < N_ROUND_TRIPS; i++)
    {
      Job job = { .n = i };
      g_autoptr(BridgeFuture) future = bridge_run_in_thread (sum_func, &job, NULL);

      g_assert_cmpint (bridge_await_int64 (future, &error), ==, (gint64) i * (i + 1) / 2);
    }
  g_test_message ("%d round trips: %.1f µs each", N_ROUND_TRIPS,
                  (double) (g_get_monotonic_time () - start) / N_ROUND_TRIPS);

  for (guint i = 0; i < N_AT_ONCE; i++)
    {
      jobs[i].n = 1000 + i;
      futures[i] = bridge_run_in_thread (sum_func, &jobs[i], NULL);
    }
  for (guint i = 0; i < N_AT_ONCE; i++)
    {
      gint64 n = 1000 + i;

      g_assert_cmpint (bridge_await_int64 (futures[i], &error), ==, n * (n + 1) / 2);
      bridge_future_unref (futures[i]);
    }
  g_assert_no_error (error);
}

static void
test_many (void)
{
  run_body (many_body);
}

/* ---- spawn_threadsafe -------------------------------------------------------------- */

typedef struct
{
  GThread    *thread;
  BridgeLoop *loop;
  GMutex      lock;
  GCond       cond;
} OtherLoop;

static gpointer
other_loop_main (gpointer data)
{
  OtherLoop *other = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  BridgeLoop *loop;

  g_main_context_push_thread_default (context);
  loop = bridge_loop_new (context);
  g_mutex_lock (&other->lock);
  other->loop = loop;
  g_cond_signal (&other->cond);
  g_mutex_unlock (&other->lock);

  bridge_loop_run_forever (loop, NULL);
  g_assert_true (bridge_loop_close (loop, NULL));
  g_main_context_pop_thread_default (context);
  g_object_unref (loop);
  return NULL;
}

static void
other_loop_start (OtherLoop *other)
{
  g_mutex_init (&other->lock);
  g_cond_init (&other->cond);
  other->loop = NULL;
  other->thread = g_thread_new ("other-loop", other_loop_main, other);
  g_mutex_lock (&other->lock);
  while (other->loop == NULL)
    g_cond_wait (&other->cond, &other->lock);
  g_mutex_unlock (&other->lock);
}

static void
stop_loop_cb (gpointer user_data)
{
  bridge_loop_stop (user_data);
}

static void
other_loop_stop (OtherLoop *other)
{
  bridge_handle_unref (bridge_loop_call_soon_threadsafe (other->loop, stop_loop_cb, other->loop, NULL));
  g_thread_join (other->thread);
  g_mutex_clear (&other->lock);
  g_cond_clear (&other->cond);
}

typedef struct
{
  GThread      *thread;        /* the other loop's thread, seen from its task */
  BridgeFuture *cancel_seen;   /* on the caller's loop */
  const char   *mode;
} Remote;

static void
remote_body (BridgeTask *task,
             gpointer    user_data)
{
  Remote *remote = user_data;
  g_autoptr(GError) error = NULL;

  remote->thread = g_thread_self ();

  if (g_str_equal (remote->mode, "value"))
    {
      g_assert_true (bridge_sleep (0.001, &error));
      bridge_task_return_int64 (task, 7);
    }
  else if (g_str_equal (remote->mode, "error"))
    bridge_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "remote says no");
  else if (g_str_equal (remote->mode, "pointer"))
    bridge_task_return_pointer (task, g_strdup ("moved"), string_free);
  else if (g_str_equal (remote->mode, "sleep"))
    {
      gboolean slept = bridge_sleep (30, &error);

      /* Tell the other thread's task what happened: futures may be
       * completed from any thread. */
      bridge_future_set_boolean (remote->cancel_seen,
                                 !slept && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED),
                                 NULL);
    }
}

static void
spawn_threadsafe_body (BridgeTask *task,
                       gpointer    user_data)
{
  OtherLoop other;
  Remote remote = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeFuture) outer = NULL;
  g_autofree char *moved = NULL;
  TestCanceller canceller;
  GThread *self = g_thread_self ();
  gint freed_before = g_atomic_int_get (&n_strings_freed);

  other_loop_start (&other);

  /* A value, computed on the other loop's thread. */
  remote.mode = "value";
  outer = bridge_loop_spawn_threadsafe (other.loop, remote_body, &remote, NULL);
  g_assert_true (bridge_future_get_loop (outer) == bridge_loop_get_default ());
  g_assert_cmpint (bridge_await_int64 (outer, &error), ==, 7);
  g_assert_no_error (error);
  g_assert_true (remote.thread != NULL && remote.thread != self);
  g_assert_true (g_thread_self () == self);
  g_clear_pointer (&outer, bridge_future_unref);

  /* An error. */
  remote.mode = "error";
  outer = bridge_loop_spawn_threadsafe (other.loop, remote_body, &remote, NULL);
  g_assert_false (bridge_await (outer, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_clear_pointer (&outer, bridge_future_unref);

  /* A pointer changes hands once. */
  remote.mode = "pointer";
  outer = bridge_loop_spawn_threadsafe (other.loop, remote_body, &remote, NULL);
  moved = bridge_await_pointer (outer, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (moved, ==, "moved");
  g_clear_pointer (&outer, bridge_future_unref);
  g_assert_cmpint (g_atomic_int_get (&n_strings_freed), ==, freed_before);

  /* Cancelling the returned future cancels the task over there. */
  remote.mode = "sleep";
  remote.cancel_seen = bridge_future_new ();
  outer = bridge_loop_spawn_threadsafe (other.loop, remote_body, &remote, NULL);
  test_cancel_later (&canceller, 0.05);
  g_assert_false (bridge_await (outer, &error));
  test_assert_woke_promptly (&canceller);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  bridge_task_uncancel (task);
  g_assert_true (bridge_await_boolean (remote.cancel_seen, &error));
  g_assert_no_error (error);
  g_clear_pointer (&remote.cancel_seen, bridge_future_unref);
  g_clear_pointer (&outer, bridge_future_unref);

  other_loop_stop (&other);
}

static void
test_spawn_threadsafe (void)
{
  run_body (spawn_threadsafe_body);
}

int
main (int   argc,
      char *argv[])
{
  /* A small pool, so a test can fill it; read at the pool's first use. */
  g_setenv ("BRIDGE_MAX_THREADS", G_STRINGIFY (POOL_SIZE), TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/thread/result", test_result);
  g_test_add_func ("/libbridge/thread/destroy-on-loop-thread", test_destroy_thread);
  g_test_add_func ("/libbridge/thread/error", test_error);
  g_test_add_func ("/libbridge/thread/no-result", test_no_result);
  g_test_add_func ("/libbridge/thread/pointer", test_pointer);
  g_test_add_func ("/libbridge/thread/cancel", test_cancel);
  g_test_add_func ("/libbridge/thread/cancel-queued", test_cancel_queued);
  g_test_add_func ("/libbridge/thread/nobody-waits", test_nobody_waits);
  g_test_add_func ("/libbridge/thread/many", test_many);
  g_test_add_func ("/libbridge/thread/spawn-threadsafe", test_spawn_threadsafe);

  return g_test_run ();
}
