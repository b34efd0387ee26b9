/* test-stream-writer.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <sys/socket.h>

#include "test-gio-util.h"

/* BridgeStreamWriter, as asyncio's StreamWriter: write() never waits,
 * drain() waits above the high-water mark until the low one, a write error
 * is reported by every later drain, close() flushes then closes, and a
 * cancelled drain stops waiting but not writing. */

typedef struct
{
  GSocketConnection *ours;
  GSocketConnection *peer;
} Pair;

static GSocketConnection *
connection_from_fd (int fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new_from_fd (fd, &error);

  g_assert_no_error (error);
  return g_socket_connection_factory_create_connection (socket);
}

static void
pair_open (Pair *pair)
{
  int fds[2];
  int small = 4096;

  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM, 0, fds));
  /* Small kernel buffers, so that the writer's buffer fills. */
  g_assert_no_errno (setsockopt (fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small));
  g_assert_no_errno (setsockopt (fds[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small));
  pair->ours = connection_from_fd (fds[0]);
  pair->peer = connection_from_fd (fds[1]);
}

static void
pair_close (Pair *pair)
{
  g_clear_object (&pair->ours);
  g_clear_object (&pair->peer);
}

#define TOTAL (1024 * 1024)

typedef struct
{
  GSocketConnection *peer;
  GString           *received;
} Reader;

static void
reader_body (BridgeTask *task,
             gpointer    user_data)
{
  Reader *reader = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (reader->peer));

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) chunk = bridge_input_stream_read_bytes (in, 65536, G_PRIORITY_DEFAULT, &error);

      g_assert_no_error (error);
      if (g_bytes_get_size (chunk) == 0)
        break;
      g_string_append_len (reader->received, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
    }
}

static void
flow_body (BridgeTask *task,
           gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeStreamWriter) writer = NULL;
  g_autoptr(BridgeTask) reading = NULL;
  g_autofree guint8 *data = g_malloc (TOTAL);
  Reader reader = { NULL, g_string_new (NULL) };
  gsize max_buffered = 0;
  Pair pair;

  pair_open (&pair);
  writer = bridge_stream_writer_new (g_io_stream_get_output_stream (G_IO_STREAM (pair.ours)));
  for (gsize i = 0; i < TOTAL; i++)
    data[i] = (guint8) (i * 7 + i / 251);

  /* write() never waits: all of it is buffered at once. */
  bridge_stream_writer_write (writer, data, TOTAL);
  g_assert_cmpuint (bridge_stream_writer_get_buffer_size (writer), ==, TOTAL);

  /* Nobody reads yet: drain() waits... */
  reader.peer = pair.peer;
  reading = bridge_spawn (reader_body, &reader, NULL);
  /* ...and returns once the peer has read enough to bring the buffer down
   * to the low-water mark (16 KiB). */
  g_assert_true (bridge_stream_writer_drain (writer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bridge_stream_writer_get_buffer_size (writer), <=, 16 * 1024);

  /* Small writes under the high-water mark: drain only yields. */
  for (guint i = 0; i < 10; i++)
    {
      bridge_stream_writer_write (writer, (const guint8 *) "x", 1);
      max_buffered = MAX (max_buffered, bridge_stream_writer_get_buffer_size (writer));
      g_assert_true (bridge_stream_writer_drain (writer, &error));
    }
  g_assert_cmpuint (max_buffered, <=, 64 * 1024);

  /* close() sends everything, then closes the stream (which, for a
   * socket's stream, leaves the socket to its connection). */
  g_assert_true (bridge_stream_writer_close (writer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bridge_stream_writer_get_buffer_size (writer), ==, 0);
  g_assert_true (g_output_stream_is_closed (bridge_stream_writer_get_stream (writer)));
  g_assert_true (g_io_stream_close (G_IO_STREAM (pair.ours), NULL, &error));
  g_assert_true (bridge_await (BRIDGE_FUTURE (reading), &error));
  g_assert_cmpuint (reader.received->len, ==, TOTAL + 10);
  g_assert_cmpmem (reader.received->str, TOTAL, data, TOTAL);

  g_string_free (reader.received, TRUE);
  pair_close (&pair);
}

static void
test_flow_control (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (flow_body, NULL, &error));
  g_assert_no_error (error);
}

static void
cancelled_drain_body (BridgeTask *task,
                      gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeStreamWriter) writer = NULL;
  g_autoptr(BridgeTask) reading = NULL;
  g_autofree guint8 *data = g_malloc0 (TOTAL);
  Reader reader = { NULL, g_string_new (NULL) };
  TestCanceller canceller;
  Pair pair;

  pair_open (&pair);
  writer = bridge_stream_writer_new (g_io_stream_get_output_stream (G_IO_STREAM (pair.ours)));
  bridge_stream_writer_write (writer, data, TOTAL);

  test_cancel_later (&canceller, 0.02);
  g_assert_false (bridge_stream_writer_drain (writer, &error));
  test_assert_woke_promptly (&canceller);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  bridge_task_uncancel (task);

  /* The data still goes out. */
  reader.peer = pair.peer;
  reading = bridge_spawn (reader_body, &reader, NULL);
  g_assert_true (bridge_stream_writer_close (writer, &error));
  g_assert_no_error (error);
  g_assert_true (g_io_stream_close (G_IO_STREAM (pair.ours), NULL, &error));
  g_assert_true (bridge_await (BRIDGE_FUTURE (reading), &error));
  g_assert_cmpuint (reader.received->len, ==, TOTAL);
  g_string_free (reader.received, TRUE);
  pair_close (&pair);
}

static void
test_cancelled_drain (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (cancelled_drain_body, NULL, &error));
  g_assert_no_error (error);
}

static void
error_body (BridgeTask *task,
            gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeStreamWriter) writer = NULL;
  g_autofree guint8 *data = g_malloc0 (TOTAL);
  Pair pair;

  pair_open (&pair);
  writer = bridge_stream_writer_new (g_io_stream_get_output_stream (G_IO_STREAM (pair.ours)));
  /* The peer goes away: the writes fail. */
  g_assert_true (g_io_stream_close (G_IO_STREAM (pair.peer), NULL, NULL));
  bridge_stream_writer_write (writer, data, TOTAL);

  g_assert_false (bridge_stream_writer_drain (writer, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR);
  g_clear_error (&error);
  /* Reported again by every drain, and the buffer was dropped. */
  g_assert_false (bridge_stream_writer_drain (writer, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpuint (bridge_stream_writer_get_buffer_size (writer), ==, 0);
  g_assert_false (bridge_stream_writer_close (writer, &error));
  g_assert_nonnull (error);
  pair_close (&pair);
}

static void
test_write_error (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (error_body, NULL, &error));
  g_assert_no_error (error);
}

static void
test_drain_outside_task (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BridgeStreamWriter) writer = NULL;
  Pair pair;

  pair_open (&pair);
  writer = bridge_stream_writer_new (g_io_stream_get_output_stream (G_IO_STREAM (pair.ours)));
  g_assert_false (bridge_stream_writer_drain (writer, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_object (&writer);
  pair_close (&pair);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/stream-writer/flow-control", test_flow_control);
  g_test_add_func ("/libbridge/stream-writer/cancelled-drain", test_cancelled_drain);
  g_test_add_func ("/libbridge/stream-writer/write-error", test_write_error);
  g_test_add_func ("/libbridge/stream-writer/outside-task", test_drain_outside_task);

  return g_test_run ();
}
