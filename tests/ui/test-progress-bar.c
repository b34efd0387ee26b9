/* test-progress-bar.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "dl-progress-bar.h"
#include "dl-screenshot.h"
#include "ui-test-util.h"

#define BAR_WIDTH  400
#define N_UPDATES  20

typedef struct
{
  GtkWidget     *window;
  GtkWidget     *bar;
  GdkFrameClock *clock;
  guint          layouts;
  guint          paints;
} Fixture;

static void
layout_cb (GdkFrameClock *clock,
           Fixture       *fixture)
{
  fixture->layouts++;
}

static void
paint_cb (GdkFrameClock *clock,
          Fixture       *fixture)
{
  fixture->paints++;
}

/* A window holding @bar alone, shown, with its first frames drawn. */
static void
fixture_set_up (Fixture   *fixture,
                GtkWidget *bar)
{
  fixture->window = gtk_window_new ();
  fixture->bar = bar;
  gtk_widget_set_size_request (bar, BAR_WIDTH, -1);
  gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_start (bar, 20);
  gtk_widget_set_margin_end (bar, 20);
  gtk_window_set_child (GTK_WINDOW (fixture->window), bar);
  gtk_window_present (GTK_WINDOW (fixture->window));
  WAIT_FOR (gtk_widget_get_mapped (bar) && gtk_widget_get_width (bar) > 0);

  fixture->clock = gtk_widget_get_frame_clock (fixture->window);
  g_signal_connect (fixture->clock, "layout", G_CALLBACK (layout_cb), fixture);
  g_signal_connect (fixture->clock, "paint", G_CALLBACK (paint_cb), fixture);
  /* Whatever showing the window left to lay out is over once a frame that
   * only draws has been drawn. */
  for (guint i = 0; i < 2; i++)
    {
      guint paints = fixture->paints;

      gtk_widget_queue_draw (fixture->window);
      WAIT_FOR (fixture->paints > paints);
    }
}

static void
fixture_tear_down (Fixture *fixture)
{
  g_signal_handlers_disconnect_by_data (fixture->clock, fixture);
  gtk_window_destroy (GTK_WINDOW (fixture->window));
}

/* Moves the bar's fill N_UPDATES times between its ends, one frame each.
 * Leaving an end changes the style of the trough (see ends_styled), which
 * may lay the bar out once: that is done before counting. */
static void
move_fill (Fixture *fixture,
           void   (*set_fraction) (GtkWidget *bar, double fraction))
{
  guint settled = fixture->paints;

  set_fraction (fixture->bar, 0.5 / (N_UPDATES + 1));
  WAIT_FOR (fixture->paints > settled);
  settled = fixture->paints;
  gtk_widget_queue_draw (fixture->window);
  WAIT_FOR (fixture->paints > settled);

  fixture->layouts = 0;
  for (guint i = 1; i <= N_UPDATES; i++)
    {
      guint paints = fixture->paints;

      set_fraction (fixture->bar, i / (double) (N_UPDATES + 1));
      WAIT_FOR (fixture->paints > paints);
    }
}

static void
set_dl_fraction (GtkWidget *bar,
                 double     fraction)
{
  dl_progress_bar_set_fraction (DL_PROGRESS_BAR (bar), fraction);
}

static void
set_gtk_fraction (GtkWidget *bar,
                  double     fraction)
{
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (bar), fraction);
}

/* A new fraction redraws the bar and lays nothing out: the frames it
 * causes have no layout phase. GtkProgressBar's new fraction lays out every
 * time, which the second half checks, so that the test is seen to count
 * layouts. A window without a window manager may still get a late
 * configure event from the X server, laid out once: hence "at most one". */
static void
test_new_fraction_only_redraws (void)
{
  Fixture fixture = { 0 };

  fixture_set_up (&fixture, dl_progress_bar_new ());
  move_fill (&fixture, set_dl_fraction);
  g_test_message ("DlProgressBar: %u layouts for %u new fractions", fixture.layouts, N_UPDATES);
  g_assert_cmpuint (fixture.layouts, <=, 1);
  fixture_tear_down (&fixture);

  fixture_set_up (&fixture, gtk_progress_bar_new ());
  move_fill (&fixture, set_gtk_fraction);
  g_test_message ("GtkProgressBar: %u layouts for %u new fractions", fixture.layouts, N_UPDATES);
  g_assert_cmpuint (fixture.layouts, >=, N_UPDATES - 1);
  fixture_tear_down (&fixture);
}

/* The colour of the pixel at @x, @y of the fixture's bar, as the next
 * frame draws it (read from the whole window, as a screenshot is). */
static guint32
pixel_at (Fixture *fixture,
          int      x,
          int      y)
{
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint32 *pixels = NULL;
  graphene_point_t point;
  guint paints = fixture->paints;
  int width;

  gtk_widget_queue_draw (fixture->bar);
  WAIT_FOR (fixture->paints > paints);
  texture = dl_screenshot_take (fixture->window, &error);
  g_assert_no_error (error);
  g_assert_true (gtk_widget_compute_point (fixture->bar, fixture->window,
                                           &GRAPHENE_POINT_INIT (x, y), &point));
  width = gdk_texture_get_width (texture);
  pixels = g_new0 (guint32, width * gdk_texture_get_height (texture));
  gdk_texture_download (texture, (guchar *) pixels, width * 4);
  return pixels[(int) point.y * width + (int) point.x];
}

/* The fill covers the fraction of the trough, from the start: at a
 * quarter, the pixel a fifth of the way along is filled, the one at the
 * middle is not, and the middle is filled at three quarters. */
static void
test_fill_drawn_to_fraction (void)
{
  Fixture fixture = { 0 };
  guint32 empty, filled, middle_at_quarter, middle_at_three_quarters;
  int y;

  fixture_set_up (&fixture, dl_progress_bar_new ());
  y = gtk_widget_get_height (fixture.bar) / 2;

  empty = pixel_at (&fixture, BAR_WIDTH / 2, y);
  dl_progress_bar_set_fraction (DL_PROGRESS_BAR (fixture.bar), 0.25);
  filled = pixel_at (&fixture, BAR_WIDTH / 5, y);
  middle_at_quarter = pixel_at (&fixture, BAR_WIDTH / 2, y);
  dl_progress_bar_set_fraction (DL_PROGRESS_BAR (fixture.bar), 0.75);
  middle_at_three_quarters = pixel_at (&fixture, BAR_WIDTH / 2, y);
  ui_test_snap (fixture.window, "progress-bar-three-quarters");

  g_assert_cmphex (filled, !=, empty);
  g_assert_cmphex (middle_at_quarter, ==, empty);
  g_assert_cmphex (middle_at_three_quarters, ==, filled);
  fixture_tear_down (&fixture);
}

/* It measures as GtkProgressBar does with the same style: the rows keep
 * their height. */
static void
test_same_size_as_gtk_progress_bar (void)
{
  GtkWidget *ours = g_object_ref_sink (dl_progress_bar_new ());
  GtkWidget *gtk = g_object_ref_sink (gtk_progress_bar_new ());
  int our_min, our_nat, gtk_min, gtk_nat;

  gtk_widget_measure (ours, GTK_ORIENTATION_VERTICAL, -1, &our_min, &our_nat, NULL, NULL);
  gtk_widget_measure (gtk, GTK_ORIENTATION_VERTICAL, -1, &gtk_min, &gtk_nat, NULL, NULL);
  g_assert_cmpint (our_min, ==, gtk_min);
  g_assert_cmpint (our_nat, ==, gtk_nat);
  gtk_widget_measure (ours, GTK_ORIENTATION_HORIZONTAL, -1, &our_min, &our_nat, NULL, NULL);
  gtk_widget_measure (gtk, GTK_ORIENTATION_HORIZONTAL, -1, &gtk_min, &gtk_nat, NULL, NULL);
  g_assert_cmpint (our_min, ==, gtk_min);

  g_object_unref (ours);
  g_object_unref (gtk);
}

/* The theme styles the ends as it does GtkProgressBar's: an empty trough
 * shows no fill, a full one a fill rounded at both ends. */
static void
test_ends_styled (void)
{
  GtkWidget *bar = g_object_ref_sink (dl_progress_bar_new ());
  GtkWidget *trough = gtk_widget_get_first_child (bar);
  GtkWidget *fill = gtk_widget_get_first_child (trough);

  g_assert_cmpstr (gtk_widget_get_css_name (bar), ==, "progressbar");
  g_assert_true (gtk_widget_has_css_class (bar, "horizontal"));
  g_assert_cmpstr (gtk_widget_get_css_name (trough), ==, "trough");
  g_assert_cmpstr (gtk_widget_get_css_name (fill), ==, "progress");

  g_assert_true (gtk_widget_has_css_class (trough, "empty"));
  g_assert_true (gtk_widget_has_css_class (fill, "left"));
  g_assert_false (gtk_widget_has_css_class (fill, "right"));

  dl_progress_bar_set_fraction (DL_PROGRESS_BAR (bar), 0.5);
  g_assert_false (gtk_widget_has_css_class (trough, "empty"));
  g_assert_false (gtk_widget_has_css_class (trough, "full"));

  dl_progress_bar_set_fraction (DL_PROGRESS_BAR (bar), 1.0);
  g_assert_true (gtk_widget_has_css_class (trough, "full"));
  g_assert_true (gtk_widget_has_css_class (fill, "left"));
  g_assert_true (gtk_widget_has_css_class (fill, "right"));

  /* Right to left, the fill starts at the right. */
  dl_progress_bar_set_fraction (DL_PROGRESS_BAR (bar), 0.5);
  gtk_widget_set_direction (bar, GTK_TEXT_DIR_RTL);
  g_assert_true (gtk_widget_has_css_class (fill, "right"));
  g_assert_false (gtk_widget_has_css_class (fill, "left"));

  g_object_unref (bar);
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           guint      *count)
{
  (*count)++;
}

/* The fraction stays within 0 and 1, and is notified when it changes only. */
static void
test_fraction_clamped (void)
{
  GtkWidget *bar = g_object_ref_sink (dl_progress_bar_new ());
  guint notified = 0;

  g_signal_connect (bar, "notify::fraction", G_CALLBACK (notify_cb), &notified);
  dl_progress_bar_set_fraction (DL_PROGRESS_BAR (bar), 1.5);
  g_assert_cmpfloat (dl_progress_bar_get_fraction (DL_PROGRESS_BAR (bar)), ==, 1.0);
  dl_progress_bar_set_fraction (DL_PROGRESS_BAR (bar), 1.0);
  g_assert_cmpuint (notified, ==, 1);
  dl_progress_bar_set_fraction (DL_PROGRESS_BAR (bar), -2.0);
  g_assert_cmpfloat (dl_progress_bar_get_fraction (DL_PROGRESS_BAR (bar)), ==, 0.0);
  g_assert_cmpuint (notified, ==, 2);

  g_object_unref (bar);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/downloader/progress-bar/new-fraction-only-redraws",
                   test_new_fraction_only_redraws);
  g_test_add_func ("/downloader/progress-bar/fill-drawn-to-fraction", test_fill_drawn_to_fraction);
  g_test_add_func ("/downloader/progress-bar/same-size-as-gtk-progress-bar",
                   test_same_size_as_gtk_progress_bar);
  g_test_add_func ("/downloader/progress-bar/ends-styled", test_ends_styled);
  g_test_add_func ("/downloader/progress-bar/fraction-clamped", test_fraction_clamped);

  return g_test_run ();
}
