/* bench-glib.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "bench-common.h"

/* The raw GLib peers of bench/run: the same workloads written the way a GLib
 * programmer would without libbridge. A "task" is a callback scheduled with
 * g_idle_add(), a "future" is a GTask completed with g_task_return_int(), a
 * timer is a g_timeout_add() source, a cross-thread call is
 * g_main_context_invoke(). Everything is scheduled from inside the running
 * main loop, as the libbridge workloads schedule from inside a task. */

static GMainLoop *main_loop;

/* Runs @start from the main loop's first iteration, then runs the loop until
 * a callback quits it. */
static void
run_from_idle (GSourceFunc start,
               gpointer    data)
{
  GMainContext *context = g_main_context_get_thread_default ();
  GSource *source = g_idle_source_new ();

  main_loop = g_main_loop_new (context, FALSE);
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, start, data, NULL);
  g_source_attach (source, context);
  g_source_unref (source);
  g_main_loop_run (main_loop);
  g_clear_pointer (&main_loop, g_main_loop_unref);
}

/* ---- spawn: 100k g_idle_add() callbacks ---------------------------------------- */

typedef struct
{
  guint  done;
  double start;
  double end;
} Counter;

static gboolean
spawned_cb (gpointer user_data)
{
  Counter *counter = user_data;

  if (++counter->done == BENCH_SPAWN_TASKS)
    {
      counter->end = bench_time ();
      g_main_loop_quit (main_loop);
    }
  return G_SOURCE_REMOVE;
}

static gboolean
spawn_start (gpointer user_data)
{
  Counter *counter = user_data;

  counter->start = bench_time ();
  for (guint i = 0; i < BENCH_SPAWN_TASKS; i++)
    g_idle_add (spawned_cb, counter);
  return G_SOURCE_REMOVE;
}

static void
bench_spawn (void)
{
  Counter counter = { 0 };

  run_from_idle (spawn_start, &counter);
  bench_print (BENCH_SPAWN_TASKS / (counter.end - counter.start), "tasks/s",
               "\"tasks\": %d, \"as\": \"g_idle_add\"", BENCH_SPAWN_TASKS);
}

/* ---- pingpong: two callback chains exchanging GTasks ----------------------------- */

/* The callback version of the futures ping-pong: each side owns a GTask that
 * the other completes with g_task_return_int(). GTask completes directly
 * when the task was created in an earlier main-loop iteration, and through an
 * idle source otherwise, so each round trip here costs two GTasks and one
 * idle source. The frames workload runs the same chain until a deadline. */
typedef struct
{
  GTask       *to_ping;   /* created by A, completed by B */
  GTask       *to_pong;   /* created by B, completed by A */
  gint64       rounds;
  BenchTicker *ticker;
  gint64       round;
  double       start;
  double       end;
} PingPong;

static void ping_send (PingPong *pp);

static void
pong_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  PingPong *pp = user_data;
  g_autoptr(GError) error = NULL;
  gint64 message = g_task_propagate_int (G_TASK (result), &error);
  GTask *reply = g_steal_pointer (&pp->to_ping);

  if (error != NULL)
    bench_fail ("pong", error);
  if (message >= 0)
    pp->to_pong = g_task_new (NULL, NULL, pong_cb, pp);
  g_task_return_int (reply, message);
  g_object_unref (reply);
}

static void
ping_cb (GObject      *source_object,
         GAsyncResult *result,
         gpointer      user_data)
{
  PingPong *pp = user_data;
  g_autoptr(GError) error = NULL;
  gint64 message = g_task_propagate_int (G_TASK (result), &error);

  if (error != NULL || message != (message < 0 ? -1 : pp->round))
    bench_fail ("ping: reply", error);

  pp->round++;
  if (message < 0)
    {
      pp->end = bench_time ();
      g_main_loop_quit (main_loop);
      return;
    }
  ping_send (pp);
}

static void
ping_send (PingPong *pp)
{
  GTask *request = g_steal_pointer (&pp->to_pong);
  gboolean last;

  if (pp->ticker == NULL)
    last = pp->round + 1 >= pp->rounds;
  else
    last = (pp->round & 63) == 63 && bench_ticker_is_over (pp->ticker);

  pp->to_ping = g_task_new (NULL, NULL, ping_cb, pp);
  g_task_return_int (request, last ? -1 : pp->round);
  g_object_unref (request);
}

static gboolean
pingpong_start (gpointer user_data)
{
  PingPong *pp = user_data;

  pp->start = bench_time ();
  ping_send (pp);
  return G_SOURCE_REMOVE;
}

static double
pingpong_run (PingPong *pp)
{
  pp->to_pong = g_task_new (NULL, NULL, pong_cb, pp);
  run_from_idle (pingpong_start, pp);
  return pp->round / (pp->end - pp->start);
}

static void
bench_pingpong (void)
{
  PingPong pp = { .rounds = BENCH_PINGPONG_ROUNDS };
  double rate = pingpong_run (&pp);

  bench_print (rate, "round trips/s", "\"round_trips\": %" G_GINT64_FORMAT ", \"as\": \"GTask\"",
               pp.round);
}

/* ---- yield: two idle sources × 1M dispatches -------------------------------------- */

/* A callback that returns G_SOURCE_CONTINUE is GLib's "yield to the loop and
 * come back": each dispatch counts as one switch. */
typedef struct _YieldState YieldState;

typedef struct
{
  YieldState *state;
  guint       left;
} Yielder;

struct _YieldState
{
  Yielder yielders[2];
  guint   running;
  double  start;
  double  end;
};

static gboolean
yield_cb (gpointer user_data)
{
  Yielder *yielder = user_data;

  if (--yielder->left > 0)
    return G_SOURCE_CONTINUE;

  if (--yielder->state->running == 0)
    {
      yielder->state->end = bench_time ();
      g_main_loop_quit (main_loop);
    }
  return G_SOURCE_REMOVE;
}

static gboolean
yield_start (gpointer user_data)
{
  YieldState *state = user_data;

  state->start = bench_time ();
  state->running = G_N_ELEMENTS (state->yielders);
  for (guint i = 0; i < G_N_ELEMENTS (state->yielders); i++)
    {
      state->yielders[i].state = state;
      state->yielders[i].left = BENCH_YIELDS_PER_TASK;
      g_idle_add_full (G_PRIORITY_DEFAULT, yield_cb, &state->yielders[i], NULL);
    }
  return G_SOURCE_REMOVE;
}

static void
bench_yield (void)
{
  YieldState state = { 0 };

  run_from_idle (yield_start, &state);
  bench_print (2.0 * BENCH_YIELDS_PER_TASK / (state.end - state.start), "switches/s",
               "\"switches\": %d, \"as\": \"idle G_SOURCE_CONTINUE\"", 2 * BENCH_YIELDS_PER_TASK);
}

/* ---- timers: 100k g_timeout_add() ----------------------------------------------- */

static gboolean
timeout_cb (gpointer user_data)
{
  Counter *counter = user_data;

  if (++counter->done == BENCH_TIMERS)
    {
      counter->end = bench_time ();
      g_main_loop_quit (main_loop);
    }
  return G_SOURCE_REMOVE;
}

static gboolean
timers_start (gpointer user_data)
{
  Counter *counter = user_data;

  counter->start = bench_time ();
  /* GLib timeouts have millisecond resolution: the same delays, rounded. */
  for (guint i = 0; i < BENCH_TIMERS; i++)
    g_timeout_add ((guint) (bench_timer_delay (i) * 1000 + 0.5), timeout_cb, counter);
  return G_SOURCE_REMOVE;
}

static void
bench_timers (void)
{
  Counter counter = { 0 };

  run_from_idle (timers_start, &counter);
  bench_print (BENCH_TIMERS / (counter.end - counter.start), "timers/s",
               "\"timers\": %d, \"as\": \"g_timeout_add\"", BENCH_TIMERS);
}

/* ---- threadsafe: 4 threads × 50k g_main_context_invoke() ---------------------- */

/* The loop runs a context of its own, pushed as thread default: invoking the
 * global default context from another thread may run the callback right there
 * on the sender (when it can acquire the context), which is not a cross-thread
 * call at all. */
typedef struct
{
  GMainContext *context;
  GMutex        lock;
  GCond         cond;
  gboolean      go;
  double        first_send[BENCH_THREADS];
  guint         delivered;
  double        last_delivered;
} ThreadsafeState;

typedef struct
{
  ThreadsafeState *state;
  guint            index;
} Sender;

static gboolean
invoked_cb (gpointer user_data)
{
  ThreadsafeState *state = user_data;

  if (++state->delivered == BENCH_THREADS * BENCH_CALLS_PER_THREAD)
    {
      state->last_delivered = bench_time ();
      g_main_loop_quit (main_loop);
    }
  return G_SOURCE_REMOVE;
}

static gpointer
sender_thread (gpointer data)
{
  Sender *sender = data;
  ThreadsafeState *state = sender->state;

  g_mutex_lock (&state->lock);
  while (!state->go)
    g_cond_wait (&state->cond, &state->lock);
  g_mutex_unlock (&state->lock);

  state->first_send[sender->index] = bench_time ();
  for (guint i = 0; i < BENCH_CALLS_PER_THREAD; i++)
    g_main_context_invoke (state->context, invoked_cb, state);
  return NULL;
}

static gboolean
threadsafe_start (gpointer user_data)
{
  ThreadsafeState *state = user_data;

  g_mutex_lock (&state->lock);
  state->go = TRUE;
  g_cond_broadcast (&state->cond);
  g_mutex_unlock (&state->lock);
  return G_SOURCE_REMOVE;
}

static void
bench_threadsafe (void)
{
  ThreadsafeState state = { 0 };
  Sender senders[BENCH_THREADS];
  GThread *threads[BENCH_THREADS];
  double first_send;

  state.context = g_main_context_new ();
  g_mutex_init (&state.lock);
  g_cond_init (&state.cond);
  g_main_context_push_thread_default (state.context);

  for (guint i = 0; i < BENCH_THREADS; i++)
    {
      senders[i].state = &state;
      senders[i].index = i;
      threads[i] = g_thread_new ("sender", sender_thread, &senders[i]);
    }
  run_from_idle (threadsafe_start, &state);
  for (guint i = 0; i < BENCH_THREADS; i++)
    g_thread_join (threads[i]);

  g_main_context_pop_thread_default (state.context);
  g_main_context_unref (state.context);
  g_mutex_clear (&state.lock);
  g_cond_clear (&state.cond);

  first_send = state.first_send[0];
  for (guint i = 1; i < BENCH_THREADS; i++)
    first_send = MIN (first_send, state.first_send[i]);
  bench_print (BENCH_THREADS * BENCH_CALLS_PER_THREAD / (state.last_delivered - first_send),
               "calls/s", "\"threads\": %d, \"calls\": %d, \"as\": \"g_main_context_invoke\"",
               BENCH_THREADS, BENCH_THREADS * BENCH_CALLS_PER_THREAD);
}

/* ---- frames: the redraw-priority ticker while GTasks ping-pong ----------------- */

static void
bench_frames (void)
{
  PingPong pp = { 0 };
  double rate;

  pp.ticker = bench_ticker_new (g_main_context_default (), G_PRIORITY_HIGH_IDLE + 20,
                                BENCH_FRAMES_HZ, BENCH_FRAMES_SLOTS);
  rate = pingpong_run (&pp);
  bench_ticker_finish (pp.ticker, rate, "round trips/s");
}

/* ---- the table --------------------------------------------------------------- */

static const BenchWorkload workloads[] = {
  { "spawn", bench_spawn },
  { "pingpong", bench_pingpong },
  { "yield", bench_yield },
  { "timers", bench_timers },
  { "threadsafe", bench_threadsafe },
  { "frames", bench_frames },
};

int
main (int    argc,
      char **argv)
{
  g_set_prgname ("bench-glib");
  return bench_main (workloads, G_N_ELEMENTS (workloads), argc, argv);
}
