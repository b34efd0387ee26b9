/* test-fd.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test-gio-util.h"

/* loop.add_reader()/add_writer()/remove_*() and awaiting readiness: called
 * when ready and not before, level-triggered once per iteration, one
 * callback per descriptor and direction, removal (also from inside the
 * callback), and an await that a cancellation ends at once. */

typedef struct
{
  int   fds[2];          /* a pipe: read end, write end */
  guint calls;
  gint  freed;
  BridgeLoop *loop;
  gboolean remove_in_callback;
  gboolean drain_in_callback;
} Pipe;

static void
pipe_open (Pipe       *p,
           BridgeLoop *loop)
{
  memset (p, 0, sizeof *p);
  g_assert_no_errno (pipe (p->fds));
  g_assert_no_errno (fcntl (p->fds[0], F_SETFL, O_NONBLOCK));
  p->loop = loop;
}

static void
pipe_close (Pipe *p)
{
  if (p->fds[0] >= 0)
    close (p->fds[0]);
  if (p->fds[1] >= 0)
    close (p->fds[1]);
}

static void
pipe_write (Pipe       *p,
            const char *text)
{
  g_assert_cmpint (write (p->fds[1], text, strlen (text)), ==, (gssize) strlen (text));
}

static void
reader_cb (gpointer user_data)
{
  Pipe *p = user_data;
  char buffer[64];

  p->calls++;
  if (p->drain_in_callback)
    while (read (p->fds[0], buffer, sizeof buffer) > 0)
      ;
  if (p->remove_in_callback)
    g_assert_true (bridge_loop_remove_reader (p->loop, p->fds[0]));
}

static void
count_free (gpointer user_data)
{
  ((Pipe *) user_data)->freed++;
}

/* Runs @n iterations of the context, without blocking. */
static void
iterate (GMainContext *context,
         guint         n)
{
  for (guint i = 0; i < n; i++)
    g_main_context_iteration (context, FALSE);
}

static void
test_reader_called_when_readable (LoopFixture   *fixture,
                                  gconstpointer  user_data)
{
  Pipe p;

  pipe_open (&p, fixture->loop);
  p.drain_in_callback = TRUE;
  bridge_loop_add_reader (fixture->loop, p.fds[0], reader_cb, &p, count_free);

  /* Nothing to read: never called. */
  iterate (fixture->context, 10);
  g_assert_cmpuint (p.calls, ==, 0);

  pipe_write (&p, "x");
  test_run_until (fixture->context, p.calls == 1, TEST_TIMEOUT_SECONDS);
  /* Drained: no second call. */
  iterate (fixture->context, 10);
  g_assert_cmpuint (p.calls, ==, 1);

  pipe_write (&p, "y");
  test_run_until (fixture->context, p.calls == 2, TEST_TIMEOUT_SECONDS);

  g_assert_true (bridge_loop_remove_reader (fixture->loop, p.fds[0]));
  g_assert_cmpint (p.freed, ==, 1);
  g_assert_false (bridge_loop_remove_reader (fixture->loop, p.fds[0]));
  pipe_close (&p);
}

static void
test_reader_level_triggered (LoopFixture   *fixture,
                             gconstpointer  user_data)
{
  Pipe p;

  pipe_open (&p, fixture->loop);
  bridge_loop_add_reader (fixture->loop, p.fds[0], reader_cb, &p, NULL);
  pipe_write (&p, "unread");
  /* Never read: called again and again, once per iteration at most. */
  test_run_until (fixture->context, p.calls >= 3, TEST_TIMEOUT_SECONDS);
  g_assert_true (bridge_loop_remove_reader (fixture->loop, p.fds[0]));
  pipe_close (&p);
}

static void
test_remove_stops_calls (LoopFixture   *fixture,
                         gconstpointer  user_data)
{
  Pipe p;

  pipe_open (&p, fixture->loop);
  bridge_loop_add_reader (fixture->loop, p.fds[0], reader_cb, &p, count_free);
  pipe_write (&p, "ready");
  /* Readiness seen and the callback queued in the loop... */
  g_main_context_iteration (fixture->context, FALSE);
  /* ...then removed: it never runs. */
  g_assert_true (bridge_loop_remove_reader (fixture->loop, p.fds[0]));
  iterate (fixture->context, 10);
  g_assert_cmpuint (p.calls, ==, 0);
  g_assert_cmpint (p.freed, ==, 1);
  pipe_close (&p);
}

static void
test_remove_in_callback (LoopFixture   *fixture,
                         gconstpointer  user_data)
{
  Pipe p;

  pipe_open (&p, fixture->loop);
  p.remove_in_callback = TRUE;
  bridge_loop_add_reader (fixture->loop, p.fds[0], reader_cb, &p, count_free);
  pipe_write (&p, "once");
  test_run_until (fixture->context, p.calls == 1, TEST_TIMEOUT_SECONDS);
  iterate (fixture->context, 10);
  g_assert_cmpuint (p.calls, ==, 1);
  g_assert_cmpint (p.freed, ==, 1);
  pipe_close (&p);
}

static void
second_reader_cb (gpointer user_data)
{
  Pipe *p = user_data;
  char buffer[64];

  p->calls += 100;
  while (read (p->fds[0], buffer, sizeof buffer) > 0)
    ;
}

static void
test_add_replaces (LoopFixture   *fixture,
                   gconstpointer  user_data)
{
  Pipe p;

  pipe_open (&p, fixture->loop);
  bridge_loop_add_reader (fixture->loop, p.fds[0], reader_cb, &p, count_free);
  bridge_loop_add_reader (fixture->loop, p.fds[0], second_reader_cb, &p, count_free);
  /* The first reader's data went when it was replaced. */
  g_assert_cmpint (p.freed, ==, 1);
  pipe_write (&p, "z");
  test_run_until (fixture->context, p.calls == 100, TEST_TIMEOUT_SECONDS);
  g_assert_true (bridge_loop_remove_reader (fixture->loop, p.fds[0]));
  g_assert_cmpint (p.freed, ==, 2);
  pipe_close (&p);
}

typedef struct
{
  Pipe *p;
  guint writes;
} Writer;

static void
writer_cb (gpointer user_data)
{
  Writer *w = user_data;

  w->writes++;
  pipe_write (w->p, "w");
  if (w->writes == 3)
    g_assert_true (bridge_loop_remove_writer (w->p->loop, w->p->fds[1]));
}

static void
test_writer (LoopFixture   *fixture,
             gconstpointer  user_data)
{
  Pipe p;
  Writer w = { &p, 0 };
  char buffer[16] = "";

  pipe_open (&p, fixture->loop);
  g_assert_false (bridge_loop_remove_writer (fixture->loop, p.fds[1]));
  bridge_loop_add_writer (fixture->loop, p.fds[1], writer_cb, &w, NULL);
  test_run_until (fixture->context, w.writes == 3, TEST_TIMEOUT_SECONDS);
  iterate (fixture->context, 10);
  g_assert_cmpuint (w.writes, ==, 3);
  g_assert_cmpint (read (p.fds[0], buffer, sizeof buffer), ==, 3);
  pipe_close (&p);
}

typedef struct
{
  BridgeLoop *loop;
  int         fd;
  guint       reads;
  guint       writes;
} Duplex;

static void
duplex_read_cb (gpointer user_data)
{
  Duplex *d = user_data;
  char buffer[64];

  while (read (d->fd, buffer, sizeof buffer) > 0)
    d->reads++;
}

static void
duplex_write_cb (gpointer user_data)
{
  Duplex *d = user_data;

  g_assert_cmpint (write (d->fd, "w", 1), ==, 1);
  if (++d->writes == 3)
    g_assert_true (bridge_loop_remove_writer (d->loop, d->fd));
}

static void
test_reader_and_writer_same_fd (LoopFixture   *fixture,
                                gconstpointer  user_data)
{
  Duplex d = { fixture->loop, -1, 0, 0 };
  char buffer[16];
  int fds[2];

  /* A socket pair: fds[0] is readable and writable at once. */
  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM, 0, fds));
  g_assert_no_errno (fcntl (fds[0], F_SETFL, O_NONBLOCK));
  d.fd = fds[0];
  bridge_loop_add_reader (fixture->loop, fds[0], duplex_read_cb, &d, NULL);
  bridge_loop_add_writer (fixture->loop, fds[0], duplex_write_cb, &d, NULL);
  test_run_until (fixture->context, d.writes == 3, TEST_TIMEOUT_SECONDS);
  g_assert_cmpint (read (fds[1], buffer, sizeof buffer), ==, 3);

  /* Removing the writer left the reader of the same descriptor alone. */
  g_assert_cmpint (write (fds[1], "r", 1), ==, 1);
  test_run_until (fixture->context, d.reads == 1, TEST_TIMEOUT_SECONDS);
  g_assert_cmpuint (d.writes, ==, 3);
  g_assert_true (bridge_loop_remove_reader (fixture->loop, fds[0]));
  g_assert_false (bridge_loop_remove_writer (fixture->loop, fds[0]));
  close (fds[0]);
  close (fds[1]);
}

static void
test_hangup_is_readable (LoopFixture   *fixture,
                         gconstpointer  user_data)
{
  Pipe p;

  pipe_open (&p, fixture->loop);
  p.remove_in_callback = TRUE;
  bridge_loop_add_reader (fixture->loop, p.fds[0], reader_cb, &p, NULL);
  close (p.fds[1]);
  p.fds[1] = -1;
  /* The end of the stream wakes the reader, which then reads 0. */
  test_run_until (fixture->context, p.calls == 1, TEST_TIMEOUT_SECONDS);
  pipe_close (&p);
}

static void
test_closed_loop_watch_dropped (void)
{
  BridgeLoop *loop = bridge_loop_new (NULL);
  Pipe p;

  pipe_open (&p, loop);
  bridge_loop_add_reader (loop, p.fds[0], reader_cb, &p, count_free);
  pipe_write (&p, "x");
  g_assert_true (bridge_loop_close (loop, NULL));
  /* The reader goes with the loop, without running. */
  g_assert_finalize_object (loop);
  g_assert_cmpint (p.freed, ==, 1);
  g_assert_cmpuint (p.calls, ==, 0);
  pipe_close (&p);
}

/* ---- bridge_await_fd() ------------------------------------------------------------------ */

static void
write_later_cb (gpointer user_data)
{
  pipe_write (user_data, "later");
}

static void
await_readable_body (BridgeTask *task,
                     gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  GIOCondition ready;
  char buffer[16];
  Pipe p;

  pipe_open (&p, bridge_loop_get_default ());
  bridge_loop_call_later (bridge_loop_get_default (), 0.02, write_later_cb, &p, NULL);
  ready = bridge_await_fd (p.fds[0], G_IO_IN, &error);
  g_assert_no_error (error);
  g_assert_true (ready & G_IO_IN);
  g_assert_cmpint (read (p.fds[0], buffer, sizeof buffer), ==, 5);

  /* Writable at once. */
  ready = bridge_await_fd (p.fds[1], G_IO_OUT, &error);
  g_assert_no_error (error);
  g_assert_true (ready & G_IO_OUT);

  /* A hang-up is reported even when only G_IO_IN was asked for. */
  close (p.fds[1]);
  p.fds[1] = -1;
  ready = bridge_await_fd (p.fds[0], G_IO_IN, &error);
  g_assert_no_error (error);
  g_assert_true (ready & G_IO_HUP);
  pipe_close (&p);
}

static void
test_await_readable (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (await_readable_body, NULL, &error));
  g_assert_no_error (error);
}

static void
await_cancel_body (BridgeTask *task,
                   gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  TestCanceller canceller;
  Pipe p;

  pipe_open (&p, bridge_loop_get_default ());
  test_cancel_later (&canceller, 0.02);
  g_assert_cmpint (bridge_await_fd (p.fds[0], G_IO_IN, &error), ==, 0);
  test_assert_woke_promptly (&canceller);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* The descriptor is no longer watched: data arriving now changes
   * nothing, and a new await works. */
  bridge_task_uncancel (task);
  pipe_write (&p, "x");
  g_assert_true (bridge_yield (NULL));
  g_assert_true (bridge_await_fd (p.fds[0], G_IO_IN, &error) & G_IO_IN);
  g_assert_no_error (error);
  pipe_close (&p);
}

static void
test_await_cancelled (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_run_task (await_cancel_body, NULL, &error));
  g_assert_no_error (error);
}

static void
test_await_outside_task (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (bridge_await_fd (0, G_IO_IN, &error), ==, 0);
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  LOOP_TEST ("/libbridge/fd/reader/called-when-readable", test_reader_called_when_readable);
  LOOP_TEST ("/libbridge/fd/reader/level-triggered", test_reader_level_triggered);
  LOOP_TEST ("/libbridge/fd/reader/remove-stops-calls", test_remove_stops_calls);
  LOOP_TEST ("/libbridge/fd/reader/remove-in-callback", test_remove_in_callback);
  LOOP_TEST ("/libbridge/fd/reader/add-replaces", test_add_replaces);
  LOOP_TEST ("/libbridge/fd/reader/hangup-is-readable", test_hangup_is_readable);
  LOOP_TEST ("/libbridge/fd/writer", test_writer);
  LOOP_TEST ("/libbridge/fd/reader-and-writer", test_reader_and_writer_same_fd);
  g_test_add_func ("/libbridge/fd/closed-loop", test_closed_loop_watch_dropped);
  g_test_add_func ("/libbridge/fd/await/readable", test_await_readable);
  g_test_add_func ("/libbridge/fd/await/cancelled", test_await_cancelled);
  g_test_add_func ("/libbridge/fd/await/outside-task", test_await_outside_task);

  return g_test_run ();
}
