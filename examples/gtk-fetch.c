/* gtk-fetch.c: a GTK 4 window whose button starts ten concurrent fetches.
 *
 * Each fetch is a libbridge task written as plain sequential code. While
 * they run, the spinner keeps turning and the window stays responsive: the
 * tasks park in bridge_await() and the GTK main loop runs on. The button's
 * handler is ordinary GTK code; it only spawns tasks.
 *
 * With --self-test the window clicks its own button, waits for the ten
 * fetches, checks the spinner kept animating meanwhile, and quits.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gtk/gtk.h>
#include <libbridge.h>

#include "example-server.h"

#define N_FETCHES 10

typedef struct
{
  GtkWidget   *window;
  GtkWidget   *button;
  GtkWidget   *spinner;
  GtkWidget   *status;
  SoupSession *session;
  char        *base;
  int          running;
  int          done;
  guint        frames;      /* spinner frames drawn while fetching */
  gboolean     self_test;
} Demo;

typedef struct
{
  Demo *demo;
  int   index;
} Fetch;

static void
update_status (Demo *demo)
{
  g_autofree char *text = g_strdup_printf ("%d running, %d done", demo->running, demo->done);

  gtk_label_set_text (GTK_LABEL (demo->status), text);
}

static void
fetch_task (BridgeTask *task,
            gpointer    user_data)
{
  Fetch *fetch = user_data;
  Demo *demo = fetch->demo;
  g_autofree char *url = g_strdup_printf ("%sfile/%d?size=%d&delay=%d", demo->base,
                                          fetch->index, 50000, 200 + 60 * fetch->index);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  GError *error = NULL;

  body = bridge_soup_session_send_and_read (demo->session, msg, G_PRIORITY_DEFAULT, &error);

  /* Back in the task, after the await: touching widgets is fine, this is
   * the GTK thread. */
  demo->running--;
  demo->done++;
  update_status (demo);
  if (demo->running == 0)
    {
      gtk_spinner_stop (GTK_SPINNER (demo->spinner));
      gtk_widget_set_sensitive (demo->button, TRUE);
    }

  if (body == NULL)
    bridge_task_return_error (task, error);
  else
    bridge_task_return_int64 (task, g_bytes_get_size (body));
}

static gboolean
count_frames (GtkWidget     *widget,
              GdkFrameClock *clock,
              gpointer       user_data)
{
  Demo *demo = user_data;

  if (demo->running > 0)
    demo->frames++;
  return G_SOURCE_CONTINUE;
}

static void
on_fetch_clicked (GtkButton *button,
                  Demo      *demo)
{
  gtk_widget_set_sensitive (demo->button, FALSE);
  gtk_spinner_start (GTK_SPINNER (demo->spinner));

  for (int i = 0; i < N_FETCHES; i++)
    {
      Fetch *fetch = g_new0 (Fetch, 1);

      fetch->demo = demo;
      fetch->index = i;
      demo->running++;
      /* The loop keeps the task alive until it finishes. */
      bridge_task_unref (bridge_spawn (fetch_task, fetch, g_free));
    }
  update_status (demo);
}

static gboolean
self_test_check (gpointer user_data)
{
  Demo *demo = user_data;

  if (demo->done < N_FETCHES)
    return G_SOURCE_CONTINUE;

  g_print ("%d fetches done; the spinner drew %u frames meanwhile\n", demo->done, demo->frames);
  gtk_window_destroy (GTK_WINDOW (demo->window));
  return G_SOURCE_REMOVE;
}

static void
activate (GtkApplication *app,
          Demo           *demo)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  demo->window = gtk_application_window_new (app);
  gtk_window_set_title (GTK_WINDOW (demo->window), "libbridge: ten fetches");
  gtk_window_set_default_size (GTK_WINDOW (demo->window), 360, 200);

  demo->button = gtk_button_new_with_label ("Fetch ten files");
  demo->spinner = gtk_spinner_new ();
  demo->status = gtk_label_new ("idle");
  gtk_widget_set_size_request (demo->spinner, 48, 48);
  gtk_widget_set_margin_top (box, 24);
  gtk_widget_set_margin_bottom (box, 24);
  gtk_widget_set_margin_start (box, 24);
  gtk_widget_set_margin_end (box, 24);
  gtk_box_append (GTK_BOX (box), demo->button);
  gtk_box_append (GTK_BOX (box), demo->spinner);
  gtk_box_append (GTK_BOX (box), demo->status);
  gtk_window_set_child (GTK_WINDOW (demo->window), box);

  g_signal_connect (demo->button, "clicked", G_CALLBACK (on_fetch_clicked), demo);
  gtk_widget_add_tick_callback (demo->spinner, count_frames, demo, NULL);
  gtk_window_present (GTK_WINDOW (demo->window));

  if (demo->self_test)
    {
      g_signal_emit_by_name (demo->button, "clicked");
      g_timeout_add (50, self_test_check, demo);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GtkApplication) app = gtk_application_new ("io.github.libbridge.examples.GtkFetch",
                                                       G_APPLICATION_NON_UNIQUE);
  Demo demo = { 0 };
  int status;

  demo.self_test = argc > 1 && g_str_equal (argv[1], "--self-test");
  demo.session = soup_session_new_with_options ("max-conns-per-host", N_FETCHES, NULL);
  demo.base = example_server_start ();

  g_signal_connect (app, "activate", G_CALLBACK (activate), &demo);
  status = g_application_run (G_APPLICATION (app), 1, argv);

  g_object_unref (demo.session);
  g_free (demo.base);
  if (demo.self_test)
    /* The fetches overlapped (about 0.8 s) and the spinner kept drawing. */
    return status == 0 && demo.done == N_FETCHES && demo.frames >= 10 ? 0 : 1;
  return status;
}
