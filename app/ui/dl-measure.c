/* dl-measure.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The measurement mode behind the app-stall benchmark (bench/app_stall.py):
 * does the window stay smooth while many downloads run? It is switched on by
 * the environment rather than by an option, so that --help stays about what
 * a user can do:
 *
 *   BRIDGE_DOWNLOADER_MEASURE=FILE.json  measure, write FILE.json, quit
 *   BRIDGE_DOWNLOADER_MEASURE_URLS=N     downloads running at once (200)
 *   BRIDGE_DOWNLOADER_MEASURE_SECONDS=S  length of the measurement (10)
 *   BRIDGE_DOWNLOADER_MEASURE_REMOVE=F   finished rows to remove (0)
 *
 * main.c hands such a run to dl_measure_run(): the app starts with the
 * in-repo fault server, a scratch folder and history of its own, and
 * queues N downloads of rate-limited bodies, with the concurrency limits
 * raised so that all of them run at once. Once every
 * one of them is downloading, and a second more for the app to settle, it
 * records for S seconds:
 *
 *  - each frame: a tick callback on the window keeps its frame clock
 *    running at the display's rate, as any animation (a spinner, kinetic
 *    scrolling) would, and notes when each frame starts. A frame that
 *    starts late, because the main loop was busy or the frame before took
 *    too long, shows as a long gap: that is a visible stutter.
 *    ("frame_gap": between frame starts.) The time of each "after-paint"
 *    is noted too ("paint_gap"): those gaps also vary with how long each
 *    frame takes to draw, which a display that waits for vblank hides as
 *    long as the frame fits in it;
 *  - the main loop: the lateness of a 1 ms timer (DlStallProbe), every
 *    sample;
 *
 * then writes one JSON object and quits:
 *
 *   {"worst_frame_gap_ms": 17.2, "p99_frame_gap_ms": 16.9, "frames": 600,
 *    "worst_stall_ms": 3.1, "p99_stall_ms": 1.0, "active_downloads": 200, …}
 *
 * "worst_busy_stall_ms" and "p99_busy_stall_ms" leave out the part of each
 * stall during which the main thread was not running at all because other
 * processes had the CPU: on a busy machine, they tell what the app itself
 * costs (though not in a virtual machine whose host is busy: to the guest,
 * a stolen CPU looks like a running one).
 *
 * active_downloads is the fewest downloads seen downloading at the same
 * time while measuring: less than N means the measurement did not see
 * the load it was asked for. The exit status is 0 once the file is written.
 *
 * With F finished rows (the app-remove-stall benchmark), the history holds
 * F finished downloads besides the N running ones, and the measurement
 * starts with what a user does to clean up: Remove Finished, then Cancel on
 * every running download. active_downloads then counts until that moment,
 * and "removed" and "cancelled" say how many rows went and how many
 * downloads ended cancelled within the measurement.
 */

#define G_LOG_DOMAIN "dl-measure"

#include "config.h"

#include <math.h>

#include "dl-demo.h"
#include "dl-measure.h"
#include "dl-stall-probe.h"
#include "dl-store.h"
#include "dl-window.h"

#define DEFAULT_N_DOWNLOADS  200
#define MAX_N_DOWNLOADS      1024
#define DEFAULT_SECONDS      10.0
#define MAX_SECONDS          600.0
#define MAX_N_FINISHED       100000

/* Every download gets BODY_RATE bytes per second: 200 of them make about
 * 12 MiB/s, which loopback, the server and the disk take without becoming
 * the bottleneck on a small machine. Bodies are long enough that none
 * finishes before the measurement ends, even after the longest wait for all
 * of them to start. */
#define BODY_RATE            (64 * 1024)
#define READY_TIMEOUT_USEC   (30 * G_USEC_PER_SEC)
#define BODY_MARGIN_SECONDS  10

/* Once all the downloads run, the app gets this long to settle: their
 * rows were just added, and the first frames after that lay out the whole
 * list, which is a one-off. */
#define SETTLE_USEC          (1 * G_USEC_PER_SEC)

/* How often the downloads are counted; negligible next to what is measured
 * (a walk over N objects). */
#define POLL_INTERVAL_MS     100

struct _DlMeasure
{
  GObject        parent_instance;

  /* Owned References */
  char          *path;
  DlManager     *manager;
  DlStallProbe  *probe;
  GdkFrameClock *frame_clock;
  GArray        *frame_starts;    /* gint64 µs, each frame's update phase, while measuring */
  GArray        *paint_ends;      /* gint64 µs, each frame's after-paint, while measuring */

  /* Borrowed References (weak) */
  GtkWidget     *window;

  guint          n_downloads;
  guint          n_finished;      /* finished rows to remove, or 0 */
  gint64         span_usec;
  gint64         started_at;      /* when the downloads were queued */
  gint64         all_active_at;   /* when they all ran, 0 until then */
  gint64         measuring_since; /* 0 until the measurement starts */
  guint          min_active;
  guint          poll_id;
  guint          tick_id;
  gulong         after_paint_id;
};

enum {
  DONE,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

G_DEFINE_FINAL_TYPE (DlMeasure, dl_measure, G_TYPE_OBJECT)

static guint
count_downloading (DlMeasure *self)
{
  GListModel *model = G_LIST_MODEL (self->manager);
  guint n_items = g_list_model_get_n_items (model);
  guint count = 0;

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);

      if (dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING)
        count++;
    }
  return count;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Nearest rank, on a sorted array. */
static gint64
percentile (GArray *sorted,
            double  fraction)
{
  guint rank;

  if (sorted->len == 0)
    return 0;

  rank = (guint) ceil (fraction * sorted->len);
  rank = CLAMP (rank, 1, sorted->len);
  return g_array_index (sorted, gint64, rank - 1);
}

static guint
count_over (GArray *values,
            gint64  limit)
{
  guint count = 0;

  for (guint i = 0; i < values->len; i++)
    if (g_array_index (values, gint64, i) > limit)
      count++;
  return count;
}

static void
append_ms (GString    *json,
           const char *key,
           gint64      usec)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  /* Not printf: a German locale would write a decimal comma. */
  g_string_append_printf (json, "\"%s\": %s, ", key,
                          g_ascii_formatd (buf, sizeof buf, "%.3f", usec / 1000.0));
}

/* The sorted differences between consecutive times. */
static GArray *
sorted_gaps (GArray *times)
{
  GArray *gaps = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 1; i < times->len; i++)
    {
      gint64 gap = g_array_index (times, gint64, i) - g_array_index (times, gint64, i - 1);

      g_array_append_val (gaps, gap);
    }
  g_array_sort (gaps, compare_gint64);
  return gaps;
}

static gint64
worst (GArray *sorted)
{
  return sorted->len > 0 ? g_array_index (sorted, gint64, sorted->len - 1) : 0;
}

static guint
count_in_state (DlMeasure       *self,
                DlDownloadState  state)
{
  GListModel *model = G_LIST_MODEL (self->manager);
  guint n_items = g_list_model_get_n_items (model);
  guint count = 0;

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);

      if (dl_download_get_state (download) == state)
        count++;
    }
  return count;
}

static gboolean
write_result (DlMeasure  *self,
              GArray     *samples,
              gint64      span_end,
              GError    **error)
{
  g_autoptr(GArray) gaps = sorted_gaps (self->frame_starts);
  g_autoptr(GArray) paint_gaps = sorted_gaps (self->paint_ends);
  g_autoptr(GArray) stalls = g_array_sized_new (FALSE, FALSE, sizeof (gint64), samples->len);
  g_autoptr(GArray) busy = g_array_sized_new (FALSE, FALSE, sizeof (gint64), samples->len);
  g_autoptr(GString) json = g_string_new ("{");
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint i = 0; i < samples->len; i++)
    {
      DlStallSample *sample = &g_array_index (samples, DlStallSample, i);

      g_array_append_val (stalls, sample->lateness);
      g_array_append_val (busy, sample->busy);
    }
  g_array_sort (stalls, compare_gint64);
  g_array_sort (busy, compare_gint64);

  append_ms (json, "worst_frame_gap_ms", worst (gaps));
  append_ms (json, "p99_frame_gap_ms", percentile (gaps, 0.99));
  append_ms (json, "median_frame_gap_ms", percentile (gaps, 0.5));
  g_string_append_printf (json, "\"frames\": %u, ", self->frame_starts->len);
  g_string_append_printf (json, "\"frame_gaps_over_20ms\": %u, ", count_over (gaps, 20 * 1000));
  append_ms (json, "worst_paint_gap_ms", worst (paint_gaps));
  append_ms (json, "p99_paint_gap_ms", percentile (paint_gaps, 0.99));
  append_ms (json, "worst_stall_ms", worst (stalls));
  append_ms (json, "p99_stall_ms", percentile (stalls, 0.99));
  g_string_append_printf (json, "\"stall_samples\": %u, ", stalls->len);
  g_string_append_printf (json, "\"stalls_over_4ms\": %u, ", count_over (stalls, 4 * 1000));
  /* The same without the time other processes had the CPU: what the app
   * itself would cost on an idle machine. */
  append_ms (json, "worst_busy_stall_ms", worst (busy));
  append_ms (json, "p99_busy_stall_ms", percentile (busy, 0.99));
  g_string_append_printf (json, "\"active_downloads\": %u, ", self->min_active);
  g_string_append_printf (json, "\"downloads\": %u, ", self->n_downloads);
  if (self->n_finished > 0)
    {
      g_string_append_printf (json, "\"removed\": %u, ",
                              self->n_finished - count_in_state (self, DL_DOWNLOAD_STATE_DONE));
      g_string_append_printf (json, "\"cancelled\": %u, ",
                              count_in_state (self, DL_DOWNLOAD_STATE_CANCELLED));
    }
  /* CLOCK_MONOTONIC, as g_get_monotonic_time(): bench/app_stall.py keeps the
   * machine's own wake-up lateness (bench-timer-floor) of this span. */
  g_string_append_printf (json, "\"measured_from_us\": %" G_GINT64_FORMAT ", ", self->measuring_since);
  g_string_append_printf (json, "\"measured_until_us\": %" G_GINT64_FORMAT ", ", span_end);
  g_string_append_printf (json, "\"measured_s\": %s, ",
                          g_ascii_formatd (buf, sizeof buf, "%.3f",
                                           (span_end - self->measuring_since) / (double) G_USEC_PER_SEC));
  g_string_append_printf (json, "\"waited_s\": %s}\n",
                          g_ascii_formatd (buf, sizeof buf, "%.3f",
                                           (self->all_active_at - self->started_at) /
                                           (double) G_USEC_PER_SEC));

  return g_file_set_contents (self->path, json->str, json->len, error);
}

static void
after_paint_cb (DlMeasure     *self,
                GdkFrameClock *clock)
{
  gint64 now;

  if (self->measuring_since == 0)
    return;

  now = g_get_monotonic_time ();
  g_array_append_val (self->paint_ends, now);
}

/* The clock's own frame time is smoothed: the real time tells when the
 * frame really started. */
static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  DlMeasure *self = user_data;
  gint64 now;

  if (self->measuring_since != 0)
    {
      now = g_get_monotonic_time ();
      g_array_append_val (self->frame_starts, now);
    }

  return G_SOURCE_CONTINUE;
}

static void
stop_recording (DlMeasure *self)
{
  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (self->tick_id != 0 && self->window != NULL)
    gtk_widget_remove_tick_callback (self->window, self->tick_id);
  self->tick_id = 0;
  if (self->frame_clock != NULL)
    g_clear_signal_handler (&self->after_paint_id, self->frame_clock);
  g_clear_object (&self->frame_clock);
  g_clear_weak_pointer (&self->window);
}

static void
finish (DlMeasure *self)
{
  g_autoptr(GArray) samples = NULL;
  g_autoptr(GError) error = NULL;
  gint64 span_end = g_get_monotonic_time ();
  gboolean ok;

  samples = dl_stall_probe_stop_recording (self->probe);
  g_clear_object (&self->probe);
  stop_recording (self);

  ok = write_result (self, samples, span_end, &error);
  if (!ok)
    g_printerr ("%s\n", error->message);

  g_signal_emit (self, signals [DONE], 0, ok);
}

/* What a user does to clean up the list: Remove Finished, then Cancel on
 * every running download. */
static void
clean_up (DlMeasure *self)
{
  GListModel *model = G_LIST_MODEL (self->manager);
  g_autoptr(GPtrArray) running = g_ptr_array_new_with_free_func (g_object_unref);

  gtk_widget_activate_action (self->window, "win.clear-finished", NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      DlDownload *download = g_list_model_get_item (model, i);

      if (dl_download_can_cancel (download))
        g_ptr_array_add (running, download);
      else
        g_object_unref (download);
    }
  for (guint i = 0; i < running->len; i++)
    dl_download_cancel (g_ptr_array_index (running, i));
}

static void
begin_measuring (DlMeasure *self,
                 gint64     now,
                 guint      downloading)
{
  /* Realized long ago: the window was presented before the server answered. */
  g_set_object (&self->frame_clock, gtk_widget_get_frame_clock (self->window));
  if (self->frame_clock != NULL)
    self->after_paint_id = g_signal_connect_swapped (self->frame_clock, "after-paint",
                                                     G_CALLBACK (after_paint_cb), self);
  else
    g_warning ("The window has no frame clock: no frames will be recorded");

  self->probe = dl_stall_probe_new (NULL);
  dl_stall_probe_start_recording (self->probe);

  self->measuring_since = now;
  self->min_active = downloading;

  if (self->n_finished > 0)
    clean_up (self);
}

static gboolean
poll_cb (gpointer user_data)
{
  DlMeasure *self = user_data;
  gint64 now = g_get_monotonic_time ();
  guint downloading = count_downloading (self);

  /* Closed by hand: nothing left to measure. */
  if (self->window == NULL)
    {
      self->poll_id = 0;
      dl_measure_stop (self);
      g_signal_emit (self, signals [DONE], 0, FALSE);
      return G_SOURCE_REMOVE;
    }

  if (self->all_active_at == 0)
    {
      if (downloading < self->n_downloads && now - self->started_at < READY_TIMEOUT_USEC)
        return G_SOURCE_CONTINUE;
      if (downloading < self->n_downloads)
        g_warning ("Only %u of %u downloads are running after %d s; measuring anyway",
                   downloading, self->n_downloads, (int) (READY_TIMEOUT_USEC / G_USEC_PER_SEC));
      self->all_active_at = now;
      return G_SOURCE_CONTINUE;
    }

  if (self->measuring_since == 0)
    {
      if (now - self->all_active_at >= SETTLE_USEC)
        begin_measuring (self, now, downloading);
      return G_SOURCE_CONTINUE;
    }

  /* Cleaning up stops the downloads on purpose. */
  if (self->n_finished == 0)
    self->min_active = MIN (self->min_active, downloading);
  if (now - self->measuring_since < self->span_usec)
    return G_SOURCE_CONTINUE;

  self->poll_id = 0;
  finish (self);
  return G_SOURCE_REMOVE;
}

static void
dl_measure_dispose (GObject *object)
{
  DlMeasure *self = (DlMeasure *) object;

  dl_measure_stop (self);
  g_clear_object (&self->manager);

  G_OBJECT_CLASS (dl_measure_parent_class)->dispose (object);
}

static void
dl_measure_finalize (GObject *object)
{
  DlMeasure *self = (DlMeasure *) object;

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->frame_starts, g_array_unref);
  g_clear_pointer (&self->paint_ends, g_array_unref);

  G_OBJECT_CLASS (dl_measure_parent_class)->finalize (object);
}

static void
dl_measure_class_init (DlMeasureClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dl_measure_dispose;
  object_class->finalize = dl_measure_finalize;

  /**
   * DlMeasure::done:
   * @ok: whether the result was written
   *
   * The measurement is over; the app quits.
   */
  signals [DONE] =
    g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

static void
dl_measure_init (DlMeasure *self)
{
  /* 60 frames a second for the default window, and some more. */
  self->frame_starts = g_array_sized_new (FALSE, FALSE, sizeof (gint64), 1024);
  self->paint_ends = g_array_sized_new (FALSE, FALSE, sizeof (gint64), 1024);
}

/**
 * dl_measure_new_from_environment:
 *
 * Returns: (transfer full) (nullable): a measurement as the environment
 *   asks for (see the top of dl-measure.c), or %NULL when it asks for none
 */
DlMeasure *
dl_measure_new_from_environment (void)
{
  const char *path = g_getenv ("BRIDGE_DOWNLOADER_MEASURE");
  const char *urls = g_getenv ("BRIDGE_DOWNLOADER_MEASURE_URLS");
  const char *seconds = g_getenv ("BRIDGE_DOWNLOADER_MEASURE_SECONDS");
  const char *remove = g_getenv ("BRIDGE_DOWNLOADER_MEASURE_REMOVE");
  DlMeasure *self;
  guint64 n = DEFAULT_N_DOWNLOADS;
  guint64 n_finished = 0;
  double s = DEFAULT_SECONDS;

  if (path == NULL || *path == '\0')
    return NULL;

  if (urls != NULL && *urls != '\0' &&
      (!g_ascii_string_to_unsigned (urls, 10, 1, MAX_N_DOWNLOADS, &n, NULL)))
    {
      g_warning ("BRIDGE_DOWNLOADER_MEASURE_URLS=%s is not a number from 1 to %d; using %d",
                 urls, MAX_N_DOWNLOADS, DEFAULT_N_DOWNLOADS);
      n = DEFAULT_N_DOWNLOADS;
    }

  if (seconds != NULL && *seconds != '\0')
    {
      char *end = NULL;

      s = g_ascii_strtod (seconds, &end);
      if (end == seconds || *end != '\0' || !(s > 0 && s <= MAX_SECONDS))
        {
          g_warning ("BRIDGE_DOWNLOADER_MEASURE_SECONDS=%s is not a duration up to %g s; using %g",
                     seconds, MAX_SECONDS, DEFAULT_SECONDS);
          s = DEFAULT_SECONDS;
        }
    }

  if (remove != NULL && *remove != '\0' &&
      (!g_ascii_string_to_unsigned (remove, 10, 0, MAX_N_FINISHED, &n_finished, NULL)))
    {
      g_warning ("BRIDGE_DOWNLOADER_MEASURE_REMOVE=%s is not a number from 0 to %d; using 0",
                 remove, MAX_N_FINISHED);
      n_finished = 0;
    }

  self = g_object_new (DL_TYPE_MEASURE, NULL);
  self->path = g_canonicalize_filename (path, NULL);
  self->n_downloads = (guint) n;
  self->n_finished = (guint) n_finished;
  self->span_usec = (gint64) (s * G_USEC_PER_SEC);
  return self;
}

guint
dl_measure_get_n_downloads (DlMeasure *self)
{
  g_return_val_if_fail (DL_IS_MEASURE (self), 0);

  return self->n_downloads;
}

/**
 * dl_measure_build_links:
 * @self: a #DlMeasure
 * @base_uri: the fault server's base URI, with a trailing slash
 *
 * Returns: (transfer full): one rate-limited link per download, each with
 *   a body of its own
 */
GStrv
dl_measure_build_links (DlMeasure  *self,
                        const char *base_uri)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  gint64 span_seconds;
  guint64 size;

  g_return_val_if_fail (DL_IS_MEASURE (self), NULL);
  g_return_val_if_fail (base_uri != NULL, NULL);

  span_seconds = (self->span_usec + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
  size = (guint64) BODY_RATE * ((READY_TIMEOUT_USEC + SETTLE_USEC) / G_USEC_PER_SEC +
                                span_seconds + BODY_MARGIN_SECONDS);

  for (guint i = 0; i < self->n_downloads; i++)
    {
      g_autofree char *link = NULL;

      link = g_strdup_printf ("%smeasure-%04u.bin?size=%" G_GUINT64_FORMAT "&rate=%u&seed=%u",
                              base_uri, i, size, (guint) BODY_RATE, i);
      g_strv_builder_add (builder, link);
    }

  return g_strv_builder_end (builder);
}

/**
 * dl_measure_start:
 * @self: a #DlMeasure
 * @window: the main window, shown
 * @manager: the engine running the downloads of dl_measure_build_links()
 *
 * Waits until all the downloads run (at most 30 s) and a second more,
 * measures, writes the result and emits #DlMeasure::done.
 */
void
dl_measure_start (DlMeasure *self,
                  GtkWidget *window,
                  DlManager *manager)
{
  g_return_if_fail (DL_IS_MEASURE (self));
  g_return_if_fail (GTK_IS_WIDGET (window));
  g_return_if_fail (DL_IS_MANAGER (manager));
  g_return_if_fail (self->poll_id == 0 && self->measuring_since == 0);

  g_set_object (&self->manager, manager);
  g_set_weak_pointer (&self->window, window);

  /* From now on, so the clock is in its stride when the measurement starts. */
  self->tick_id = gtk_widget_add_tick_callback (window, tick_cb, self, NULL);

  self->started_at = g_get_monotonic_time ();
  self->poll_id = g_timeout_add (POLL_INTERVAL_MS, poll_cb, self);
}

/**
 * dl_measure_stop:
 * @self: a #DlMeasure
 *
 * Gives up without writing anything (the app is quitting for another
 * reason).
 */
void
dl_measure_stop (DlMeasure *self)
{
  g_return_if_fail (DL_IS_MEASURE (self));

  g_clear_object (&self->probe);
  stop_recording (self);
}

/* ---- the run ------------------------------------------------------------------ */

/* A measurement run of the app: its scratch folder, its demo server. */
typedef struct
{
  DlApplication *app;
  DlMeasure     *measure;
  DlDemo        *demo;
  DlManager     *manager;
  char          *dir;
  int            status;
} Run;

static void
run_quit (Run *run,
          int  status)
{
  if (run->status == 0)
    run->status = status;
  dl_measure_stop (run->measure);
  if (run->demo != NULL)
    dl_demo_stop (run->demo);
  g_application_quit (G_APPLICATION (run->app));
}

static void
run_done_cb (DlMeasure *measure,
             gboolean   ok,
             Run       *run)
{
  run_quit (run, ok ? 0 : 1);
}

static void
run_demo_ready_cb (DlDemo *demo,
                   Run    *run)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (run->app));
  g_auto(GStrv) links = NULL;

  if (!DL_IS_WINDOW (window))
    {
      run_quit (run, 1);
      return;
    }

  links = dl_measure_build_links (run->measure, dl_demo_get_base_uri (demo));
  dl_window_add_links (DL_WINDOW (window), (const char * const *) links);
  dl_measure_start (run->measure, GTK_WIDGET (window), run->manager);
}

static void
run_demo_failed_cb (DlDemo     *demo,
                    const char *message,
                    Run        *run)
{
  g_printerr ("%s\n", message);
  run_quit (run, 1);
}

/* Fills the history with @n finished downloads into @dir. At startup,
 * before the loop runs: waiting for the store is fine there. */
static void
add_finished (DlStore    *store,
              const char *dir,
              guint       n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *url = g_strdup_printf ("http://127.0.0.1/finished-%05u.bin", i);
      g_autoptr(DlStoreRecord) record = dl_store_record_new (url, dir);
      g_autoptr(GError) error = NULL;

      record->file_name = g_strdup_printf ("finished-%05u.bin", i);
      record->state = DL_DOWNLOAD_STATE_DONE;
      record->bytes_received = record->resume_offset = record->total_bytes = 1024 * 1024;
      record->finished_at = g_get_real_time ();
      if (!dl_store_insert (store, record, &error))
        {
          g_printerr ("%s\n", error->message);
          return;
        }
    }
}

/* The primary instance starts: a scratch history, and an engine that
 * downloads into the scratch folder with every download running at once. */
static void
run_startup_cb (DlApplication *app,
                Run           *run)
{
  g_autofree char *path = g_build_filename (run->dir, "history.sqlite", NULL);
  g_autoptr(DlStore) store = NULL;
  g_autoptr(GError) error = NULL;
  guint n = run->measure->n_downloads;

  store = dl_store_open (path, &error);
  if (store == NULL)
    g_printerr ("%s: %s\n", path, error->message);
  else
    add_finished (store, run->dir, run->measure->n_finished);

  run->manager = dl_manager_new (store);
  if (!dl_manager_load (run->manager, FALSE, &error))
    g_printerr ("%s: %s\n", path, error->message);
  dl_application_set_manager (app, run->manager);
  dl_manager_set_output_dir (run->manager, run->dir);
  dl_manager_set_max_concurrent (run->manager, MAX (dl_manager_get_max_concurrent (run->manager), n));
  dl_manager_set_max_per_host (run->manager, MAX (dl_manager_get_max_per_host (run->manager), n));
}

/* The window is there: the demo server starts, and the downloads are
 * queued once it answers. */
static void
run_window_added_cb (GtkApplication *app,
                     GtkWindow      *window,
                     Run            *run)
{
  if (run->demo != NULL || !DL_IS_WINDOW (window))
    return;

  run->demo = dl_demo_new ();
  g_signal_connect (run->demo, "ready", G_CALLBACK (run_demo_ready_cb), run);
  g_signal_connect (run->demo, "failed", G_CALLBACK (run_demo_failed_cb), run);
  dl_demo_start (run->demo);
}

/**
 * dl_measure_is_requested:
 *
 * Returns: whether the environment asks for a measurement run (see the
 *   top of this file)
 */
gboolean
dl_measure_is_requested (void)
{
  const char *path = g_getenv ("BRIDGE_DOWNLOADER_MEASURE");

  return path != NULL && *path != '\0';
}

/**
 * dl_measure_run:
 * @argc: the program's argument count
 * @argv: (array length=argc): its arguments
 *
 * Runs the app as the environment asks (see the top of this file): beside
 * a running Downloader if there is one, with a scratch folder and history
 * removed at the end.
 *
 * Returns: the exit status: 0 once the result is written
 */
int
dl_measure_run (int    argc,
                char **argv)
{
  g_autoptr(GError) error = NULL;
  Run run = { 0, };
  int status;

  run.measure = dl_measure_new_from_environment ();
  run.dir = g_dir_make_tmp ("bridge-downloader-measure-XXXXXX", &error);
  if (run.measure == NULL || run.dir == NULL)
    {
      g_printerr ("%s\n", error != NULL ? error->message : "No measurement asked for");
      g_clear_object (&run.measure);
      return 1;
    }

  run.app = dl_application_new ();
  g_application_set_flags (G_APPLICATION (run.app),
                           g_application_get_flags (G_APPLICATION (run.app)) |
                           G_APPLICATION_NON_UNIQUE);
  g_signal_connect (run.app, "startup", G_CALLBACK (run_startup_cb), &run);
  g_signal_connect (run.app, "window-added", G_CALLBACK (run_window_added_cb), &run);
  g_signal_connect (run.measure, "done", G_CALLBACK (run_done_cb), &run);

  status = g_application_run (G_APPLICATION (run.app), argc, argv);
  if (status == 0)
    status = run.status;

  if (run.demo != NULL)
    dl_demo_stop (run.demo);
  g_clear_object (&run.demo);
  g_clear_object (&run.app);
  g_clear_object (&run.manager);
  g_clear_object (&run.measure);
  dl_demo_remove_folder (run.dir);
  g_free (run.dir);
  return status;
}
