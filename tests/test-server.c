/* test-server.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libbridge.h>
#include <stdlib.h>
#include <string.h>

#include "test-gio-util.h"
#include "test-server.h"

/* ---- body pattern ------------------------------------------------------------ */

GBytes *
test_server_pattern (gsize offset,
                     gsize size)
{
  guint8 *data = g_malloc (MAX (size, 1));

  for (gsize i = 0; i < size; i++)
    data[i] = test_server_pattern_byte (offset + i);
  return g_bytes_new_take (data, size);
}

gboolean
test_server_check_pattern (GBytes *bytes,
                           gsize   offset)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  for (gsize i = 0; i < size; i++)
    if (data[i] != test_server_pattern_byte (offset + i))
      return FALSE;
  return TRUE;
}

/* ---- blackhole --------------------------------------------------------------------- */

struct _TestBlackhole
{
  GSocket *listener;
  GSocket *filler;
  guint16  port;
};

TestBlackhole *
test_blackhole_new (void)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  TestBlackhole *self = g_new0 (TestBlackhole, 1);

  self->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (self->listener, any_port, FALSE, &error);
  g_assert_no_error (error);
  /* Backlog 0: the accept queue is full as soon as one connection waits in
   * it, and nobody ever accepts. */
  g_socket_set_listen_backlog (self->listener, 0);
  g_socket_listen (self->listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (self->listener, &error);
  g_assert_no_error (error);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  /* A blocking connect completes while the queue has room, and fills it. */
  self->filler = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_connect (self->filler, bound, NULL, &error);
  g_assert_no_error (error);

  return self;
}

guint16
test_blackhole_get_port (TestBlackhole *self)
{
  return self->port;
}

void
test_blackhole_free (TestBlackhole *self)
{
  g_socket_close (self->filler, NULL);
  g_socket_close (self->listener, NULL);
  g_clear_object (&self->filler);
  g_clear_object (&self->listener);
  g_free (self);
}

#if HAVE_SOUP

#include <libsoup/soup.h>

/* ---- taken-over connections ----------------------------------------------------- */

typedef struct
{
  guint          ref_count;
  TestServer    *server;
  GIOStream     *io;
  GCancellable  *cancellable;
  GBytes        *writing;        /* what the pending write reads from */
  GSource       *timer;
  guint8         read_buffer[512];
  guint          chunks_left;
  gsize          chunk_size;
  gsize          offset;
  int            interval_ms;
  gboolean       close_after_write;
  gboolean       done;           /* closed, by the client or by us */
} Conn;

struct _TestServer
{
  GObject     parent_instance;

  SoupServer     *soup;
  GSocketService *service;
  guint16         port;
  guint           counts[TEST_SERVER_N_COUNTERS];
  GList          *conns;
};

G_DEFINE_FINAL_TYPE (TestServer, test_server, G_TYPE_OBJECT)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
count (TestServer        *self,
       TestServerCounter  counter)
{
  self->counts[counter]++;
  g_signal_emit (self, signals[CHANGED], 0);
}

static Conn *
conn_ref (Conn *conn)
{
  conn->ref_count++;
  return conn;
}

static void
conn_unref (Conn *conn)
{
  if (--conn->ref_count > 0)
    return;

  g_assert (conn->timer == NULL);
  conn->server->conns = g_list_remove (conn->server->conns, conn);
  g_signal_emit (conn->server, signals[CHANGED], 0);
  g_clear_pointer (&conn->writing, g_bytes_unref);
  g_clear_object (&conn->cancellable);
  g_clear_object (&conn->io);
  g_object_unref (conn->server);
  g_free (conn);
}

/* Stops everything pending on @conn and closes it. */
static void
conn_finish (Conn     *conn,
             gboolean  by_client)
{
  if (conn->done)
    return;

  conn->done = TRUE;
  if (by_client)
    count (conn->server, TEST_SERVER_CLOSED);

  if (conn->timer != NULL)
    {
      g_source_destroy (conn->timer);
      g_clear_pointer (&conn->timer, g_source_unref);
      conn_unref (conn);   /* the timer's reference */
    }
  g_cancellable_cancel (conn->cancellable);
  g_io_stream_close (conn->io, NULL, NULL);
}

static void conn_write_next (Conn *conn);

static void
conn_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Conn *conn = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n > 0 && !conn->done)
    {
      /* Pipelined data or nothing of interest: keep watching. */
      g_input_stream_read_async (g_io_stream_get_input_stream (conn->io), conn->read_buffer,
                                 sizeof conn->read_buffer, G_PRIORITY_DEFAULT, conn->cancellable,
                                 conn_read_cb, conn_ref (conn));
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* End of stream or a reset: the client went away. */
      conn_finish (conn, TRUE);
    }

  conn_unref (conn);
}

static gboolean
conn_timer_cb (gpointer user_data)
{
  Conn *conn = user_data;

  g_clear_pointer (&conn->timer, g_source_unref);
  conn_write_next (conn);
  conn_unref (conn);   /* the timer's reference */
  return G_SOURCE_REMOVE;
}

static void
conn_write_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Conn *conn = user_data;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&conn->writing, g_bytes_unref);

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        conn_finish (conn, TRUE);   /* broken pipe: the client is gone */
    }
  else if (conn->done)
    ;
  else if (conn->close_after_write)
    conn_finish (conn, FALSE);
  else if (conn->chunks_left > 0 && conn->interval_ms >= 0)
    {
      conn->timer = g_timeout_source_new (conn->interval_ms);
      g_source_set_callback (conn->timer, conn_timer_cb, conn_ref (conn), NULL);
      g_source_set_static_name (conn->timer, "[test-server] drip");
      g_source_attach (conn->timer, g_main_context_get_thread_default ());
    }

  conn_unref (conn);
}

static void
conn_write (Conn   *conn,
            GBytes *bytes)
{
  gsize size;
  gconstpointer data = g_bytes_get_data (bytes, &size);

  g_assert (conn->writing == NULL);
  conn->writing = bytes;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (conn->io), data, size,
                                   G_PRIORITY_DEFAULT, conn->cancellable, conn_write_cb,
                                   conn_ref (conn));
}

static void
conn_write_next (Conn *conn)
{
  if (conn->done || conn->chunks_left == 0)
    return;

  conn->chunks_left--;
  conn_write (conn, test_server_pattern (conn->offset, conn->chunk_size));
  conn->offset += conn->chunk_size;
}

/* Takes the connection of @msg over from libsoup. */
static Conn *
conn_steal (TestServer        *self,
            SoupServerMessage *msg)
{
  Conn *conn = g_new0 (Conn, 1);

  conn->ref_count = 1;
  conn->server = g_object_ref (self);
  conn->io = soup_server_message_steal_connection (msg);
  conn->cancellable = g_cancellable_new ();
  self->conns = g_list_prepend (self->conns, conn);
  count (self, TEST_SERVER_STOLEN);

  g_input_stream_read_async (g_io_stream_get_input_stream (conn->io), conn->read_buffer,
                             sizeof conn->read_buffer, G_PRIORITY_DEFAULT, conn->cancellable,
                             conn_read_cb, conn_ref (conn));
  return conn;
}

static GBytes *
response_head (gsize length)
{
  char *head = g_strdup_printf ("HTTP/1.1 200 OK\r\n"
                                "Content-Type: application/octet-stream\r\n"
                                "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                "Connection: close\r\n"
                                "\r\n", length);

  return g_bytes_new_take (head, strlen (head));
}

static GBytes *
concat (GBytes *a,
        GBytes *b)
{
  g_autoptr(GByteArray) array = g_byte_array_new ();

  g_byte_array_append (array, g_bytes_get_data (a, NULL), g_bytes_get_size (a));
  g_byte_array_append (array, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  g_bytes_unref (a);
  g_bytes_unref (b);
  return g_byte_array_free_to_bytes (g_steal_pointer (&array));
}

static gsize
query_size (GHashTable *query,
            const char *name,
            gsize       fallback)
{
  const char *value = query != NULL ? g_hash_table_lookup (query, name) : NULL;

  return value != NULL ? (gsize) g_ascii_strtoull (value, NULL, 10) : fallback;
}

static void
server_handler (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  TestServer *self = user_data;

  count (self, TEST_SERVER_REQUESTS);

  if (g_str_equal (path, "/hello"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
                                        "Hello, world!\n", strlen ("Hello, world!\n"));
    }
  else if (g_str_has_prefix (path, "/bytes/"))
    {
      g_autoptr(GBytes) body = test_server_pattern (0, g_ascii_strtoull (path + 7, NULL, 10));

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg),
                                             "application/octet-stream", NULL);
      soup_message_body_append_bytes (soup_server_message_get_response_body (msg), body);
    }
  else if (g_str_has_prefix (path, "/status/"))
    {
      soup_server_message_set_status (msg, (guint) g_ascii_strtoull (path + 8, NULL, 10), NULL);
    }
  else if (g_str_has_prefix (path, "/redirect/"))
    {
      guint n = (guint) g_ascii_strtoull (path + 10, NULL, 10);

      if (n == 0)
        {
          soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
          soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
                                            "redirected", strlen ("redirected"));
        }
      else
        {
          g_autofree char *next = g_strdup_printf ("/redirect/%u", n - 1);
          soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, next);
        }
    }
  else if (g_str_equal (path, "/drip"))
    {
      guint chunks = (guint) query_size (query, "chunks", 5);
      gsize size = query_size (query, "size", 100);
      const char *interval = query != NULL ? g_hash_table_lookup (query, "interval") : NULL;
      Conn *conn = conn_steal (self, msg);

      conn->chunks_left = chunks - 1;
      conn->chunk_size = size;
      conn->offset = size;
      conn->interval_ms = interval != NULL ? atoi (interval) : 10;
      conn_write (conn, concat (response_head (chunks * size), test_server_pattern (0, size)));
      conn_unref (conn);
    }
  else if (g_str_equal (path, "/hang"))
    {
      conn_unref (conn_steal (self, msg));
    }
  else if (g_str_equal (path, "/drop"))
    {
      gsize len = query_size (query, "len", 10000);
      gsize sent = query_size (query, "sent", 1000);
      Conn *conn = conn_steal (self, msg);

      conn->close_after_write = TRUE;
      conn_write (conn, concat (response_head (len), test_server_pattern (0, sent)));
      conn_unref (conn);
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    }
}

static void
test_server_dispose (GObject *object)
{
  TestServer *self = (TestServer *) object;

  test_server_close (self);
  g_clear_object (&self->service);
  g_clear_object (&self->soup);

  G_OBJECT_CLASS (test_server_parent_class)->dispose (object);
}

static void
test_server_class_init (TestServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = test_server_dispose;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
test_server_init (TestServer *self)
{
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  TestServer *self = user_data;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autoptr(GError) error = NULL;

  soup_server_accept_iostream (self->soup, G_IO_STREAM (connection), local, remote, &error);
  g_assert_no_error (error);
  return TRUE;
}

TestServer *
test_server_new (void)
{
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;
  TestServer *self = g_object_new (TEST_TYPE_SERVER, NULL);

  self->soup = soup_server_new ("server-header", "libbridge-test ", NULL);
  soup_server_add_handler (self->soup, NULL, server_handler, self, NULL);

  /* GIO accepts, libsoup serves: libsoup 3.2's own listener leaks every
   * accepted socket, which would drown real leaks in the sanitizer's
   * report. */
  self->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect_object (self->service, "incoming", G_CALLBACK (incoming_cb), self, 0);
  g_socket_service_start (self->service);
  return self;
}

char *
test_server_get_uri (TestServer *self,
                     const char *path_and_query)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", self->port, path_and_query);
}

guint
test_server_get_count (TestServer        *self,
                       TestServerCounter  counter)
{
  return self->counts[counter];
}

/* Waits in a task until @counter reaches @at_least; the server runs on the
 * same loop, so there is no window between the check and the wait. */
gboolean
test_server_await_count (TestServer         *self,
                         TestServerCounter   counter,
                         guint               at_least,
                         GError            **error)
{
  while (self->counts[counter] < at_least)
    if (!bridge_await_signal (self, "changed", 30.0, error))
      return FALSE;
  return TRUE;
}

/* Stops the server and every connection it took over. */
void
test_server_close (TestServer *self)
{
  g_autoptr(GList) conns = g_list_copy (self->conns);

  for (GList *l = conns; l != NULL; l = l->next)
    conn_finish (l->data, FALSE);
  if (self->service != NULL)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
    }
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
}

/* In a task: closes the server and waits until the connections it took over
 * are released, which takes their cancelled operations calling back. */
gboolean
test_server_shutdown (TestServer  *self,
                      GError     **error)
{
  test_server_close (self);
  while (self->conns != NULL)
    if (!bridge_await_signal (self, "changed", 30.0, error))
      return FALSE;

  /* The service's cancelled accept calls back once more. */
  if (self->service != NULL)
    test_unref_and_await_finalize (g_steal_pointer (&self->service));
  return TRUE;
}

#endif /* HAVE_SOUP */
