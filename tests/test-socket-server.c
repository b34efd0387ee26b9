/* test-socket-server.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "test-gio-util.h"

/* bridge_start_server() and bridge_open_connection() (asyncio.start_server,
 * open_connection), over TCP on loopback and over a Unix socket: a task per
 * connection, the connection closed after its handler, close() refuses new
 * clients while wait_closed() waits for the running ones, and errors. */

#define PRIO G_PRIORITY_DEFAULT

typedef struct
{
  guint        served;
  guint        running;
  guint        max_running;
  BridgeEvent *release;     /* NULL: echo until the end of the stream */
  gint         freed;
} Served;

static void
served_free (gpointer user_data)
{
  ((Served *) user_data)->freed++;
}

/* Echoes what arrives until the client closes its side. */
static void
echo_handler (BridgeTask        *task,
              GSocketConnection *connection,
              gpointer           user_data)
{
  Served *served = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));

  g_assert_cmpstr (bridge_task_get_name (task), ==, "connection");
  served->served++;
  served->running++;
  served->max_running = MAX (served->max_running, served->running);

  if (served->release != NULL)
    bridge_event_wait (served->release, NULL);

  for (;;)
    {
      g_autoptr(GBytes) chunk = bridge_input_stream_read_bytes (in, 4096, PRIO, NULL);

      if (chunk == NULL || g_bytes_get_size (chunk) == 0)
        break;
      if (!bridge_output_stream_write_all_bytes (out, chunk, PRIO, NULL, NULL))
        break;
    }
  served->running--;
}

static char *
round_trip (GSocketConnection *connection,
            const char        *text)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  g_autoptr(GError) error = NULL;
  GString *received = g_string_new (NULL);

  g_assert_true (bridge_output_stream_write_all (out, text, strlen (text), PRIO, NULL, &error));
  g_assert_no_error (error);
  /* Half-close: the server sees the end and, after echoing, closes. */
  g_assert_true (g_socket_shutdown (g_socket_connection_get_socket (connection), FALSE, TRUE, &error));
  for (;;)
    {
      g_autoptr(GBytes) chunk = bridge_input_stream_read_bytes (in, 4096, PRIO, &error);

      g_assert_no_error (error);
      if (g_bytes_get_size (chunk) == 0)
        break;
      g_string_append_len (received, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
    }
  return g_string_free (received, FALSE);
}

static void
run_body (BridgeTaskFunc func,
          gpointer       data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (func, data, &error));
  g_assert_no_error (error);
}

static void
close_and_wait (BridgeServer *server)
{
  g_autoptr(GError) error = NULL;

  bridge_server_close (server);
  g_assert_false (bridge_server_is_serving (server));
  g_assert_true (bridge_server_wait_closed (server, &error));
  g_assert_no_error (error);
}

/* ---- TCP ---------------------------------------------------------------------------------- */

static void
echo_body (BridgeTask *task,
           gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeServer) server = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *echoed = NULL;
  Served served = { 0 };

  server = bridge_start_server ("127.0.0.1", 0, echo_handler, &served, served_free, &error);
  g_assert_no_error (error);
  g_assert_true (bridge_server_is_serving (server));
  g_assert_cmpuint (bridge_server_get_port (server), >, 0);
  g_assert_true (G_IS_INET_SOCKET_ADDRESS (bridge_server_get_address (server)));

  connection = bridge_open_connection ("127.0.0.1", bridge_server_get_port (server), &error);
  g_assert_no_error (error);
  echoed = round_trip (connection, "hello, server");
  g_assert_cmpstr (echoed, ==, "hello, server");
  g_assert_cmpuint (served.served, ==, 1);

  close_and_wait (server);
  g_assert_cmpuint (bridge_server_get_n_connections (server), ==, 0);
  g_assert_cmpint (served.freed, ==, 0);
  g_clear_object (&server);
  /* The data went with the server. */
  g_assert_cmpint (served.freed, ==, 1);
}

static void
test_echo (void)
{
  run_body (echo_body, NULL);
}

typedef struct
{
  guint16     port;
  const char *text;
  char       *echoed;
} Client;

static void
client_body (BridgeTask *task,
             gpointer    user_data)
{
  Client *client = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = bridge_open_connection ("127.0.0.1", client->port, &error);

  g_assert_no_error (error);
  client->echoed = round_trip (connection, client->text);
}

static void
concurrent_body (BridgeTask *task,
                 gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeServer) server = NULL;
  g_autoptr(BridgeEvent) release = bridge_event_new ();
  Served served = { 0, 0, 0, release, 0 };
  Client clients[3] = { { 0, "a", NULL }, { 0, "bb", NULL }, { 0, "ccc", NULL } };
  BridgeTask *tasks[3];

  server = bridge_start_server ("127.0.0.1", 0, echo_handler, &served, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      clients[i].port = bridge_server_get_port (server);
      tasks[i] = bridge_spawn (client_body, &clients[i], NULL);
    }

  /* All three connections are served at the same time, each by its own
   * task, while every handler waits. */
  while (served.running < 3)
    g_assert_true (bridge_sleep (0.001, NULL));
  g_assert_cmpuint (bridge_server_get_n_connections (server), ==, 3);
  bridge_event_set (release);

  for (guint i = 0; i < 3; i++)
    {
      g_assert_true (bridge_await (BRIDGE_FUTURE (tasks[i]), &error));
      g_assert_cmpstr (clients[i].echoed, ==, clients[i].text);
      g_free (clients[i].echoed);
      bridge_task_unref (tasks[i]);
    }
  g_assert_cmpuint (served.max_running, ==, 3);
  close_and_wait (server);
}

static void
test_concurrent_connections (void)
{
  run_body (concurrent_body, NULL);
}

typedef struct
{
  BridgeServer *server;
  gboolean      returned;
  GError       *error;
} Waiter;

static void
waiter_body (BridgeTask *task,
             gpointer    user_data)
{
  Waiter *waiter = user_data;

  bridge_server_wait_closed (waiter->server, &waiter->error);
  waiter->returned = TRUE;
}

static void
wait_closed_body (BridgeTask *task,
                  gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeServer) server = NULL;
  g_autoptr(BridgeEvent) release = bridge_event_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GSocketConnection) refused = NULL;
  BridgeTask *waiters[2];
  Served served = { 0, 0, 0, release, 0 };
  Waiter waiting[2] = { { NULL, FALSE, NULL }, { NULL, FALSE, NULL } };
  guint16 port;

  server = bridge_start_server ("127.0.0.1", 0, echo_handler, &served, NULL, &error);
  port = bridge_server_get_port (server);
  connection = bridge_open_connection ("127.0.0.1", port, &error);
  g_assert_no_error (error);
  while (served.running < 1)
    g_assert_true (bridge_sleep (0.001, NULL));

  bridge_server_close (server);
  bridge_server_close (server);   /* twice: nothing more */
  /* No new clients... */
  refused = bridge_open_connection ("127.0.0.1", port, &error);
  g_assert_null (refused);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_clear_error (&error);

  /* ...but wait_closed() waits for the running handler, in any number of
   * tasks; cancelling one of them leaves the others (and the server)
   * alone. */
  for (guint i = 0; i < 2; i++)
    {
      waiting[i].server = server;
      waiters[i] = bridge_spawn (waiter_body, &waiting[i], NULL);
    }
  g_assert_true (bridge_sleep (0.05, NULL));
  g_assert_false (waiting[0].returned || waiting[1].returned);
  bridge_task_cancel (waiters[0], NULL);
  g_assert_false (bridge_await (BRIDGE_FUTURE (waiters[0]), NULL));
  g_assert_error (waiting[0].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (waiting[1].returned);
  g_assert_cmpuint (served.running, ==, 1);

  bridge_event_set (release);
  g_assert_true (g_socket_shutdown (g_socket_connection_get_socket (connection), FALSE, TRUE, &error));
  g_assert_true (bridge_await (BRIDGE_FUTURE (waiters[1]), &error));
  g_assert_no_error (waiting[1].error);
  g_assert_true (waiting[1].returned);
  g_assert_cmpuint (served.running, ==, 0);
  g_clear_error (&waiting[0].error);
  for (guint i = 0; i < 2; i++)
    bridge_task_unref (waiters[i]);
}

static void
test_wait_closed (void)
{
  run_body (wait_closed_body, NULL);
}

static void
quick_handler (BridgeTask        *task,
               GSocketConnection *connection,
               gpointer           user_data)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));

  bridge_output_stream_write_all (out, "bye", 3, PRIO, NULL, NULL);
  /* Returns with the connection open: the server closes it. */
}

static void
closed_after_handler_body (BridgeTask *task,
                           gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeServer) server = bridge_start_server ("127.0.0.1", 0, quick_handler, NULL, NULL, &error);
  g_autoptr(GSocketConnection) connection = NULL;
  GInputStream *in;
  char buffer[16];
  gsize n = 0;

  connection = bridge_open_connection ("127.0.0.1", bridge_server_get_port (server), &error);
  g_assert_no_error (error);
  in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  /* read_all stops at the end of the stream: the server closed it. */
  g_assert_true (bridge_input_stream_read_all (in, buffer, sizeof buffer, PRIO, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (buffer, n, "bye", 3);
  close_and_wait (server);
}

static void
test_closed_after_handler (void)
{
  run_body (closed_after_handler_body, NULL);
}

static void
errors_body (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeServer) server = bridge_start_server ("127.0.0.1", 0, echo_handler, NULL, NULL, &error);
  g_autoptr(BridgeServer) second = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  Served served = { 0 };

  /* The port is taken: the data is freed, nothing is started. */
  second = bridge_start_server ("127.0.0.1", bridge_server_get_port (server), echo_handler,
                                &served, served_free, &error);
  g_assert_null (second);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_assert_cmpint (served.freed, ==, 1);
  g_clear_error (&error);

  second = bridge_start_server ("localhost", 0, echo_handler, &served, served_free, &error);
  g_assert_null (second);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (served.freed, ==, 2);
  g_clear_error (&error);

  close_and_wait (server);
}

static void
test_errors (void)
{
  run_body (errors_body, NULL);
}

static void
test_open_outside_task (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = bridge_open_connection ("127.0.0.1", 1, &error);

  g_assert_null (connection);
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
}

/* ---- Unix sockets ---------------------------------------------------------------------- */

static void
unix_body (BridgeTask *task,
           gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("libbridge-server-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "socket", NULL);
  g_autoptr(BridgeServer) server = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *echoed = NULL;
  Served served = { 0 };

  server = bridge_start_unix_server (path, echo_handler, &served, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bridge_server_get_port (server), ==, 0);
  connection = bridge_open_unix_connection (path, &error);
  g_assert_no_error (error);
  echoed = round_trip (connection, "over a Unix socket");
  g_assert_cmpstr (echoed, ==, "over a Unix socket");
  close_and_wait (server);

  g_assert_no_errno (g_unlink (path));
  g_assert_no_errno (g_rmdir (dir));
}

static void
test_unix (void)
{
  run_body (unix_body, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/server/tcp/echo", test_echo);
  g_test_add_func ("/libbridge/server/tcp/task-per-connection", test_concurrent_connections);
  g_test_add_func ("/libbridge/server/close/wait-closed-waits-for-handlers", test_wait_closed);
  g_test_add_func ("/libbridge/server/connection-closed-after-handler", test_closed_after_handler);
  g_test_add_func ("/libbridge/server/errors", test_errors);
  g_test_add_func ("/libbridge/server/open-connection-outside-task", test_open_outside_task);
  g_test_add_func ("/libbridge/server/unix/echo", test_unix);

  return g_test_run ();
}
