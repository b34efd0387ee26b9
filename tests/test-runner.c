/* test-runner.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "test-util.h"

/* BridgeRunner, as asyncio.Runner: one loop for several runs, background
 * tasks carry on between runs, close() cancels what is left and lets it
 * clean up, and misuse is an error. */

typedef struct
{
  guint     ticks;
  gboolean  cleaned_up;
  GError   *error;
} Background;

static void
background_body (BridgeTask *task,
                 gpointer    user_data)
{
  Background *background = user_data;

  while (bridge_sleep (0.001, &background->error))
    background->ticks++;
  background->cleaned_up = TRUE;
}

static void
first_run_body (BridgeTask *task,
                gpointer    user_data)
{
  BridgeTask *background = bridge_spawn (background_body, user_data, NULL);

  bridge_task_unref (background);   /* the loop keeps it */
  bridge_task_return_int64 (task, 1);
}

static void
second_run_body (BridgeTask *task,
                 gpointer    user_data)
{
  Background *background = user_data;
  guint before = background->ticks;

  /* The background task of the first run is alive and well. */
  while (background->ticks < before + 3)
    g_assert_true (bridge_sleep (0.001, NULL));
  bridge_task_return_int64 (task, 2);
}

static void
test_runs_share_a_loop (void)
{
  g_autoptr(BridgeRunner) runner = bridge_runner_new ();
  g_autoptr(BridgeTask) first = NULL;
  g_autoptr(BridgeTask) second = NULL;
  g_autoptr(GError) error = NULL;
  BridgeLoop *loop = bridge_runner_get_loop (runner);
  Background background = { 0 };

  g_assert_true (bridge_runner_run (runner, first_run_body, &background, NULL, &first, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (first), NULL), ==, 1);
  g_assert_true (bridge_runner_get_loop (runner) == loop);

  g_assert_true (bridge_runner_run (runner, second_run_body, &background, NULL, &second, &error));
  g_assert_cmpint (bridge_future_get_int64 (BRIDGE_FUTURE (second), NULL), ==, 2);
  g_assert_false (background.cleaned_up);

  /* Closing cancels the background task and lets it clean up. */
  bridge_runner_close (runner);
  g_assert_true (background.cleaned_up);
  g_assert_error (background.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (bridge_runner_get_loop (runner));
  bridge_runner_close (runner);   /* twice: nothing more */
  g_clear_error (&background.error);
}

static void
failing_body (BridgeTask *task,
              gpointer    user_data)
{
  bridge_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such thing");
}

static void
test_error_propagates (void)
{
  g_autoptr(BridgeRunner) runner = bridge_runner_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_runner_run (runner, failing_body, NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
count_destroy (gpointer data)
{
  (*(guint *) data)++;
}

static void
nested_body (BridgeTask *task,
             gpointer    user_data)
{
  BridgeRunner *runner = user_data;
  g_autoptr(GError) error = NULL;
  guint destroyed = 0;

  /* From inside its own running loop: refused, and the data freed. */
  g_assert_false (bridge_runner_run (runner, failing_body, &destroyed, count_destroy, NULL, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_cmpuint (destroyed, ==, 1);
}

static void
test_misuse (void)
{
  g_autoptr(BridgeRunner) runner = bridge_runner_new ();
  g_autoptr(GError) error = NULL;
  guint destroyed = 0;

  g_assert_true (bridge_runner_run (runner, nested_body, runner, NULL, NULL, &error));
  g_assert_no_error (error);

  bridge_runner_close (runner);
  g_assert_false (bridge_runner_run (runner, failing_body, &destroyed, count_destroy, NULL, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_cmpuint (destroyed, ==, 1);
}

static void
test_unref_closes (void)
{
  BridgeRunner *runner = bridge_runner_new ();
  Background background = { 0 };

  g_assert_true (bridge_runner_run (runner, first_run_body, &background, NULL, NULL, NULL));
  g_object_unref (runner);
  g_assert_true (background.cleaned_up);
  g_clear_error (&background.error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/runner/runs-share-a-loop", test_runs_share_a_loop);
  g_test_add_func ("/libbridge/runner/error-propagates", test_error_propagates);
  g_test_add_func ("/libbridge/runner/misuse", test_misuse);
  g_test_add_func ("/libbridge/runner/unref-closes", test_unref_closes);

  return g_test_run ();
}
