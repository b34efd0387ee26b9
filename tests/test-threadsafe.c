/* test-threadsafe.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libbridge.h>

#include "test-util.h"

/* ---- a start line for worker threads ---------------------------------------- */

typedef struct
{
  GMutex mutex;
  GCond  cond;
  guint  waiting;
  guint  generation;
} StartLine;

static void
start_line_init (StartLine *line)
{
  g_mutex_init (&line->mutex);
  g_cond_init (&line->cond);
  line->waiting = 0;
  line->generation = 0;
}

static void
start_line_clear (StartLine *line)
{
  g_mutex_clear (&line->mutex);
  g_cond_clear (&line->cond);
}

/* Blocks until @n parties arrived, so the workers really run at once. */
static void
start_line_wait (StartLine *line,
                 guint      n)
{
  guint generation;

  g_mutex_lock (&line->mutex);
  generation = line->generation;
  if (++line->waiting == n)
    {
      line->waiting = 0;
      line->generation++;
      g_cond_broadcast (&line->cond);
    }
  else
    while (generation == line->generation)
      g_cond_wait (&line->cond, &line->mutex);
  g_mutex_unlock (&line->mutex);
}

/* ---- 4 threads × 50,000 call_soon_threadsafe ---------------------------------- */

#define N_THREADS    4
#define N_PER_THREAD 50000

typedef struct
{
  BridgeLoop *loop;
  StartLine   start;
  GThread    *main_thread;
  guint       next[N_THREADS];   /* expected sequence number, per thread */
  guint       delivered;
  guint       out_of_order;
  guint       wrong_thread;
} Burst;

typedef struct
{
  Burst *burst;
  guint  index;
} Worker;

static Burst *current_burst;

static void
burst_deliver_cb (gpointer user_data)
{
  Burst *burst = current_burst;
  guintptr code = GPOINTER_TO_SIZE (user_data) - 1;
  guint thread = code / N_PER_THREAD;
  guint sequence = code % N_PER_THREAD;

  if (g_thread_self () != burst->main_thread)
    burst->wrong_thread++;
  /* Each thread's calls arrive in the order it made them, each exactly once. */
  if (thread >= N_THREADS || burst->next[thread] != sequence)
    burst->out_of_order++;
  else
    burst->next[thread]++;
  burst->delivered++;
}

static gpointer
burst_worker (gpointer user_data)
{
  Worker *worker = user_data;
  Burst *burst = worker->burst;

  start_line_wait (&burst->start, N_THREADS);
  for (guint i = 0; i < N_PER_THREAD; i++)
    {
      guintptr code = (guintptr) worker->index * N_PER_THREAD + i + 1;
      BridgeHandle *handle = bridge_loop_call_soon_threadsafe (burst->loop, burst_deliver_cb,
                                                               GSIZE_TO_POINTER (code), NULL);

      g_assert_nonnull (handle);
      bridge_handle_unref (handle);
    }
  return NULL;
}

static void
test_call_soon_threadsafe_burst (LoopFixture   *fixture,
                                 gconstpointer  user_data)
{
  Burst burst = { .loop = fixture->loop, .main_thread = g_thread_self () };
  Worker workers[N_THREADS];
  GThread *threads[N_THREADS];

  start_line_init (&burst.start);
  current_burst = &burst;

  for (guint i = 0; i < N_THREADS; i++)
    {
      workers[i].burst = &burst;
      workers[i].index = i;
      threads[i] = g_thread_new ("burst", burst_worker, &workers[i]);
    }

  /* The loop runs (and sleeps in poll()) while the threads push: every
   * delivery needs a working wake-up. */
  test_run_until (fixture->context, burst.delivered == N_THREADS * N_PER_THREAD, TEST_TIMEOUT_SECONDS);

  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);

  /* Nothing more arrives afterwards. */
  while (g_main_context_iteration (fixture->context, FALSE))
    ;
  g_assert_cmpuint (burst.delivered, ==, N_THREADS * N_PER_THREAD);
  g_assert_cmpuint (burst.out_of_order, ==, 0);
  g_assert_cmpuint (burst.wrong_thread, ==, 0);
  for (guint i = 0; i < N_THREADS; i++)
    g_assert_cmpuint (burst.next[i], ==, N_PER_THREAD);

  current_burst = NULL;
  start_line_clear (&burst.start);
}

/* ---- cancelling threadsafe handles from another thread ------------------------- */

#define N_CANCEL 20000

typedef struct
{
  BridgeLoop *loop;
  StartLine   start;
  guint8      ran[N_CANCEL];
  guint8      cancelled[N_CANCEL];
  gint        destroyed[N_CANCEL];
  guint       n_ran;
  gboolean    concurrent;
  gint        worker_done;
} CancelRace;

typedef struct
{
  CancelRace *race;
  guint       index;
} CancelItem;

static void
cancel_race_cb (gpointer user_data)
{
  CancelItem *item = user_data;

  item->race->ran[item->index]++;
  item->race->n_ran++;
}

static void
cancel_race_destroy (gpointer user_data)
{
  CancelItem *item = user_data;

  g_atomic_int_inc (&item->race->destroyed[item->index]);
  g_free (item);
}

static gpointer
cancel_worker (gpointer user_data)
{
  CancelRace *race = user_data;

  if (race->concurrent)
    start_line_wait (&race->start, 2);

  for (guint i = 0; i < N_CANCEL; i++)
    {
      CancelItem *item = g_new (CancelItem, 1);
      BridgeHandle *handle;

      item->race = race;
      item->index = i;
      handle = bridge_loop_call_soon_threadsafe (race->loop, cancel_race_cb, item, cancel_race_destroy);
      if (i % 2 == 0)
        {
          bridge_handle_cancel (handle);
          /* Once cancel() returned, it either won (cancelled) or the
           * callback already ran; it can never run afterwards. */
          race->cancelled[i] = bridge_handle_is_cancelled (handle);
        }
      bridge_handle_unref (handle);
    }
  g_atomic_int_set (&race->worker_done, TRUE);
  return NULL;
}

static void
run_cancel_race (LoopFixture *fixture,
                 gboolean     concurrent)
{
  CancelRace *race = g_new0 (CancelRace, 1);
  GThread *thread;
  guint n_cancelled = 0;

  race->loop = fixture->loop;
  race->concurrent = concurrent;
  start_line_init (&race->start);
  thread = g_thread_new ("canceller", cancel_worker, race);

  if (concurrent)
    {
      /* The loop runs callbacks while the worker cancels them. */
      start_line_wait (&race->start, 2);
      while (!g_atomic_int_get (&race->worker_done))
        g_main_context_iteration (fixture->context, FALSE);
    }
  g_thread_join (thread);

  for (guint i = 0; i < N_CANCEL; i++)
    n_cancelled += race->cancelled[i];
  test_run_until (fixture->context, race->n_ran + n_cancelled == N_CANCEL, TEST_TIMEOUT_SECONDS);

  for (guint i = 0; i < N_CANCEL; i++)
    {
      /* Exactly one of: ran, cancelled; data released exactly once. */
      g_assert_cmpuint (race->ran[i] + race->cancelled[i], ==, 1);
      g_assert_cmpint (g_atomic_int_get (&race->destroyed[i]), ==, 1);
      if (i % 2 == 1)
        g_assert_cmpuint (race->ran[i], ==, 1);
    }
  if (!concurrent)
    g_assert_cmpuint (n_cancelled, ==, N_CANCEL / 2);

  start_line_clear (&race->start);
  g_free (race);
}

static void
test_handle_cancel_from_thread (LoopFixture   *fixture,
                                gconstpointer  user_data)
{
  run_cancel_race (fixture, FALSE);
}

static void
test_handle_cancel_race (LoopFixture   *fixture,
                         gconstpointer  user_data)
{
  run_cancel_race (fixture, TRUE);
}

/* ---- completing futures from other threads --------------------------------------- */

typedef struct
{
  BridgeFuture *value;
  BridgeFuture *pointer;
  BridgeFuture *error;
  BridgeFuture *cancelled;
  GThread      *main_thread;
  guint         callbacks_on_main;
  guint         callbacks;
  guint         pointer_freed;
} Remote;

static void
remote_pointer_free (gpointer pointer)
{
  Remote *remote = pointer;

  g_atomic_int_inc (&remote->pointer_freed);
}

static gpointer
remote_completer (gpointer user_data)
{
  Remote *remote = user_data;

  /* From this thread the results travel to the loop's thread. */
  g_assert_true (bridge_future_set_int64 (remote->value, 123, NULL));
  g_assert_true (bridge_future_set_pointer (remote->pointer, remote, remote_pointer_free, NULL));
  g_assert_true (bridge_future_set_error (remote->error, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "pipe"), NULL));
  g_assert_true (bridge_future_cancel (remote->cancelled, "from afar"));
  return NULL;
}

static void
remote_done_cb (BridgeFuture *future,
                gpointer      user_data)
{
  Remote *remote = user_data;

  /* Done callbacks run on the loop's thread, whoever completed the future. */
  if (g_thread_self () == remote->main_thread)
    remote->callbacks_on_main++;
  remote->callbacks++;
}

static void
remote_awaiter (BridgeTask *task,
                gpointer    user_data)
{
  Remote *remote = user_data;
  GError *error = NULL;
  GThread *thread;

  thread = g_thread_new ("completer", remote_completer, remote);

  g_assert_cmpint (bridge_await_int64 (remote->value, &error), ==, 123);
  g_assert_no_error (error);
  g_assert_true (bridge_await_pointer (remote->pointer, &error) == remote);
  g_assert_no_error (error);
  g_assert_false (bridge_await (remote->error, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_clear_error (&error);
  g_assert_false (bridge_await (remote->cancelled, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "from afar");
  g_clear_error (&error);

  g_thread_join (thread);
  g_assert_true (bridge_task_get_current () == task);
  bridge_task_return_boolean (task, TRUE);
}

static void
test_future_complete_from_thread (LoopFixture   *fixture,
                                  gconstpointer  user_data)
{
  Remote remote = {
    bridge_future_new_for_loop (fixture->loop),
    bridge_future_new_for_loop (fixture->loop),
    bridge_future_new_for_loop (fixture->loop),
    bridge_future_new_for_loop (fixture->loop),
    g_thread_self (), 0, 0, 0,
  };
  BridgeFuture *futures[] = { remote.value, remote.pointer, remote.error, remote.cancelled };
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (futures); i++)
    bridge_future_add_done_callback (futures[i], remote_done_cb, &remote, NULL);

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, remote_awaiter, &remote, NULL);
  g_assert_true (bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), &error));
  g_assert_no_error (error);
  test_run_until (fixture->context, remote.callbacks == G_N_ELEMENTS (futures), TEST_TIMEOUT_SECONDS);
  g_assert_cmpuint (remote.callbacks_on_main, ==, G_N_ELEMENTS (futures));

  /* The awaiter took the pointer: the future does not free it. */
  for (guint i = 0; i < G_N_ELEMENTS (futures); i++)
    bridge_future_unref (futures[i]);
  g_assert_cmpuint (remote.pointer_freed, ==, 0);
}

/* ---- wake-up and stop from another thread ---------------------------------------- */

typedef struct
{
  BridgeLoop *loop;
  GMutex      mutex;
  GCond       cond;
  gboolean    loop_blocking;
  guint       delivered;
} Waker;

static gpointer
waker_thread (gpointer user_data)
{
  Waker *waker = user_data;

  g_mutex_lock (&waker->mutex);
  while (!waker->loop_blocking)
    g_cond_wait (&waker->cond, &waker->mutex);
  g_mutex_unlock (&waker->mutex);

  /* Give the loop time to go to sleep in poll(), so the wake-up is really
   * what ends it. If it is not asleep yet the test still holds. */
  g_usleep (20 * 1000);
  bridge_handle_unref (bridge_loop_call_soon_threadsafe (waker->loop, test_count_cb, &waker->delivered, NULL));
  return NULL;
}

static void
test_wakes_sleeping_loop (LoopFixture   *fixture,
                          gconstpointer  user_data)
{
  Waker waker = { fixture->loop };
  GThread *thread;

  g_mutex_init (&waker.mutex);
  g_cond_init (&waker.cond);
  thread = g_thread_new ("waker", waker_thread, &waker);

  /* Nothing is scheduled: the loop would sleep for good without a wake-up.
   * The bound is far below the test's own timeout. */
  g_mutex_lock (&waker.mutex);
  waker.loop_blocking = TRUE;
  g_cond_signal (&waker.cond);
  g_mutex_unlock (&waker.mutex);
  test_run_until (fixture->context, waker.delivered == 1, 10);

  g_thread_join (thread);
  g_mutex_clear (&waker.mutex);
  g_cond_clear (&waker.cond);
}

static void
loop_started_cb (gpointer user_data)
{
  Waker *waker = user_data;

  g_mutex_lock (&waker->mutex);
  waker->loop_blocking = TRUE;
  g_cond_signal (&waker->cond);
  g_mutex_unlock (&waker->mutex);
}

static gpointer
stopper_thread (gpointer user_data)
{
  Waker *waker = user_data;

  g_mutex_lock (&waker->mutex);
  while (!waker->loop_blocking)
    g_cond_wait (&waker->cond, &waker->mutex);
  g_mutex_unlock (&waker->mutex);

  bridge_loop_stop (waker->loop);
  return NULL;
}

static void
test_stop_from_thread (LoopFixture   *fixture,
                       gconstpointer  user_data)
{
  Waker waker = { fixture->loop };
  g_autoptr(GError) error = NULL;
  GThread *thread;
  guint deadline_hit = 0;

  g_mutex_init (&waker.mutex);
  g_cond_init (&waker.cond);
  thread = g_thread_new ("stopper", stopper_thread, &waker);

  /* A safety net only: it must not be what ends the run. */
  bridge_loop_call_later (fixture->loop, TEST_TIMEOUT_SECONDS, test_count_cb, &deadline_hit, NULL);
  bridge_loop_call_soon (fixture->loop, loop_started_cb, &waker, NULL);
  g_assert_true (bridge_loop_run_forever (fixture->loop, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (deadline_hit, ==, 0);

  g_thread_join (thread);
  g_mutex_clear (&waker.mutex);
  g_cond_clear (&waker.cond);
}

/* ---- one loop per thread ----------------------------------------------------------- */

typedef struct
{
  guint  n_tasks;
  guint  n_yields;
  gint64 total;
} ThreadLoopData;

static void
counting_task (BridgeTask *task,
               gpointer    user_data)
{
  ThreadLoopData *data = user_data;
  GError *error = NULL;
  gint64 sum = 0;

  for (guint i = 0; i < data->n_yields; i++)
    {
      g_assert_true (bridge_task_get_current () == task);
      g_assert_true (bridge_yield (&error));
      sum++;
    }
  g_assert_true (bridge_sleep (0.001, &error));
  g_assert_no_error (error);
  bridge_task_return_int64 (task, sum);
}

static void
thread_main_task (BridgeTask *task,
                  gpointer    user_data)
{
  ThreadLoopData *data = user_data;
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_task_unref);
  GError *error = NULL;

  for (guint i = 0; i < data->n_tasks; i++)
    g_ptr_array_add (tasks, bridge_spawn (counting_task, data, NULL));
  for (guint i = 0; i < tasks->len; i++)
    {
      data->total += bridge_await_int64 (g_ptr_array_index (tasks, i), &error);
      g_assert_no_error (error);
    }
}

static gpointer
thread_with_loop (gpointer user_data)
{
  ThreadLoopData *data = user_data;
  GError *error = NULL;

  g_assert_true (bridge_run (thread_main_task, data, &error));
  g_assert_no_error (error);
  return NULL;
}

static void
test_loop_per_thread (void)
{
  ThreadLoopData data[3] = { { 10, 200, 0 }, { 20, 100, 0 }, { 5, 500, 0 } };
  GThread *threads[2];

  /* Tasks, the current task and fibers are per thread: loops in several
   * threads run side by side. */
  threads[0] = g_thread_new ("loop-a", thread_with_loop, &data[0]);
  threads[1] = g_thread_new ("loop-b", thread_with_loop, &data[1]);
  thread_with_loop (&data[2]);
  g_thread_join (threads[0]);
  g_thread_join (threads[1]);

  for (guint i = 0; i < G_N_ELEMENTS (data); i++)
    g_assert_cmpint (data[i].total, ==, (gint64) data[i].n_tasks * data[i].n_yields);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  LOOP_TEST ("/libbridge/threadsafe/call-soon/4x50000", test_call_soon_threadsafe_burst);
  LOOP_TEST ("/libbridge/threadsafe/handle/cancel-from-thread", test_handle_cancel_from_thread);
  LOOP_TEST ("/libbridge/threadsafe/handle/cancel-race", test_handle_cancel_race);
  LOOP_TEST ("/libbridge/threadsafe/future/complete-from-thread", test_future_complete_from_thread);
  LOOP_TEST ("/libbridge/threadsafe/wakes-sleeping-loop", test_wakes_sleeping_loop);
  LOOP_TEST ("/libbridge/threadsafe/stop-from-thread", test_stop_from_thread);
  g_test_add_func ("/libbridge/threadsafe/loop-per-thread", test_loop_per_thread);

  return g_test_run ();
}
