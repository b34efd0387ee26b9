/* bench-frames.c: frames a real GTK window draws while libbridge tasks are busy
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GTK 4 window redraws a drawing area on every frame-clock tick while 1,000
 * tasks ping-pong futures as fast as they can. Beside them, depending on the
 * workload, another default-priority source is ready every millisecond: a
 * 1 ms g_timeout (frames-gtk-timer) or a source that behaves like 1000 Hz
 * pointer motion (frames-gtk-input). The figure is the frame rate during the
 * storm as a percentage of the window's rate with nothing running. Run under
 * Xvfb by bench/run.
 */

#include "config.h"

#include <gtk/gtk.h>
#include <libbridge.h>

#include "bench-common.h"

#define FRAMES_TASKS        1000
#define FRAMES_IDLE_SECONDS 1.0
#define FRAMES_BUSY_SECONDS 2.0
#define INPUT_WORK_USEC     20

typedef enum
{
  COMPETITOR_NONE,
  COMPETITOR_TIMER,
  COMPETITOR_INPUT,
} Competitor;

typedef struct
{
  guint    ticks;
  gint64   last_tick;
  gint64   max_gap;
  gboolean counting;
} FrameCount;

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  FrameCount *frames = user_data;
  gint64 now = g_get_monotonic_time ();

  if (frames->counting)
    {
      frames->ticks++;
      if (frames->last_tick != 0)
        frames->max_gap = MAX (frames->max_gap, now - frames->last_tick);
      frames->last_tick = now;
    }
  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

static void
draw_cb (GtkDrawingArea *area,
         cairo_t        *cr,
         int             width,
         int             height,
         gpointer        user_data)
{
  FrameCount *frames = user_data;

  cairo_set_source_rgb (cr, (frames->ticks % 60) / 60.0, 0.3, 0.6);
  cairo_paint (cr);
}

/* Runs the default context for @seconds. */
static void
run_for (double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* ---- the storm -------------------------------------------------------------- */

typedef struct
{
  BridgeFuture *waiting[2];   /* the future each side awaits, once the other may set it */
  gboolean     *stop;
  guint64      *round_trips;
} Pair;

typedef struct
{
  Pair *pair;
  int   me;
} SideRef;

/* Two tasks hand fresh futures to each other: each sets the one its peer
 * awaits, then awaits its own. */
static void
side_task (BridgeTask *task,
           gpointer    user_data)
{
  SideRef *side = user_data;
  Pair *pair = side->pair;

  while (!*pair->stop)
    {
      BridgeFuture *mine = bridge_future_new ();
      BridgeFuture *other = g_steal_pointer (&pair->waiting[1 - side->me]);
      gboolean ok;

      pair->waiting[side->me] = bridge_future_ref (mine);
      if (other != NULL)
        {
          bridge_future_set_boolean (other, TRUE, NULL);
          bridge_future_unref (other);
        }
      ok = bridge_await (mine, NULL);
      bridge_future_unref (mine);
      if (!ok)
        break;
      (*pair->round_trips)++;
    }
}

typedef struct
{
  gboolean   stop;
  guint64    round_trips;
  GPtrArray *tasks;
  Pair      *pairs;
  SideRef   *sides;
} Storm;

static void
storm_start (Storm *storm)
{
  guint n_pairs = FRAMES_TASKS / 2;

  storm->tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_task_unref);
  storm->pairs = g_new0 (Pair, n_pairs);
  storm->sides = g_new0 (SideRef, FRAMES_TASKS);
  for (guint i = 0; i < n_pairs; i++)
    {
      storm->pairs[i].stop = &storm->stop;
      storm->pairs[i].round_trips = &storm->round_trips;
      for (int me = 0; me < 2; me++)
        {
          SideRef *side = &storm->sides[2 * i + me];

          side->pair = &storm->pairs[i];
          side->me = me;
          g_ptr_array_add (storm->tasks, bridge_spawn (side_task, side, NULL));
        }
    }
}

static void
storm_stop (Storm *storm)
{
  gboolean all_done = FALSE;

  storm->stop = TRUE;
  for (guint i = 0; i < storm->tasks->len; i++)
    bridge_task_cancel (g_ptr_array_index (storm->tasks, i), NULL);
  while (!all_done)
    {
      all_done = TRUE;
      for (guint i = 0; i < storm->tasks->len; i++)
        all_done &= bridge_future_is_done (BRIDGE_FUTURE (g_ptr_array_index (storm->tasks, i)));
      if (!all_done)
        g_main_context_iteration (NULL, TRUE);
    }
  for (guint i = 0; i < FRAMES_TASKS / 2; i++)
    for (int me = 0; me < 2; me++)
      g_clear_pointer (&storm->pairs[i].waiting[me], bridge_future_unref);
  g_ptr_array_unref (storm->tasks);
  g_free (storm->pairs);
  g_free (storm->sides);
}

/* ---- competitors -------------------------------------------------------------- */

static gboolean
timer_cb (gpointer user_data)
{
  guint *fired = user_data;

  (*fired)++;
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  GSource source;
  guint   events;
} InputSource;

/* Ready once a millisecond, at GDK's event priority, and does a little work
 * each time, like a display connection delivering pointer motion. */
static gboolean
input_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  InputSource *input = (InputSource *) source;
  gint64 until = g_get_monotonic_time () + INPUT_WORK_USEC;

  while (g_get_monotonic_time () < until)
    ;
  input->events++;
  g_source_set_ready_time (source, g_get_monotonic_time () + 1000);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs input_funcs = {
  .dispatch = input_dispatch,
};

static void
run_frames (Competitor competitor)
{
  FrameCount frames = { 0 };
  GtkWidget *window, *area;
  Storm storm = { 0 };
  GSource *source = NULL;
  guint timer_fired = 0;
  double idle_rate, busy_rate;
  guint idle_ticks;
  guint wake_id;

  gtk_init ();
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 320, 240);
  area = gtk_drawing_area_new ();
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (area), draw_cb, &frames, NULL);
  gtk_window_set_child (GTK_WINDOW (window), area);
  gtk_widget_add_tick_callback (area, tick_cb, &frames, NULL);
  gtk_window_present (GTK_WINDOW (window));
  /* run_for() blocks in the context: make sure it wakes up to check. */
  wake_id = g_timeout_add (50, wake_cb, NULL);

  /* Let the window map and settle, then measure its own frame rate. */
  run_for (0.5);
  frames.counting = TRUE;
  run_for (FRAMES_IDLE_SECONDS);
  idle_ticks = frames.ticks;
  idle_rate = idle_ticks / FRAMES_IDLE_SECONDS;

  if (competitor == COMPETITOR_TIMER)
    {
      source = g_timeout_source_new (1);
      g_source_set_callback (source, timer_cb, &timer_fired, NULL);
    }
  else if (competitor == COMPETITOR_INPUT)
    {
      source = g_source_new (&input_funcs, sizeof (InputSource));
      g_source_set_ready_time (source, g_get_monotonic_time () + 1000);
    }
  if (source != NULL)
    {
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_attach (source, NULL);
    }

  storm_start (&storm);
  run_for (0.1);
  frames.ticks = 0;
  frames.last_tick = 0;
  frames.max_gap = 0;
  storm.round_trips = 0;
  run_for (FRAMES_BUSY_SECONDS);
  busy_rate = frames.ticks / FRAMES_BUSY_SECONDS;

  bench_print (idle_rate > 0 ? MIN (100.0, 100.0 * busy_rate / idle_rate) : 0, "%",
               "\"ticks\": %u, \"idle_hz\": %.1f, \"busy_hz\": %.1f, \"max_gap_ms\": %.1f, "
               "\"round_trips_per_s\": %.0f, \"competitor_runs_per_s\": %.0f",
               frames.ticks, idle_rate, busy_rate, frames.max_gap / 1000.0,
               storm.round_trips / FRAMES_BUSY_SECONDS,
               (competitor == COMPETITOR_INPUT ? ((InputSource *) source)->events : timer_fired) /
               FRAMES_BUSY_SECONDS);

  storm_stop (&storm);
  if (source != NULL)
    {
      g_source_destroy (source);
      g_source_unref (source);
    }
  g_source_remove (wake_id);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
bench_frames_gtk (void)
{
  run_frames (COMPETITOR_NONE);
}

static void
bench_frames_gtk_timer (void)
{
  run_frames (COMPETITOR_TIMER);
}

static void
bench_frames_gtk_input (void)
{
  run_frames (COMPETITOR_INPUT);
}

static const BenchWorkload workloads[] = {
  { "frames-gtk", bench_frames_gtk },
  { "frames-gtk-timer", bench_frames_gtk_timer },
  { "frames-gtk-input", bench_frames_gtk_input },
};

int
main (int    argc,
      char **argv)
{
  g_set_prgname ("bench-frames");
  return bench_main (workloads, G_N_ELEMENTS (workloads), argc, argv);
}
