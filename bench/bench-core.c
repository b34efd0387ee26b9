/* bench-core.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libbridge.h>

#include "bench-common.h"

/* The libbridge side of bench/run: `bench-core WORKLOAD` runs one workload
 * and prints its figure as JSON. Every workload runs in a fresh loop through
 * bridge_run(), driven from a main task, as an asyncio program would be. */

/* ---- helpers ------------------------------------------------------------------- */

static void
await_or_die (BridgeFuture *future)
{
  g_autoptr(GError) error = NULL;

  if (!bridge_await (future, &error))
    bench_fail ("bridge_await()", error);
}

static void
run_main_task (BridgeTaskFunc func,
               gpointer       data)
{
  g_autoptr(GError) error = NULL;

  if (!bridge_run (func, data, &error))
    bench_fail ("bridge_run()", error);
}

static void
trivial_task (BridgeTask *task,
              gpointer    user_data)
{
}

/* Workloads that allocate per task run twice in the same process: the first
 * round is the figure (a fresh process, as for every peer); the second shows
 * the same work with memory the allocators and the stack pool already hold,
 * and goes into the details as "warm". */
typedef struct
{
  double cold;
  double warm;
} Rounds;

/* ---- spawn: 100k trivial tasks, then await each --------------------------------- */

static double
spawn_round (void)
{
  g_autofree BridgeTask **tasks = g_new (BridgeTask *, BENCH_SPAWN_TASKS);
  double start = bench_time ();

  for (guint i = 0; i < BENCH_SPAWN_TASKS; i++)
    tasks[i] = bridge_spawn (trivial_task, NULL, NULL);
  for (guint i = 0; i < BENCH_SPAWN_TASKS; i++)
    {
      await_or_die (BRIDGE_FUTURE (tasks[i]));
      bridge_task_unref (tasks[i]);
    }

  return BENCH_SPAWN_TASKS / (bench_time () - start);
}

static void
spawn_main (BridgeTask *task,
            gpointer    user_data)
{
  Rounds *rounds = user_data;

  rounds->cold = spawn_round ();
  rounds->warm = spawn_round ();
}

static void
bench_spawn (void)
{
  Rounds rounds = { 0 };

  run_main_task (spawn_main, &rounds);
  bench_print (rounds.cold, "tasks/s", "\"tasks\": %d, \"warm\": %.0f",
               BENCH_SPAWN_TASKS, rounds.warm);
}

/* ---- pingpong: two tasks resolve fresh futures for each other ----------------- */

/* Task A ("ping") creates the future it will await for the reply, then
 * resolves the future task B is parked on; B creates its next request future,
 * then resolves A's. One exchange is one round trip: two futures created,
 * resolved and awaited. The last message is -1, which tells B to stop. The
 * frames workload runs the same pair until a deadline instead. */
typedef struct
{
  BridgeFuture *to_ping;   /* what A awaits: created by A, resolved by B */
  BridgeFuture *to_pong;   /* what B awaits: created by B, resolved by A */
  gint64        rounds;    /* round trips to make, or 0 to run until ticker is over */
  BenchTicker  *ticker;
  gint64        made;      /* round trips made */
} PingPong;

static gboolean
ping_should_stop (PingPong *pp,
                  gint64    round)
{
  if (pp->ticker == NULL)
    return round + 1 >= pp->rounds;
  /* Reading the clock every round would cost more than the round itself. */
  return (round & 63) == 63 && bench_ticker_is_over (pp->ticker);
}

static void
ping_task (BridgeTask *task,
           gpointer    user_data)
{
  PingPong *pp = user_data;
  gint64 round;

  for (round = 0; ; round++)
    {
      g_autoptr(GError) error = NULL;
      BridgeFuture *reply = bridge_future_new ();
      gboolean last = ping_should_stop (pp, round);
      gint64 message = last ? -1 : round;

      pp->to_ping = reply;
      bridge_future_set_int64 (pp->to_pong, message, NULL);
      if (bridge_await_int64 (reply, &error) != message)
        bench_fail ("ping: reply", error);
      pp->to_ping = NULL;
      bridge_future_unref (reply);

      if (last)
        break;
    }

  pp->made = round + 1;
}

static void
pong_task (BridgeTask *task,
           gpointer    user_data)
{
  PingPong *pp = user_data;
  gint64 message;

  do
    {
      g_autoptr(GError) error = NULL;
      BridgeFuture *request = pp->to_pong;

      message = bridge_await_int64 (request, &error);
      if (error != NULL)
        bench_fail ("pong: request", error);
      pp->to_pong = message >= 0 ? bridge_future_new () : NULL;
      bridge_future_set_int64 (pp->to_ping, message, NULL);
      bridge_future_unref (request);
    }
  while (message >= 0);
}

/* Runs the pair to completion from the calling task; returns round trips/s. */
static double
pingpong_run (PingPong *pp)
{
  g_autoptr(BridgeTask) ping = NULL;
  g_autoptr(BridgeTask) pong = NULL;
  double start = bench_time ();

  pp->to_pong = bridge_future_new ();
  pong = bridge_spawn (pong_task, pp, NULL);
  ping = bridge_spawn (ping_task, pp, NULL);
  await_or_die (BRIDGE_FUTURE (ping));
  await_or_die (BRIDGE_FUTURE (pong));

  return pp->made / (bench_time () - start);
}

static void
pingpong_main (BridgeTask *task,
               gpointer    user_data)
{
  PingPong pp = { .rounds = BENCH_PINGPONG_ROUNDS };
  double *rate = user_data;

  *rate = pingpong_run (&pp);
  g_assert (pp.made == BENCH_PINGPONG_ROUNDS);
}

static void
bench_pingpong (void)
{
  double rate = 0;

  run_main_task (pingpong_main, &rate);
  bench_print (rate, "round trips/s", "\"round_trips\": %d", BENCH_PINGPONG_ROUNDS);
}

/* ---- yield: two tasks × 1M bridge_yield() ---------------------------------------- */

static void
yield_task (BridgeTask *task,
            gpointer    user_data)
{
  for (guint i = 0; i < BENCH_YIELDS_PER_TASK; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!bridge_yield (&error))
        bench_fail ("bridge_yield()", error);
    }
}

static void
yield_main (BridgeTask *task,
            gpointer    user_data)
{
  g_autoptr(BridgeTask) a = NULL;
  g_autoptr(BridgeTask) b = NULL;
  double *rate = user_data;
  double start = bench_time ();

  a = bridge_spawn (yield_task, NULL, NULL);
  b = bridge_spawn (yield_task, NULL, NULL);
  await_or_die (BRIDGE_FUTURE (a));
  await_or_die (BRIDGE_FUTURE (b));

  *rate = 2.0 * BENCH_YIELDS_PER_TASK / (bench_time () - start);
}

static void
bench_yield (void)
{
  double rate = 0;

  run_main_task (yield_main, &rate);
  bench_print (rate, "switches/s", "\"switches\": %d", 2 * BENCH_YIELDS_PER_TASK);
}

/* ---- timers: 100k call_later() with delays in [0, 10 ms) ----------------------- */

typedef struct
{
  BridgeFuture *all_fired;
  guint         fired;
  double        last_fired;
} TimersState;

static void
timer_cb (gpointer user_data)
{
  TimersState *state = user_data;

  if (++state->fired == BENCH_TIMERS)
    {
      state->last_fired = bench_time ();
      bridge_future_set_boolean (state->all_fired, TRUE, NULL);
    }
}

static void
timers_main (BridgeTask *task,
             gpointer    user_data)
{
  BridgeLoop *loop = bridge_loop_get_default ();
  TimersState state = { .all_fired = bridge_future_new () };
  double *rate = user_data;
  double start = bench_time ();

  for (guint i = 0; i < BENCH_TIMERS; i++)
    bridge_loop_call_later (loop, bench_timer_delay (i), timer_cb, &state, NULL);
  await_or_die (state.all_fired);
  bridge_future_unref (state.all_fired);

  *rate = BENCH_TIMERS / (state.last_fired - start);
}

static void
bench_timers (void)
{
  double rate = 0;

  run_main_task (timers_main, &rate);
  bench_print (rate, "timers/s", "\"timers\": %d, \"spread_ms\": %g",
               BENCH_TIMERS, BENCH_TIMER_SPREAD * 1000);
}

/* ---- threadsafe: 4 threads × 50k call_soon_threadsafe() ------------------------ */

typedef struct
{
  BridgeLoop   *loop;
  BridgeFuture *all_delivered;
  GMutex        lock;
  GCond         cond;
  gboolean      go;
  double        first_send[BENCH_THREADS];
  guint         delivered;     /* only touched on the loop's thread */
  double        last_delivered;
} ThreadsafeState;

typedef struct
{
  ThreadsafeState *state;
  guint            index;
} Sender;

static void
threadsafe_cb (gpointer user_data)
{
  ThreadsafeState *state = user_data;

  if (++state->delivered == BENCH_THREADS * BENCH_CALLS_PER_THREAD)
    {
      state->last_delivered = bench_time ();
      bridge_future_set_boolean (state->all_delivered, TRUE, NULL);
    }
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
    bridge_handle_unref (bridge_loop_call_soon_threadsafe (state->loop, threadsafe_cb,
                                                           state, NULL));
  return NULL;
}

static void
threadsafe_main (BridgeTask *task,
                 gpointer    user_data)
{
  ThreadsafeState state = { 0 };
  Sender senders[BENCH_THREADS];
  GThread *threads[BENCH_THREADS];
  double *rate = user_data;
  double first_send;

  state.loop = bridge_loop_get_default ();
  state.all_delivered = bridge_future_new ();
  g_mutex_init (&state.lock);
  g_cond_init (&state.cond);

  for (guint i = 0; i < BENCH_THREADS; i++)
    {
      senders[i].state = &state;
      senders[i].index = i;
      threads[i] = g_thread_new ("sender", sender_thread, &senders[i]);
    }

  /* Open the gate from inside the running loop, then park until the last
   * call arrives. */
  g_mutex_lock (&state.lock);
  state.go = TRUE;
  g_cond_broadcast (&state.cond);
  g_mutex_unlock (&state.lock);

  await_or_die (state.all_delivered);
  for (guint i = 0; i < BENCH_THREADS; i++)
    g_thread_join (threads[i]);

  first_send = state.first_send[0];
  for (guint i = 1; i < BENCH_THREADS; i++)
    first_send = MIN (first_send, state.first_send[i]);
  *rate = BENCH_THREADS * BENCH_CALLS_PER_THREAD / (state.last_delivered - first_send);

  bridge_future_unref (state.all_delivered);
  g_mutex_clear (&state.lock);
  g_cond_clear (&state.cond);
}

static void
bench_threadsafe (void)
{
  double rate = 0;

  run_main_task (threadsafe_main, &rate);
  bench_print (rate, "calls/s", "\"threads\": %d, \"calls\": %d",
               BENCH_THREADS, BENCH_THREADS * BENCH_CALLS_PER_THREAD);
}

/* ---- parked: N tasks parked on one future ------------------------------------- */

typedef struct
{
  guint          n_tasks;
  BridgeFuture  *gate;          /* every task awaits this one */
  BridgeFuture  *all_parked;    /* set by the last task, just before it parks */
  guint          parked;
  gint64         rss_before;
  gint64         rss_parked;
  double         spawn_park_seconds;
  double         total_seconds;
} ParkedState;

static void
parked_task (BridgeTask *task,
             gpointer    user_data)
{
  ParkedState *state = user_data;

  if (++state->parked == state->n_tasks)
    bridge_future_set_boolean (state->all_parked, TRUE, NULL);
  await_or_die (state->gate);
}

/* The main task wakes up on all_parked only in a later iteration, by which
 * time the last task has parked too. RSS is read before the first spawn and
 * once all are parked; the difference includes the caller's array of task
 * references (8 bytes a task), as asyncio's list of tasks does. */
static void
parked_main (BridgeTask *task,
             gpointer    user_data)
{
  ParkedState *state = user_data;
  g_autofree BridgeTask **tasks = g_new (BridgeTask *, state->n_tasks);
  double start;

  state->gate = bridge_future_new ();
  state->all_parked = bridge_future_new ();

  state->rss_before = bench_read_rss_kib ();
  start = bench_time ();
  for (guint i = 0; i < state->n_tasks; i++)
    tasks[i] = bridge_spawn (parked_task, state, NULL);
  await_or_die (state->all_parked);
  state->spawn_park_seconds = bench_time () - start;
  state->rss_parked = bench_read_rss_kib ();

  bridge_future_set_boolean (state->gate, TRUE, NULL);
  for (guint i = 0; i < state->n_tasks; i++)
    {
      await_or_die (BRIDGE_FUTURE (tasks[i]));
      bridge_task_unref (tasks[i]);
    }
  state->total_seconds = bench_time () - start;

  bridge_future_unref (state->gate);
  bridge_future_unref (state->all_parked);
}

static void
bench_parked_memory (void)
{
  ParkedState state = { .n_tasks = BENCH_PARKED_TASKS };

  run_main_task (parked_main, &state);
  bench_print ((double) (state.rss_parked - state.rss_before) / state.n_tasks, "KiB/task",
               "\"tasks\": %u, \"rss_before_kib\": %" G_GINT64_FORMAT
               ", \"rss_parked_kib\": %" G_GINT64_FORMAT,
               state.n_tasks, state.rss_before, state.rss_parked);
}

static void
bench_parked_1m (void)
{
  ParkedState state = { .n_tasks = BENCH_PARKED_1M_TASKS };

  run_main_task (parked_main, &state);
  /* Reaching this line is the "completed": every task ran to its end. */
  bench_print (state.total_seconds, "s",
               "\"completed\": true, \"tasks\": %u, \"spawn_park_s\": %.3f, "
               "\"kib_per_task\": %.3f, \"rss_parked_kib\": %" G_GINT64_FORMAT,
               state.n_tasks, state.spawn_park_seconds,
               (double) (state.rss_parked - state.rss_before) / state.n_tasks,
               state.rss_parked);
}

/* ---- frames: a redraw-priority 60 Hz source while two tasks ping-pong --------- */

static void
frames_main (BridgeTask *task,
             gpointer    user_data)
{
  BridgeLoop *loop = bridge_loop_get_default ();
  PingPong pp = { 0 };
  double rate;

  pp.ticker = bench_ticker_new (bridge_loop_get_context (loop), G_PRIORITY_HIGH_IDLE + 20,
                                BENCH_FRAMES_HZ, BENCH_FRAMES_SLOTS);
  rate = pingpong_run (&pp);
  bench_ticker_finish (pp.ticker, rate, "round trips/s");
}

static void
bench_frames (void)
{
  run_main_task (frames_main, NULL);
}

/* ---- timer-latency: a 5 ms timer beside a chain of 1 ms steps ------------------ */

/* A chain of callbacks that each keep the CPU for 1 ms and schedule the next
 * keeps the ready queue from ever emptying; a timer re-armed 5 ms ahead each
 * time it runs measures how late due timers are under that load. */
#define TIMER_LATENCY_STEP_USEC   1000
#define TIMER_LATENCY_PERIOD      0.005
#define TIMER_LATENCY_SECONDS     2.0

typedef struct
{
  BridgeLoop   *loop;
  BridgeFuture *done;
  gint64        end;
  double        due;
  double        worst;
  double        total;
  guint         fired;
  guint         steps;
  GArray       *lateness;   /* double, seconds */
} TimerLatency;

static gint
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
latency_step_cb (gpointer user_data)
{
  TimerLatency *state = user_data;
  gint64 until = g_get_monotonic_time () + TIMER_LATENCY_STEP_USEC;

  while (g_get_monotonic_time () < until)
    ;
  state->steps++;
  if (!bridge_future_is_done (state->done))
    bridge_loop_call_soon (state->loop, latency_step_cb, state, NULL);
}

static void
latency_timer_cb (gpointer user_data)
{
  TimerLatency *state = user_data;
  double late = bridge_loop_time (state->loop) - state->due;

  state->worst = MAX (state->worst, late);
  state->total += late;
  g_array_append_val (state->lateness, late);
  state->fired++;
  if (g_get_monotonic_time () >= state->end)
    {
      bridge_future_set_boolean (state->done, TRUE, NULL);
      return;
    }
  state->due = bridge_loop_time (state->loop) + TIMER_LATENCY_PERIOD;
  bridge_loop_call_at (state->loop, state->due, latency_timer_cb, state, NULL);
}

static void
timer_latency_main (BridgeTask *task,
                    gpointer    user_data)
{
  TimerLatency *state = user_data;

  state->loop = bridge_loop_get_default ();
  state->done = bridge_future_new ();
  state->end = g_get_monotonic_time () + (gint64) (TIMER_LATENCY_SECONDS * G_USEC_PER_SEC);
  bridge_loop_call_soon (state->loop, latency_step_cb, state, NULL);
  state->due = bridge_loop_time (state->loop) + TIMER_LATENCY_PERIOD;
  bridge_loop_call_at (state->loop, state->due, latency_timer_cb, state, NULL);
  bridge_await (state->done, NULL);
  bridge_future_unref (state->done);
}

static void
bench_timer_latency (void)
{
  TimerLatency state = { 0 };
  double p99 = 0;

  state.lateness = g_array_new (FALSE, FALSE, sizeof (double));
  run_main_task (timer_latency_main, &state);
  if (state.lateness->len > 0)
    {
      g_array_sort (state.lateness, compare_doubles);
      p99 = g_array_index (state.lateness, double, (state.lateness->len * 99) / 100);
    }
  bench_print (state.worst * 1000, "ms",
               "\"p99_ms\": %.3f, \"mean_ms\": %.3f, \"timers\": %u, \"steps\": %u, "
               "\"step_ms\": %.1f",
               p99 * 1000, state.fired ? state.total * 1000 / state.fired : 0.0, state.fired,
               state.steps, TIMER_LATENCY_STEP_USEC / 1000.0);
  g_array_unref (state.lateness);
}

/* ---- gather: bridge_gather() over 10k tasks created before the clock starts ---- */

static double
gather_round (void)
{
  g_autofree BridgeFuture **tasks = g_new (BridgeFuture *, BENCH_GATHER_TASKS);
  g_autoptr(BridgeFuture) all = NULL;
  g_autoptr(GPtrArray) children = NULL;
  g_autoptr(GError) error = NULL;
  double milliseconds;
  double start;

  /* Created, not yet run: the gather includes running them, as in asyncio. */
  for (guint i = 0; i < BENCH_GATHER_TASKS; i++)
    tasks[i] = BRIDGE_FUTURE (bridge_spawn (trivial_task, NULL, NULL));

  start = bench_time ();
  all = bridge_gather (tasks, BENCH_GATHER_TASKS, FALSE);
  children = bridge_await_pointer (all, &error);
  milliseconds = (bench_time () - start) * 1000;

  if (children == NULL || children->len != BENCH_GATHER_TASKS)
    bench_fail ("bridge_gather()", error);
  for (guint i = 0; i < BENCH_GATHER_TASKS; i++)
    bridge_future_unref (tasks[i]);
  return milliseconds;
}

static void
gather_main (BridgeTask *task,
             gpointer    user_data)
{
  Rounds *rounds = user_data;

  rounds->cold = gather_round ();
  rounds->warm = gather_round ();
}

static void
bench_gather (void)
{
  Rounds rounds = { 0 };

  run_main_task (gather_main, &rounds);
  bench_print (rounds.cold, "ms", "\"tasks\": %d, \"warm\": %.3f",
               BENCH_GATHER_TASKS, rounds.warm);
}

/* ---- queue: one producer, one consumer, 1M items through a bounded queue ------ */

static void
producer_task (BridgeTask *task,
               gpointer    user_data)
{
  BridgeQueue *queue = user_data;

  for (guint i = 1; i <= BENCH_QUEUE_ITEMS; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!bridge_queue_put (queue, GUINT_TO_POINTER (i), &error))
        bench_fail ("bridge_queue_put()", error);
    }
}

static void
consumer_task (BridgeTask *task,
               gpointer    user_data)
{
  BridgeQueue *queue = user_data;

  for (guint i = 1; i <= BENCH_QUEUE_ITEMS; i++)
    {
      g_autoptr(GError) error = NULL;
      gpointer item = NULL;

      if (!bridge_queue_get (queue, &item, &error) || GPOINTER_TO_UINT (item) != i)
        bench_fail ("bridge_queue_get()", error);
    }
}

static void
queue_main (BridgeTask *task,
            gpointer    user_data)
{
  g_autoptr(BridgeQueue) queue = bridge_queue_new (BENCH_QUEUE_MAXSIZE);
  g_autoptr(BridgeTask) consumer = NULL;
  g_autoptr(BridgeTask) producer = NULL;
  double *rate = user_data;
  double start = bench_time ();

  consumer = bridge_spawn (consumer_task, queue, NULL);
  producer = bridge_spawn (producer_task, queue, NULL);
  await_or_die (BRIDGE_FUTURE (producer));
  await_or_die (BRIDGE_FUTURE (consumer));

  *rate = BENCH_QUEUE_ITEMS / (bench_time () - start);
}

static void
bench_queue (void)
{
  double rate = 0;

  run_main_task (queue_main, &rate);
  bench_print (rate, "items/s", "\"items\": %d, \"maxsize\": %d",
               BENCH_QUEUE_ITEMS, BENCH_QUEUE_MAXSIZE);
}

/* ---- semaphore: 10k tasks through Semaphore(100), yielding while holding it ---- */

static void
semaphore_task (BridgeTask *task,
                gpointer    user_data)
{
  BridgeSemaphore *semaphore = user_data;
  g_autoptr(GError) error = NULL;

  if (!bridge_semaphore_acquire (semaphore, &error) ||
      !bridge_yield (&error) ||
      !bridge_semaphore_release (semaphore, &error))
    bench_fail ("semaphore worker", error);
}

static double
semaphore_round (void)
{
  g_autoptr(BridgeSemaphore) semaphore = bridge_semaphore_new (BENCH_SEMAPHORE_VALUE, FALSE);
  g_autofree BridgeTask **tasks = g_new (BridgeTask *, BENCH_SEMAPHORE_TASKS);
  double start = bench_time ();

  for (guint i = 0; i < BENCH_SEMAPHORE_TASKS; i++)
    tasks[i] = bridge_spawn (semaphore_task, semaphore, NULL);
  for (guint i = 0; i < BENCH_SEMAPHORE_TASKS; i++)
    {
      await_or_die (BRIDGE_FUTURE (tasks[i]));
      bridge_task_unref (tasks[i]);
    }

  return BENCH_SEMAPHORE_TASKS / (bench_time () - start);
}

static void
semaphore_main (BridgeTask *task,
                gpointer    user_data)
{
  Rounds *rounds = user_data;

  rounds->cold = semaphore_round ();
  rounds->warm = semaphore_round ();
}

static void
bench_semaphore (void)
{
  Rounds rounds = { 0 };

  run_main_task (semaphore_main, &rounds);
  bench_print (rounds.cold, "tasks/s", "\"tasks\": %d, \"permits\": %d, \"warm\": %.0f",
               BENCH_SEMAPHORE_TASKS, BENCH_SEMAPHORE_VALUE, rounds.warm);
}

/* ---- taskgroup: a task group of 100k trivial children ------------------------- */

static double
taskgroup_round (void)
{
  g_autoptr(BridgeTaskGroup) group = NULL;
  g_autoptr(GError) error = NULL;
  double start = bench_time ();

  /* From entering the group to leaving it, as `async with TaskGroup()`. */
  group = bridge_task_group_new ();
  for (guint i = 0; i < BENCH_TASKGROUP_CHILDREN; i++)
    if (bridge_task_group_spawn (group, trivial_task, NULL, NULL, &error) == NULL)
      bench_fail ("bridge_task_group_spawn()", error);
  if (!bridge_task_group_wait (group, &error))
    bench_fail ("bridge_task_group_wait()", error);

  return BENCH_TASKGROUP_CHILDREN / (bench_time () - start);
}

static void
taskgroup_main (BridgeTask *task,
                gpointer    user_data)
{
  Rounds *rounds = user_data;

  rounds->cold = taskgroup_round ();
  rounds->warm = taskgroup_round ();
}

static void
bench_taskgroup (void)
{
  Rounds rounds = { 0 };

  run_main_task (taskgroup_main, &rounds);
  bench_print (rounds.cold, "children/s", "\"children\": %d, \"warm\": %.0f",
               BENCH_TASKGROUP_CHILDREN, rounds.warm);
}

/* ---- thread: 100k bridge_run_in_thread() round trips, and on an executor ---------- */

/* A round trip: a job handed to the shared pool, run on a worker, its result
 * back on the loop and the awaiting task resumed. First one at a time (each
 * awaited before the next is started), which is the figure; then the same
 * number again with 20 tasks each keeping one job in flight ("in_flight_20"). */

static void
thread_job (BridgeFuture *future,
            gpointer      user_data,
            GCancellable *cancellable)
{
  bridge_future_set_int64 (future, GPOINTER_TO_SIZE (user_data) + 1, NULL);
}

/* @executor NULL: bridge_run_in_thread(), the shared pool. */
static void
executor_round_trips (BridgeExecutor *executor,
                      guint           n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      BridgeFuture *future = executor != NULL ?
                             bridge_run_in_executor (executor, thread_job, GSIZE_TO_POINTER (i), NULL) :
                             bridge_run_in_thread (thread_job, GSIZE_TO_POINTER (i), NULL);

      if (bridge_await_int64 (future, &error) != (gint64) i + 1)
        bench_fail (executor != NULL ? "bridge_run_in_executor()" : "bridge_run_in_thread()", error);
      bridge_future_unref (future);
    }
}

static void
thread_round_trips (guint n)
{
  executor_round_trips (NULL, n);
}

static void
thread_worker_task (BridgeTask *task,
                    gpointer    user_data)
{
  thread_round_trips (BENCH_THREAD_ROUND_TRIPS / BENCH_THREAD_IN_FLIGHT);
}

static void
thread_main (BridgeTask *task,
             gpointer    user_data)
{
  Rounds *rates = user_data;
  BridgeTask *workers[BENCH_THREAD_IN_FLIGHT];
  double start = bench_time ();

  thread_round_trips (BENCH_THREAD_ROUND_TRIPS);
  rates->cold = BENCH_THREAD_ROUND_TRIPS / (bench_time () - start);

  start = bench_time ();
  for (guint i = 0; i < BENCH_THREAD_IN_FLIGHT; i++)
    workers[i] = bridge_spawn (thread_worker_task, NULL, NULL);
  for (guint i = 0; i < BENCH_THREAD_IN_FLIGHT; i++)
    {
      await_or_die (BRIDGE_FUTURE (workers[i]));
      bridge_task_unref (workers[i]);
    }
  rates->warm = BENCH_THREAD_ROUND_TRIPS / (bench_time () - start);
}

/* The same one-at-a-time round trips on an executor of its own, as large as
 * the shared pool (loop.run_in_executor (ThreadPoolExecutor ()) in asyncio). */
static void
executor_main (BridgeTask *task,
               gpointer    user_data)
{
  double *rate = user_data;
  g_autoptr(BridgeExecutor) executor = bridge_executor_new ("bench", bridge_thread_get_max_threads ());
  double start = bench_time ();

  executor_round_trips (executor, BENCH_THREAD_ROUND_TRIPS);
  *rate = BENCH_THREAD_ROUND_TRIPS / (bench_time () - start);
  bridge_executor_shutdown (executor, TRUE);
}

static void
bench_thread (void)
{
  Rounds rates = { 0 };
  double executor_rate = 0;

  run_main_task (thread_main, &rates);
  run_main_task (executor_main, &executor_rate);
  bench_print (rates.cold, "round trips/s",
               "\"round_trips\": %d, \"in_flight_20\": %.0f, \"max_threads\": %u, "
               "\"run_in_executor\": %.0f",
               BENCH_THREAD_ROUND_TRIPS, rates.warm, bridge_thread_get_max_threads (),
               executor_rate);
}

/* ---- the table --------------------------------------------------------------- */

/* bench/run asks for this list: a workload it knows but that is missing here
 * is reported as not built. */
static const BenchWorkload workloads[] = {
  { "spawn", bench_spawn },
  { "pingpong", bench_pingpong },
  { "yield", bench_yield },
  { "timers", bench_timers },
  { "threadsafe", bench_threadsafe },
  { "parked-memory", bench_parked_memory },
  { "parked-1m", bench_parked_1m },
  { "frames", bench_frames },
  { "timer-latency", bench_timer_latency },
  { "gather", bench_gather },
  { "queue", bench_queue },
  { "semaphore", bench_semaphore },
  { "taskgroup", bench_taskgroup },
  { "thread", bench_thread },
};

int
main (int    argc,
      char **argv)
{
  g_set_prgname ("bench-core");
  return bench_main (workloads, G_N_ELEMENTS (workloads), argc, argv);
}
