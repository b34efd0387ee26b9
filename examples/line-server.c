/* line-server.c: a line server and its clients, asyncio's streams in C.
 *
 * The server answers every line with its upper-case version, computed on a
 * small named executor (as a blocking library call would be). Each client
 * connection is a task; each client sends a few lines through a
 * BridgeStreamWriter and reads the answers with read_line(). A task-local
 * variable carries the client's name into every task it spawns, for the
 * log lines.
 *
 * By default it runs five clients against itself and exits. With --serve
 * it listens until Ctrl-C (try `nc 127.0.0.1 PORT`), then closes the server
 * and waits for the connections still open.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <signal.h>
#include <libbridge.h>

#define N_CLIENTS 5
#define N_LINES   3

static BridgeTaskLocal client_name = BRIDGE_TASK_LOCAL_INIT ("client-name");
static BridgeExecutor *cpu;

/* On a thread of the "upcase" executor. */
static void
upcase_job (BridgeFuture *future,
            gpointer      user_data,
            GCancellable *cancellable)
{
  GBytes *line = user_data;
  gsize size;
  const char *data = g_bytes_get_data (line, &size);
  g_autofree char *upper = g_ascii_strup (data, (gssize) size);

  bridge_future_set_string (future, upper, NULL);
}

static void
serve_client (BridgeTask        *task,
              GSocketConnection *connection,
              gpointer           user_data)
{
  g_autoptr(BridgeStreamReader) reader =
    bridge_stream_reader_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)), 0);
  g_autoptr(BridgeStreamWriter) writer =
    bridge_stream_writer_new (g_io_stream_get_output_stream (G_IO_STREAM (connection)));
  g_autoptr(GError) error = NULL;

  for (;;)
    {
      g_autoptr(GBytes) line = bridge_stream_reader_read_line (reader, &error);
      g_autofree char *answer = NULL;
      BridgeFuture *upcased;

      if (line == NULL || g_bytes_get_size (line) == 0)
        break;   /* an error, or the client is done */

      upcased = bridge_run_in_executor (cpu, upcase_job, g_bytes_ref (line),
                                        (GDestroyNotify) g_bytes_unref);
      answer = bridge_await_string (upcased, &error);
      bridge_future_unref (upcased);
      if (answer == NULL)
        break;
      bridge_stream_writer_write (writer, (const guint8 *) answer, strlen (answer));
      if (!bridge_stream_writer_drain (writer, &error))
        break;
    }
  if (error != NULL)
    g_printerr ("server: %s\n", error->message);
  bridge_stream_writer_close (writer, NULL);
}

typedef struct
{
  guint16 port;
  guint   index;
  guint   answers;
} Client;

static void
client_main (BridgeTask *task,
             gpointer    user_data)
{
  Client *client = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(BridgeStreamReader) reader = NULL;
  g_autoptr(BridgeStreamWriter) writer = NULL;

  bridge_task_local_set (&client_name, g_strdup_printf ("client-%u", client->index), g_free);
  connection = bridge_open_connection ("127.0.0.1", client->port, &error);
  if (connection == NULL)
    {
      g_printerr ("%s: %s\n", (char *) bridge_task_local_get (&client_name), error->message);
      return;
    }
  reader = bridge_stream_reader_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)), 0);
  writer = bridge_stream_writer_new (g_io_stream_get_output_stream (G_IO_STREAM (connection)));

  for (guint i = 0; i < N_LINES; i++)
    {
      g_autofree char *text = g_strdup_printf ("line %u from %s\n", i,
                                               (char *) bridge_task_local_get (&client_name));
      g_autoptr(GBytes) answer = NULL;

      bridge_stream_writer_write (writer, (const guint8 *) text, strlen (text));
      answer = bridge_stream_reader_read_line (reader, &error);
      if (answer == NULL)
        break;
      g_print ("%s got: %.*s", (char *) bridge_task_local_get (&client_name),
               (int) g_bytes_get_size (answer), (const char *) g_bytes_get_data (answer, NULL));
      client->answers++;
    }
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
}

static void
main_task (BridgeTask *task,
           gpointer    user_data)
{
  gboolean serve = GPOINTER_TO_INT (user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeServer) server = NULL;

  server = bridge_start_server ("127.0.0.1", 0, serve_client, NULL, NULL, &error);
  if (server == NULL)
    {
      bridge_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_print ("listening on 127.0.0.1:%u\n", bridge_server_get_port (server));

  if (serve)
    bridge_await_unix_signal (SIGINT, NULL);
  else
    {
      Client clients[N_CLIENTS];
      BridgeTask *tasks[N_CLIENTS];

      for (guint i = 0; i < N_CLIENTS; i++)
        {
          clients[i] = (Client) { bridge_server_get_port (server), i, 0 };
          tasks[i] = bridge_spawn (client_main, &clients[i], NULL);
        }
      for (guint i = 0; i < N_CLIENTS; i++)
        {
          bridge_await (BRIDGE_FUTURE (tasks[i]), NULL);
          bridge_task_unref (tasks[i]);
          if (clients[i].answers != N_LINES)
            bridge_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                                          "client %u got %u answers", i, clients[i].answers);
        }
    }

  bridge_server_close (server);
  bridge_server_wait_closed (server, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  gboolean serve = argc > 1 && g_str_equal (argv[1], "--serve");
  gboolean ok;

  cpu = bridge_executor_new ("upcase", 2);
  ok = bridge_run (main_task, GINT_TO_POINTER (serve), &error);
  bridge_executor_shutdown (cpu, TRUE);
  g_object_unref (cpu);
  if (!ok)
    {
      g_printerr ("line-server: %s\n", error->message);
      return 1;
    }
  return 0;
}
