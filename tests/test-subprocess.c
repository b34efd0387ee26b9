/* test-subprocess.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "test-gio-util.h"

/* (Paths say child-process: GLib skips test paths containing "/subprocess".)
 * create_subprocess_exec + communicate, and process.stdout as a
 * StreamReader: input fed and output collected together, output streamed
 * line by line while the child runs, and a cancellation that stops the
 * wait but not the child. */

static GSubprocess *
spawn (GSubprocessFlags   flags,
       const char        *script)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *child = g_subprocess_new (flags, &error, "/bin/sh", "-c", script, NULL);

  g_assert_no_error (error);
  return child;
}

#define assert_bytes(bytes, text) \
  g_assert_cmpmem (g_bytes_get_data ((bytes), NULL), g_bytes_get_size (bytes), (text), strlen (text))

static void
communicate_body (BridgeTask *task,
                  gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GBytes) input = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  GString *big = g_string_new (NULL);

  /* More than a pipe holds, both ways: fed and drained together. */
  for (guint i = 0; i < 20000; i++)
    g_string_append (big, "line of input\n");
  input = g_string_free_to_bytes (big);

  child = spawn (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                 G_SUBPROCESS_FLAGS_STDERR_PIPE,
                 "cat; echo done >&2; exit 3");
  g_assert_true (bridge_subprocess_communicate (child, input, &out, &err, &error));
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (out, input));
  assert_bytes (err, "done\n");
  g_assert_true (g_subprocess_get_if_exited (child));
  g_assert_cmpint (g_subprocess_get_exit_status (child), ==, 3);
}

static void
test_communicate (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (communicate_body, NULL, &error));
  g_assert_no_error (error);
}

static void
stream_body (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(BridgeStreamReader) out = NULL;
  g_autoptr(BridgeStreamReader) err = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GBytes) end = NULL;
  g_autoptr(GBytes) complaint = NULL;

  /* The second line comes only once we answered the first: so it really is
   * streamed, not collected at exit. */
  child = spawn (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                 G_SUBPROCESS_FLAGS_STDERR_PIPE,
                 "echo first; read answer; echo \"second $answer\"; echo oops >&2");
  out = bridge_subprocess_get_stdout_reader (child);
  err = bridge_subprocess_get_stderr_reader (child);

  first = bridge_stream_reader_read_line (out, &error);
  g_assert_no_error (error);
  assert_bytes (first, "first\n");
  g_assert_true (bridge_output_stream_write_all (g_subprocess_get_stdin_pipe (child), "42\n", 3,
                                                 G_PRIORITY_DEFAULT, NULL, &error));
  second = bridge_stream_reader_read_line (out, &error);
  g_assert_no_error (error);
  assert_bytes (second, "second 42\n");
  end = bridge_stream_reader_read_line (out, &error);
  g_assert_cmpuint (g_bytes_get_size (end), ==, 0);
  complaint = bridge_stream_reader_read_line (err, &error);
  assert_bytes (complaint, "oops\n");

  g_assert_true (bridge_subprocess_wait_check (child, &error));
  g_assert_no_error (error);
}

static void
test_stream_stdout (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (stream_body, NULL, &error));
  g_assert_no_error (error);
}

static void
cancel_body (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GBytes) out = NULL;
  TestCanceller canceller;

  /* A child that takes its time. */
  child = spawn (G_SUBPROCESS_FLAGS_STDOUT_PIPE, "exec sleep 60");
  test_cancel_later (&canceller, 0.05);
  g_assert_false (bridge_subprocess_communicate (child, NULL, &out, NULL, &error));
  test_assert_woke_promptly (&canceller);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (out);
  g_clear_error (&error);
  bridge_task_uncancel (task);

  /* The child is still there, until we stop it. */
  g_assert_nonnull (g_subprocess_get_identifier (child));
  g_subprocess_force_exit (child);
  g_assert_true (bridge_subprocess_wait (child, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (child));
}

static void
test_cancel (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (cancel_body, NULL, &error));
  g_assert_no_error (error);
}

static void
test_reader_without_pipe (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GSubprocess) child = spawn (G_SUBPROCESS_FLAGS_NONE, "true");
      g_autoptr(BridgeStreamReader) reader = bridge_subprocess_get_stdout_reader (child);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*started without G_SUBPROCESS_FLAGS_STDOUT_PIPE*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/child-process/communicate", test_communicate);
  g_test_add_func ("/libbridge/child-process/stream-stdout", test_stream_stdout);
  g_test_add_func ("/libbridge/child-process/communicate-cancelled", test_cancel);
  g_test_add_func ("/libbridge/child-process/reader-without-pipe", test_reader_without_pipe);

  return g_test_run ();
}
