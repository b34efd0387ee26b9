/* dl-segment-plan.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One byte range of a file fetched in parts. Bytes [start, received) have
 * come from the network, [start, written) are in the file, [start,
 * durable) are synced. */
typedef struct
{
  gint64   start;
  gint64   end;        /* one past the last byte; moves down when split */
  gint64   received;
  gint64   written;
  gint64   durable;
  gboolean active;     /* a connection fetches it */
} DlSegment;

/* Which byte ranges of a file are fetched, by which connection, and how far
 * each got (see dl-segment-plan.c). */
typedef struct _DlSegmentPlan DlSegmentPlan;

DlSegmentPlan   *dl_segment_plan_new              (gint64          size,
                                                   gint64          min_split);
void             dl_segment_plan_free             (DlSegmentPlan  *self);
gboolean         dl_segment_plan_restore          (DlSegmentPlan  *self,
                                                   gint64          start,
                                                   gint64          end,
                                                   gint64          durable);
void             dl_segment_plan_fill_gaps        (DlSegmentPlan  *self);
gint64           dl_segment_plan_get_size         (DlSegmentPlan  *self);
guint            dl_segment_plan_get_n_segments   (DlSegmentPlan  *self);
DlSegment       *dl_segment_plan_get              (DlSegmentPlan  *self,
                                                   guint           index);
int              dl_segment_plan_take             (DlSegmentPlan  *self);
void             dl_segment_plan_release          (DlSegmentPlan  *self,
                                                   guint           index);
guint            dl_segment_plan_get_n_active     (DlSegmentPlan  *self);
gboolean         dl_segment_plan_has_work         (DlSegmentPlan  *self);
gboolean         dl_segment_plan_is_complete      (DlSegmentPlan  *self);
gint64           dl_segment_plan_get_received     (DlSegmentPlan  *self);
gint64           dl_segment_plan_get_contiguous   (DlSegmentPlan  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlSegmentPlan, dl_segment_plan_free)

G_END_DECLS
