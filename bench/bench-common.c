/* bench-common.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-common.h"

/* Every benchmark program takes one workload name and prints one JSON object
 * on stdout: {"value": N, "unit": "…", …extra keys}. bench/run starts a fresh
 * process per run, so allocator and stack-pool state never carry over from one
 * run to the next, and the memory figures start from a clean process. */

int
bench_main (const BenchWorkload  *workloads,
            gsize                 n_workloads,
            int                   argc,
            char                **argv)
{
  if (argc == 2 && g_str_equal (argv[1], "--list"))
    {
      for (gsize i = 0; i < n_workloads; i++)
        printf ("%s\n", workloads[i].name);
      return EXIT_SUCCESS;
    }

  if (argc == 2)
    {
      for (gsize i = 0; i < n_workloads; i++)
        {
          if (g_str_equal (argv[1], workloads[i].name))
            {
              workloads[i].run ();
              return EXIT_SUCCESS;
            }
        }
    }

  fprintf (stderr, "usage: %s --list | WORKLOAD\nworkloads:", g_get_prgname ());
  for (gsize i = 0; i < n_workloads; i++)
    fprintf (stderr, " %s", workloads[i].name);
  fprintf (stderr, "\n");
  return 2;
}

/* Seconds on CLOCK_MONOTONIC, with nanosecond resolution: the clock Python's
 * time.perf_counter() reads too. */
double
bench_time (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The resident set size of this process in KiB (VmRSS), or -1. */
gint64
bench_read_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "\nVmRSS:");
  if (line == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen ("\nVmRSS:"), NULL, 10);
}

/* The delay of timer @index: a fixed permutation of BENCH_TIMERS evenly spaced
 * values in [0, BENCH_TIMER_SPREAD), so timers are not scheduled in firing
 * order. 7919 is prime, hence coprime to BENCH_TIMERS. */
double
bench_timer_delay (guint index)
{
  guint64 slot = ((guint64) index * 7919) % BENCH_TIMERS;

  return slot * (BENCH_TIMER_SPREAD / BENCH_TIMERS);
}

void
bench_print (double      value,
             const char *unit,
             const char *extra_format,
             ...)
{
  g_autoptr(GString) line = g_string_new (NULL);
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (line, "{\"value\": %s, \"unit\": \"%s\"",
                          g_ascii_formatd (number, sizeof number, "%.6g", value), unit);
  if (extra_format != NULL)
    {
      va_list args;

      g_string_append (line, ", ");
      va_start (args, extra_format);
      g_string_append_vprintf (line, extra_format, args);
      va_end (args);
    }
  g_string_append (line, "}\n");

  fputs (line->str, stdout);
  fflush (stdout);
}

void
bench_fail (const char   *what,
            const GError *error)
{
  fprintf (stderr, "%s: %s failed: %s\n", g_get_prgname (), what,
           error != NULL ? error->message : "(no error)");
  exit (EXIT_FAILURE);
}

/* ---- the frame ticker ------------------------------------------------------- */

/* A plain g_timeout_add() would not do here: GLib re-arms a timeout relative
 * to when it was dispatched, so every late tick pushes all later ticks back and
 * the count would measure dispatch latency, not starvation. A frame clock
 * instead runs once per display refresh on a fixed grid; a frame is lost only
 * when the source does not run at all during its slot. That is what this
 * source counts: slot k runs from start + k/hz to start + (k+1)/hz, and the
 * source re-arms itself for the next slot boundary with
 * g_source_set_ready_time().
 *
 * For comparison a plain g_timeout source of 1000/60 = 16 ms at the same
 * priority runs alongside; its count goes into the details ("timeout_ticks",
 * against what an idle loop would give in the same window). */

struct _BenchTicker
{
  GSource source;
  gint64  start;
  gint64  end;          /* busy work stops half a slot after the last boundary */
  guint   hz;
  guint   n_slots;
  guint   delivered;
  gint64  last_tick;
  gint64  max_gap;

  GSource *timeout;
  guint    timeout_interval_ms;
  guint    timeout_ticks;
};

static gint64
ticker_boundary (BenchTicker *ticker,
                 gint64       slot)
{
  return ticker->start + slot * G_USEC_PER_SEC / ticker->hz;
}

static gboolean
ticker_dispatch (GSource     *source,
                 GSourceFunc  callback,
                 gpointer     user_data)
{
  BenchTicker *ticker = (BenchTicker *) source;
  gint64 now = g_get_monotonic_time ();
  gint64 slot = (now - ticker->start) * ticker->hz / G_USEC_PER_SEC;

  if (slot >= 1 && slot <= ticker->n_slots && now < ticker->end)
    {
      ticker->delivered++;
      ticker->max_gap = MAX (ticker->max_gap, now - ticker->last_tick);
      ticker->last_tick = now;
    }

  g_source_set_ready_time (source, ticker_boundary (ticker, slot + 1));
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs ticker_funcs = {
  .dispatch = ticker_dispatch,
};

static gboolean
ticker_timeout_cb (gpointer user_data)
{
  BenchTicker *ticker = user_data;

  if (g_get_monotonic_time () < ticker->end)
    ticker->timeout_ticks++;
  return G_SOURCE_CONTINUE;
}

BenchTicker *
bench_ticker_new (GMainContext *context,
                  int           priority,
                  guint         hz,
                  guint         n_slots)
{
  BenchTicker *ticker = (BenchTicker *) g_source_new (&ticker_funcs, sizeof (BenchTicker));

  ticker->start = ticker->last_tick = g_get_monotonic_time ();
  ticker->hz = hz;
  ticker->n_slots = n_slots;
  ticker->end = ticker->start + (2 * (gint64) n_slots + 1) * G_USEC_PER_SEC / (2 * hz);

  g_source_set_static_name ((GSource *) ticker, "[bench] frame ticker");
  g_source_set_priority ((GSource *) ticker, priority);
  g_source_set_ready_time ((GSource *) ticker, ticker_boundary (ticker, 1));
  g_source_attach ((GSource *) ticker, context);

  ticker->timeout_interval_ms = 1000 / hz;
  ticker->timeout = g_timeout_source_new (ticker->timeout_interval_ms);
  g_source_set_static_name (ticker->timeout, "[bench] 60 Hz g_timeout");
  g_source_set_priority (ticker->timeout, priority);
  g_source_set_callback (ticker->timeout, ticker_timeout_cb, ticker, NULL);
  g_source_attach (ticker->timeout, context);
  return ticker;
}

gint64
bench_ticker_get_end (BenchTicker *ticker)
{
  return ticker->end;
}

gboolean
bench_ticker_is_over (BenchTicker *ticker)
{
  return g_get_monotonic_time () >= ticker->end;
}

/* Prints the frames figure (percentage of slots in which the ticker ran) and
 * frees the ticker. @busy_rate says how hard the loop was kept busy. */
void
bench_ticker_finish (BenchTicker *ticker,
                     double       busy_rate,
                     const char  *busy_unit)
{
  guint timeout_expected = (ticker->end - ticker->start) / (ticker->timeout_interval_ms * 1000);

  bench_print (100.0 * ticker->delivered / ticker->n_slots, "%",
               "\"ticks\": %u, \"expected\": %u, \"max_gap_ms\": %.2f, "
               "\"timeout_ticks\": %u, \"timeout_expected\": %u, "
               "\"busy\": %.0f, \"busy_unit\": \"%s\"",
               ticker->delivered, ticker->n_slots, ticker->max_gap / 1000.0,
               ticker->timeout_ticks, timeout_expected, busy_rate, busy_unit);

  g_source_destroy (ticker->timeout);
  g_source_unref (ticker->timeout);
  g_source_destroy ((GSource *) ticker);
  g_source_unref ((GSource *) ticker);
}
