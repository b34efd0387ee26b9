/* outside-api.c: libbridge's executors, servers, stream writer, datagrams,
 * task-locals, runners, signal tasks, fd readiness and Unix signals, used
 * the way an application uses them, from a program that knows the library
 * only through pkg-config. Each case checks what the API reference
 * promises, against the installed library.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* pipe2(), pthread_getname_np() */
#define _GNU_SOURCE

#include <libbridge.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Upper bound for anything awaited: it only matters when something hangs. */
#define DEADLINE_SECONDS 20

/* Inside a task: lets the loop run until @condition holds. */
#define AWAIT_TRUE(condition)                                                            \
  G_STMT_START {                                                                         \
    gint64 _deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;      \
    while (!(condition))                                                                 \
      {                                                                                  \
        if (g_get_monotonic_time () > _deadline)                                         \
          g_error ("Timed out after %d s waiting for: %s", DEADLINE_SECONDS, #condition); \
        g_assert_true (bridge_sleep (0.001, NULL));                                      \
      }                                                                                  \
  } G_STMT_END

/* Runs @body as the main task of a fresh loop, as a program's main() would. */
static void
run_main (BridgeTaskFunc body,
          gpointer       data)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = bridge_run (body, data, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
}

/* ---- executors ------------------------------------------------------------------ */

typedef struct
{
  gint running;
  gint max_running;
  gint ran;
  gint saw_cancel;
  GMutex lock;
  GString *order;
} Jobs;

static void
named_job (BridgeFuture *future,
           gpointer      user_data,
           GCancellable *cancellable)
{
  Jobs *jobs = user_data;
  char name[16] = "";
  gint now = g_atomic_int_add (&jobs->running, 1) + 1;
  gint max;

  while ((max = g_atomic_int_get (&jobs->max_running)) < now &&
         !g_atomic_int_compare_and_exchange (&jobs->max_running, max, now))
    ;
  g_usleep (5000);
  pthread_getname_np (pthread_self (), name, sizeof name);
  g_atomic_int_add (&jobs->running, -1);
  g_atomic_int_inc (&jobs->ran);
  bridge_future_set_string (future, name, NULL);
}

static void
ordered_job (BridgeFuture *future,
             gpointer      user_data,
             GCancellable *cancellable)
{
  Jobs *jobs = user_data;

  g_mutex_lock (&jobs->lock);
  g_string_append_c (jobs->order, 'a' + jobs->order->len);
  g_mutex_unlock (&jobs->lock);
  bridge_future_set_boolean (future, TRUE, NULL);
}

/* Runs until its future is cancelled, which cancels @cancellable. */
static void
cancellable_job (BridgeFuture *future,
                 gpointer      user_data,
                 GCancellable *cancellable)
{
  Jobs *jobs = user_data;
  gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;

  g_atomic_int_inc (&jobs->running);
  while (!g_cancellable_is_cancelled (cancellable) && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  if (g_cancellable_is_cancelled (cancellable) && bridge_thread_is_cancelled ())
    g_atomic_int_inc (&jobs->saw_cancel);
}

static void
counting_job (BridgeFuture *future,
              gpointer      user_data,
              GCancellable *cancellable)
{
  Jobs *jobs = user_data;

  g_atomic_int_inc (&jobs->ran);
  bridge_future_set_boolean (future, TRUE, NULL);
}

/* A bounded, named pool: its threads carry its name, never more of them
 * run than allowed, and every job's result comes back to the task. */
static void
executor_bounds_body (BridgeTask *task,
                      gpointer    user_data)
{
  g_autoptr(BridgeExecutor) disk = bridge_executor_new ("disk", 2);
  g_autoptr(GError) error = NULL;
  BridgeFuture *futures[6];
  Jobs jobs = { 0 };

  g_assert_cmpstr (bridge_executor_get_name (disk), ==, "disk");
  g_assert_cmpuint (bridge_executor_get_max_threads (disk), ==, 2);
  /* No thread before the first job. */
  g_assert_cmpuint (bridge_executor_get_n_threads (disk), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (futures); i++)
    futures[i] = bridge_run_in_executor (disk, named_job, &jobs, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (futures); i++)
    {
      g_autofree char *name = bridge_await_string (futures[i], &error);

      g_assert_no_error (error);
      g_assert_true (g_str_equal (name, "disk-0") || g_str_equal (name, "disk-1"));
      bridge_future_unref (futures[i]);
    }
  g_assert_cmpint (jobs.ran, ==, G_N_ELEMENTS (futures));
  g_assert_cmpint (jobs.max_running, >=, 1);
  g_assert_cmpint (jobs.max_running, <=, 2);
  g_assert_cmpuint (bridge_executor_get_n_threads (disk), >=, 1);
  g_assert_cmpuint (bridge_executor_get_n_threads (disk), <=, 2);

  bridge_executor_shutdown (disk, TRUE);
  g_assert_true (bridge_executor_is_shut_down (disk));
  g_assert_cmpuint (bridge_executor_get_n_threads (disk), ==, 0);
}

static void
test_executor_bounds (void)
{
  run_main (executor_bounds_body, NULL);
}

/* One thread: jobs start in the order they were given. */
static void
executor_order_body (BridgeTask *task,
                     gpointer    user_data)
{
  g_autoptr(BridgeExecutor) serial = bridge_executor_new ("serial", 1);
  g_autoptr(GError) error = NULL;
  BridgeFuture *futures[8];
  Jobs jobs = { 0 };

  g_mutex_init (&jobs.lock);
  jobs.order = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (futures); i++)
    futures[i] = bridge_run_in_executor (serial, ordered_job, &jobs, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (futures); i++)
    {
      g_assert_true (bridge_await_boolean (futures[i], &error));
      g_assert_no_error (error);
      bridge_future_unref (futures[i]);
    }
  g_assert_cmpstr (jobs.order->str, ==, "abcdefgh");
  g_string_free (jobs.order, TRUE);
  g_mutex_clear (&jobs.lock);
  bridge_executor_shutdown (serial, TRUE);
}

static void
test_executor_order (void)
{
  run_main (executor_order_body, NULL);
}

/* Cancelling the future wakes the awaiting task at once and cancels the
 * job's GCancellable; a shut-down executor refuses new work, which never
 * runs. */
static void
executor_cancel_body (BridgeTask *task,
                      gpointer    user_data)
{
  g_autoptr(BridgeExecutor) pool = bridge_executor_new ("blocking", 1);
  g_autoptr(BridgeFuture) blocked = NULL;
  g_autoptr(BridgeFuture) refused = NULL;
  g_autoptr(GError) error = NULL;
  Jobs jobs = { 0 };

  blocked = bridge_run_in_executor (pool, cancellable_job, &jobs, NULL);
  AWAIT_TRUE (g_atomic_int_get (&jobs.running) == 1);
  g_assert_true (bridge_future_cancel (blocked, "enough"));
  g_assert_false (bridge_await (blocked, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  /* The job learns it from the loop's thread, which must run meanwhile. */
  AWAIT_TRUE (g_atomic_int_get (&jobs.saw_cancel) == 1);

  bridge_executor_shutdown (pool, TRUE);

  refused = bridge_run_in_executor (pool, counting_job, &jobs, NULL);
  g_assert_false (bridge_await (refused, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_cmpint (jobs.ran, ==, 0);
}

static void
test_executor_cancel (void)
{
  run_main (executor_cancel_body, NULL);
}

/* ---- servers and the stream writer ------------------------------------------------ */

/* Answers each line with the same line in upper case. */
static void
shout_back (BridgeTask        *task,
            GSocketConnection *connection,
            gpointer           user_data)
{
  g_autoptr(BridgeStreamReader) reader =
    bridge_stream_reader_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)), 0);
  g_autoptr(BridgeStreamWriter) writer =
    bridge_stream_writer_new (g_io_stream_get_output_stream (G_IO_STREAM (connection)));
  g_autoptr(GError) error = NULL;
  gint *served = user_data;

  g_atomic_int_inc (served);
  for (;;)
    {
      g_autoptr(GBytes) line = bridge_stream_reader_read_line (reader, &error);
      g_autofree char *upper = NULL;

      if (line == NULL || g_bytes_get_size (line) == 0)
        break;
      upper = g_ascii_strup (g_bytes_get_data (line, NULL), g_bytes_get_size (line));
      bridge_stream_writer_write (writer, (const guint8 *) upper, g_bytes_get_size (line));
      if (!bridge_stream_writer_drain (writer, &error))
        break;
    }
  bridge_stream_writer_close (writer, NULL);
}

static char *
ask (BridgeStreamWriter *writer,
     BridgeStreamReader *reader,
     const char         *line)
{
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  bridge_stream_writer_write (writer, (const guint8 *) line, strlen (line));
  g_assert_true (bridge_stream_writer_drain (writer, &error));
  g_assert_no_error (error);
  answer = bridge_stream_reader_read_line (reader, &error);
  g_assert_no_error (error);
  return g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

/* A client is served by a task of its own; closing stops listening but
 * lets accepted connections carry on, and wait_closed returns once they
 * have ended. */
static void
server_body (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeServer) server = NULL;
  g_autoptr(GSocketConnection) client = NULL;
  g_autoptr(GSocketConnection) late = NULL;
  g_autoptr(BridgeStreamReader) reader = NULL;
  g_autoptr(BridgeStreamWriter) writer = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  gint served = 0;
  guint16 port;

  server = bridge_start_server ("127.0.0.1", 0, shout_back, &served, NULL, &error);
  g_assert_no_error (error);
  port = bridge_server_get_port (server);
  g_assert_cmpuint (port, >, 0);
  g_assert_true (bridge_server_is_serving (server));

  client = bridge_open_connection ("127.0.0.1", port, &error);
  g_assert_no_error (error);
  reader = bridge_stream_reader_new (g_io_stream_get_input_stream (G_IO_STREAM (client)), 0);
  writer = bridge_stream_writer_new (g_io_stream_get_output_stream (G_IO_STREAM (client)));
  first = ask (writer, reader, "hello\n");
  second = ask (writer, reader, "bridge\n");
  g_assert_cmpstr (first, ==, "HELLO\n");
  g_assert_cmpstr (second, ==, "BRIDGE\n");
  g_assert_cmpint (served, ==, 1);
  g_assert_cmpuint (bridge_server_get_n_connections (server), ==, 1);

  /* Closed: new clients are refused, the one accepted is still served. */
  bridge_server_close (server);
  g_assert_false (bridge_server_is_serving (server));
  late = bridge_open_connection ("127.0.0.1", port, &error);
  g_assert_null (late);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_clear_error (&error);
  third = ask (writer, reader, "still here\n");
  g_assert_cmpstr (third, ==, "STILL HERE\n");

  /* The client hangs up (the writer's stream, then the connection, as the
   * reference asks): its task ends, and the server is idle. */
  g_assert_true (bridge_stream_writer_close (writer, &error));
  g_assert_no_error (error);
  g_assert_true (g_io_stream_close (G_IO_STREAM (client), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (bridge_server_wait_closed (server, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bridge_server_get_n_connections (server), ==, 0);
  g_assert_cmpint (served, ==, 1);
}

static void
test_server (void)
{
  run_main (server_body, NULL);
}

/* A connected pair of stream sockets, as GIO streams. */
static void
socket_pair (GIOStream **a,
             GIOStream **b)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket_a = NULL;
  g_autoptr(GSocket) socket_b = NULL;
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  socket_a = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  socket_b = g_socket_new_from_fd (fds[1], &error);
  g_assert_no_error (error);
  *a = G_IO_STREAM (g_socket_connection_factory_create_connection (socket_a));
  *b = G_IO_STREAM (g_socket_connection_factory_create_connection (socket_b));
}

typedef struct
{
  GIOStream  *stream;
  GByteArray *received;
} Sink;

static void
sink_body (BridgeTask *task,
           gpointer    user_data)
{
  Sink *sink = user_data;
  g_autoptr(BridgeStreamReader) reader =
    bridge_stream_reader_new (g_io_stream_get_input_stream (sink->stream), 0);
  g_autoptr(GError) error = NULL;

  for (;;)
    {
      g_autoptr(GBytes) chunk = bridge_stream_reader_next (reader, &error);

      g_assert_no_error (error);
      if (chunk == NULL || g_bytes_get_size (chunk) == 0)
        break;
      g_byte_array_append (sink->received, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
    }
}

static void
drain_body (BridgeTask *task,
            gpointer    user_data)
{
  BridgeStreamWriter *writer = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_stream_writer_drain (writer, &error));
  g_assert_no_error (error);
}

#define WRITTEN_SIZE (4 * 1024 * 1024)

/* Writing never waits; drain holds a fast writer back while its peer does
 * not read, until the buffer is down to the low-water mark; close sends
 * everything, in order. */
static void
stream_writer_body (BridgeTask *task,
                    gpointer    user_data)
{
  g_autoptr(GIOStream) ours = NULL;
  g_autoptr(GIOStream) theirs = NULL;
  g_autoptr(BridgeStreamWriter) writer = NULL;
  g_autoptr(BridgeTask) draining = NULL;
  g_autoptr(BridgeTask) reading = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *data = g_malloc (WRITTEN_SIZE);
  Sink sink = { NULL, g_byte_array_new () };

  for (gsize i = 0; i < WRITTEN_SIZE; i++)
    data[i] = (guint8) (i * 7 + i / 4096);
  socket_pair (&ours, &theirs);
  writer = bridge_stream_writer_new (g_io_stream_get_output_stream (ours));
  g_assert_true (bridge_stream_writer_get_stream (writer) == g_io_stream_get_output_stream (ours));
  bridge_stream_writer_set_buffer_limits (writer, 256 * 1024, 64 * 1024);

  bridge_stream_writer_write (writer, data, WRITTEN_SIZE);
  /* More than a socket buffer holds: most of it waits in the writer. */
  g_assert_cmpuint (bridge_stream_writer_get_buffer_size (writer), >, 256 * 1024);

  draining = bridge_spawn (drain_body, writer, NULL);
  /* Nobody reads: the buffer cannot shrink below the high-water mark. */
  for (guint i = 0; i < 20; i++)
    g_assert_true (bridge_sleep (0.005, NULL));
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (draining)));
  g_assert_cmpuint (bridge_stream_writer_get_buffer_size (writer), >, 256 * 1024);

  /* A reader: the drain ends with the buffer at the low-water mark. */
  sink.stream = theirs;
  reading = bridge_spawn (sink_body, &sink, NULL);
  g_assert_true (bridge_await (BRIDGE_FUTURE (draining), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bridge_stream_writer_get_buffer_size (writer), <=, 64 * 1024);

  g_assert_true (bridge_stream_writer_close (writer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bridge_stream_writer_get_buffer_size (writer), ==, 0);
  /* The stream of a socket closes its sending half only: the connection
   * itself, as a transport would. */
  g_assert_true (g_io_stream_close (ours, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (bridge_await (BRIDGE_FUTURE (reading), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sink.received->len, ==, WRITTEN_SIZE);
  g_assert_cmpmem (sink.received->data, sink.received->len, data, WRITTEN_SIZE);
  g_byte_array_unref (sink.received);
}

static void
test_stream_writer (void)
{
  run_main (stream_writer_body, NULL);
}

/* ---- datagrams ------------------------------------------------------------------ */

static GSocket *
udp_socket (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, address, FALSE, &error));
  g_assert_no_error (error);
  return socket;
}

static guint16
port_of (GSocketAddress *address)
{
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

/* Answers one datagram to its sender, with the text doubled. */
static void
echo_twice_body (BridgeTask *task,
                 gpointer    user_data)
{
  GSocket *socket = user_data;
  g_autoptr(GSocketAddress) sender = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  request = bridge_socket_receive_from (socket, 1500, &sender, &error);
  g_assert_no_error (error);
  text = g_strdup_printf ("%.*s%.*s", (int) g_bytes_get_size (request), (const char *) g_bytes_get_data (request, NULL),
                          (int) g_bytes_get_size (request), (const char *) g_bytes_get_data (request, NULL));
  reply = g_bytes_new (text, strlen (text));
  g_assert_true (bridge_socket_send_to (socket, sender, reply, &error));
  g_assert_no_error (error);
}

static void
receive_body (BridgeTask *task,
              gpointer    user_data)
{
  GSocket *socket = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) datagram = bridge_socket_receive_from (socket, 1500, NULL, &error);

  g_assert_null (datagram);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  bridge_task_return_boolean (task, TRUE);
}

#define assert_bytes(bytes, text) \
  g_assert_cmpmem (g_bytes_get_data ((bytes), NULL), g_bytes_get_size (bytes), (text), strlen (text))

/* A round trip with the sender's address, datagram boundaries kept, and a
 * cancelled receive that consumes nothing. */
static void
datagram_body (BridgeTask *task,
               gpointer    user_data)
{
  g_autoptr(GSocket) client = udp_socket ();
  g_autoptr(GSocket) service = udp_socket ();
  g_autoptr(GSocketAddress) client_address = g_socket_get_local_address (client, NULL);
  g_autoptr(GSocketAddress) service_address = g_socket_get_local_address (service, NULL);
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(BridgeTask) echo = NULL;
  g_autoptr(BridgeTask) cancelled = NULL;
  g_autoptr(GBytes) ping = g_bytes_new_static ("ping", 4);
  g_autoptr(GBytes) one = g_bytes_new_static ("one", 3);
  g_autoptr(GBytes) two = g_bytes_new_static ("two!", 4);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GError) error = NULL;

  echo = bridge_spawn (echo_twice_body, service, NULL);
  g_assert_true (bridge_socket_send_to (client, service_address, ping, &error));
  g_assert_no_error (error);
  answer = bridge_socket_receive_from (client, 1500, &from, &error);
  g_assert_no_error (error);
  assert_bytes (answer, "pingping");
  g_assert_cmpuint (port_of (from), ==, port_of (service_address));
  g_assert_true (bridge_await (BRIDGE_FUTURE (echo), &error));
  g_assert_no_error (error);

  /* Two datagrams stay two. */
  g_assert_true (bridge_socket_send_to (service, client_address, one, &error));
  g_assert_true (bridge_socket_send_to (service, client_address, two, &error));
  g_assert_no_error (error);
  first = bridge_socket_receive_from (client, 1500, NULL, &error);
  second = bridge_socket_receive_from (client, 1500, NULL, &error);
  g_assert_no_error (error);
  assert_bytes (first, "one");
  assert_bytes (second, "two!");

  /* A receive cancelled while it waits wakes at once and takes nothing:
   * the next datagram goes to the next receive. */
  cancelled = bridge_spawn (receive_body, service, NULL);
  g_assert_true (bridge_yield (NULL));
  g_assert_true (bridge_task_cancel (cancelled, NULL));
  g_assert_true (bridge_await_boolean (BRIDGE_FUTURE (cancelled), &error));
  g_assert_no_error (error);
  g_clear_pointer (&echo, bridge_task_unref);
  echo = bridge_spawn (echo_twice_body, service, NULL);
  g_clear_pointer (&answer, g_bytes_unref);
  g_assert_true (bridge_socket_send_to (client, service_address, one, &error));
  answer = bridge_socket_receive_from (client, 1500, NULL, &error);
  g_assert_no_error (error);
  assert_bytes (answer, "oneone");
}

static void
test_datagram (void)
{
  run_main (datagram_body, NULL);
}

/* ---- task-locals ------------------------------------------------------------------ */

static BridgeTaskLocal request_id = BRIDGE_TASK_LOCAL_INIT ("request-id");

typedef struct
{
  char *text;
  gint *freed;
} Value;

static Value *
value_new (const char *text,
           gint       *freed)
{
  Value *value = g_new0 (Value, 1);

  value->text = g_strdup (text);
  value->freed = freed;
  return value;
}

static void
value_free (gpointer data)
{
  Value *value = data;

  (*value->freed)++;
  g_free (value->text);
  g_free (value);
}

static const char *
current_request_id (void)
{
  Value *value = bridge_task_local_get (&request_id);

  return value != NULL ? value->text : NULL;
}

static void
grandchild_body (BridgeTask *task,
                 gpointer    user_data)
{
  bridge_task_return_string (task, current_request_id ());
}

typedef struct
{
  gint *freed;
  char *seen_first;
} Child;

/* Inherits its parent's value, then sets its own, which its own children
 * inherit and its parent never sees. */
static void
child_body (BridgeTask *task,
            gpointer    user_data)
{
  Child *child = user_data;
  g_autoptr(BridgeTask) grandchild = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *inherited = NULL;

  child->seen_first = g_strdup (current_request_id ());
  bridge_task_local_set (&request_id, value_new ("child", child->freed), value_free);
  g_assert_cmpstr (current_request_id (), ==, "child");
  grandchild = bridge_spawn (grandchild_body, NULL, NULL);
  inherited = bridge_await_string (BRIDGE_FUTURE (grandchild), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (inherited, ==, "child");
}

static void
task_local_body (BridgeTask *task,
                 gpointer    user_data)
{
  g_autoptr(BridgeTask) before = NULL;
  g_autoptr(BridgeTask) child_task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *seen_before = NULL;
  gint parent_freed = 0, child_freed = 0;
  Child child = { &child_freed, NULL };

  g_assert_false (bridge_task_local_is_set (&request_id));
  g_assert_null (bridge_task_local_get (&request_id));

  /* Spawned before the value was set: it keeps what it had (nothing). */
  before = bridge_spawn (grandchild_body, NULL, NULL);
  bridge_task_local_set (&request_id, value_new ("parent", &parent_freed), value_free);
  g_assert_true (bridge_task_local_is_set (&request_id));
  seen_before = bridge_await_string (BRIDGE_FUTURE (before), &error);
  g_assert_no_error (error);
  g_assert_null (seen_before);

  child_task = bridge_spawn (child_body, &child, NULL);
  g_assert_true (bridge_await (BRIDGE_FUTURE (child_task), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (child.seen_first, ==, "parent");
  g_assert_cmpstr (current_request_id (), ==, "parent");
  /* The child's value goes with the last task holding it (the child and
   * its own child, both ended and let go of); the parent's stays while the
   * parent holds it. */
  g_clear_pointer (&child_task, bridge_task_unref);
  AWAIT_TRUE (child_freed == 1);
  g_assert_cmpint (parent_freed, ==, 0);

  /* Set again: the old value is freed. */
  bridge_task_local_set (&request_id, value_new ("again", &parent_freed), value_free);
  AWAIT_TRUE (parent_freed == 1);
  g_assert_cmpstr (current_request_id (), ==, "again");
  g_free (child.seen_first);
  bridge_task_local_set (&request_id, NULL, NULL);
  AWAIT_TRUE (parent_freed == 2);
}

static void
test_task_local (void)
{
  run_main (task_local_body, NULL);
}

/* ---- the runner and bridge_run ------------------------------------------------------ */

typedef struct
{
  gint ticks;
  gboolean cleaned_up;
  GError *cancel_error;
} Ticker;

/* Ticks until cancelled, then cleans up. */
static void
ticker_body (BridgeTask *task,
             gpointer    user_data)
{
  Ticker *ticker = user_data;
  g_autoptr(GError) error = NULL;

  while (bridge_sleep (0.001, &error))
    ticker->ticks++;
  ticker->cancel_error = g_steal_pointer (&error);
  ticker->cleaned_up = TRUE;
}

static void
start_ticker_body (BridgeTask *task,
                   gpointer    user_data)
{
  /* Not awaited: it outlives this run. */
  g_autoptr(BridgeTask) ticker = bridge_spawn (ticker_body, user_data, NULL);

  bridge_task_return_int64 (task, 1);
}

static void
await_ticks_body (BridgeTask *task,
                  gpointer    user_data)
{
  Ticker *ticker = user_data;
  gint from = ticker->ticks;

  AWAIT_TRUE (ticker->ticks >= from + 3);
  bridge_task_return_int64 (task, 2);
}

static void
nested_run_body (BridgeTask *task,
                 gpointer    user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_run (grandchild_body, NULL, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
}

static void
failing_body (BridgeTask *task,
              gpointer    user_data)
{
  bridge_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such thing");
}

static void
answer_body (BridgeTask *task,
             gpointer    user_data)
{
  g_assert_cmpstr (bridge_task_get_name (task), ==, "answer");
  bridge_task_return_int64 (task, 42);
}

/* One loop for several runs: a task left running by one run goes on in
 * the next; closing cancels it, lets it clean up and closes the loop. */
static void
test_runner (void)
{
  g_autoptr(BridgeRunner) runner = bridge_runner_new ();
  g_autoptr(BridgeTask) first = NULL;
  g_autoptr(BridgeTask) second = NULL;
  g_autoptr(GError) error = NULL;
  Ticker ticker = { 0 };
  BridgeLoop *loop = bridge_runner_get_loop (runner);

  g_assert_nonnull (loop);
  g_assert_true (bridge_runner_run (runner, start_ticker_body, &ticker, NULL, &first, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (first), NULL), ==, 1);
  g_assert_true (bridge_runner_get_loop (runner) == loop);

  g_assert_true (bridge_runner_run (runner, await_ticks_body, &ticker, NULL, &second, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (second), NULL), ==, 2);
  g_assert_false (ticker.cleaned_up);

  bridge_runner_close (runner);
  g_assert_true (ticker.cleaned_up);
  g_assert_error (ticker.cancel_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&ticker.cancel_error);
  g_assert_null (bridge_runner_get_loop (runner));

  g_assert_false (bridge_runner_run (runner, answer_body, NULL, NULL, NULL, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
}

/* asyncio.run(): the main task's result and error come back; tasks left
 * running are cancelled and waited for; it refuses to run inside a loop. */
static void
test_run (void)
{
  g_autoptr(BridgeFuture) done = NULL;
  g_autoptr(GError) error = NULL;
  Ticker ticker = { 0 };

  done = bridge_run_full ("answer", answer_body, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (bridge_future_is_done (done));
  g_assert_cmpint (bridge_future_get_int64 (done, &error), ==, 42);
  g_assert_no_error (error);

  g_assert_false (bridge_run (failing_body, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  run_main (start_ticker_body, &ticker);
  g_assert_true (ticker.cleaned_up);
  g_assert_error (ticker.cancel_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&ticker.cancel_error);

  run_main (nested_run_body, NULL);
}

/* ---- signal tasks ------------------------------------------------------------------ */

typedef struct
{
  gint started;
  gint finished;
  gint cancelled;
  gint destroyed;
  gint64 last_parameter;
} Slots;

/* What a button's handler does: waits a little (a download, a search),
 * unless a newer click or the object's end cancels it. */
static void
slow_slot (BridgeTask   *task,
           gpointer      instance,
           const GValue *params,
           guint         n_params,
           gpointer      user_data)
{
  Slots *slots = user_data;
  GVariant *parameter;

  /* The emission's arguments, without the instance. */
  g_assert_cmpuint (n_params, ==, 1);
  parameter = g_value_get_variant (&params[0]);
  slots->started++;
  slots->last_parameter = g_variant_get_int64 (parameter);
  if (!bridge_sleep (0.05, NULL))
    {
      slots->cancelled++;
      return;
    }
  slots->finished++;
}

static void
slots_destroyed (gpointer data)
{
  ((Slots *) data)->destroyed++;
}

static GSimpleAction *
new_action (void)
{
  return g_simple_action_new ("fetch", G_VARIANT_TYPE_INT64);
}

/* Each emission starts a task after the emission returned; RESTART
 * cancels the one still running; disconnecting frees the data once the
 * tasks are gone. */
static void
signal_task_restart_body (BridgeTask *task,
                          gpointer    user_data)
{
  g_autoptr(GSimpleAction) action = new_action ();
  Slots slots = { 0 };
  gulong id;

  id = bridge_signal_connect_task (action, "activate", slow_slot, &slots, slots_destroyed,
                                   BRIDGE_CONNECT_RESTART);
  g_assert_cmpuint (id, !=, 0);
  g_action_activate (G_ACTION (action), g_variant_new_int64 (1));
  g_assert_cmpint (slots.started, ==, 0);
  AWAIT_TRUE (slots.started == 1);
  g_action_activate (G_ACTION (action), g_variant_new_int64 (2));
  AWAIT_TRUE (slots.finished == 1);
  g_assert_cmpint (slots.started, ==, 2);
  g_assert_cmpint (slots.cancelled, ==, 1);
  g_assert_cmpint (slots.last_parameter, ==, 2);

  g_assert_cmpint (slots.destroyed, ==, 0);
  g_signal_handler_disconnect (action, id);
  AWAIT_TRUE (slots.destroyed == 1);
}

static void
test_signal_task_restart (void)
{
  run_main (signal_task_restart_body, NULL);
}

/* EXCLUSIVE ignores emissions while a task runs; the object's end cancels
 * the running task. */
static void
signal_task_exclusive_body (BridgeTask *task,
                            gpointer    user_data)
{
  GSimpleAction *action = new_action ();
  Slots slots = { 0 };

  bridge_signal_connect_task (action, "activate", slow_slot, &slots, slots_destroyed,
                              BRIDGE_CONNECT_EXCLUSIVE);
  g_action_activate (G_ACTION (action), g_variant_new_int64 (1));
  AWAIT_TRUE (slots.started == 1);
  g_action_activate (G_ACTION (action), g_variant_new_int64 (2));
  AWAIT_TRUE (slots.finished == 1);
  g_assert_cmpint (slots.started, ==, 1);
  g_assert_cmpint (slots.last_parameter, ==, 1);

  /* Free again: the next emission runs. */
  g_action_activate (G_ACTION (action), g_variant_new_int64 (3));
  AWAIT_TRUE (slots.started == 2);
  g_object_unref (action);
  AWAIT_TRUE (slots.cancelled == 1);
  AWAIT_TRUE (slots.destroyed == 1);
  g_assert_cmpint (slots.finished, ==, 1);
}

static void
test_signal_task_exclusive (void)
{
  run_main (signal_task_exclusive_body, NULL);
}

/* ---- fd readiness ------------------------------------------------------------------ */

static void
nonblocking_pipe (int fds[2])
{
  g_assert_cmpint (pipe2 (fds, O_CLOEXEC | O_NONBLOCK), ==, 0);
}

typedef struct
{
  int      fd;
  GString *read;
  guint    calls;
} Reader;

static void
reader_cb (gpointer user_data)
{
  Reader *reader = user_data;
  char buffer[64];
  ssize_t n;

  reader->calls++;
  while ((n = read (reader->fd, buffer, sizeof buffer)) > 0)
    g_string_append_len (reader->read, buffer, n);
}

static void
write_later_body (BridgeTask *task,
                  gpointer    user_data)
{
  int fd = GPOINTER_TO_INT (user_data);

  g_assert_true (bridge_yield (NULL));
  g_assert_cmpint (write (fd, "ready", 5), ==, 5);
}

static void
await_fd_cancelled_body (BridgeTask *task,
                         gpointer    user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (bridge_await_fd (GPOINTER_TO_INT (user_data), G_IO_IN, &error), ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  bridge_task_return_boolean (task, TRUE);
}

/* A task waits for a descriptor; a reader callback runs while data waits
 * and never after its removal; a closed writer end wakes the waiter with
 * HUP; cancelling the wait wakes the task at once. */
static void
fd_body (BridgeTask *task,
         gpointer    user_data)
{
  BridgeLoop *loop = bridge_future_get_loop (BRIDGE_FUTURE (task));
  g_autoptr(BridgeTask) writer = NULL;
  g_autoptr(BridgeTask) waiting = NULL;
  g_autoptr(GError) error = NULL;
  Reader reader = { 0 };
  GIOCondition condition;
  char buffer[16];
  int fds[2];

  nonblocking_pipe (fds);
  writer = bridge_spawn (write_later_body, GINT_TO_POINTER (fds[1]), NULL);
  condition = bridge_await_fd (fds[0], G_IO_IN, &error);
  g_assert_no_error (error);
  g_assert_true (condition & G_IO_IN);
  g_assert_cmpint (read (fds[0], buffer, sizeof buffer), ==, 5);

  reader.fd = fds[0];
  reader.read = g_string_new (NULL);
  bridge_loop_add_reader (loop, fds[0], reader_cb, &reader, NULL);
  g_assert_cmpint (write (fds[1], "one", 3), ==, 3);
  AWAIT_TRUE (g_str_equal (reader.read->str, "one"));
  g_assert_cmpint (write (fds[1], "two", 3), ==, 3);
  AWAIT_TRUE (g_str_equal (reader.read->str, "onetwo"));
  g_assert_true (bridge_loop_remove_reader (loop, fds[0]));
  g_assert_false (bridge_loop_remove_reader (loop, fds[0]));
  reader.calls = 0;
  g_assert_cmpint (write (fds[1], "three", 5), ==, 5);
  condition = bridge_await_fd (fds[0], G_IO_IN, &error);
  g_assert_true (condition & G_IO_IN);
  for (guint i = 0; i < 5; i++)
    g_assert_true (bridge_yield (NULL));
  g_assert_cmpuint (reader.calls, ==, 0);
  g_assert_cmpstr (reader.read->str, ==, "onetwo");
  g_string_free (reader.read, TRUE);
  g_assert_cmpint (read (fds[0], buffer, sizeof buffer), ==, 5);

  waiting = bridge_spawn (await_fd_cancelled_body, GINT_TO_POINTER (fds[0]), NULL);
  g_assert_true (bridge_yield (NULL));
  g_assert_true (bridge_task_cancel (waiting, NULL));
  g_assert_true (bridge_await_boolean (BRIDGE_FUTURE (waiting), &error));
  g_assert_no_error (error);

  close (fds[1]);
  condition = bridge_await_fd (fds[0], G_IO_IN, &error);
  g_assert_no_error (error);
  g_assert_true (condition & G_IO_HUP);
  close (fds[0]);
}

static void
test_fd (void)
{
  run_main (fd_body, NULL);
}

/* ---- Unix signals ------------------------------------------------------------------ */

static void
await_usr1_body (BridgeTask *task,
                 gpointer    user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_await_unix_signal (SIGUSR1, &error));
  g_assert_no_error (error);
  bridge_task_return_boolean (task, TRUE);
}

static void
count_signal_cb (gpointer user_data)
{
  GThread **ran_on = user_data;

  *ran_on = g_thread_self ();
}

/* A service's main task awaits SIGUSR1; a loop handler runs, on the loop's
 * thread, for SIGUSR2; removing it gives the signal its default action
 * back; a signal that cannot be handled is refused. */
static void
unix_signal_body (BridgeTask *task,
                  gpointer    user_data)
{
  BridgeLoop *loop = bridge_future_get_loop (BRIDGE_FUTURE (task));
  g_autoptr(BridgeTask) waiter = NULL;
  g_autoptr(GError) error = NULL;
  GThread *ran_on = NULL;
  struct sigaction action;

  waiter = bridge_spawn (await_usr1_body, NULL, NULL);
  /* The waiter runs to its await first: spawned tasks run in order. */
  g_assert_true (bridge_yield (NULL));
  g_assert_false (bridge_future_is_done (BRIDGE_FUTURE (waiter)));
  g_assert_cmpint (kill (getpid (), SIGUSR1), ==, 0);
  g_assert_true (bridge_await_boolean (BRIDGE_FUTURE (waiter), &error));
  g_assert_no_error (error);

  g_assert_true (bridge_loop_add_signal_handler (loop, SIGUSR2, count_signal_cb, &ran_on, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kill (getpid (), SIGUSR2), ==, 0);
  AWAIT_TRUE (ran_on != NULL);
  g_assert_true (ran_on == g_thread_self ());
  g_assert_true (bridge_loop_remove_signal_handler (loop, SIGUSR2));
  g_assert_false (bridge_loop_remove_signal_handler (loop, SIGUSR2));
  g_assert_cmpint (sigaction (SIGUSR2, NULL, &action), ==, 0);
  g_assert_true (action.sa_handler == SIG_DFL);

  g_assert_false (bridge_loop_add_signal_handler (loop, SIGKILL, count_signal_cb, &ran_on, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_unix_signal (void)
{
  run_main (unix_signal_body, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/install/api/executor-bounds", test_executor_bounds);
  g_test_add_func ("/libbridge/install/api/executor-order", test_executor_order);
  g_test_add_func ("/libbridge/install/api/executor-cancel", test_executor_cancel);
  g_test_add_func ("/libbridge/install/api/server", test_server);
  g_test_add_func ("/libbridge/install/api/stream-writer", test_stream_writer);
  g_test_add_func ("/libbridge/install/api/datagram", test_datagram);
  g_test_add_func ("/libbridge/install/api/task-local", test_task_local);
  g_test_add_func ("/libbridge/install/api/runner", test_runner);
  g_test_add_func ("/libbridge/install/api/run", test_run);
  g_test_add_func ("/libbridge/install/api/signal-task-restart", test_signal_task_restart);
  g_test_add_func ("/libbridge/install/api/signal-task-exclusive", test_signal_task_exclusive);
  g_test_add_func ("/libbridge/install/api/fd", test_fd);
  g_test_add_func ("/libbridge/install/api/unix-signal", test_unix_signal);

  return g_test_run ();
}
