/* test-gio-wrappers.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-gio-util.h"
#include "test-server.h"

/* The ready-made GIO wrappers: streams, files, the stream reader, sockets,
 * the resolver and subprocesses; and cancelling them mid-operation. */

#define PRIO G_PRIORITY_DEFAULT

static char *
make_temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("bridge-gio-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
run_body (BridgeTaskFunc func,
          gpointer       data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (func, data, &error));
  g_assert_no_error (error);
}

static GInputStream *
pattern_stream (gsize size)
{
  g_autoptr(GBytes) bytes = test_server_pattern (0, size);

  return g_memory_input_stream_new_from_bytes (bytes);
}

/* ---- streams ----------------------------------------------------------------------- */

static void
read_bytes_body (BridgeTask *task,
                 gpointer    user_data)
{
  g_autoptr(GInputStream) stream = pattern_stream (1000);
  g_autoptr(GError) error = NULL;
  const gsize expected[] = { 300, 300, 300, 100, 0 };
  gsize offset = 0;

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(GBytes) bytes = bridge_input_stream_read_bytes (stream, 300, PRIO, &error);

      g_assert_no_error (error);
      g_assert_nonnull (bytes);
      g_assert_cmpuint (g_bytes_get_size (bytes), ==, expected[i]);
      g_assert_true (test_server_check_pattern (bytes, offset));
      offset += g_bytes_get_size (bytes);
    }

  g_assert_true (bridge_input_stream_close (stream, PRIO, &error));
  g_assert_no_error (error);
}

static void
test_stream_read_bytes (void)
{
  run_body (read_bytes_body, NULL);
}

static void
read_all_body (BridgeTask *task,
               gpointer    user_data)
{
  g_autoptr(GInputStream) stream = pattern_stream (1000);
  g_autoptr(GError) error = NULL;
  guint8 buffer[600];
  gsize n = 0;

  g_assert_true (bridge_input_stream_read_all (stream, buffer, sizeof buffer, PRIO, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 600);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpuint (buffer[i], ==, test_server_pattern_byte (i));

  /* Short at the end of the stream, and still a success. */
  memset (buffer, 0, sizeof buffer);
  g_assert_true (bridge_input_stream_read_all (stream, buffer, sizeof buffer, PRIO, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 400);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpuint (buffer[i], ==, test_server_pattern_byte (600 + i));
}

static void
test_stream_read_all (void)
{
  run_body (read_all_body, NULL);
}

static void
write_body (BridgeTask *task,
            gpointer    user_data)
{
  const char *dir = user_data;
  g_autofree char *path = g_build_filename (dir, "written", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GBytes) world = g_bytes_new_static (" world", 6);
  g_autoptr(GBytes) bang = g_bytes_new_static ("!", 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  char *transient;
  gsize n = 0;

  out = bridge_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, PRIO, &error);
  g_assert_no_error (error);
  g_assert_true (G_IS_FILE_OUTPUT_STREAM (out));

  /* The buffer may go as soon as the call returns. */
  transient = g_strdup ("hello");
  g_assert_true (bridge_output_stream_write_all (G_OUTPUT_STREAM (out), transient, 5, PRIO, &n, &error));
  g_free (transient);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 5);

  g_assert_true (bridge_output_stream_write_all_bytes (G_OUTPUT_STREAM (out), world, PRIO, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 6);
  g_assert_cmpint (bridge_output_stream_write_bytes (G_OUTPUT_STREAM (out), bang, PRIO, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_true (bridge_output_stream_flush (G_OUTPUT_STREAM (out), PRIO, &error));
  g_assert_no_error (error);
  g_assert_true (bridge_output_stream_close (G_OUTPUT_STREAM (out), PRIO, &error));
  g_assert_no_error (error);

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, "hello world!");
  g_unlink (path);
}

static void
test_stream_write (void)
{
  g_autofree char *dir = make_temp_dir ();

  run_body (write_body, dir);
  g_rmdir (dir);
}

/* ---- files ----------------------------------------------------------------------- */

static void
file_ops_body (BridgeTask *task,
               gpointer    user_data)
{
  const char *dir = user_data;
  g_autofree char *path = g_build_filename (dir, "file", NULL);
  g_autofree char *moved_path = g_build_filename (dir, "moved", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) moved = g_file_new_for_path (moved_path);
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GFileInputStream) in = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *etag = NULL;
  char buffer[8] = { 0 };
  gsize length = 0;

  /* create, then create again */
  out = bridge_file_create (file, G_FILE_CREATE_PRIVATE, PRIO, &error);
  g_assert_no_error (error);
  g_assert_true (bridge_output_stream_write_all (G_OUTPUT_STREAM (out), "ab", 2, PRIO, NULL, &error));
  g_assert_true (bridge_output_stream_close (G_OUTPUT_STREAM (out), PRIO, &error));
  g_assert_no_error (error);
  g_clear_object (&out);

  out = bridge_file_create (file, G_FILE_CREATE_NONE, PRIO, &error);
  g_assert_null (out);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);

  /* append */
  out = bridge_file_append_to (file, G_FILE_CREATE_NONE, PRIO, &error);
  g_assert_no_error (error);
  g_assert_true (bridge_output_stream_write_all (G_OUTPUT_STREAM (out), "cd", 2, PRIO, NULL, &error));
  g_assert_true (bridge_output_stream_close (G_OUTPUT_STREAM (out), PRIO, &error));
  g_assert_no_error (error);

  /* query, read, load */
  info = bridge_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                                 PRIO, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_file_info_get_size (info), ==, 4);

  in = bridge_file_read (file, PRIO, &error);
  g_assert_no_error (error);
  g_assert_true (bridge_input_stream_read_all (G_INPUT_STREAM (in), buffer, 4, PRIO, NULL, &error));
  g_assert_cmpstr (buffer, ==, "abcd");
  g_assert_true (bridge_input_stream_close (G_INPUT_STREAM (in), PRIO, &error));
  g_assert_no_error (error);

  g_assert_true (bridge_file_load_contents (file, &contents, &length, &etag, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, "abcd");
  g_assert_cmpuint (length, ==, 4);
  g_assert_nonnull (etag);
  g_clear_pointer (&contents, g_free);

  /* move, delete, delete again */
  g_assert_true (bridge_file_move (file, moved, G_FILE_COPY_NONE, PRIO, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_query_exists (file, NULL));
  g_assert_true (bridge_file_delete (moved, PRIO, &error));
  g_assert_no_error (error);
  g_assert_false (bridge_file_delete (moved, PRIO, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* a missing file */
  g_assert_false (bridge_file_load_contents (file, &contents, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (contents);
}

static void
test_file_ops (void)
{
  g_autofree char *dir = make_temp_dir ();

  run_body (file_ops_body, dir);
  g_rmdir (dir);
}

static void
replace_contents_body (BridgeTask *task,
                       gpointer    user_data)
{
  const char *dir = user_data;
  g_autofree char *path = g_build_filename (dir, "contents", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *loaded_etag = NULL;
  g_autofree char *contents = NULL;
  char *transient = g_strdup ("first version");

  g_assert_true (bridge_file_replace_contents (file, transient, strlen (transient), NULL, FALSE,
                                               G_FILE_CREATE_NONE, &etag, &error));
  g_free (transient);
  g_assert_no_error (error);
  g_assert_nonnull (etag);

  g_assert_true (bridge_file_load_contents (file, &contents, NULL, &loaded_etag, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, "first version");
  g_assert_cmpstr (loaded_etag, ==, etag);
  g_clear_pointer (&contents, g_free);

  /* Guarded by the entity tag. */
  g_assert_false (bridge_file_replace_contents (file, "x", 1, "not-the-etag", FALSE,
                                                G_FILE_CREATE_NONE, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WRONG_ETAG);
  g_clear_error (&error);
  g_assert_true (bridge_file_replace_contents (file, "second", 6, etag, FALSE,
                                               G_FILE_CREATE_NONE, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (bridge_file_load_contents (file, &contents, NULL, NULL, &error));
  g_assert_cmpstr (contents, ==, "second");

  g_assert_true (bridge_file_delete (file, PRIO, &error));
  g_assert_no_error (error);
}

static void
test_file_replace_contents (void)
{
  g_autofree char *dir = make_temp_dir ();

  run_body (replace_contents_body, dir);
  g_rmdir (dir);
}

/* A write that blocks in GIO's worker thread: a FIFO whose reader does not
 * read. The task must wake at once when cancelled, while GIO's thread is
 * still inside write(2) on memory the task no longer owns. */
static void
cancel_write_body (BridgeTask *task,
                   gpointer    user_data)
{
  const char *dir = user_data;
  g_autofree char *path = g_build_filename (dir, "fifo", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GInputStream) reader = NULL;
  g_autoptr(GError) error = NULL;
  GFileOutputStream *out;
  BridgeFuture *watch;
  TestCanceller canceller;
  const gsize size = 4 * 1024 * 1024;
  guint8 *data;
  gsize written = 0;
  gsize drained = 0;
  int reader_fd;

  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  /* Non-blocking, so opening the reader does not wait for a writer. */
  reader_fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  g_assert_cmpint (reader_fd, >=, 0);
  reader = g_unix_input_stream_new (reader_fd, TRUE);

  out = bridge_file_append_to (file, G_FILE_CREATE_NONE, PRIO, &error);
  g_assert_no_error (error);

  data = g_malloc (size);
  memset (data, 'x', size);
  test_cancel_later (&canceller, 0.05);
  g_assert_false (bridge_output_stream_write_all (G_OUTPUT_STREAM (out), data, size, PRIO,
                                                  &written, &error));
  test_assert_woke_promptly (&canceller);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  /* GIO is still writing, from its own copy. */
  g_free (data);

  /* Carry on: drain the FIFO so GIO's thread can finish; the output stream
   * is released (and its end of the FIFO closed) only once GIO has called
   * back into the cancelled future. */
  bridge_task_uncancel (task);
  watch = test_watch_finalize (out);
  g_object_unref (out);
  for (;;)
    {
      g_autoptr(GBytes) chunk = bridge_input_stream_read_bytes (reader, 256 * 1024, PRIO, &error);

      g_assert_no_error (error);
      if (g_bytes_get_size (chunk) == 0)
        break;
      drained += g_bytes_get_size (chunk);
    }
  test_await_watch (watch);
  g_test_message ("drained %" G_GSIZE_FORMAT " bytes after the cancellation", drained);
  g_assert_cmpuint (drained, >, 0);
  g_assert_cmpuint (drained, <=, size);

  g_unlink (path);
}

static void
test_file_cancel_write (void)
{
  g_autofree char *dir = make_temp_dir ();

  run_body (cancel_write_body, dir);
  g_rmdir (dir);
}

/* ---- the stream reader ----------------------------------------------------------- */

static void
reader_body (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(GInputStream) stream = pattern_stream (10000);
  g_autoptr(BridgeStreamReader) reader = bridge_stream_reader_new (stream, 3000);
  g_autoptr(GError) error = NULL;
  GBytes *chunk;
  gsize total = 0;
  guint n_chunks = 0;

  g_assert_true (bridge_stream_reader_get_stream (reader) == stream);
  g_assert_cmpuint (bridge_stream_reader_get_chunk_size (reader), ==, 3000);

  while ((chunk = bridge_stream_reader_next (reader, &error)) != NULL)
    {
      g_assert_cmpuint (g_bytes_get_size (chunk), >, 0);
      g_assert_cmpuint (g_bytes_get_size (chunk), <=, 3000);
      g_assert_true (test_server_check_pattern (chunk, total));
      total += g_bytes_get_size (chunk);
      n_chunks++;
      g_bytes_unref (chunk);
    }
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, 10000);
  g_assert_cmpuint (n_chunks, ==, 4);
  g_assert_true (bridge_stream_reader_is_at_end (reader));
  g_assert_cmpuint (bridge_stream_reader_get_bytes_read (reader), ==, 10000);

  /* The end stays the end. */
  g_assert_null (bridge_stream_reader_next (reader, &error));
  g_assert_no_error (error);

  /* The default chunk size. */
  g_clear_object (&reader);
  reader = bridge_stream_reader_new (stream, 0);
  g_assert_cmpuint (bridge_stream_reader_get_chunk_size (reader), ==,
                    BRIDGE_STREAM_READER_DEFAULT_CHUNK_SIZE);
}

static void
test_stream_reader (void)
{
  run_body (reader_body, NULL);
}

/* Chunks come as they are written, before the end of the stream. */
static void
pipe_writer_body (BridgeTask *task,
                  gpointer    user_data)
{
  GOutputStream *out = user_data;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GBytes) chunk = test_server_pattern (i * 100, 100);

      g_assert_true (bridge_output_stream_write_all_bytes (out, chunk, PRIO, NULL, &error));
      g_assert_no_error (error);
      /* The reader sees this chunk before the next one is written. */
      g_assert_true (bridge_sleep (0.01, &error));
    }
  g_assert_true (bridge_output_stream_close (out, PRIO, &error));
  g_assert_no_error (error);
}

static void
pipe_reader_body (BridgeTask *task,
                  gpointer    user_data)
{
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(BridgeStreamReader) reader = NULL;
  g_autoptr(BridgeTask) writer = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *chunk;
  guint n_chunks = 0;
  int fds[2];

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, &error));
  in = g_unix_input_stream_new (fds[0], TRUE);
  out = g_unix_output_stream_new (fds[1], TRUE);
  reader = bridge_stream_reader_new (in, 4096);
  writer = bridge_spawn (pipe_writer_body, out, NULL);

  while ((chunk = bridge_stream_reader_next (reader, &error)) != NULL)
    {
      g_assert_cmpuint (g_bytes_get_size (chunk), ==, 100);
      g_assert_true (test_server_check_pattern (chunk, n_chunks * 100));
      n_chunks++;
      g_bytes_unref (chunk);
    }
  g_assert_no_error (error);
  g_assert_cmpuint (n_chunks, ==, 3);
  g_assert_true (bridge_await (BRIDGE_FUTURE (writer), &error));
}

static void
test_stream_reader_pipe (void)
{
  run_body (pipe_reader_body, NULL);
}

/* ---- network ------------------------------------------------------------------------ */

static void
accept_body (BridgeTask *task,
             gpointer    user_data)
{
  GSocketListener *listener = user_data;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  char buffer[5] = { 0 };
  BridgeFuture *f = bridge_async_result_future_new ();

  g_socket_listener_accept_async (listener, bridge_task_get_cancellable (task),
                                  bridge_async_ready, f);
  res = bridge_await_async_result (f, &error);
  g_assert_no_error (error);
  conn = g_socket_listener_accept_finish (listener, res, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (bridge_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (conn)),
                                               buffer, 4, PRIO, NULL, &error));
  g_assert_no_error (error);
  bridge_task_return_string (task, buffer);
}

static void
connect_body (BridgeTask *task,
              gpointer    user_data)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(BridgeTask) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *host_and_port = NULL;
  g_autofree char *received = NULL;

  g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, (GSocketAddress **) &effective, &error);
  g_assert_no_error (error);
  host_and_port = g_strdup_printf ("127.0.0.1:%u",
                                   g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)));
  server = bridge_spawn (accept_body, listener, NULL);

  conn = bridge_socket_client_connect_to_host (client, host_and_port, 0, &error);
  g_assert_no_error (error);
  g_assert_true (G_IS_SOCKET_CONNECTION (conn));
  g_assert_true (bridge_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                                                 "ping", 4, PRIO, NULL, &error));
  g_assert_no_error (error);

  received = bridge_await_string (BRIDGE_FUTURE (server), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (received, ==, "ping");
  g_socket_listener_close (listener);
}

static void
test_network_connect (void)
{
  run_body (connect_body, NULL);
}

static void
resolve_body (BridgeTask *task,
              gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  GList *addresses = bridge_resolver_lookup_by_name (NULL, "localhost", &error);

  g_assert_no_error (error);
  g_assert_nonnull (addresses);
  for (GList *l = addresses; l != NULL; l = l->next)
    g_assert_true (g_inet_address_get_is_loopback (l->data));
  g_resolver_free_addresses (addresses);
}

static void
test_network_resolve (void)
{
  run_body (resolve_body, NULL);
}

static void
cancel_connect_body (BridgeTask *task,
                     gpointer    user_data)
{
  g_autoptr(TestBlackhole) blackhole = test_blackhole_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *host_and_port = NULL;
  GSocketClient *client = g_socket_client_new ();
  TestCanceller canceller;

  host_and_port = g_strdup_printf ("127.0.0.1:%u", test_blackhole_get_port (blackhole));
  test_cancel_later (&canceller, 0.05);
  conn = bridge_socket_client_connect_to_host (client, host_and_port, 0, &error);
  test_assert_woke_promptly (&canceller);
  g_assert_null (conn);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* GIO's half of the connection attempt winds down on its own. */
  bridge_task_uncancel (task);
  test_unref_and_await_finalize (client);
}

static void
test_network_cancel_connect (void)
{
  run_body (cancel_connect_body, NULL);
}

/* ---- subprocesses -------------------------------------------------------------------- */

static void
subprocess_body (BridgeTask *task,
                 gpointer    user_data)
{
  g_autoptr(GSubprocess) ok = NULL;
  g_autoptr(GSubprocess) failing = NULL;
  g_autoptr(GSubprocess) sleeper = NULL;
  g_autoptr(GError) error = NULL;
  TestCanceller canceller;

  ok = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "true", NULL);
  g_assert_no_error (error);
  g_assert_true (bridge_subprocess_wait_check (ok, &error));
  g_assert_no_error (error);

  failing = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "false", NULL);
  g_assert_no_error (error);
  g_assert_false (bridge_subprocess_wait_check (failing, &error));
  g_assert_error (error, G_SPAWN_EXIT_ERROR, 1);
  g_clear_error (&error);

  /* Cancelling stops the wait, not the process. */
  sleeper = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "sleep", "60", NULL);
  g_assert_no_error (error);
  test_cancel_later (&canceller, 0.05);
  g_assert_false (bridge_subprocess_wait_check (sleeper, &error));
  test_assert_woke_promptly (&canceller);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_nonnull (g_subprocess_get_identifier (sleeper));

  bridge_task_uncancel (task);
  g_subprocess_force_exit (sleeper);
  g_assert_true (bridge_subprocess_wait (sleeper, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (sleeper));
  test_unref_and_await_finalize (g_steal_pointer (&sleeper));
}

static void
test_subprocess (void)
{
  run_body (subprocess_body, NULL);
}

/* ---- misuse ---------------------------------------------------------------------- */

static void
test_outside_task (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "keep", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GInputStream) stream = pattern_stream (10);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, "keep", -1, &error);
  g_assert_no_error (error);

  /* Refused before anything starts: the file survives. */
  g_assert_false (bridge_file_delete (file, PRIO, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  bytes = bridge_input_stream_read_bytes (stream, 10, PRIO, &error);
  g_assert_null (bytes);
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_false (g_input_stream_has_pending (stream));

  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/gio/stream/read-bytes", test_stream_read_bytes);
  g_test_add_func ("/libbridge/gio/stream/read-all", test_stream_read_all);
  g_test_add_func ("/libbridge/gio/stream/write", test_stream_write);
  g_test_add_func ("/libbridge/gio/file/operations", test_file_ops);
  g_test_add_func ("/libbridge/gio/file/replace-contents", test_file_replace_contents);
  g_test_add_func ("/libbridge/gio/file/cancel-write", test_file_cancel_write);
  g_test_add_func ("/libbridge/gio/stream-reader/memory", test_stream_reader);
  g_test_add_func ("/libbridge/gio/stream-reader/pipe", test_stream_reader_pipe);
  g_test_add_func ("/libbridge/gio/network/connect", test_network_connect);
  g_test_add_func ("/libbridge/gio/network/resolve", test_network_resolve);
  g_test_add_func ("/libbridge/gio/network/cancel-connect", test_network_cancel_connect);
  g_test_add_func ("/libbridge/gio/child-process/wait-check", test_subprocess);
  g_test_add_func ("/libbridge/gio/outside-task", test_outside_task);

  return g_test_run ();
}
