/* test-stream-reader.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gunixinputstream.h>
#include <unistd.h>

#include "test-gio-util.h"

/* BridgeStreamReader's reads by delimiter and size, rule by rule as
 * asyncio's StreamReader: readline, readuntil, readexactly, read(n), the
 * limit, IncompleteReadError and LimitOverrunError, data arriving in
 * pieces, and a cancellation in the middle that loses nothing. */

typedef struct
{
  int                 fds[2];
  BridgeStreamReader *reader;
} Feed;

static void
feed_open (Feed *feed)
{
  g_autoptr(GInputStream) stream = NULL;

  g_assert_no_errno (pipe (feed->fds));
  stream = g_unix_input_stream_new (feed->fds[0], TRUE);
  /* Small chunks, so that lines span several reads. */
  feed->reader = bridge_stream_reader_new (stream, 4);
}

static void
feed (Feed       *f,
      const char *text)
{
  g_assert_cmpint (write (f->fds[1], text, strlen (text)), ==, (gssize) strlen (text));
}

static void
feed_end (Feed *f)
{
  close (f->fds[1]);
  f->fds[1] = -1;
}

static void
feed_close (Feed *f)
{
  if (f->fds[1] >= 0)
    close (f->fds[1]);
  g_clear_object (&f->reader);
}

#define assert_bytes(bytes, text) \
  g_assert_cmpmem (g_bytes_get_data ((bytes), NULL), g_bytes_get_size (bytes), (text), strlen (text))

static void
run_body (BridgeTaskFunc func)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (func, NULL, &error));
  g_assert_no_error (error);
}

/* ---- read_line ------------------------------------------------------------------------ */

static void
feed_later_cb (gpointer user_data)
{
  feed (user_data, "ld\nrest");
}

static void
read_line_body (BridgeTask *task,
                gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GBytes) last = NULL;
  g_autoptr(GBytes) end = NULL;
  Feed f;

  feed_open (&f);
  feed (&f, "hello\nwor");
  /* The rest of the second line comes later. */
  bridge_loop_call_later (bridge_loop_get_default (), 0.02, feed_later_cb, &f, NULL);

  first = bridge_stream_reader_read_line (f.reader, &error);
  g_assert_no_error (error);
  assert_bytes (first, "hello\n");
  second = bridge_stream_reader_read_line (f.reader, &error);
  g_assert_no_error (error);
  assert_bytes (second, "world\n");

  /* At the end: what is left, without a newline, then empty bytes. */
  feed_end (&f);
  last = bridge_stream_reader_read_line (f.reader, &error);
  g_assert_no_error (error);
  assert_bytes (last, "rest");
  end = bridge_stream_reader_read_line (f.reader, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (end), ==, 0);
  g_assert_true (bridge_stream_reader_is_at_end (f.reader));
  feed_close (&f);
}

static void
test_read_line (void)
{
  run_body (read_line_body);
}

static void
line_limit_body (BridgeTask *task,
                 gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) line = NULL;
  g_autoptr(GBytes) next = NULL;
  Feed f;

  feed_open (&f);
  g_assert_cmpuint (bridge_stream_reader_get_limit (f.reader), ==, 64 * 1024);
  bridge_stream_reader_set_limit (f.reader, 8);
  feed (&f, "too long\nshort\n");

  /* Over the limit (9 bytes with the newline): an error, and the long line
   * is dropped up to its newline, as asyncio's readline() does. */
  line = bridge_stream_reader_read_line (f.reader, &error);
  g_assert_null (line);
  g_assert_error (error, BRIDGE_STREAM_ERROR, BRIDGE_STREAM_ERROR_LIMIT_OVERRUN);
  g_clear_error (&error);

  next = bridge_stream_reader_read_line (f.reader, &error);
  g_assert_no_error (error);
  assert_bytes (next, "short\n");
  feed_close (&f);
}

static void
test_read_line_limit (void)
{
  run_body (line_limit_body);
}

static void
line_cancelled_body (BridgeTask *task,
                     gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) line = NULL;
  TestCanceller canceller;
  Feed f;

  feed_open (&f);
  feed (&f, "half a ");
  test_cancel_later (&canceller, 0.02);
  line = bridge_stream_reader_read_line (f.reader, &error);
  test_assert_woke_promptly (&canceller);
  g_assert_null (line);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  bridge_task_uncancel (task);

  /* The cancelled read lets go of the stream; what was read stays. */
  while (g_input_stream_has_pending (bridge_stream_reader_get_stream (f.reader)))
    g_assert_true (bridge_yield (NULL));
  feed (&f, "line\n");
  line = bridge_stream_reader_read_line (f.reader, &error);
  g_assert_no_error (error);
  assert_bytes (line, "half a line\n");
  feed_close (&f);
}

static void
test_read_line_cancelled (void)
{
  run_body (line_cancelled_body);
}

/* ---- read_until -------------------------------------------------------------------------- */

static void
until_body (BridgeTask *task,
            gpointer    user_data)
{
  static const guint8 crlf[] = { '\r', '\n' };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) header = NULL;
  g_autoptr(GBytes) partial = NULL;
  g_autoptr(GBytes) none = NULL;
  Feed f;

  feed_open (&f);
  /* The separator arrives split between two chunks of 4 bytes. */
  feed (&f, "abc\r\ndef");
  header = bridge_stream_reader_read_until (f.reader, crlf, 2, &error);
  g_assert_no_error (error);
  assert_bytes (header, "abc\r\n");

  /* The end comes first: IncompleteReadError, and the data stays. */
  feed_end (&f);
  none = bridge_stream_reader_read_until (f.reader, crlf, 2, &error);
  g_assert_null (none);
  g_assert_error (error, BRIDGE_STREAM_ERROR, BRIDGE_STREAM_ERROR_INCOMPLETE_READ);
  g_clear_error (&error);
  partial = bridge_stream_reader_read (f.reader, -1, &error);
  g_assert_no_error (error);
  assert_bytes (partial, "def");
  feed_close (&f);
}

static void
test_read_until (void)
{
  run_body (until_body);
}

static void
until_limit_body (BridgeTask *task,
                  gpointer    user_data)
{
  static const guint8 separator[] = { ';' };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) none = NULL;
  g_autoptr(GBytes) kept = NULL;
  Feed f;

  feed_open (&f);
  bridge_stream_reader_set_limit (f.reader, 4);
  feed (&f, "123456;");
  /* Found, but beyond the limit: LimitOverrunError, nothing consumed. */
  none = bridge_stream_reader_read_until (f.reader, separator, 1, &error);
  g_assert_null (none);
  g_assert_error (error, BRIDGE_STREAM_ERROR, BRIDGE_STREAM_ERROR_LIMIT_OVERRUN);
  g_clear_error (&error);
  kept = bridge_stream_reader_read_exactly (f.reader, 7, &error);
  g_assert_no_error (error);
  assert_bytes (kept, "123456;");
  feed_close (&f);
}

static void
test_read_until_limit (void)
{
  run_body (until_limit_body);
}

/* ---- read_exactly and read ----------------------------------------------------------------- */

static void
exactly_body (BridgeTask *task,
              gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) ten = NULL;
  g_autoptr(GBytes) none = NULL;
  g_autoptr(GBytes) rest = NULL;
  g_autoptr(GBytes) chunk = NULL;
  Feed f;

  feed_open (&f);
  feed (&f, "0123456789ab");
  ten = bridge_stream_reader_read_exactly (f.reader, 10, &error);
  g_assert_no_error (error);
  assert_bytes (ten, "0123456789");

  feed (&f, "cd");
  feed_end (&f);
  /* 4 left, 5 wanted: IncompleteReadError, the 4 stay. */
  none = bridge_stream_reader_read_exactly (f.reader, 5, &error);
  g_assert_null (none);
  g_assert_error (error, BRIDGE_STREAM_ERROR, BRIDGE_STREAM_ERROR_INCOMPLETE_READ);
  g_clear_error (&error);
  g_assert_false (bridge_stream_reader_is_at_end (f.reader));

  /* read(n) returns at most n, and next() what read-ahead is left. */
  rest = bridge_stream_reader_read (f.reader, 3, &error);
  g_assert_no_error (error);
  assert_bytes (rest, "abc");
  chunk = bridge_stream_reader_next (f.reader, &error);
  g_assert_no_error (error);
  assert_bytes (chunk, "d");
  g_clear_pointer (&chunk, g_bytes_unref);
  chunk = bridge_stream_reader_read (f.reader, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (chunk), ==, 0);
  g_assert_true (bridge_stream_reader_is_at_end (f.reader));
  feed_close (&f);
}

static void
test_read_exactly (void)
{
  run_body (exactly_body);
}

static void
test_outside_task (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) line = NULL;
  Feed f;

  feed_open (&f);
  line = bridge_stream_reader_read_line (f.reader, &error);
  g_assert_null (line);
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  feed_close (&f);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/stream-reader/read-line", test_read_line);
  g_test_add_func ("/libbridge/stream-reader/read-line/limit", test_read_line_limit);
  g_test_add_func ("/libbridge/stream-reader/read-line/cancelled", test_read_line_cancelled);
  g_test_add_func ("/libbridge/stream-reader/read-until", test_read_until);
  g_test_add_func ("/libbridge/stream-reader/read-until/limit", test_read_until_limit);
  g_test_add_func ("/libbridge/stream-reader/read-exactly", test_read_exactly);
  g_test_add_func ("/libbridge/stream-reader/outside-task", test_outside_task);

  return g_test_run ();
}
