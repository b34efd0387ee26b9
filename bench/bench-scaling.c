/* bench-scaling.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <libbridge.h>

#include "bench-common.h"

/* How cost grows with the amount of work: `bench-scaling WORKLOAD N` runs one
 * workload at size N in a fresh loop and prints {"value": nanoseconds per
 * operation, "unit": "ns/op", "n": N, …}. bench/run's scaling mode runs each
 * workload at 10k, 100k and 1M here and in bench/peers/asyncio_scaling.py, which
 * mirrors every workload line for line. */

typedef struct
{
  guint  n;
  double seconds;
  gint64 rss_before_kib;
  gint64 rss_peak_kib;
} Scaling;

static void
await_or_die (BridgeFuture *future)
{
  g_autoptr(GError) error = NULL;

  if (!bridge_await (future, &error))
    bench_fail ("bridge_await()", error);
}

static void
trivial_task (BridgeTask *task,
              gpointer    user_data)
{
}

/* ---- spawn: N trivial tasks, then await each ----------------------------------- */

static void
spawn_main (BridgeTask *task,
            gpointer    user_data)
{
  Scaling *scaling = user_data;
  g_autofree BridgeTask **tasks = g_new (BridgeTask *, scaling->n);
  double start = bench_time ();

  for (guint i = 0; i < scaling->n; i++)
    tasks[i] = bridge_spawn (trivial_task, NULL, NULL);
  for (guint i = 0; i < scaling->n; i++)
    {
      await_or_die (BRIDGE_FUTURE (tasks[i]));
      bridge_task_unref (tasks[i]);
    }
  scaling->seconds = bench_time () - start;
}

/* ---- timers: N call_later() with delays spread over [0, N × 100 ns) -------------- */

typedef struct
{
  BridgeFuture *all_fired;
  guint         fired;
  guint         n;
  double        last_fired;
} Timers;

static void
timer_fired (gpointer user_data)
{
  Timers *timers = user_data;

  if (++timers->fired == timers->n)
    {
      timers->last_fired = bench_time ();
      bridge_future_set_boolean (timers->all_fired, TRUE, NULL);
    }
}

/* The same permutation of evenly spaced delays as bench_timer_delay(), over
 * N slots instead of a fixed count, so the heap sees every order of insertion
 * at every size. The spread grows with N (the timers workload's density:
 * 100k timers in 10 ms), so at every size the loop is busy firing timers
 * rather than waiting for the next one to fall due. */
#define TIMER_SLOT_SECONDS (BENCH_TIMER_SPREAD / BENCH_TIMERS)

static double
timer_delay (guint index,
             guint n)
{
  return (double) (((guint64) index * 7919) % n) * TIMER_SLOT_SECONDS;
}

static void
timers_main (BridgeTask *task,
             gpointer    user_data)
{
  Scaling *scaling = user_data;
  BridgeLoop *loop = bridge_loop_get_default ();
  Timers timers = { .all_fired = bridge_future_new (), .n = scaling->n };
  double start = bench_time ();

  for (guint i = 0; i < scaling->n; i++)
    bridge_loop_call_later (loop, timer_delay (i, scaling->n), timer_fired, &timers, NULL);
  await_or_die (timers.all_fired);
  bridge_future_unref (timers.all_fired);
  scaling->seconds = timers.last_fired - start;
}

/* ---- gather: one gather over N tasks created before the clock starts ----------- */

static void
gather_main (BridgeTask *task,
             gpointer    user_data)
{
  Scaling *scaling = user_data;
  g_autofree BridgeFuture **tasks = g_new (BridgeFuture *, scaling->n);
  g_autoptr(BridgeFuture) all = NULL;
  g_autoptr(GPtrArray) children = NULL;
  g_autoptr(GError) error = NULL;
  double start;

  for (guint i = 0; i < scaling->n; i++)
    tasks[i] = BRIDGE_FUTURE (bridge_spawn (trivial_task, NULL, NULL));

  start = bench_time ();
  all = bridge_gather (tasks, scaling->n, FALSE);
  children = bridge_await_pointer (all, &error);
  scaling->seconds = bench_time () - start;

  if (children == NULL || children->len != scaling->n)
    bench_fail ("bridge_gather()", error);
  for (guint i = 0; i < scaling->n; i++)
    bridge_future_unref (tasks[i]);
}

/* ---- queue: N items from one producer to one consumer through Queue(100) -------- */

typedef struct
{
  BridgeQueue *queue;
  guint        n;
} QueueWork;

static void
producer_task (BridgeTask *task,
               gpointer    user_data)
{
  QueueWork *work = user_data;

  for (guint i = 1; i <= work->n; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!bridge_queue_put (work->queue, GUINT_TO_POINTER (i), &error))
        bench_fail ("bridge_queue_put()", error);
    }
}

static void
consumer_task (BridgeTask *task,
               gpointer    user_data)
{
  QueueWork *work = user_data;

  for (guint i = 1; i <= work->n; i++)
    {
      g_autoptr(GError) error = NULL;
      gpointer item = NULL;

      if (!bridge_queue_get (work->queue, &item, &error) || GPOINTER_TO_UINT (item) != i)
        bench_fail ("bridge_queue_get()", error);
    }
}

static void
queue_main (BridgeTask *task,
            gpointer    user_data)
{
  Scaling *scaling = user_data;
  QueueWork work = { .queue = bridge_queue_new (BENCH_QUEUE_MAXSIZE), .n = scaling->n };
  g_autoptr(BridgeTask) consumer = NULL;
  g_autoptr(BridgeTask) producer = NULL;
  double start = bench_time ();

  consumer = bridge_spawn (consumer_task, &work, NULL);
  producer = bridge_spawn (producer_task, &work, NULL);
  await_or_die (BRIDGE_FUTURE (producer));
  await_or_die (BRIDGE_FUTURE (consumer));
  scaling->seconds = bench_time () - start;
  bridge_queue_unref (work.queue);
}

/* ---- parked: N tasks park on one future, then all are woken and awaited -------- */

typedef struct
{
  BridgeFuture *gate;
  BridgeFuture *all_parked;
  guint         parked;
  guint         n;
} Parked;

static void
parked_task (BridgeTask *task,
             gpointer    user_data)
{
  Parked *parked = user_data;

  if (++parked->parked == parked->n)
    bridge_future_set_boolean (parked->all_parked, TRUE, NULL);
  await_or_die (parked->gate);
}

static void
parked_main (BridgeTask *task,
             gpointer    user_data)
{
  Scaling *scaling = user_data;
  Parked parked = { .gate = bridge_future_new (), .all_parked = bridge_future_new (),
                    .n = scaling->n };
  g_autofree BridgeTask **tasks = g_new (BridgeTask *, scaling->n);
  double start;

  scaling->rss_before_kib = bench_read_rss_kib ();
  start = bench_time ();
  for (guint i = 0; i < scaling->n; i++)
    tasks[i] = bridge_spawn (parked_task, &parked, NULL);
  await_or_die (parked.all_parked);
  scaling->rss_peak_kib = bench_read_rss_kib ();

  bridge_future_set_boolean (parked.gate, TRUE, NULL);
  for (guint i = 0; i < scaling->n; i++)
    {
      await_or_die (BRIDGE_FUTURE (tasks[i]));
      bridge_task_unref (tasks[i]);
    }
  scaling->seconds = bench_time () - start;

  bridge_future_unref (parked.gate);
  bridge_future_unref (parked.all_parked);
}

/* ---- main ------------------------------------------------------------------------ */

static const struct
{
  const char     *name;
  BridgeTaskFunc  main;
} workloads[] = {
  { "spawn", spawn_main },
  { "timers", timers_main },
  { "gather", gather_main },
  { "queue", queue_main },
  { "parked", parked_main },
};

static int
usage (void)
{
  fprintf (stderr, "usage: bench-scaling --list | WORKLOAD N\nworkloads:");
  for (gsize i = 0; i < G_N_ELEMENTS (workloads); i++)
    fprintf (stderr, " %s", workloads[i].name);
  fprintf (stderr, "\n");
  return 2;
}

int
main (int    argc,
      char **argv)
{
  Scaling scaling = { 0 };
  g_autoptr(GError) error = NULL;
  guint64 n;

  if (argc == 2 && g_str_equal (argv[1], "--list"))
    {
      for (gsize i = 0; i < G_N_ELEMENTS (workloads); i++)
        printf ("%s\n", workloads[i].name);
      return EXIT_SUCCESS;
    }
  if (argc != 3 ||
      !g_ascii_string_to_unsigned (argv[2], 10, 1, G_MAXUINT32, &n, NULL))
    return usage ();

  scaling.n = n;
  for (gsize i = 0; i < G_N_ELEMENTS (workloads); i++)
    {
      if (!g_str_equal (argv[1], workloads[i].name))
        continue;
      if (!bridge_run (workloads[i].main, &scaling, &error))
        bench_fail ("bridge_run()", error);
      if (scaling.rss_peak_kib > 0)
        bench_print (scaling.seconds * 1e9 / scaling.n, "ns/op",
                     "\"n\": %u, \"kib_per_task\": %.3f", scaling.n,
                     (double) (scaling.rss_peak_kib - scaling.rss_before_kib) / scaling.n);
      else
        bench_print (scaling.seconds * 1e9 / scaling.n, "ns/op", "\"n\": %u", scaling.n);
      return EXIT_SUCCESS;
    }
  return usage ();
}
