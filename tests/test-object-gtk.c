/* test-object-gtk.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gtk/gtk.h>
#include <libsoup/soup.h>

#include "test-gio-util.h"
#include "test-server.h"

/* A real widget: a button whose "clicked" starts a libsoup request with
 * bridge_signal_connect_task(); destroying its window while the request
 * hangs cancels the task and the request (the server sees the connection
 * close), and nothing touches the dead widget (run under ASan). */

typedef struct
{
  SoupSession *session;
  char        *uri;
  BridgeTask  *task;
  gboolean     requesting;
  GError      *error;
  gboolean     answered;
} Fetch;

static void
fetch_on_click (BridgeTask   *task,
                gpointer      button,
                const GValue *params,
                guint         n_params,
                gpointer      user_data)
{
  Fetch *fetch = user_data;
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", fetch->uri);
  g_autoptr(GInputStream) stream = NULL;

  fetch->task = bridge_task_ref (task);
  fetch->requesting = TRUE;
  stream = bridge_soup_session_send (fetch->session, msg, G_PRIORITY_DEFAULT, &fetch->error);
  if (stream == NULL)
    return;   /* the button may be gone: do not touch it */

  fetch->answered = TRUE;
  gtk_button_set_label (button, "Done");
}

static void
widget_destroyed_body (BridgeTask *task,
                       gpointer    user_data)
{
  g_autoptr(TestServer) server = test_server_new ();
  g_autoptr(GError) error = NULL;
  Fetch fetch = { 0 };
  GtkWidget *window = gtk_window_new ();
  GtkWidget *button = gtk_button_new_with_label ("Fetch");
  BridgeFuture *button_gone;

  fetch.session = soup_session_new ();
  fetch.uri = test_server_get_uri (server, "/hang");
  gtk_window_set_child (GTK_WINDOW (window), button);
  bridge_signal_connect_task (button, "clicked", fetch_on_click, &fetch, NULL, BRIDGE_CONNECT_DEFAULT);
  button_gone = test_watch_finalize (button);

  g_signal_emit_by_name (button, "clicked");
  /* The request reached the server, which never answers. */
  g_assert_true (test_server_await_count (server, TEST_SERVER_STOLEN, 1, &error));
  g_assert_no_error (error);
  g_assert_true (fetch.requesting);

  gtk_window_destroy (GTK_WINDOW (window));
  test_await_watch (button_gone);

  /* The task ended cancelled, woken from its await of libsoup... */
  g_assert_false (bridge_await (BRIDGE_FUTURE (fetch.task), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_error (fetch.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (fetch.answered);

  /* ...and libsoup, stopped through the task's cancellable, closed the
   * connection. */
  g_assert_true (test_server_await_count (server, TEST_SERVER_CLOSED, 1, &error));
  g_assert_no_error (error);

  soup_session_abort (fetch.session);
  test_unref_and_await_finalize (g_steal_pointer (&fetch.session));
  g_assert_true (test_server_shutdown (server, &error));
  g_assert_no_error (error);
  g_clear_pointer (&fetch.task, bridge_task_unref);
  g_clear_error (&fetch.error);
  g_free (fetch.uri);
}

static void
test_widget_destroyed_cancels_request (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeTask) task = NULL;

  if (!gtk_init_check ())
    {
      g_test_skip ("no display");
      return;
    }

  /* GTK's calls nest deeply (the default 256 KiB is for plain tasks). */
  task = bridge_spawn_full (NULL, NULL, 4 * 1024 * 1024, widget_destroyed_body, NULL, NULL);
  g_assert_true (bridge_loop_run_until_complete (bridge_loop_get_default (), BRIDGE_FUTURE (task), &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/object/gtk/widget-destroyed-cancels-request",
                   test_widget_destroyed_cancels_request);

  return g_test_run ();
}
