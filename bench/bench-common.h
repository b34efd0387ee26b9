/* bench-common.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Workload sizes shared by the libbridge and the raw GLib programs; the
 * Python peers (bench/peers/asyncio_bench.py) use the same numbers. */
#define BENCH_SPAWN_TASKS         100000
#define BENCH_PINGPONG_ROUNDS     1000000
#define BENCH_YIELDS_PER_TASK     1000000
#define BENCH_TIMERS              100000
#define BENCH_TIMER_SPREAD        0.010      /* seconds: delays lie in [0, 10 ms) */
#define BENCH_THREADS             4
#define BENCH_CALLS_PER_THREAD    50000
#define BENCH_PARKED_TASKS        100000
#define BENCH_PARKED_1M_TASKS     1000000
#define BENCH_FRAMES_HZ           60
#define BENCH_FRAMES_SLOTS        120        /* 2 s at 60 Hz */
#define BENCH_GATHER_TASKS        10000
#define BENCH_QUEUE_ITEMS         1000000
#define BENCH_QUEUE_MAXSIZE       100
#define BENCH_SEMAPHORE_TASKS     10000
#define BENCH_SEMAPHORE_VALUE     100
#define BENCH_TASKGROUP_CHILDREN  100000
#define BENCH_THREAD_ROUND_TRIPS  100000
#define BENCH_THREAD_IN_FLIGHT    20

/* One workload: runs, then prints its figure with bench_print(). */
typedef struct
{
  const char *name;
  void      (*run) (void);
} BenchWorkload;

int       bench_main               (const BenchWorkload *workloads,
                                    gsize                n_workloads,
                                    int                  argc,
                                    char               **argv);

double    bench_time               (void);
gint64    bench_read_rss_kib       (void);
double    bench_timer_delay        (guint                index);
void      bench_print              (double               value,
                                    const char          *unit,
                                    const char          *extra_format,
                                    ...) G_GNUC_PRINTF (3, 4);
G_NORETURN
void      bench_fail               (const char          *what,
                                    const GError        *error);

/* A stand-in for a frame clock: a source at GTK's redraw priority that
 * wants to run once per 1/60 s slot, on an absolute schedule. */
typedef struct _BenchTicker BenchTicker;

BenchTicker *bench_ticker_new          (GMainContext *context,
                                        int           priority,
                                        guint         hz,
                                        guint         n_slots);
gint64       bench_ticker_get_end      (BenchTicker  *ticker);
gboolean     bench_ticker_is_over      (BenchTicker  *ticker);
void         bench_ticker_finish       (BenchTicker  *ticker,
                                        double        busy_rate,
                                        const char   *busy_unit);

G_END_DECLS
