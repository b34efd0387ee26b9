/* test-loop-priority.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "test-util.h"

/* bridge_loop_set_priority(): the loop's GSource priority decides what runs
 * first when both are ready, and the frame guarantee holds in every range. */

/* GTK draws frames at this priority (GDK_PRIORITY_REDRAW). */
#define REDRAW_PRIORITY (G_PRIORITY_HIGH_IDLE + 20)

static void
test_default_priority (LoopFixture   *fixture,
                       gconstpointer  user_data)
{
  g_assert_cmpint (bridge_loop_get_priority (fixture->loop), ==, G_PRIORITY_DEFAULT);
  bridge_loop_set_priority (fixture->loop, G_PRIORITY_HIGH);
  g_assert_cmpint (bridge_loop_get_priority (fixture->loop), ==, G_PRIORITY_HIGH);
}

/* ---- who runs first ------------------------------------------------------------------ */

typedef struct
{
  GString *order;
} Order;

static void
record_callback (gpointer user_data)
{
  g_string_append (((Order *) user_data)->order, "loop ");
}

static gboolean
record_idle (gpointer user_data)
{
  g_string_append (((Order *) user_data)->order, "idle ");
  return G_SOURCE_REMOVE;
}

static char *
race_against_default_idle (LoopFixture *fixture,
                           int          loop_priority)
{
  Order order = { g_string_new (NULL) };
  GSource *idle = g_idle_source_new ();

  bridge_loop_set_priority (fixture->loop, loop_priority);
  g_source_set_priority (idle, G_PRIORITY_DEFAULT);
  g_source_set_callback (idle, record_idle, &order, NULL);
  g_source_attach (idle, fixture->context);
  g_source_unref (idle);
  bridge_loop_call_soon (fixture->loop, record_callback, &order, NULL);

  test_run_until (fixture->context, order.order->len == strlen ("loop idle "), TEST_TIMEOUT_SECONDS);
  return g_string_free (order.order, FALSE);
}

static void
test_more_urgent_runs_first (LoopFixture   *fixture,
                             gconstpointer  user_data)
{
  g_autofree char *order = race_against_default_idle (fixture, G_PRIORITY_HIGH);

  g_assert_cmpstr (order, ==, "loop idle ");
}

static void
test_less_urgent_runs_after (LoopFixture   *fixture,
                             gconstpointer  user_data)
{
  g_autofree char *order = race_against_default_idle (fixture, G_PRIORITY_DEFAULT_IDLE);

  g_assert_cmpstr (order, ==, "idle loop ");
}

/* ---- frames while tasks keep the loop busy ---------------------------------------------- */

typedef struct
{
  gboolean stop;
  guint64  yields;
  guint    frames;
} Busy;

static void
busy_body (BridgeTask *task,
           gpointer    user_data)
{
  Busy *busy = user_data;

  while (!busy->stop)
    {
      g_assert_true (bridge_yield (NULL));
      busy->yields++;
    }
}

static gboolean
frame_cb (gpointer user_data)
{
  Busy *busy = user_data;

  if (!busy->stop)
    busy->frames++;
  return G_SOURCE_CONTINUE;
}

static void
stop_cb (gpointer user_data)
{
  ((Busy *) user_data)->stop = TRUE;
}

static void
frames_while_busy (LoopFixture *fixture,
                   int          loop_priority)
{
  Busy busy = { 0 };
  BridgeTask *tasks[2];
  GSource *frame_clock = g_timeout_source_new (16);

  bridge_loop_set_priority (fixture->loop, loop_priority);
  g_source_set_priority (frame_clock, REDRAW_PRIORITY);
  g_source_set_callback (frame_clock, frame_cb, &busy, NULL);
  g_source_attach (frame_clock, fixture->context);

  bridge_loop_call_later (fixture->loop, 1.0, stop_cb, &busy, NULL);
  for (guint i = 0; i < 2; i++)
    tasks[i] = bridge_spawn_full (fixture->loop, NULL, 0, busy_body, &busy, NULL);
  test_run_until (fixture->context,
                  bridge_future_is_done (BRIDGE_FUTURE (tasks[0])) &&
                  bridge_future_is_done (BRIDGE_FUTURE (tasks[1])),
                  TEST_TIMEOUT_SECONDS);
  for (guint i = 0; i < 2; i++)
    bridge_task_unref (tasks[i]);
  g_source_destroy (frame_clock);
  g_source_unref (frame_clock);

  g_test_message ("%" G_GUINT64_FORMAT " yields and %u frames in 1 s", busy.yields, busy.frames);
  /* The tasks were busy all along, and frames kept coming: 60 would be
   * perfect, half is the bound (as for the default priority). */
  g_assert_cmpuint (busy.yields, >=, 1000);
  g_assert_cmpuint (busy.frames, >=, 30);
}

static void
test_frames_at_high_priority (LoopFixture   *fixture,
                              gconstpointer  user_data)
{
  frames_while_busy (fixture, G_PRIORITY_HIGH);
}

static void
test_frames_at_idle_priority (LoopFixture   *fixture,
                              gconstpointer  user_data)
{
  frames_while_busy (fixture, G_PRIORITY_DEFAULT_IDLE);
}

static void
test_set_on_closed_loop (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);

      g_assert_true (bridge_loop_close (loop, NULL));
      bridge_loop_set_priority (loop, G_PRIORITY_HIGH);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*bridge_loop_set_priority: the loop is closed*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  LOOP_TEST ("/libbridge/loop-priority/default", test_default_priority);
  LOOP_TEST ("/libbridge/loop-priority/more-urgent-runs-first", test_more_urgent_runs_first);
  LOOP_TEST ("/libbridge/loop-priority/less-urgent-runs-after", test_less_urgent_runs_after);
  LOOP_TEST ("/libbridge/loop-priority/frames-while-busy/high", test_frames_at_high_priority);
  LOOP_TEST ("/libbridge/loop-priority/frames-while-busy/idle", test_frames_at_idle_priority);
  g_test_add_func ("/libbridge/loop-priority/closed-loop", test_set_on_closed_loop);

  return g_test_run ();
}
