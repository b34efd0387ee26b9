/* test-misuse.c: misuse of the library is loud, never memory corruption
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "test-util.h"

static void
noop_task (BridgeTask *task,
           gpointer    user_data)
{
}

static void
answer_task (BridgeTask *task,
             gpointer    user_data)
{
  bridge_task_return_int64 (task, 42);
}

/* ---- spawning on a loop that another thread runs -------------------------- */

typedef struct
{
  BridgeLoop *loop;
  guint       n_tasks;
  GPtrArray  *tasks;
} ForeignSpawn;

static gpointer
spawn_from_other_thread (gpointer data)
{
  ForeignSpawn *spawn = data;

  for (guint i = 0; i < spawn->n_tasks; i++)
    g_ptr_array_add (spawn->tasks,
                     bridge_spawn_full (spawn->loop, NULL, 0, answer_task, NULL, NULL));
  return NULL;
}

static gboolean
all_done (GPtrArray *tasks)
{
  for (guint i = 0; i < tasks->len; i++)
    if (!bridge_future_is_done (g_ptr_array_index (tasks, i)))
      return FALSE;
  return TRUE;
}

/* Spawns and finishes tasks of its own all the time, so the loop's list of
 * tasks changes on its thread while the other threads spawn. */
static void
keep_busy_task (BridgeTask *task,
                gpointer    user_data)
{
  gboolean *stop = user_data;

  while (!g_atomic_int_get (stop))
    {
      g_autoptr(BridgeTask) child = bridge_spawn (noop_task, NULL, NULL);

      bridge_await (BRIDGE_FUTURE (child), NULL);
    }
}

/* bridge_spawn_full() on a loop that another thread is running goes through
 * the loop's thread-safe inbox: every task runs, on the loop's thread. */
static void
test_spawn_from_other_thread (LoopFixture   *fixture,
                              gconstpointer  user_data)
{
  ForeignSpawn spawns[2];
  gboolean stop = FALSE;
  g_autoptr(BridgeTask) busy = NULL;
  GThread *threads[2];

  /* The loop is busy on this thread while the others spawn on it. */
  busy = bridge_spawn_full (fixture->loop, NULL, 0, keep_busy_task, &stop, NULL);
  test_run_until (fixture->context, bridge_task_get_state (busy) == BRIDGE_TASK_STATE_PARKED,
                  TEST_TIMEOUT_SECONDS);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      spawns[i].loop = fixture->loop;
      spawns[i].n_tasks = 20000;
      spawns[i].tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_task_unref);
      threads[i] = g_thread_new ("spawner", spawn_from_other_thread, &spawns[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      GPtrArray *tasks = spawns[i].tasks;

      g_thread_join (threads[i]);
      test_run_until (fixture->context, all_done (tasks), TEST_TIMEOUT_SECONDS);
      for (guint j = 0; j < tasks->len; j++)
        g_assert_cmpint (bridge_future_get_int64 (g_ptr_array_index (tasks, j), NULL), ==, 42);
      g_ptr_array_unref (tasks);
    }

  g_atomic_int_set (&stop, TRUE);
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (busy)), TEST_TIMEOUT_SECONDS);

  /* The loop's count and list of live tasks survived: none is left. */
  {
    g_autoptr(GPtrArray) live = bridge_loop_list_tasks (fixture->loop);

    g_assert_cmpuint (live->len, ==, 0);
  }
}

/* ---- one unref too many --------------------------------------------------- */

static void
test_task_unref_too_many (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
      BridgeTask *task = bridge_spawn_full (loop, "fetch-index", 0, noop_task, NULL, NULL);

      g_assert_true (bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (task), NULL));
      bridge_task_unref (task);
      bridge_task_unref (task);
      return;
    }

#if HAVE_ASAN
  g_test_skip ("AddressSanitizer reports the use after free itself");
  return;
#endif
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*bridge_task_unref*fetch-index*already freed*");
}

static void
test_future_unref_too_many (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
      BridgeFuture *future = bridge_future_new_for_loop (loop);

      bridge_future_set_label (future, "lookup");
      bridge_future_unref (future);
      bridge_future_unref (future);
      return;
    }

#if HAVE_ASAN
  g_test_skip ("AddressSanitizer reports the use after free itself");
  return;
#endif
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*bridge_future_unref*lookup*already freed*");
}

static void
scheduled_callback (gpointer user_data)
{
}

/* call_soon() lends its handle: unreffing it is refused, not a crash when
 * the loop later runs it. */
static void
test_handle_unref_not_owned (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
      BridgeHandle *handle = bridge_loop_call_soon (loop, scheduled_callback, NULL, NULL);

      bridge_handle_unref (handle);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*bridge_handle_unref*the handle of*still scheduled*");
}

static void
test_handle_unref_too_many (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
      BridgeHandle *handle = bridge_loop_call_soon_threadsafe (loop, scheduled_callback, NULL, NULL);

      bridge_handle_cancel (handle);
      bridge_handle_unref (handle);
      bridge_loop_close (loop, NULL);
      bridge_handle_unref (handle);
      return;
    }

#if HAVE_ASAN
  g_test_skip ("AddressSanitizer reports the use after free itself");
  return;
#endif
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*bridge_handle_unref*the handle of*already freed*");
}

/* BRIDGE_FUTURE() checks its argument unless cast checks are disabled. */
static void
test_checked_cast (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GObject) object = g_object_new (G_TYPE_OBJECT, NULL);

      (void) BRIDGE_FUTURE (object);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*BRIDGE_FUTURE*invalid cast*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  LOOP_TEST ("/libbridge/misuse/spawn-from-other-thread", test_spawn_from_other_thread);
  g_test_add_func ("/libbridge/misuse/task-unref-too-many", test_task_unref_too_many);
  g_test_add_func ("/libbridge/misuse/future-unref-too-many", test_future_unref_too_many);
  g_test_add_func ("/libbridge/misuse/handle-unref-not-owned", test_handle_unref_not_owned);
  g_test_add_func ("/libbridge/misuse/handle-unref-too-many", test_handle_unref_too_many);
  g_test_add_func ("/libbridge/misuse/checked-cast", test_checked_cast);

  return g_test_run ();
}
