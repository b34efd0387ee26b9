/* test-slow.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libbridge.h>

#include <unistd.h>

#if HAVE_VALGRIND
# include <valgrind/valgrind.h>
#endif

#include "test-util.h"

#define N_PARKED 1000000
#define SLOW_TIMEOUT_SECONDS 600.0

typedef struct
{
  BridgeFuture *gate;
  guint         started;
  guint         finished;
  guint         wrong_value;
} Million;

static void
parked_task (BridgeTask *task,
             gpointer    user_data)
{
  Million *million = user_data;
  GError *error = NULL;
  gint64 value;

  million->started++;
  value = bridge_await_int64 (million->gate, &error);
  if (error != NULL || value != 42)
    million->wrong_value++;
  g_clear_error (&error);
  million->finished++;
  bridge_task_return_int64 (task, value + 1);
}

static void
test_million_parked (void)
{
  g_autoptr(BridgeLoop) loop = NULL;
  g_autoptr(GPtrArray) tasks = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(GError) error = NULL;
  Million million = { 0 };
  GMainContext *context;
  gsize rss_before, rss_parked;
  gint64 start;
  guint not_done = 0, wrong_result = 0;

#if HAVE_VALGRIND
  if (RUNNING_ON_VALGRIND)
    {
      g_test_skip ("a million fibers take hours under valgrind");
      return;
    }
#endif
#if HAVE_ASAN
  g_test_skip ("AddressSanitizer's shadow of a million stacks does not fit");
  return;
#endif

  loop = bridge_loop_new (NULL);
  context = bridge_loop_get_context (loop);
  million.gate = bridge_future_new_for_loop (loop);
  tasks = g_ptr_array_new_full (N_PARKED, (GDestroyNotify) bridge_task_unref);
  rss_before = test_resident_bytes ();
  start = g_get_monotonic_time ();

  /* Far beyond vm.max_map_count (65530 by default): stacks must not cost a
   * kernel mapping each. */
  for (guint i = 0; i < N_PARKED; i++)
    g_ptr_array_add (tasks, bridge_spawn_full (loop, NULL, BRIDGE_STACK_SIZE_DEFAULT,
                                               parked_task, &million, NULL));

  test_run_until (context, million.started == N_PARKED, SLOW_TIMEOUT_SECONDS);
  rss_parked = test_resident_bytes ();
  g_test_message ("%u tasks parked after %.1f s, %.2f KiB resident per task",
                  N_PARKED, (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC,
                  (rss_parked - MIN (rss_before, rss_parked)) / 1024.0 / N_PARKED);

  /* All of them are alive, parked on the one future. */
  g_assert_cmpuint (million.finished, ==, 0);
  listed = bridge_loop_list_tasks (loop);
  g_assert_cmpuint (listed->len, ==, N_PARKED);
  g_clear_pointer (&listed, g_ptr_array_unref);
  for (guint i = 0; i < N_PARKED; i++)
    if (bridge_task_get_state (g_ptr_array_index (tasks, i)) != BRIDGE_TASK_STATE_PARKED)
      not_done++;
  g_assert_cmpuint (not_done, ==, 0);

  /* Resolve: every one of them wakes, gets the value, and finishes. */
  g_assert_true (bridge_future_set_int64 (million.gate, 42, &error));
  g_assert_no_error (error);
  test_run_until (context, million.finished == N_PARKED, SLOW_TIMEOUT_SECONDS);
  g_assert_cmpuint (million.wrong_value, ==, 0);
  g_test_message ("all finished after %.1f s",
                  (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);

  for (guint i = 0; i < N_PARKED; i++)
    {
      BridgeFuture *task = g_ptr_array_index (tasks, i);

      if (!bridge_future_is_done (task))
        not_done++;
      else if (bridge_future_get_int64 (task, NULL) != 43)
        wrong_result++;
    }
  g_assert_cmpuint (not_done, ==, 0);
  g_assert_cmpuint (wrong_result, ==, 0);

  listed = bridge_loop_list_tasks (loop);
  g_assert_cmpuint (listed->len, ==, 0);

  g_clear_pointer (&tasks, g_ptr_array_unref);
  bridge_future_unref (million.gate);
  g_assert_true (bridge_loop_close (loop, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/libbridge/slow/million-parked-tasks", test_million_parked);

  return g_test_run ();
}
