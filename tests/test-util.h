/* test-util.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <unistd.h>

#include <libbridge.h>

G_BEGIN_DECLS

/* Upper bound for anything a test waits for. It is generous on purpose:
 * under valgrind everything runs some fifty times slower, and a bound is only
 * there so that a broken wake-up fails the test instead of hanging it. */
#define TEST_TIMEOUT_SECONDS 60.0

/* ---- driving a GMainContext until something holds ----------------------- */

typedef struct
{
  GMainContext *context;
  GSource      *timer;
  gboolean      expired;
} TestDeadline;

static inline gboolean
test_deadline_expired_cb (gpointer user_data)
{
  TestDeadline *deadline = user_data;

  deadline->expired = TRUE;
  return G_SOURCE_REMOVE;
}

static inline void
test_deadline_begin (TestDeadline *deadline,
                     GMainContext *context,
                     double        timeout_seconds)
{
  deadline->context = context != NULL ? context : g_main_context_default ();
  deadline->expired = FALSE;
  /* The timer both bounds the wait and wakes a blocking iteration, so the
   * loop below never sleeps in poll() past the deadline. High priority so a
   * busy source cannot hold it back. */
  deadline->timer = g_timeout_source_new ((guint) (timeout_seconds * 1000));
  g_source_set_priority (deadline->timer, G_PRIORITY_HIGH);
  g_source_set_callback (deadline->timer, test_deadline_expired_cb, deadline, NULL);
  g_source_set_static_name (deadline->timer, "[test] deadline");
  g_source_attach (deadline->timer, deadline->context);
  g_main_context_push_thread_default (deadline->context);
}

static inline void
test_deadline_end (TestDeadline *deadline)
{
  g_main_context_pop_thread_default (deadline->context);
  g_source_destroy (deadline->timer);
  g_clear_pointer (&deadline->timer, g_source_unref);
}

/* Iterates @context (blocking, so an idle wait costs nothing) until
 * @condition is true. Fails the test if that takes longer than
 * @timeout_seconds. @context is pushed as the thread-default context
 * meanwhile, as bridge_loop_run_until_complete() does. */
#define test_run_until(run_context, condition, timeout_seconds)                 \
  G_STMT_START {                                                               \
    TestDeadline _test_deadline;                                               \
    test_deadline_begin (&_test_deadline, (run_context), (timeout_seconds));   \
    while (!(condition))                                                       \
      {                                                                        \
        if (_test_deadline.expired)                                            \
          g_error ("%s:%d: timed out after %.0f s waiting for: %s",            \
                   __FILE__, __LINE__, (double) (timeout_seconds), #condition); \
        g_main_context_iteration (_test_deadline.context, TRUE);               \
      }                                                                        \
    test_deadline_end (&_test_deadline);                                       \
  } G_STMT_END

/* The process's resident memory in bytes (/proc/self/statm). */
static inline gsize
test_resident_bytes (void)
{
  g_autofree char *statm = NULL;
  g_auto(GStrv) fields = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL));
  fields = g_strsplit (statm, " ", -1);
  g_assert_cmpuint (g_strv_length (fields), >=, 2);
  return g_ascii_strtoull (fields[1], NULL, 10) * (gsize) sysconf (_SC_PAGESIZE);
}

/* ---- a fresh loop per test ---------------------------------------------------- */

typedef struct
{
  BridgeLoop   *loop;
  GMainContext *context;
} LoopFixture;

static inline void
loop_fixture_setup (LoopFixture   *fixture,
                    gconstpointer  user_data)
{
  fixture->loop = bridge_loop_new (NULL);
  fixture->context = bridge_loop_get_context (fixture->loop);
  g_assert_nonnull (fixture->loop);
  g_assert_false (bridge_loop_is_closed (fixture->loop));
}

/* Closes the loop and checks that nothing leaked a reference to it: every
 * future and task of the test must be gone by now. */
static inline void
loop_fixture_teardown (LoopFixture   *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_loop_close (fixture->loop, &error));
  g_assert_no_error (error);
  g_assert_true (bridge_loop_is_closed (fixture->loop));
  g_assert_finalize_object (fixture->loop);
  fixture->loop = NULL;
  fixture->context = NULL;
}

#define LOOP_TEST(path, func) \
  g_test_add (path, LoopFixture, NULL, loop_fixture_setup, func, loop_fixture_teardown)

/* ---- running one task ------------------------------------------------------ */

/* Runs @func as a task named @name on a fresh loop (bridge_loop_new (NULL),
 * bridge_spawn_full(), bridge_loop_run_until_complete()) and closes the loop.
 * Returns what run_until_complete() returned; @out_task receives the finished
 * task if not %NULL. */
static inline gboolean
test_run_task_full (const char      *name,
                    gsize            stack_size,
                    BridgeTaskFunc   func,
                    gpointer         user_data,
                    BridgeTask     **out_task,
                    GError         **error)
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(GError) close_error = NULL;
  gboolean ret;

  task = bridge_spawn_full (loop, name, stack_size, func, user_data, NULL);
  ret = bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (task), error);
  g_assert_true (bridge_future_is_done (BRIDGE_FUTURE (task)));
  g_assert_true (bridge_loop_close (loop, &close_error));
  g_assert_no_error (close_error);

  if (out_task != NULL)
    *out_task = g_steal_pointer (&task);
  return ret;
}

static inline gboolean
test_run_task (BridgeTaskFunc   func,
               gpointer         user_data,
               GError         **error)
{
  return test_run_task_full (NULL, BRIDGE_STACK_SIZE_DEFAULT, func, user_data, NULL, error);
}

/* ---- small helpers ----------------------------------------------------------- */

static inline void
test_count_cb (gpointer user_data)
{
  guint *counter = user_data;

  (*counter)++;
}

static inline void
test_count_destroy (gpointer user_data)
{
  guint *counter = user_data;

  (*counter)++;
}

G_END_DECLS
