/* test-segment-plan.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "dl-segment-plan.h"

#define MIB (1024 * 1024)

/* The plan of a fresh file of @size. */
static DlSegmentPlan *
fresh_plan (gint64 size,
            gint64 min_split)
{
  DlSegmentPlan *plan = dl_segment_plan_new (size, min_split);

  dl_segment_plan_fill_gaps (plan);
  return plan;
}

/* Every byte of the file is in exactly one range. */
static void
assert_covers (DlSegmentPlan *plan)
{
  gint64 size = dl_segment_plan_get_size (plan);
  g_autofree guint8 *seen = g_malloc0 (size / MIB + 1);
  gint64 covered = 0;

  for (guint i = 0; i < dl_segment_plan_get_n_segments (plan); i++)
    {
      DlSegment *segment = dl_segment_plan_get (plan, i);

      g_assert_cmpint (segment->start, <, segment->end);
      covered += segment->end - segment->start;
      for (guint j = 0; j < dl_segment_plan_get_n_segments (plan); j++)
        {
          DlSegment *other = dl_segment_plan_get (plan, j);

          if (i != j)
            g_assert_true (other->end <= segment->start || segment->end <= other->start);
        }
    }
  g_assert_cmpint (covered, ==, size);
}

/* Connections taking in turn cut a fresh file into equal parts. */
static void
test_first_takes_split_evenly (void)
{
  g_autoptr(DlSegmentPlan) plan = fresh_plan (64 * MIB, 4 * MIB);
  int taken[4];

  for (guint i = 0; i < 4; i++)
    taken[i] = dl_segment_plan_take (plan);

  g_assert_cmpint (taken[0], ==, 0);
  for (guint i = 0; i < 4; i++)
    {
      DlSegment *segment = dl_segment_plan_get (plan, taken[i]);

      g_assert_cmpint (taken[i], >=, 0);
      g_assert_true (segment->active);
      g_assert_cmpint (segment->end - segment->start, ==, 16 * MIB);
    }
  g_assert_cmpuint (dl_segment_plan_get_n_active (plan), ==, 4);
  assert_covers (plan);
}

/* A half smaller than the minimum split size is not worth a connection. */
static void
test_no_split_below_minimum (void)
{
  g_autoptr(DlSegmentPlan) plan = fresh_plan (7 * MIB, 4 * MIB);

  g_assert_cmpint (dl_segment_plan_take (plan), ==, 0);
  g_assert_false (dl_segment_plan_has_work (plan));
  g_assert_cmpint (dl_segment_plan_take (plan), ==, -1);
  g_assert_cmpuint (dl_segment_plan_get_n_segments (plan), ==, 1);
}

/* A connection that finished takes half of what the slowest has left. */
static void
test_finished_takes_half_of_largest (void)
{
  g_autoptr(DlSegmentPlan) plan = fresh_plan (64 * MIB, 1 * MIB);
  int slow = dl_segment_plan_take (plan);
  int fast = dl_segment_plan_take (plan);
  DlSegment *segment;
  int next;

  /* The fast one is done; the slow one got 8 MiB of its 32. */
  segment = dl_segment_plan_get (plan, fast);
  segment->received = segment->written = segment->end;
  segment->active = FALSE;
  segment = dl_segment_plan_get (plan, slow);
  segment->received = segment->written = 8 * MIB;

  next = dl_segment_plan_take (plan);
  g_assert_cmpint (next, >=, 0);
  g_assert_cmpint (dl_segment_plan_get (plan, next)->start, ==, 20 * MIB);
  g_assert_cmpint (dl_segment_plan_get (plan, next)->end, ==, 32 * MIB);
  g_assert_cmpint (dl_segment_plan_get (plan, slow)->end, ==, 20 * MIB);
  assert_covers (plan);
}

/* A range given back keeps what was written, and is taken before any
 * split. */
static void
test_released_range_is_taken_again (void)
{
  g_autoptr(DlSegmentPlan) plan = fresh_plan (64 * MIB, 1 * MIB);
  int first = dl_segment_plan_take (plan);
  int second = dl_segment_plan_take (plan);
  DlSegment *segment = dl_segment_plan_get (plan, second);
  guint n = dl_segment_plan_get_n_segments (plan);

  segment->written = segment->start + 3 * MIB;
  segment->received = segment->start + 5 * MIB;
  dl_segment_plan_release (plan, second);

  segment = dl_segment_plan_get (plan, second);
  g_assert_false (segment->active);
  g_assert_cmpint (segment->received, ==, segment->written);
  g_assert_cmpint (dl_segment_plan_take (plan), ==, second);
  g_assert_cmpuint (dl_segment_plan_get_n_segments (plan), ==, n);
  g_assert_cmpint (first, !=, second);
}

/* Restored ranges keep their durable offsets; what they leave out is added
 * as ranges to fetch whole; the contiguous offset stops at the first hole. */
static void
test_restore_fills_gaps (void)
{
  g_autoptr(DlSegmentPlan) plan = dl_segment_plan_new (40 * MIB, 1 * MIB);
  int index;

  g_assert_true (dl_segment_plan_restore (plan, 0, 10 * MIB, 10 * MIB));
  g_assert_true (dl_segment_plan_restore (plan, 20 * MIB, 30 * MIB, 25 * MIB));
  g_assert_false (dl_segment_plan_restore (plan, 25 * MIB, 35 * MIB, 25 * MIB));
  g_assert_false (dl_segment_plan_restore (plan, 35 * MIB, 45 * MIB, 35 * MIB));
  g_assert_false (dl_segment_plan_restore (plan, 35 * MIB, 36 * MIB, 37 * MIB));
  dl_segment_plan_fill_gaps (plan);

  assert_covers (plan);
  g_assert_cmpint (dl_segment_plan_get_contiguous (plan), ==, 10 * MIB);
  g_assert_false (dl_segment_plan_is_complete (plan));

  /* The first byte missing comes first. */
  index = dl_segment_plan_take (plan);
  g_assert_cmpint (dl_segment_plan_get (plan, index)->written, ==, 10 * MIB);
  g_assert_cmpint (dl_segment_plan_get (plan, index)->end, ==, 20 * MIB);
  index = dl_segment_plan_take (plan);
  g_assert_cmpint (dl_segment_plan_get (plan, index)->written, ==, 25 * MIB);
}

/* Split points fall on 4 KiB boundaries (for direct writes), unless that
 * would put one before the bytes received. */
static void
test_splits_aligned (void)
{
  g_autoptr(DlSegmentPlan) plan = fresh_plan (10 * MIB + 12345, 1 * MIB);

  dl_segment_plan_take (plan);
  for (guint i = 0; i < 5; i++)
    {
      int index = dl_segment_plan_take (plan);

      g_assert_cmpint (index, >=, 0);
      g_assert_cmpint (dl_segment_plan_get (plan, index)->start % 4096, ==, 0);
    }
  assert_covers (plan);
}

/* Complete once every range is written to its end. */
static void
test_complete (void)
{
  g_autoptr(DlSegmentPlan) plan = fresh_plan (16 * MIB, 4 * MIB);
  int a = dl_segment_plan_take (plan);
  int b = dl_segment_plan_take (plan);

  dl_segment_plan_get (plan, a)->written = dl_segment_plan_get (plan, a)->end;
  g_assert_false (dl_segment_plan_is_complete (plan));
  dl_segment_plan_get (plan, b)->written = dl_segment_plan_get (plan, b)->end;
  g_assert_true (dl_segment_plan_is_complete (plan));
  g_assert_cmpint (dl_segment_plan_get_received (plan), ==, 16 * MIB);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/downloader/segment-plan/first-takes-split-evenly", test_first_takes_split_evenly);
  g_test_add_func ("/downloader/segment-plan/no-split-below-minimum", test_no_split_below_minimum);
  g_test_add_func ("/downloader/segment-plan/finished-takes-half-of-largest",
                   test_finished_takes_half_of_largest);
  g_test_add_func ("/downloader/segment-plan/released-range-is-taken-again",
                   test_released_range_is_taken_again);
  g_test_add_func ("/downloader/segment-plan/restore-fills-gaps", test_restore_fills_gaps);
  g_test_add_func ("/downloader/segment-plan/splits-aligned", test_splits_aligned);
  g_test_add_func ("/downloader/segment-plan/complete", test_complete);

  return g_test_run ();
}
