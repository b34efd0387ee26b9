/* bench-timer-floor.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The machine's own floor for the stall benchmarks (app-stall,
 * app-remove-stall, qt-stall): a program that does nothing but sleep 1 ms
 * at a time, run beside the measured app under the same load, and as late
 * to wake as the kernel and the hypervisor make it. No main loop can be
 * less late than this.
 *
 *   bench-timer-floor SECONDS
 *
 * prints, once SECONDS are over or SIGTERM came, one line per wake-up that
 * came 0.5 ms or more late:
 *
 *   LATE <CLOCK_MONOTONIC µs of the wake-up> <lateness µs>
 *
 * then "SAMPLES <n>". bench/app_stall.py and bench/qt_stall.py keep the
 * lines that fall within the app's own measurement. */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <glib.h>

#define INTERVAL_USEC  1000
#define REPORT_USEC    500

static volatile sig_atomic_t stopped;

static void
stop_cb (int signum)
{
  stopped = 1;
}

static gint64
monotonic_usec (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GArray) late = g_array_new (FALSE, FALSE, sizeof (gint64));
  double seconds = argc > 1 ? g_ascii_strtod (argv[1], NULL) : 0.0;
  gint64 end;
  guint64 samples = 0;

  if (argc != 2 || seconds <= 0.0 || seconds > 3600.0)
    {
      fprintf (stderr, "usage: %s SECONDS (at most 3600)\n", argv[0]);
      return 2;
    }

  signal (SIGTERM, stop_cb);
  end = monotonic_usec () + (gint64) (seconds * G_USEC_PER_SEC);
  for (gint64 now = monotonic_usec (); now < end && !stopped; samples++)
    {
      struct timespec interval = { 0, INTERVAL_USEC * 1000 };
      gint64 due = now + INTERVAL_USEC;
      gint64 lateness;

      while (nanosleep (&interval, &interval) != 0 && errno == EINTR && !stopped)
        ;
      now = monotonic_usec ();
      lateness = now - due;
      if (lateness >= REPORT_USEC)
        {
          g_array_append_val (late, now);
          g_array_append_val (late, lateness);
        }
    }

  /* Printed at the end: writing while measuring would add its own wake-ups. */
  for (guint i = 0; i + 1 < late->len; i += 2)
    printf ("LATE %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n",
            g_array_index (late, gint64, i), g_array_index (late, gint64, i + 1));
  printf ("SAMPLES %" G_GUINT64_FORMAT "\n", samples);
  return 0;
}
