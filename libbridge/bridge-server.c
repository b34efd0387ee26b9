/* bridge-server.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "bridge-async-result-private.h"
#include "bridge-error.h"
#include "bridge-future-private.h"
#include "bridge-loop-private.h"
#include "bridge-server.h"
#include "bridge-shield.h"
#include "bridge-task.h"

/**
 * BridgeServer:
 *
 * A listening socket whose every client is served by a task of its own:
 * `asyncio.start_server()` and `start_unix_server()`.
 *
 * ```c
 * static void
 * echo (BridgeTask *task, GSocketConnection *connection, gpointer data)
 * {
 *   g_autoptr(BridgeStreamReader) reader =
 *     bridge_stream_reader_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)), 0);
 *   GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
 *   g_autoptr(GError) error = NULL;
 *   GBytes *line;
 *
 *   while ((line = bridge_stream_reader_read_line (reader, &error)) && g_bytes_get_size (line) > 0)
 *     {
 *       bridge_output_stream_write_all_bytes (out, line, G_PRIORITY_DEFAULT, NULL, &error);
 *       g_bytes_unref (line);
 *     }
 *   g_clear_pointer (&line, g_bytes_unref);
 * }
 *
 * server = bridge_start_server ("127.0.0.1", 8888, echo, NULL, NULL, &error);
 * ```
 *
 * The server accepts connections while the loop runs, from a task of its
 * own, and keeps itself alive while it serves, as asyncio's does: dropping
 * the last reference does not stop it. [method@Bridge.Server.close] stops
 * listening; connections already
 * accepted carry on, and [method@Bridge.Server.wait_closed] waits until
 * their tasks are over too, as asyncio 3.12 does.
 *
 * Since: 0.1
 */

struct _BridgeServer
{
  GObject               parent_instance;

  GSocketListener      *listener;
  GSocketAddress       *address;     /* the effective one (the port picked for 0) */
  BridgeLoop           *loop;
  BridgeTask           *acceptor;
  GPtrArray            *connections; /* their tasks, while they run */
  BridgeFuture         *closed;      /* completes when closed and every task is over */

  BridgeConnectionFunc  handler;
  gpointer              data;
  GDestroyNotify        destroy;
  gboolean              serving;
};

G_DEFINE_FINAL_TYPE (BridgeServer, bridge_server, G_TYPE_OBJECT)

typedef struct
{
  BridgeServer      *server;        /* referenced */
  GSocketConnection *connection;
} Client;

static void
client_free (gpointer data)
{
  Client *client = data;

  g_object_unref (client->connection);
  g_object_unref (client->server);
  g_free (client);
}

static void
server_check_closed (BridgeServer *server)
{
  if (!server->serving && server->connections->len == 0 &&
      (server->acceptor == NULL || bridge_future_is_done (BRIDGE_FUTURE (server->acceptor))) &&
      _bridge_future_is_pending (server->closed))
    bridge_future_set_value (server->closed, NULL, NULL);
}

static void
client_main (BridgeTask *task,
             gpointer    user_data)
{
  Client *client = user_data;
  GIOStream *stream = G_IO_STREAM (client->connection);

  client->server->handler (task, client->connection, client->server->data);

  /* Closing a socket does not block; what the handler did not close is
   * closed here, so the client sees the end of the stream. */
  if (!g_io_stream_is_closed (stream))
    g_io_stream_close (stream, NULL, NULL);
}

static void
client_done (BridgeFuture *future,
             gpointer      user_data)
{
  BridgeServer *server = user_data;

  g_ptr_array_remove_fast (server->connections, future);
  server_check_closed (server);
}

static void
acceptor_main (BridgeTask *task,
               gpointer    user_data)
{
  BridgeServer *server = user_data;

  while (server->serving)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GAsyncResult) result = NULL;
      GSocketConnection *connection;
      GCancellable *cancellable = bridge_task_get_cancellable (task);
      BridgeFuture *future = bridge_async_result_future_new ();
      Client *client;
      BridgeTask *client_task;

      bridge_future_set_label (future, "g_socket_listener_accept_async");
      g_socket_listener_accept_async (server->listener, cancellable, bridge_async_ready, future);
      if (!(result = bridge_await_async_result (future, &error)))
        break;   /* cancelled: the server was closed */

      connection = g_socket_listener_accept_finish (server->listener, result, NULL, &error);
      if (connection == NULL)
        {
          if (!server->serving || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
            break;
          /* A client that went away before it was accepted, or no
           * descriptor left: report it and keep serving, like asyncio. */
          bridge_loop_call_exception_handler (server->loop, "Error accepting a connection",
                                              error, BRIDGE_FUTURE (task));
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES) &&
              !bridge_sleep (1.0, NULL))
            break;
          continue;
        }

      client = g_new (Client, 1);
      client->server = g_object_ref (server);
      client->connection = connection;
      client_task = bridge_spawn_full (server->loop, "connection", BRIDGE_STACK_SIZE_DEFAULT,
                                       client_main, client, client_free);
      g_ptr_array_add (server->connections, client_task);
      bridge_future_add_done_callback (BRIDGE_FUTURE (client_task), client_done,
                                       g_object_ref (server), g_object_unref);
    }
}

static void
acceptor_done (BridgeFuture *future,
               gpointer      user_data)
{
  server_check_closed (user_data);
}

static void
bridge_server_finalize (GObject *object)
{
  BridgeServer *server = (BridgeServer *) object;

  g_clear_pointer (&server->acceptor, bridge_task_unref);
  g_clear_pointer (&server->closed, bridge_future_unref);
  g_clear_pointer (&server->connections, g_ptr_array_unref);
  g_clear_object (&server->listener);
  g_clear_object (&server->address);
  g_clear_object (&server->loop);
  if (server->destroy != NULL)
    server->destroy (server->data);

  G_OBJECT_CLASS (bridge_server_parent_class)->finalize (object);
}

static void
bridge_server_class_init (BridgeServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bridge_server_finalize;
}

static void
bridge_server_init (BridgeServer *server)
{
}

static BridgeServer *
server_start (GSocketAddress        *address,
              BridgeConnectionFunc   handler,
              gpointer               user_data,
              GDestroyNotify         destroy,
              GError               **error)
{
  g_autoptr(BridgeServer) server = g_object_new (BRIDGE_TYPE_SERVER, NULL);
  BridgeTask *current = bridge_task_get_current ();

  server->handler = handler;
  server->loop = g_object_ref (current != NULL ? bridge_future_get_loop (BRIDGE_FUTURE (current)) :
                                                 bridge_loop_get_default ());
  server->connections = g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_task_unref);
  server->closed = bridge_future_new_for_loop (server->loop);
  server->listener = g_socket_listener_new ();

  if (!g_socket_listener_add_address (server->listener, address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_DEFAULT, NULL, &server->address, error))
    return NULL;

  /* Only now does the server own the data: a failed start leaves it to
   * the caller, which may try another address with it. */
  server->data = user_data;
  server->destroy = destroy;
  server->serving = TRUE;
  /* Serving keeps the server alive, as in asyncio: the acceptor's done
   * callback holds a reference until close() has ended it. */
  server->acceptor = bridge_spawn_full (server->loop, "server", BRIDGE_STACK_SIZE_DEFAULT,
                                        acceptor_main, server, NULL);
  bridge_future_add_done_callback (BRIDGE_FUTURE (server->acceptor), acceptor_done,
                                   g_object_ref (server), g_object_unref);
  return g_steal_pointer (&server);
}

/**
 * bridge_start_server:
 * @address: (nullable): the IP address to listen on, as a literal such as
 *   `"127.0.0.1"` or `"::1"`; %NULL listens on every interface
 * @port: the TCP port, or 0 for one the system picks (see
 *   [method@Bridge.Server.get_port])
 * @handler: (scope notified): serves each connection, in a task of its own
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data with the server (at once if
 *   starting fails)
 * @error: return location for an error such as
 *   %G_IO_ERROR_ADDRESS_IN_USE, or %G_IO_ERROR_INVALID_ARGUMENT when
 *   @address is not a literal address
 *
 * Listens on @address and @port and serves every client with @handler in a
 * task of its own (`asyncio.start_server (client_connected_cb, host,
 * port)`). Listening starts before this returns, so a client may connect
 * at once; connections are accepted while the loop runs (the current
 * task's loop, or else [func@Bridge.Loop.get_default]).
 *
 * Each connection task is named "connection" and holds a reference to the
 * server. When @handler returns, the connection is closed if it is still
 * open.
 *
 * Returns: (transfer full) (nullable): the server, or %NULL with @error set
 *
 * Since: 0.1
 */
BridgeServer *
bridge_start_server (const char            *address,
                     guint16                port,
                     BridgeConnectionFunc   handler,
                     gpointer               user_data,
                     GDestroyNotify         destroy,
                     GError               **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  BridgeServer *server;

  g_return_val_if_fail (handler != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  inet = address != NULL ? g_inet_address_new_from_string (address) :
                           g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address; bridge_start_server() does not resolve names",
                   address);
      if (destroy != NULL)
        destroy (user_data);
      return NULL;
    }

  socket_address = g_inet_socket_address_new (inet, port);
  server = server_start (socket_address, handler, user_data, destroy, error);
  if (server == NULL && address == NULL)
    {
      /* No IPv6 on this host: every IPv4 interface, then. */
      g_autoptr(GInetAddress) any4 = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);

      g_clear_error (error);
      g_clear_object (&socket_address);
      socket_address = g_inet_socket_address_new (any4, port);
      server = server_start (socket_address, handler, user_data, destroy, error);
    }
  if (server == NULL && destroy != NULL)
    destroy (user_data);
  return server;
}

/**
 * bridge_start_unix_server:
 * @path: the file name of the socket to create
 * @handler: (scope notified): serves each connection, in a task of its own
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data with the server (at once if
 *   starting fails)
 * @error: return location for an error, such as %G_IO_ERROR_ADDRESS_IN_USE
 *   when @path exists
 *
 * Like [func@Bridge.start_server], on a Unix domain socket at @path
 * (`asyncio.start_unix_server()`). The socket file is not removed when the
 * server closes; remove it yourself.
 *
 * Returns: (transfer full) (nullable): the server, or %NULL with @error set
 *
 * Since: 0.1
 */
BridgeServer *
bridge_start_unix_server (const char            *path,
                          BridgeConnectionFunc   handler,
                          gpointer               user_data,
                          GDestroyNotify         destroy,
                          GError               **error)
{
  g_autoptr(GSocketAddress) address = NULL;
  BridgeServer *server;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (handler != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  address = g_unix_socket_address_new (path);
  server = server_start (address, handler, user_data, destroy, error);
  if (server == NULL && destroy != NULL)
    destroy (user_data);
  return server;
}

/**
 * bridge_server_get_port:
 * @server: a [class@Bridge.Server]
 *
 * Reads the port @server listens on.
 *
 * Returns: the TCP port @server listens on (the one picked when 0 was
 *   asked for), or 0 for a Unix socket
 *
 * Since: 0.1
 */
guint16
bridge_server_get_port (BridgeServer *server)
{
  g_return_val_if_fail (BRIDGE_IS_SERVER (server), 0);

  if (G_IS_INET_SOCKET_ADDRESS (server->address))
    return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (server->address));
  return 0;
}

/**
 * bridge_server_get_address:
 * @server: a [class@Bridge.Server]
 *
 * Reads the address @server listens on.
 *
 * Returns: (transfer none): the address @server listens on
 *   (`Server.sockets[0].getsockname()`)
 *
 * Since: 0.1
 */
GSocketAddress *
bridge_server_get_address (BridgeServer *server)
{
  g_return_val_if_fail (BRIDGE_IS_SERVER (server), NULL);

  return server->address;
}

/**
 * bridge_server_is_serving:
 * @server: a [class@Bridge.Server]
 *
 * Tells whether @server still accepts clients.
 *
 * Returns: %TRUE until [method@Bridge.Server.close] (`is_serving()`)
 *
 * Since: 0.1
 */
gboolean
bridge_server_is_serving (BridgeServer *server)
{
  g_return_val_if_fail (BRIDGE_IS_SERVER (server), FALSE);

  return server->serving;
}

/**
 * bridge_server_get_n_connections:
 * @server: a [class@Bridge.Server]
 *
 * Counts the clients being served.
 *
 * Returns: how many connection tasks are running
 *
 * Since: 0.1
 */
guint
bridge_server_get_n_connections (BridgeServer *server)
{
  g_return_val_if_fail (BRIDGE_IS_SERVER (server), 0);

  return server->connections->len;
}

/**
 * bridge_server_close:
 * @server: a [class@Bridge.Server]
 *
 * Stops listening (`Server.close()`): the listening socket is closed at
 * once, so new clients are refused. Connections already accepted are left
 * to their tasks; cancel those yourself to end them sooner. Closing twice
 * does nothing.
 *
 * Since: 0.1
 */
void
bridge_server_close (BridgeServer *server)
{
  g_return_if_fail (BRIDGE_IS_SERVER (server));

  if (!server->serving)
    return;

  server->serving = FALSE;
  g_socket_listener_close (server->listener);
  if (server->acceptor != NULL)
    bridge_task_cancel (server->acceptor, "The server was closed");
  server_check_closed (server);
}

/**
 * bridge_server_wait_closed:
 * @server: a [class@Bridge.Server]
 * @error: return location for %G_IO_ERROR_CANCELLED if the task was
 *   cancelled, or %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Waits, inside the current task, until @server is closed and every
 * connection task has ended (`await server.wait_closed()`, as in Python
 * 3.12). Any number of tasks may wait. Cancelling a waiting task does not
 * close the server.
 *
 * Returns: %TRUE once the server is closed and idle
 *
 * Since: 0.1
 */
gboolean
bridge_server_wait_closed (BridgeServer  *server,
                           GError       **error)
{
  g_autoptr(BridgeServer) held = NULL;
  BridgeFuture *waiter;
  gboolean ret;

  g_return_val_if_fail (BRIDGE_IS_SERVER (server), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  held = g_object_ref (server);
  /* Shielded: a cancelled waiter must not cancel the future that the
   * server and the other waiters share. */
  waiter = bridge_shield (server->closed);
  ret = bridge_await (waiter, error);
  bridge_future_unref (waiter);
  return ret;
}

/* ---- connecting ---------------------------------------------------------------------- */

static GSocketConnection *
connect_to (GSocketConnectable  *connectable,
            const char          *function,
            GError             **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GAsyncResult) result = NULL;
  GCancellable *cancellable;
  BridgeFuture *future;

  if (!(future = _bridge_async_begin (function, NULL, NULL, &cancellable, error)))
    return NULL;
  g_socket_client_connect_async (client, connectable, cancellable, bridge_async_ready, future);
  if (!(result = bridge_await_async_result (future, error)))
    return NULL;
  return g_socket_client_connect_finish (client, result, error);
}

/**
 * bridge_open_connection:
 * @host: a host name or IP address
 * @port: the TCP port
 * @error: return location for a connection error,
 *   %G_IO_ERROR_CANCELLED if the task was cancelled, or
 *   %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Connects, inside the current task, to @host and @port
 * (`asyncio.open_connection (host, port)`): the name is resolved, and each
 * address tried in turn. Read and write the returned connection's streams
 * with [class@Bridge.StreamReader] and [func@Bridge.output_stream_write_all].
 *
 * Returns: (transfer full) (nullable): the connection, or %NULL with @error
 *   set
 *
 * Since: 0.1
 */
GSocketConnection *
bridge_open_connection (const char  *host,
                        guint16      port,
                        GError     **error)
{
  g_autoptr(GSocketConnectable) connectable = NULL;

  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  connectable = g_network_address_new (host, port);
  return connect_to (connectable, G_STRFUNC, error);
}

/**
 * bridge_open_unix_connection:
 * @path: the file name of a Unix domain socket
 * @error: return location for a connection error,
 *   %G_IO_ERROR_CANCELLED if the task was cancelled, or
 *   %BRIDGE_ERROR_INVALID_STATE outside a task
 *
 * Connects, inside the current task, to the Unix socket at @path
 * (`asyncio.open_unix_connection()`).
 *
 * Returns: (transfer full) (nullable): the connection, or %NULL with @error
 *   set
 *
 * Since: 0.1
 */
GSocketConnection *
bridge_open_unix_connection (const char  *path,
                             GError     **error)
{
  g_autoptr(GSocketAddress) address = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  address = g_unix_socket_address_new (path);
  return connect_to (G_SOCKET_CONNECTABLE (address), G_STRFUNC, error);
}
