/* dl-stall-probe.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-stall-probe"

#include "config.h"

#include <string.h>
#include <time.h>

#include "dl-stall-probe.h"

/* How often the probe asks to run. Its lateness is how long the main loop
 * was busy with something else: that is the stall a user would feel as a
 * frozen window. */
#define PROBE_INTERVAL_USEC 1000

typedef struct
{
  GSource  source;
  /* Borrowed: the probe destroys the source before it goes away. */
  DlStallProbe *probe;
} ProbeSource;

struct _DlStallProbe
{
  GObject       parent_instance;

  /* Owned */
  GSource      *source;
  GArray       *recording;        /* of DlStallSample, while recording */

  gint64        buckets[DL_STALL_PROBE_N_BUCKETS];
  gint64        current_bucket;   /* absolute bucket number of buckets[current % N] */
  guint64       n_samples;
  gint64        last_cpu;         /* thread CPU time at the last sample, while recording */
};

G_DEFINE_FINAL_TYPE (DlStallProbe, dl_stall_probe, G_TYPE_OBJECT)

/* Moves the ring forward to the bucket of @now, clearing the buckets no
 * sample fell into. */
static void
advance (DlStallProbe *self,
         gint64        now)
{
  gint64 bucket = now / DL_STALL_PROBE_BUCKET_USEC;

  if (bucket <= self->current_bucket)
    return;

  if (bucket - self->current_bucket >= DL_STALL_PROBE_N_BUCKETS)
    memset (self->buckets, 0, sizeof self->buckets);
  else
    for (gint64 b = self->current_bucket + 1; b <= bucket; b++)
      self->buckets[b % DL_STALL_PROBE_N_BUCKETS] = 0;

  self->current_bucket = bucket;
}

/* µs of CPU time the calling thread used, or -1 where that is unknown. */
static gint64
thread_cpu_time (void)
{
#ifdef CLOCK_THREAD_CPUTIME_ID
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
    return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
#endif
  return -1;
}

static void
record (DlStallProbe *self,
        gint64        now,
        gint64        lateness)
{
  gint64 *slot;

  advance (self, now);
  self->n_samples++;

  if (self->recording != NULL)
    {
      DlStallSample sample = { lateness, lateness };
      gint64 cpu = thread_cpu_time ();

      /* Since the last sample the thread slept about a millisecond in
       * poll(), then was late: if it ran for less than the lateness in
       * all that time, another process had the CPU for the rest. */
      if (cpu >= 0 && self->last_cpu >= 0)
        sample.busy = MIN (lateness, cpu - self->last_cpu);
      self->last_cpu = cpu;
      g_array_append_val (self->recording, sample);
    }

  /* A stall belongs to the bucket in which it ended; a stall longer than a
   * bucket is still one stall, shown once at its full length. */
  slot = &self->buckets[self->current_bucket % DL_STALL_PROBE_N_BUCKETS];
  if (lateness > *slot)
    *slot = lateness;
}

static gboolean
probe_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  ProbeSource *ps = (ProbeSource *) source;
  gint64 now = g_get_monotonic_time ();
  gint64 due = g_source_get_ready_time (source);

  if (ps->probe != NULL && due > 0)
    record (ps->probe, now, MAX (now - due, 0));

  g_source_set_ready_time (source, now + PROBE_INTERVAL_USEC);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs probe_funcs = {
  .dispatch = probe_dispatch,
};

static void
dl_stall_probe_dispose (GObject *object)
{
  DlStallProbe *self = (DlStallProbe *) object;

  if (self->source != NULL)
    {
      ((ProbeSource *) self->source)->probe = NULL;
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
  g_clear_pointer (&self->recording, g_array_unref);

  G_OBJECT_CLASS (dl_stall_probe_parent_class)->dispose (object);
}

static void
dl_stall_probe_class_init (DlStallProbeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dl_stall_probe_dispose;
}

static void
dl_stall_probe_init (DlStallProbe *self)
{
  self->current_bucket = g_get_monotonic_time () / DL_STALL_PROBE_BUCKET_USEC;
}

/**
 * dl_stall_probe_new:
 * @context: (nullable): the context to watch, %NULL for the default one
 *
 * Starts measuring how late a source at default priority gets to run on
 * @context: a timer that wants to run every millisecond records by how much
 * it missed its time. Stops when the probe is disposed.
 *
 * Returns: (transfer full): a new probe
 */
DlStallProbe *
dl_stall_probe_new (GMainContext *context)
{
  DlStallProbe *self = g_object_new (DL_TYPE_STALL_PROBE, NULL);
  ProbeSource *ps;

  self->source = g_source_new (&probe_funcs, sizeof (ProbeSource));
  ps = (ProbeSource *) self->source;
  ps->probe = self;
  g_source_set_priority (self->source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (self->source, "[dl] stall probe");
  g_source_set_ready_time (self->source, g_get_monotonic_time () + PROBE_INTERVAL_USEC);
  g_source_attach (self->source, context);

  return self;
}

/**
 * dl_stall_probe_get_worst:
 * @self: a #DlStallProbe
 *
 * Returns: the longest stall, in microseconds, over the last
 *   %DL_STALL_PROBE_N_BUCKETS × %DL_STALL_PROBE_BUCKET_USEC (10 s)
 */
gint64
dl_stall_probe_get_worst (DlStallProbe *self)
{
  gint64 worst = 0;

  g_return_val_if_fail (DL_IS_STALL_PROBE (self), 0);

  advance (self, g_get_monotonic_time ());
  for (guint i = 0; i < DL_STALL_PROBE_N_BUCKETS; i++)
    worst = MAX (worst, self->buckets[i]);
  return worst;
}

/**
 * dl_stall_probe_get_history:
 * @self: a #DlStallProbe
 * @history: (out caller-allocates): the worst stall of each bucket in µs,
 *   oldest first
 */
void
dl_stall_probe_get_history (DlStallProbe *self,
                            gint64        history[DL_STALL_PROBE_N_BUCKETS])
{
  g_return_if_fail (DL_IS_STALL_PROBE (self));

  advance (self, g_get_monotonic_time ());
  for (guint i = 0; i < DL_STALL_PROBE_N_BUCKETS; i++)
    {
      gint64 bucket = self->current_bucket - (DL_STALL_PROBE_N_BUCKETS - 1) + i;

      history[i] = self->buckets[bucket % DL_STALL_PROBE_N_BUCKETS];
    }
}

/**
 * dl_stall_probe_get_n_samples:
 * @self: a #DlStallProbe
 *
 * Returns: how many times the probe ran (tests use it to know it is alive)
 */
guint64
dl_stall_probe_get_n_samples (DlStallProbe *self)
{
  g_return_val_if_fail (DL_IS_STALL_PROBE (self), 0);

  return self->n_samples;
}

/**
 * dl_stall_probe_start_recording:
 * @self: a #DlStallProbe
 *
 * Keeps every sample from now on, not only the worst of each bucket: a
 * percentile needs them all (the measurement mode, dl-measure.c). Starting
 * again drops what was recorded so far. Must be called from the thread
 * that runs the probe's context.
 */
void
dl_stall_probe_start_recording (DlStallProbe *self)
{
  g_return_if_fail (DL_IS_STALL_PROBE (self));

  g_clear_pointer (&self->recording, g_array_unref);
  /* A second at 1 kHz, so that a 10 s window reallocates a few times only. */
  self->recording = g_array_sized_new (FALSE, FALSE, sizeof (DlStallSample), 1024);
  self->last_cpu = thread_cpu_time ();
}

/**
 * dl_stall_probe_stop_recording:
 * @self: a #DlStallProbe
 *
 * Returns: (transfer full) (element-type DlStallSample): every sample
 *   since dl_stall_probe_start_recording(), in the order they were taken;
 *   empty if recording was not started
 */
GArray *
dl_stall_probe_stop_recording (DlStallProbe *self)
{
  GArray *samples;

  g_return_val_if_fail (DL_IS_STALL_PROBE (self), NULL);

  samples = g_steal_pointer (&self->recording);
  if (samples == NULL)
    samples = g_array_new (FALSE, FALSE, sizeof (DlStallSample));
  return samples;
}
