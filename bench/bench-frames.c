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
 *
 * frames-gtk-http does the same while 20 tasks download 1 MiB bodies as fast
 * as a loopback server (in a thread of its own) sends them, reading at the
 * loop's I/O priority; frames-gtk-http-default reads at G_PRIORITY_DEFAULT,
 * as GIO callers do, for comparison. Their lines also carry the MiB/s.
 */

#include "config.h"

#include <gtk/gtk.h>
#include <libbridge.h>
#include <libsoup/soup.h>

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
  COMPETITOR_HTTP,
  COMPETITOR_HTTP_DEFAULT,
} Competitor;

#define HTTP_BODY_SIZE   (1024 * 1024)
#define HTTP_CLIENTS     20
#define HTTP_READ_SIZE   (256 * 1024)

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

/* ---- a loopback HTTP server in a thread, and clients that saturate it ------------ */

typedef struct
{
  GMainContext *context;
  GMainLoop    *loop;
  guint         port;
  GMutex        mutex;
  GCond         cond;
  guint8       *body;
} Server;

static void
server_handler (SoupServer        *soup,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  Server *server = user_data;

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC,
                                    (const char *) server->body, HTTP_BODY_SIZE);
}

static gboolean
server_incoming_cb (GSocketService    *service,
                    GSocketConnection *connection,
                    GObject           *source_object,
                    gpointer           user_data)
{
  SoupServer *soup = user_data;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);

  soup_server_accept_iostream (soup, G_IO_STREAM (connection), local, remote, NULL);
  return TRUE;
}

static gpointer
server_thread (gpointer data)
{
  Server *server = data;
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(SoupServer) soup = NULL;
  g_autoptr(GSocketService) service = NULL;

  g_main_context_push_thread_default (server->context);
  soup = soup_server_new (NULL, NULL);
  soup_server_add_handler (soup, NULL, server_handler, server, NULL);
  service = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &effective, NULL))
    g_error ("cannot listen on 127.0.0.1");
  g_signal_connect (service, "incoming", G_CALLBACK (server_incoming_cb), soup);
  g_socket_service_start (service);

  g_mutex_lock (&server->mutex);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_cond_signal (&server->cond);
  g_mutex_unlock (&server->mutex);

  g_main_loop_run (server->loop);
  g_socket_service_stop (service);
  g_main_context_pop_thread_default (server->context);
  return NULL;
}

typedef struct
{
  SoupSession *session;
  char        *uri;
  int          io_priority;
  gboolean     stop;
  guint64      bytes;
} Clients;

static void
client_task (BridgeTask *task,
             gpointer    user_data)
{
  Clients *clients = user_data;

  while (!clients->stop)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", clients->uri);
      g_autoptr(GInputStream) stream = bridge_soup_session_send (clients->session, msg,
                                                                 G_PRIORITY_DEFAULT, NULL);

      if (stream == NULL)
        return;
      for (;;)
        {
          g_autoptr(GBytes) bytes = bridge_input_stream_read_bytes (stream, HTTP_READ_SIZE,
                                                                    clients->io_priority, NULL);

          if (bytes == NULL || g_bytes_get_size (bytes) == 0)
            break;
          clients->bytes += g_bytes_get_size (bytes);
        }
      bridge_input_stream_close (stream, G_PRIORITY_DEFAULT, NULL);
    }
}

static void
run_http (FrameCount *frames,
          int         io_priority,
          double      idle_rate)
{
  Server server = { 0 };
  Clients clients = { 0 };
  GPtrArray *tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_task_unref);
  GThread *thread;
  double busy_rate, seconds;
  gint64 start;
  gboolean all_done = FALSE;

  server.context = g_main_context_new ();
  server.loop = g_main_loop_new (server.context, FALSE);
  server.body = g_malloc0 (HTTP_BODY_SIZE);
  g_mutex_init (&server.mutex);
  g_cond_init (&server.cond);
  g_mutex_lock (&server.mutex);
  thread = g_thread_new ("server", server_thread, &server);
  while (server.port == 0)
    g_cond_wait (&server.cond, &server.mutex);
  g_mutex_unlock (&server.mutex);

  clients.session = soup_session_new_with_options ("max-conns", HTTP_CLIENTS,
                                                   "max-conns-per-host", HTTP_CLIENTS, NULL);
  clients.uri = g_strdup_printf ("http://127.0.0.1:%u/body", server.port);
  clients.io_priority = io_priority;
  for (guint i = 0; i < HTTP_CLIENTS; i++)
    g_ptr_array_add (tasks, bridge_spawn (client_task, &clients, NULL));

  run_for (0.2);
  frames->ticks = 0;
  frames->last_tick = 0;
  frames->max_gap = 0;
  clients.bytes = 0;
  start = g_get_monotonic_time ();
  run_for (FRAMES_BUSY_SECONDS);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  busy_rate = frames->ticks / seconds;

  bench_print (idle_rate > 0 ? MIN (100.0, 100.0 * busy_rate / idle_rate) : 0, "%",
               "\"ticks\": %u, \"idle_hz\": %.1f, \"busy_hz\": %.1f, \"max_gap_ms\": %.1f, "
               "\"mib_per_s\": %.0f, \"io_priority\": %d",
               frames->ticks, idle_rate, busy_rate, frames->max_gap / 1000.0,
               clients.bytes / seconds / (1024 * 1024),
               io_priority == BRIDGE_IO_PRIORITY_LOOP ?
               bridge_loop_get_io_priority (bridge_loop_get_default ()) : io_priority);

  clients.stop = TRUE;
  for (guint i = 0; i < tasks->len; i++)
    bridge_task_cancel (g_ptr_array_index (tasks, i), NULL);
  while (!all_done)
    {
      all_done = TRUE;
      for (guint i = 0; i < tasks->len; i++)
        all_done &= bridge_future_is_done (BRIDGE_FUTURE (g_ptr_array_index (tasks, i)));
      if (!all_done)
        g_main_context_iteration (NULL, TRUE);
    }
  g_ptr_array_unref (tasks);
  soup_session_abort (clients.session);
  g_object_unref (clients.session);
  g_free (clients.uri);

  g_main_loop_quit (server.loop);
  g_main_context_wakeup (server.context);
  g_thread_join (thread);
  g_main_loop_unref (server.loop);
  g_main_context_unref (server.context);
  g_free (server.body);
  g_mutex_clear (&server.mutex);
  g_cond_clear (&server.cond);
}

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

  if (competitor == COMPETITOR_HTTP || competitor == COMPETITOR_HTTP_DEFAULT)
    {
      run_http (&frames, competitor == COMPETITOR_HTTP ? BRIDGE_IO_PRIORITY_LOOP : G_PRIORITY_DEFAULT,
                idle_rate);
      g_source_remove (wake_id);
      gtk_window_destroy (GTK_WINDOW (window));
      return;
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

static void
bench_frames_gtk_http (void)
{
  run_frames (COMPETITOR_HTTP);
}

static void
bench_frames_gtk_http_default (void)
{
  run_frames (COMPETITOR_HTTP_DEFAULT);
}

static const BenchWorkload workloads[] = {
  { "frames-gtk", bench_frames_gtk },
  { "frames-gtk-timer", bench_frames_gtk_timer },
  { "frames-gtk-input", bench_frames_gtk_input },
  { "frames-gtk-http", bench_frames_gtk_http },
  { "frames-gtk-http-default", bench_frames_gtk_http_default },
};

int
main (int    argc,
      char **argv)
{
  g_set_prgname ("bench-frames");
  return bench_main (workloads, G_N_ELEMENTS (workloads), argc, argv);
}
