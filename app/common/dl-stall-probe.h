/* dl-stall-probe.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The probe keeps one maximum per bucket; the window is the last
 * DL_STALL_PROBE_N_BUCKETS buckets. */
#define DL_STALL_PROBE_BUCKET_USEC  (250 * 1000)
#define DL_STALL_PROBE_N_BUCKETS    40

/* One sample of a recording (dl_stall_probe_start_recording()). */
typedef struct
{
  gint64 lateness;  /* µs */
  /* µs of @lateness that the main thread spent running, rather than
   * waiting for a CPU that other processes had: the stall it caused
   * itself. In a virtual machine, time the host takes the whole CPU away
   * still counts as running. */
  gint64 busy;
} DlStallSample;

#define DL_TYPE_STALL_PROBE (dl_stall_probe_get_type ())

G_DECLARE_FINAL_TYPE (DlStallProbe, dl_stall_probe, DL, STALL_PROBE, GObject)

DlStallProbe *dl_stall_probe_new          (GMainContext  *context) G_GNUC_WARN_UNUSED_RESULT;
gint64        dl_stall_probe_get_worst    (DlStallProbe  *self);
void          dl_stall_probe_get_history  (DlStallProbe  *self,
                                           gint64         history[DL_STALL_PROBE_N_BUCKETS]);
guint64       dl_stall_probe_get_n_samples (DlStallProbe *self);
void          dl_stall_probe_start_recording (DlStallProbe *self);
GArray       *dl_stall_probe_stop_recording  (DlStallProbe *self) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
