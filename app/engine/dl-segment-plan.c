/* dl-segment-plan.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "dl-segment-plan.h"

/* The bookkeeping of a file fetched over several connections, without any
 * I/O: which byte ranges there are, which connection fetches which, and
 * how far each got.
 *
 * The ranges always cover the whole file without overlapping. A connection
 * takes a range nobody fetches; when there is none, it splits the active
 * range with the most left to fetch and takes its second half, if that
 * half is at least the minimum split size (aria2's dynamic splitting): a
 * fresh file starts as one range, and the first N connections cut it into
 * N; later, connections that finish early take over the end of a slow
 * one's range, so no single slow connection holds the end back. The
 * connection whose range was cut stops at its new end.
 *
 * A range that a connection gives back (it stalled, or its connection
 * dropped) keeps what was written, and the next taker continues after it. */

/* Split points are rounded down to this, the alignment of direct writes. */
#define SPLIT_ALIGN 4096

struct _DlSegmentPlan
{
  gint64  size;
  gint64  min_split;
  GArray *segments;   /* DlSegment; indices stay valid: ranges are only added */
};

DlSegmentPlan *
dl_segment_plan_new (gint64 size,
                     gint64 min_split)
{
  DlSegmentPlan *self = g_new0 (DlSegmentPlan, 1);

  g_return_val_if_fail (size > 0, NULL);

  self->size = size;
  self->min_split = MAX (min_split, 1);
  self->segments = g_array_new (FALSE, TRUE, sizeof (DlSegment));
  return self;
}

void
dl_segment_plan_free (DlSegmentPlan *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->segments);
  g_free (self);
}

static gboolean
overlaps (DlSegmentPlan *self,
          gint64         start,
          gint64         end)
{
  for (guint i = 0; i < self->segments->len; i++)
    {
      DlSegment *segment = &g_array_index (self->segments, DlSegment, i);

      if (start < segment->end && segment->start < end)
        return TRUE;
    }
  return FALSE;
}

static guint
append (DlSegmentPlan *self,
        gint64         start,
        gint64         end,
        gint64         durable)
{
  DlSegment segment = { start, end, durable, durable, durable, FALSE };

  g_array_append_val (self->segments, segment);
  return self->segments->len - 1;
}

/* Adds the range [@start, @end), synced up to @durable (as recorded
 * before a restart). Returns %FALSE, adding nothing, for a range that does
 * not fit the file or overlaps another. */
gboolean
dl_segment_plan_restore (DlSegmentPlan *self,
                         gint64         start,
                         gint64         end,
                         gint64         durable)
{
  if (start < 0 || end <= start || end > self->size || durable < start || durable > end ||
      overlaps (self, start, end))
    return FALSE;

  append (self, start, end, durable);
  return TRUE;
}

static int
compare_start (gconstpointer a,
               gconstpointer b)
{
  const DlSegment *x = a, *y = b;

  return (x->start > y->start) - (x->start < y->start);
}

/* Adds a range, with nothing fetched, for every part of the file no range
 * covers: after dl_segment_plan_new() that is the whole file. */
void
dl_segment_plan_fill_gaps (DlSegmentPlan *self)
{
  g_autoptr(GArray) sorted = g_array_copy (self->segments);
  gint64 pos = 0;

  g_array_sort (sorted, compare_start);
  for (guint i = 0; i <= sorted->len; i++)
    {
      gint64 next = i < sorted->len ? g_array_index (sorted, DlSegment, i).start : self->size;

      if (next > pos)
        append (self, pos, next, pos);
      if (i < sorted->len)
        pos = g_array_index (sorted, DlSegment, i).end;
    }
}

gint64
dl_segment_plan_get_size (DlSegmentPlan *self)
{
  return self->size;
}

guint
dl_segment_plan_get_n_segments (DlSegmentPlan *self)
{
  return self->segments->len;
}

DlSegment *
dl_segment_plan_get (DlSegmentPlan *self,
                     guint          index)
{
  g_return_val_if_fail (index < self->segments->len, NULL);

  return &g_array_index (self->segments, DlSegment, index);
}

/* The idle range with bytes left that starts first, or -1. */
static int
find_idle (DlSegmentPlan *self)
{
  int best = -1;

  for (guint i = 0; i < self->segments->len; i++)
    {
      DlSegment *segment = &g_array_index (self->segments, DlSegment, i);

      if (segment->active || segment->written >= segment->end)
        continue;
      if (best < 0 || segment->start < g_array_index (self->segments, DlSegment, best).start)
        best = (int) i;
    }
  return best;
}

/* The active range with the most left to receive, if its second half is
 * worth a connection of its own; else -1. */
static int
find_splittable (DlSegmentPlan *self)
{
  gint64 most = 0;
  int best = -1;

  for (guint i = 0; i < self->segments->len; i++)
    {
      DlSegment *segment = &g_array_index (self->segments, DlSegment, i);
      gint64 left = segment->end - segment->received;

      if (segment->active && left > most)
        {
          most = left;
          best = (int) i;
        }
    }
  return most / 2 >= self->min_split ? best : -1;
}

/**
 * dl_segment_plan_take:
 * @self: a plan
 *
 * Gives a connection a range to fetch, from its written offset to its end:
 * an idle one with bytes left, else the second half of the active range
 * with the most left (see the top of this file).
 *
 * Returns: the index of the range, now active, or -1 when there is nothing
 *   to take
 */
int
dl_segment_plan_take (DlSegmentPlan *self)
{
  int index = find_idle (self);
  DlSegment *segment;
  gint64 at;
  guint split;

  if (index >= 0)
    {
      segment = &g_array_index (self->segments, DlSegment, index);
      segment->active = TRUE;
      segment->received = segment->written;
      return index;
    }

  index = find_splittable (self);
  if (index < 0)
    return -1;

  segment = &g_array_index (self->segments, DlSegment, index);
  /* Ranges start at a multiple of SPLIT_ALIGN where they can: their full
   * buffers can then be written straight to the disk. */
  at = segment->end - (segment->end - segment->received) / 2;
  if (at / SPLIT_ALIGN * SPLIT_ALIGN > segment->received)
    at = at / SPLIT_ALIGN * SPLIT_ALIGN;
  split = append (self, at, segment->end, at);
  /* append() may have moved the array. */
  g_array_index (self->segments, DlSegment, index).end = at;
  g_array_index (self->segments, DlSegment, split).active = TRUE;
  return (int) split;
}

/* The connection fetching range @index gives it up: what is written stays,
 * what was received but not written is dropped. */
void
dl_segment_plan_release (DlSegmentPlan *self,
                         guint          index)
{
  DlSegment *segment = dl_segment_plan_get (self, index);

  g_return_if_fail (segment != NULL);

  segment->active = FALSE;
  segment->received = segment->written;
}

guint
dl_segment_plan_get_n_active (DlSegmentPlan *self)
{
  guint n = 0;

  for (guint i = 0; i < self->segments->len; i++)
    n += g_array_index (self->segments, DlSegment, i).active ? 1 : 0;
  return n;
}

/* Whether dl_segment_plan_take() would give a range. */
gboolean
dl_segment_plan_has_work (DlSegmentPlan *self)
{
  return find_idle (self) >= 0 || find_splittable (self) >= 0;
}

/* Every byte of the file is written. */
gboolean
dl_segment_plan_is_complete (DlSegmentPlan *self)
{
  for (guint i = 0; i < self->segments->len; i++)
    {
      DlSegment *segment = &g_array_index (self->segments, DlSegment, i);

      if (segment->written < segment->end)
        return FALSE;
    }
  return self->segments->len > 0;
}

/* Bytes received in all, for the progress shown. */
gint64
dl_segment_plan_get_received (DlSegmentPlan *self)
{
  gint64 received = 0;

  for (guint i = 0; i < self->segments->len; i++)
    {
      DlSegment *segment = &g_array_index (self->segments, DlSegment, i);

      received += MAX (segment->received, segment->written) - segment->start;
    }
  return received;
}

/* Bytes from the start of the file synced without a hole. */
gint64
dl_segment_plan_get_contiguous (DlSegmentPlan *self)
{
  g_autoptr(GArray) sorted = g_array_copy (self->segments);
  gint64 pos = 0;

  g_array_sort (sorted, compare_start);
  for (guint i = 0; i < sorted->len; i++)
    {
      DlSegment *segment = &g_array_index (sorted, DlSegment, i);

      if (segment->start != pos)
        break;
      pos = segment->durable;
      if (segment->durable < segment->end)
        break;
    }
  return pos;
}
