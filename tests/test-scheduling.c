/* test-scheduling.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libbridge.h>

#include "test-util.h"

/* GTK draws frames at this priority (GDK_PRIORITY_REDRAW). */
#define REDRAW_PRIORITY (G_PRIORITY_HIGH_IDLE + 20)

/* ---- bridge_yield() skips exactly one iteration --------------------------------- */

typedef struct
{
  BridgeLoop *loop;
  guint       ticks;
  gboolean    ticking;
  guint       side_effects;
  guint       yields_checked;
  GString    *log;
} YieldData;

static void
ticker_cb (gpointer user_data)
{
  YieldData *data = user_data;

  /* Rescheduling itself, it runs exactly once per loop iteration. */
  data->ticks++;
  if (data->ticking)
    bridge_loop_call_soon (data->loop, ticker_cb, data, NULL);
}

static void
side_effect_cb (gpointer user_data)
{
  YieldData *data = user_data;

  data->side_effects++;
}

static void
yielding_task (BridgeTask *task,
               gpointer    user_data)
{
  YieldData *data = user_data;
  GError *error = NULL;

  for (guint i = 0; i < 100; i++)
    {
      guint before = data->ticks;

      bridge_loop_call_soon (data->loop, side_effect_cb, data, NULL);
      g_assert_true (bridge_yield (&error));
      g_assert_no_error (error);

      /* One iteration went by, not zero and not two... */
      g_assert_cmpuint (data->ticks, ==, before + 1);
      /* ...and what was scheduled before the yield has run. */
      g_assert_cmpuint (data->side_effects, ==, i + 1);
      data->yields_checked++;
    }

  /* bridge_sleep (0) is the same as a yield (asyncio.sleep(0)). */
  {
    guint before = data->ticks;
    g_assert_true (bridge_sleep (0, &error));
    g_assert_cmpuint (data->ticks, ==, before + 1);
  }
  data->ticking = FALSE;
}

static void
test_yield_one_iteration (LoopFixture   *fixture,
                          gconstpointer  user_data)
{
  YieldData data = { fixture->loop, 0, TRUE, 0, 0, NULL };
  g_autoptr(BridgeTask) task = NULL;

  bridge_loop_call_soon (fixture->loop, ticker_cb, &data, NULL);
  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, yielding_task, &data, NULL);
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (task)), TEST_TIMEOUT_SECONDS);
  g_assert_true (bridge_future_get_value (BRIDGE_FUTURE (task), NULL, NULL));
  g_assert_cmpuint (data.yields_checked, ==, 100);
  /* Let the ticker see that it should stop. */
  test_run_until (fixture->context, !data.ticking, TEST_TIMEOUT_SECONDS);
  while (g_main_context_iteration (fixture->context, FALSE))
    ;
}

typedef struct
{
  BridgeLoop *loop;
  guint       steps;
  gboolean    done;
} Stepper;

static void
forever_yielding_task (BridgeTask *task,
                       gpointer    user_data)
{
  Stepper *stepper = user_data;
  GError *error = NULL;

  while (!stepper->done)
    {
      stepper->steps++;
      g_assert_true (bridge_yield (&error));
      g_assert_no_error (error);
    }
}

static void
stop_loop_cb (gpointer user_data)
{
  bridge_loop_stop (user_data);
}

static void
test_yield_one_iteration_per_run (LoopFixture   *fixture,
                                  gconstpointer  user_data)
{
  Stepper stepper = { fixture->loop, 0, FALSE };
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, forever_yielding_task, &stepper, NULL);

  /* run_forever() with a stop() queued runs exactly one iteration: the
   * yielding task, queued before the stop, steps exactly once per run, since
   * what it schedules by yielding belongs to the next iteration. */
  for (guint run = 1; run <= 10; run++)
    {
      bridge_loop_call_soon (fixture->loop, stop_loop_cb, fixture->loop, NULL);
      g_assert_true (bridge_loop_run_forever (fixture->loop, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (stepper.steps, ==, run);
    }

  stepper.done = TRUE;
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (task)), TEST_TIMEOUT_SECONDS);
  g_assert_cmpuint (stepper.steps, ==, 10);
}

static void
alternating_task (BridgeTask *task,
                  gpointer    user_data)
{
  YieldData *data = user_data;
  const char *tag = bridge_task_get_name (task);
  GError *error = NULL;

  for (guint i = 0; i < 4; i++)
    {
      if (data->log->len > 0)
        g_string_append_c (data->log, ' ');
      g_string_append (data->log, tag);
      g_assert_true (bridge_yield (&error));
    }
}

static void
test_yield_alternates (LoopFixture   *fixture,
                       gconstpointer  user_data)
{
  YieldData data = { fixture->loop, 0, FALSE, 0, 0, g_string_new (NULL) };
  g_autoptr(BridgeTask) a = NULL;
  g_autoptr(BridgeTask) b = NULL;
  g_autoptr(BridgeTask) c = NULL;

  /* Yielding tasks take strict turns, in the order they were started. */
  a = bridge_spawn_full (fixture->loop, "a", BRIDGE_STACK_SIZE_DEFAULT, alternating_task, &data, NULL);
  b = bridge_spawn_full (fixture->loop, "b", BRIDGE_STACK_SIZE_DEFAULT, alternating_task, &data, NULL);
  c = bridge_spawn_full (fixture->loop, "c", BRIDGE_STACK_SIZE_DEFAULT, alternating_task, &data, NULL);
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (c)), TEST_TIMEOUT_SECONDS);
  g_assert_cmpstr (data.log->str, ==, "a b c a b c a b c a b c");
  g_string_free (data.log, TRUE);
}

/* ---- two tasks keeping each other busy --------------------------------------------- */

typedef struct
{
  BridgeLoop   *loop;
  BridgeFuture *slot[2];     /* the future each side waits on */
  gboolean      stop;
  guint64       round_trips;
  guint64       limit;       /* stop after this many, 0 for no limit */
} PingPong;

typedef struct
{
  PingPong *pp;
  guint     side;
} PingPongSide;

static void
ping_pong_task (BridgeTask *task,
                gpointer    user_data)
{
  PingPongSide *side = user_data;
  PingPong *pp = side->pp;
  guint me = side->side;
  guint other = 1 - me;
  GError *error = NULL;

  /* Each round: make a fresh future, wake the other side, wait on ours. */
  while (!pp->stop)
    {
      BridgeFuture *mine = bridge_future_new ();
      BridgeFuture *theirs = g_steal_pointer (&pp->slot[other]);

      pp->slot[me] = bridge_future_ref (mine);
      if (theirs != NULL)
        {
          bridge_future_set_boolean (theirs, TRUE, NULL);
          bridge_future_unref (theirs);
        }
      g_assert_true (bridge_await (mine, &error));
      g_assert_no_error (error);
      bridge_future_unref (mine);

      if (me == 0 && ++pp->round_trips == pp->limit)
        pp->stop = TRUE;
    }

  /* Release the other side for good. */
  {
    BridgeFuture *theirs = g_steal_pointer (&pp->slot[other]);
    if (theirs != NULL)
      {
        bridge_future_set_boolean (theirs, TRUE, NULL);
        bridge_future_unref (theirs);
      }
  }
}

static void
ping_pong_start (PingPong      *pp,
                 PingPongSide   sides[2],
                 BridgeTask    *tasks[2])
{
  for (guint i = 0; i < 2; i++)
    {
      sides[i].pp = pp;
      sides[i].side = i;
      tasks[i] = bridge_spawn_full (pp->loop, i == 0 ? "ping" : "pong", BRIDGE_STACK_SIZE_DEFAULT,
                                    ping_pong_task, &sides[i], NULL);
    }
}

static void
ping_pong_finish (LoopFixture *fixture,
                  BridgeTask  *tasks[2])
{
  test_run_until (fixture->context,
                  bridge_future_is_done (BRIDGE_FUTURE (tasks[0])) &&
                  bridge_future_is_done (BRIDGE_FUTURE (tasks[1])),
                  TEST_TIMEOUT_SECONDS);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_true (bridge_future_get_value (BRIDGE_FUTURE (tasks[i]), NULL, NULL));
      bridge_task_unref (tasks[i]);
    }
}

static void
set_stop_cb (gpointer user_data)
{
  PingPong *pp = user_data;

  pp->stop = TRUE;
}

typedef struct
{
  PingPong *pp;
  guint     ticks;
} Frames;

static gboolean
frame_tick_cb (gpointer user_data)
{
  Frames *frames = user_data;

  if (!frames->pp->stop)
    frames->ticks++;
  return G_SOURCE_CONTINUE;
}

static void
test_frames_while_busy (LoopFixture   *fixture,
                        gconstpointer  user_data)
{
  PingPong pp = { fixture->loop, { NULL, NULL }, FALSE, 0, 0 };
  Frames frames = { &pp, 0 };
  PingPongSide sides[2];
  BridgeTask *tasks[2];
  GSource *frame_clock;
  double start, busy;

  /* A 60 Hz source at GTK's redraw priority, below the loop's own: it must
   * keep firing while two tasks keep the loop permanently busy. */
  frame_clock = g_timeout_source_new (16);
  g_source_set_priority (frame_clock, REDRAW_PRIORITY);
  g_source_set_callback (frame_clock, frame_tick_cb, &frames, NULL);
  g_source_attach (frame_clock, fixture->context);

  start = bridge_loop_time (fixture->loop);
  bridge_loop_call_later (fixture->loop, 1.0, set_stop_cb, &pp, NULL);
  ping_pong_start (&pp, sides, tasks);
  ping_pong_finish (fixture, tasks);
  busy = bridge_loop_time (fixture->loop) - start;

  g_source_destroy (frame_clock);
  g_source_unref (frame_clock);

  g_test_message ("%" G_GUINT64_FORMAT " round trips and %u frames in %.2f s",
                  pp.round_trips, frames.ticks, busy);
  /* The tasks really were busy the whole time... */
  g_assert_cmpuint (pp.round_trips, >=, 1000);
  /* ...the loop's own timer still fired on time (lenient)... */
  g_assert_cmpfloat (busy, <, 5.0);
  /* ...and frames kept coming: 60 would be perfect, half is the bound. */
  g_assert_cmpuint (frames.ticks, >=, 30);
}

static gboolean
idle_count_cb (gpointer user_data)
{
  guint *count = user_data;

  (*count)++;
  return G_SOURCE_CONTINUE;
}

static void
test_idle_sources_while_busy (LoopFixture   *fixture,
                              gconstpointer  user_data)
{
  PingPong pp = { fixture->loop, { NULL, NULL }, FALSE, 0, 0 };
  PingPongSide sides[2];
  BridgeTask *tasks[2];
  GSource *idle;
  guint idle_runs = 0;
  guint64 trips_at_idle;

  /* Even a default-idle source (what GIO and GTK queue small jobs on) gets
   * its turn while tasks are busy. */
  idle = g_idle_source_new ();
  g_source_set_callback (idle, idle_count_cb, &idle_runs, NULL);
  g_source_attach (idle, fixture->context);

  ping_pong_start (&pp, sides, tasks);
  test_run_until (fixture->context, pp.round_trips > 0, TEST_TIMEOUT_SECONDS);
  trips_at_idle = pp.round_trips;
  idle_runs = 0;
  test_run_until (fixture->context, idle_runs >= 20, TEST_TIMEOUT_SECONDS);
  /* The tasks were running meanwhile, not waiting for the idle. */
  g_assert_cmpuint (pp.round_trips, >, trips_at_idle);
  pp.stop = TRUE;
  ping_pong_finish (fixture, tasks);

  g_source_destroy (idle);
  g_source_unref (idle);
}

/* ---- switching without polling ---------------------------------------------------- */

static guint n_polls;

static gint
counting_poll (GPollFD *fds,
               guint    nfds,
               gint     timeout)
{
  n_polls++;
  return g_poll (fds, nfds, timeout);
}

static void
test_no_poll_between_tasks (LoopFixture   *fixture,
                            gconstpointer  user_data)
{
  PingPong pp = { fixture->loop, { NULL, NULL }, FALSE, 0, 4000 };
  PingPongSide sides[2];
  BridgeTask *tasks[2];
  GPollFunc previous = g_main_context_get_poll_func (fixture->context);

  /* A task readied by another task resumes in the same dispatch, with a
   * context switch: one poll() per switch would mean 2 × 4000 polls. Even
   * with the dispatch budget spent after every 64 entries, that is at most
   * 2 × 4000 / 32 polls (one to dispatch, one standing aside). */
  n_polls = 0;
  g_main_context_set_poll_func (fixture->context, counting_poll);
  ping_pong_start (&pp, sides, tasks);
  ping_pong_finish (fixture, tasks);
  g_main_context_set_poll_func (fixture->context, previous);

  g_test_message ("%u polls for %" G_GUINT64_FORMAT " round trips", n_polls, pp.round_trips);
  g_assert_cmpuint (pp.round_trips, ==, 4000);
  g_assert_cmpuint (n_polls, <=, 4000 / 8);
}

/* ---- nested main loops ------------------------------------------------------------ */

typedef struct
{
  BridgeLoop   *loop;
  GMainContext *context;
  GMainLoop    *nested;
  guint         steps;
  guint         steps_at_entry;
  guint         nested_ticks;
  gboolean      moved_during_nested;
  gboolean      nested_done;
  gboolean      expect_progress;
} Nested;

static gboolean
nested_tick_cb (gpointer user_data)
{
  Nested *n = user_data;

  if (n->steps != n->steps_at_entry)
    n->moved_during_nested = TRUE;
  n->nested_ticks++;

  /* Paused tasks: run a fixed number of ticks. Running tasks: until they
   * visibly moved (bounded by the test's timeout otherwise). */
  if ((!n->expect_progress && n->nested_ticks == 10) ||
      (n->expect_progress && n->steps >= n->steps_at_entry + 10))
    {
      g_main_loop_quit (n->nested);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* What a modal dialog does: spin a nested GMainLoop on the same context. */
static void
run_nested_loop (Nested *n)
{
  GSource *tick = g_timeout_source_new (2);

  n->steps_at_entry = n->steps;
  n->nested = g_main_loop_new (n->context, FALSE);
  g_source_set_callback (tick, nested_tick_cb, n, NULL);
  g_source_attach (tick, n->context);
  g_source_unref (tick);
  g_main_loop_run (n->nested);
  g_clear_pointer (&n->nested, g_main_loop_unref);
  n->nested_done = TRUE;
}

static void
nested_from_callback_cb (gpointer user_data)
{
  run_nested_loop (user_data);
}

static gboolean
nested_from_idle_cb (gpointer user_data)
{
  run_nested_loop (user_data);
  return G_SOURCE_REMOVE;
}

static void
stepping_task (BridgeTask *task,
               gpointer    user_data)
{
  Nested *n = user_data;
  GError *error = NULL;

  while (!n->nested_done || n->steps < n->steps_at_entry + 10)
    {
      n->steps++;
      g_assert_true (bridge_task_get_current () == task);
      g_assert_true (bridge_yield (&error));
      g_assert_no_error (error);
    }
}

static void
test_nested_loop_from_callback (LoopFixture   *fixture,
                                gconstpointer  user_data)
{
  Nested n = { fixture->loop, fixture->context };
  g_autoptr(BridgeTask) task = NULL;

  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, stepping_task, &n, NULL);
  test_run_until (fixture->context, n.steps >= 5, TEST_TIMEOUT_SECONDS);

  /* A plain loop callback runs the nested loop: the libbridge source is
   * the one dispatching, so no task runs until the nested loop ends. */
  bridge_loop_call_soon (fixture->loop, nested_from_callback_cb, &n, NULL);
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (task)), TEST_TIMEOUT_SECONDS);

  g_assert_true (n.nested_done);
  g_assert_cmpuint (n.nested_ticks, ==, 10);
  g_assert_false (n.moved_during_nested);
  /* The task carried on afterwards. */
  g_assert_cmpuint (n.steps, >=, n.steps_at_entry + 10);
  g_assert_true (bridge_future_get_value (BRIDGE_FUTURE (task), NULL, NULL));
}

static void
modal_task (BridgeTask *task,
            gpointer    user_data)
{
  Nested *n = user_data;
  GError *error = NULL;

  g_assert_true (bridge_yield (&error));
  /* A task opens a "modal dialog": the other task must not run inside it,
   * and this one must not be re-entered. */
  run_nested_loop (n);
  g_assert_true (bridge_task_get_current () == task);
  g_assert_true (bridge_yield (&error));
  g_assert_no_error (error);
  bridge_task_return_boolean (task, TRUE);
}

static void
test_nested_loop_from_task (LoopFixture   *fixture,
                            gconstpointer  user_data)
{
  Nested n = { fixture->loop, fixture->context };
  g_autoptr(BridgeTask) stepper = NULL;
  g_autoptr(BridgeTask) modal = NULL;

  stepper = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, stepping_task, &n, NULL);
  modal = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, modal_task, &n, NULL);
  test_run_until (fixture->context,
                  bridge_future_is_done (BRIDGE_FUTURE (stepper)) &&
                  bridge_future_is_done (BRIDGE_FUTURE (modal)),
                  TEST_TIMEOUT_SECONDS);

  g_assert_true (n.nested_done);
  g_assert_cmpuint (n.nested_ticks, ==, 10);
  g_assert_false (n.moved_during_nested);
  g_assert_true (bridge_future_get_boolean (BRIDGE_FUTURE (modal), NULL));
  g_assert_true (bridge_future_get_value (BRIDGE_FUTURE (stepper), NULL, NULL));
}

static void
test_nested_loop_from_other_source (LoopFixture   *fixture,
                                    gconstpointer  user_data)
{
  Nested n = { fixture->loop, fixture->context };
  g_autoptr(BridgeTask) task = NULL;
  GSource *idle;

  n.expect_progress = TRUE;
  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, stepping_task, &n, NULL);
  test_run_until (fixture->context, n.steps >= 5, TEST_TIMEOUT_SECONDS);

  /* A nested loop started by some other source (a GTK signal handler
   * opening a dialog): the loop's source is free, so tasks keep running
   * inside the nested loop. */
  idle = g_idle_source_new ();
  g_source_set_callback (idle, nested_from_idle_cb, &n, NULL);
  g_source_attach (idle, fixture->context);
  g_source_unref (idle);

  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (task)), TEST_TIMEOUT_SECONDS);
  g_assert_true (n.nested_done);
  g_assert_true (n.moved_during_nested);
}

/* ---- memory of a burst ------------------------------------------------------ */

#define BURST_TASKS 200000

static void
burst_child (BridgeTask *task,
             gpointer    user_data)
{
}

static void
burst_task (BridgeTask *task,
            gpointer    user_data)
{
  gsize *peak = user_data;
  g_autofree BridgeTask **children = g_new (BridgeTask *, BURST_TASKS);

  for (guint i = 0; i < BURST_TASKS; i++)
    children[i] = bridge_spawn (burst_child, NULL, NULL);
  for (guint i = 0; i < BURST_TASKS; i++)
    g_assert_true (bridge_await (BRIDGE_FUTURE (children[i]), NULL));

  *peak = test_resident_bytes ();
  for (guint i = 0; i < BURST_TASKS; i++)
    bridge_task_unref (children[i]);
}

/* 200k tasks alive at once take some 50 MiB. Once they are gone and the
 * loop has nothing to do, that memory goes back to the system: the loop's
 * block pool keeps only a few MiB. */
static void
test_burst_memory_returned (LoopFixture   *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(BridgeTask) task = NULL;
  gsize peak = 0;

#if HAVE_ASAN
  g_test_skip ("AddressSanitizer's allocator keeps freed memory in quarantine");
  return;
#endif

  task = bridge_spawn_full (fixture->loop, NULL, 0, burst_task, &peak, NULL);
  g_assert_true (bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), NULL));
  g_assert_cmpuint (peak, >, 0);

  /* Seconds, not milliseconds: the loop returns the memory the first time
   * it is about to sleep. */
  test_run_until (fixture->context, test_resident_bytes () + 30 * 1024 * 1024 < peak, 5.0);
  g_assert_cmpuint (test_resident_bytes () + 30 * 1024 * 1024, <, peak);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  LOOP_TEST ("/libbridge/scheduling/yield/one-iteration", test_yield_one_iteration);
  LOOP_TEST ("/libbridge/scheduling/yield/one-iteration-per-run", test_yield_one_iteration_per_run);
  LOOP_TEST ("/libbridge/scheduling/yield/alternates", test_yield_alternates);
  LOOP_TEST ("/libbridge/scheduling/starvation/frames", test_frames_while_busy);
  LOOP_TEST ("/libbridge/scheduling/starvation/idle-sources", test_idle_sources_while_busy);
  LOOP_TEST ("/libbridge/scheduling/no-poll-between-tasks", test_no_poll_between_tasks);
  LOOP_TEST ("/libbridge/scheduling/nested-loop/from-callback", test_nested_loop_from_callback);
  LOOP_TEST ("/libbridge/scheduling/nested-loop/from-task", test_nested_loop_from_task);
  LOOP_TEST ("/libbridge/scheduling/nested-loop/from-other-source", test_nested_loop_from_other_source);
  LOOP_TEST ("/libbridge/scheduling/memory/burst-returned", test_burst_memory_returned);

  return g_test_run ();
}
