/* test-task-group.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libbridge.h>

#include "test-sync-util.h"

/* ---- scripted children ------------------------------------------------------------ */

typedef struct
{
  guint     yields;           /* yields before finishing */
  int       fail_code;        /* non-zero: then fail with this G_IO_ERROR code */
  gboolean  fail_on_cancel;   /* on cancellation: fail with G_IO_ERROR_BUSY */
  guint     ignore_cancel;    /* on cancellation: uncancel, yield this often, succeed */

  gboolean  started;
  gboolean  saw_cancel;
  gboolean  finished;
  guint     destroyed;
} Child;

static void
child_destroy (gpointer user_data)
{
  Child *child = user_data;

  child->destroyed++;
}

static void
child_func (BridgeTask *task,
            gpointer    user_data)
{
  Child *child = user_data;

  child->started = TRUE;
  for (guint i = 0; i < child->yields; i++)
    {
      GError *error = NULL;

      if (bridge_yield (&error))
        continue;

      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_error_free (error);
      child->saw_cancel = TRUE;

      if (child->fail_on_cancel)
        {
          child->finished = TRUE;
          bridge_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY,
                                        "%s failed while cancelled", bridge_task_get_name (task));
          return;
        }
      if (child->ignore_cancel > 0)
        {
          bridge_task_uncancel (task);
          sync_yield (child->ignore_cancel);
          child->finished = TRUE;
          return;
        }
      return;   /* ends cancelled */
    }

  child->finished = TRUE;
  if (child->fail_code != 0)
    bridge_task_return_new_error (task, G_IO_ERROR, child->fail_code,
                                  "%s failed", bridge_task_get_name (task));
}

static BridgeTask *
spawn_child (BridgeTaskGroup *group,
             const char      *name,
             Child           *child)
{
  g_autoptr(GError) error = NULL;
  BridgeTask *task;

  task = bridge_task_group_spawn_full (group, name, BRIDGE_STACK_SIZE_DEFAULT,
                                       child_func, child, child_destroy, &error);
  g_assert_no_error (error);
  g_assert_nonnull (task);
  g_assert_cmpstr (bridge_task_get_name (task), ==, name);
  return task;
}

/* ---- success ---------------------------------------------------------------------- */

static void
all_succeed_main (BridgeTask *task,
                  gpointer    user_data)
{
  g_autoptr(BridgeTaskGroup) group = bridge_task_group_new ();
  g_autoptr(GError) error = NULL;
  Child children[3] = { { .yields = 0 }, { .yields = 5 }, { .yields = 50 } };

  for (guint i = 0; i < G_N_ELEMENTS (children); i++)
    {
      g_autofree char *name = g_strdup_printf ("c%u", i);
      spawn_child (group, name, &children[i]);
    }
  g_assert_cmpuint (bridge_task_group_get_n_tasks (group), ==, 3);
  /* Children start later, never inside spawn. */
  g_assert_false (children[0].started);

  g_assert_true (bridge_task_group_wait (group, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (children); i++)
    {
      g_assert_true (children[i].finished);
      g_assert_false (children[i].saw_cancel);
      g_assert_cmpuint (children[i].destroyed, ==, 1);
    }
  g_assert_cmpuint (bridge_task_group_get_n_tasks (group), ==, 0);
  g_assert_cmpuint (bridge_task_group_get_errors (group)->len, ==, 0);
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 0);
}

static void
test_all_succeed (void)
{
  sync_run (all_succeed_main, NULL);
}

static void
empty_main (BridgeTask *task,
            gpointer    user_data)
{
  g_autoptr(BridgeTaskGroup) group = bridge_task_group_new ();
  SyncProbe probe;

  sync_probe_arm (&probe);
  g_assert_true (bridge_task_group_wait (group, NULL));
  g_assert_false (sync_probe_suspended (&probe));
}

static void
test_empty (void)
{
  sync_run (empty_main, NULL);
}

/* A child cancelled directly (not by the group) is not an error. */
static void
cancelled_child_main (BridgeTask *task,
                      gpointer    user_data)
{
  g_autoptr(BridgeTaskGroup) group = bridge_task_group_new ();
  g_autoptr(GError) error = NULL;
  Child a = { .yields = 100 };
  Child b = { .yields = 3 };
  BridgeTask *child_a;

  child_a = spawn_child (group, "a", &a);
  spawn_child (group, "b", &b);
  sync_yield (2);
  g_assert_true (bridge_task_cancel (child_a, NULL));

  g_assert_true (bridge_task_group_wait (group, &error));
  g_assert_no_error (error);
  g_assert_true (a.saw_cancel);
  g_assert_false (a.finished);
  g_assert_true (b.finished);
  g_assert_cmpuint (bridge_task_group_get_errors (group)->len, ==, 0);
}

static void
test_cancelled_child (void)
{
  sync_run (cancelled_child_main, NULL);
}

/* Children may spawn siblings while the parent waits; wait() covers them. */
typedef struct
{
  BridgeTaskGroup *group;
  Child            sibling;
} SpawnerData;

static void
spawner_func (BridgeTask *task,
              gpointer    user_data)
{
  SpawnerData *data = user_data;

  sync_yield (3);
  spawn_child (data->group, "sibling", &data->sibling);
}

static void
child_spawns_main (BridgeTask *task,
                   gpointer    user_data)
{
  g_autoptr(BridgeTaskGroup) group = bridge_task_group_new ();
  SpawnerData data = { .group = group, .sibling = { .yields = 10 } };

  g_assert_nonnull (bridge_task_group_spawn (group, spawner_func, &data, NULL, NULL));
  g_assert_true (bridge_task_group_wait (group, NULL));
  g_assert_true (data.sibling.finished);
}

static void
test_child_spawns_sibling (void)
{
  sync_run (child_spawns_main, NULL);
}

static void
many_child (BridgeTask *task,
            gpointer    user_data)
{
  guint *counter = user_data;

  (*counter)++;
}

static void
many_main (BridgeTask *task,
           gpointer    user_data)
{
  g_autoptr(BridgeTaskGroup) group = bridge_task_group_new ();
  guint counter = 0;

  for (guint i = 0; i < 100000; i++)
    bridge_task_group_spawn (group, many_child, &counter, NULL, NULL);
  g_assert_true (bridge_task_group_wait (group, NULL));
  g_assert_cmpuint (counter, ==, 100000);
}

static void
test_many_children (void)
{
  sync_run (many_main, NULL);
}

/* ---- failures ------------------------------------------------------------------- */

/* The first failure cancels the siblings; wait() waits for all of them and
 * reports the error; the parent's own cancellation is withdrawn. */
static void
first_failure_main (BridgeTask *task,
                    gpointer    user_data)
{
  g_autoptr(BridgeTaskGroup) group = bridge_task_group_new ();
  g_autoptr(GError) error = NULL;
  Child a = { .yields = 2, .fail_code = G_IO_ERROR_NOT_FOUND };
  Child b = { .yields = 100 };
  Child c = { .yields = 100 };
  GPtrArray *errors;

  spawn_child (group, "a", &a);
  spawn_child (group, "b", &b);
  spawn_child (group, "c", &c);

  g_assert_false (bridge_task_group_wait (group, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_TASK_GROUP);
  g_assert_nonnull (strstr (error->message, "“a”: a failed"));
  g_assert_true (b.saw_cancel && c.saw_cancel);
  g_assert_false (b.finished || c.finished);
  g_assert_cmpuint (bridge_task_group_get_n_tasks (group), ==, 0);

  errors = bridge_task_group_get_errors (group);
  g_assert_cmpuint (errors->len, ==, 1);
  g_assert_error ((GError *) g_ptr_array_index (errors, 0), G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  /* The group's cancellation of the parent is gone: awaiting works again. */
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 0);
  sync_yield (1);
}

static void
test_first_failure (void)
{
  sync_run (first_failure_main, NULL);
}

/* A failure also cancels the parent's body, wherever it waits. */
static void
body_cancelled_main (BridgeTask *task,
                     gpointer    user_data)
{
  g_autoptr(BridgeTaskGroup) group = bridge_task_group_new ();
  g_autoptr(GError) error = NULL;
  Child a = { .yields = 2, .fail_code = G_IO_ERROR_NOT_SUPPORTED };
  Child late = { .yields = 1 };
  gint64 start = g_get_monotonic_time ();

  spawn_child (group, "a", &a);
  g_assert_false (bridge_sleep (TEST_TIMEOUT_SECONDS, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC / 2);
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 1);

  /* Shutting down: no new children. */
  g_assert_null (bridge_task_group_spawn_full (group, "late", BRIDGE_STACK_SIZE_DEFAULT,
                                               child_func, &late, child_destroy, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_nonnull (strstr (error->message, "shutting down"));
  g_assert_cmpuint (late.destroyed, ==, 1);
  g_assert_false (late.started);
  g_clear_error (&error);

  g_assert_false (bridge_task_group_wait (group, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_TASK_GROUP);
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 0);
  g_assert_true (bridge_sleep (0.001, NULL));
}

static void
test_body_cancelled (void)
{
  sync_run (body_cancelled_main, NULL);
}

/* Two children fail, one of them while being cancelled, and a third
 * ignores its cancellation for a while: wait() returns only when that one
 * has finished, and reports both errors. */
static void
two_fail_main (BridgeTask *task,
               gpointer    user_data)
{
  g_autoptr(BridgeTaskGroup) group = bridge_task_group_new ();
  g_autoptr(GError) error = NULL;
  Child a = { .yields = 3, .fail_code = G_IO_ERROR_NOT_FOUND };
  Child b = { .yields = 100, .fail_on_cancel = TRUE };
  Child stubborn = { .yields = 100, .ignore_cancel = 50 };
  Child d = { .yields = 3, .fail_code = G_IO_ERROR_PERMISSION_DENIED };
  GPtrArray *errors;

  spawn_child (group, "a", &a);
  spawn_child (group, "b", &b);
  spawn_child (group, "stubborn", &stubborn);
  spawn_child (group, "d", &d);

  g_assert_false (bridge_task_group_wait (group, &error));
  g_assert_true (stubborn.saw_cancel);
  g_assert_true (stubborn.finished);
  g_assert_true (b.saw_cancel);

  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_TASK_GROUP);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "(3 sub-errors)"));
  g_assert_nonnull (strstr (error->message, "“a”: a failed"));
  g_assert_nonnull (strstr (error->message, "“b”: b failed while cancelled"));
  g_assert_nonnull (strstr (error->message, "“d”: d failed"));

  /* In the order they failed: a and d in the same iteration (in spawn
   * order), b later, when its cancellation reached it. */
  errors = bridge_task_group_get_errors (group);
  g_assert_cmpuint (errors->len, ==, 3);
  g_assert_error ((GError *) g_ptr_array_index (errors, 0), G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_error ((GError *) g_ptr_array_index (errors, 1), G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_error ((GError *) g_ptr_array_index (errors, 2), G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_cmpuint (bridge_task_get_cancelling (task), ==, 0);
}

static void
test_two_fail_one_ignores (void)
{
  sync_run (two_fail_main, NULL);
}

/* A body error cancels the children and is reported after theirs. */
static void
body_error_main (BridgeTask *task,
                 gpointer    user_data)
{
  g_autoptr(BridgeTaskGroup) group = bridge_task_group_new ();
  g_autoptr(GError) body_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad body");
  g_autoptr(GError) error = NULL;
  Child a = { .yields = 100, .fail_on_cancel = TRUE };
  Child b = { .yields = 100 };
  GPtrArray *errors;

  spawn_child (group, "a", &a);
  spawn_child (group, "b", &b);
  sync_yield (1);

  g_assert_false (bridge_task_group_wait_full (group, body_error, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_TASK_GROUP);
  g_assert_true (a.saw_cancel && b.saw_cancel);
  errors = bridge_task_group_get_errors (group);
  g_assert_cmpuint (errors->len, ==, 2);
  g_assert_error ((GError *) g_ptr_array_index (errors, 0), G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_error ((GError *) g_ptr_array_index (errors, 1), G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "“main”: bad body"));
}

static void
test_body_error (void)
{
  sync_run (body_error_main, NULL);
}

/* ---- cancellation from outside --------------------------------------------------------- */

typedef struct
{
  Child     children[2];
  gboolean  in_body_sleep;      /* wait in the body before wait() */
  gboolean  reached_wait;
  GError   *wait_error;
  guint     cancelling_after;
  gboolean  next_await_cancelled;
} ParentData;

static void
parent_func (BridgeTask *task,
             gpointer    user_data)
{
  ParentData *data = user_data;
  g_autoptr(BridgeTaskGroup) group = bridge_task_group_new ();
  GError *error = NULL;

  spawn_child (group, "c0", &data->children[0]);
  spawn_child (group, "c1", &data->children[1]);

  if (data->in_body_sleep && !bridge_sleep (TEST_TIMEOUT_SECONDS, &error))
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_clear_error (&error);
    }

  data->reached_wait = TRUE;
  g_assert_false (bridge_task_group_wait (group, &data->wait_error));
  g_assert_cmpuint (bridge_task_group_get_n_tasks (group), ==, 0);
  data->cancelling_after = bridge_task_get_cancelling (task);
  if (!bridge_yield (&error))
    {
      data->next_await_cancelled = TRUE;
      g_clear_error (&error);
    }
  /* Returning now ends the task cancelled: the request still stands. */
}

/* Cancelled while parked in wait(): the children are cancelled and awaited,
 * and wait() fails with CANCELLED (not a group error). */
static void
outside_wait_main (BridgeTask *task,
                   gpointer    user_data)
{
  ParentData data = { .children = { { .yields = 100 }, { .yields = 100, .ignore_cancel = 5 } } };
  BridgeTask *parent = sync_spawn ("parent", parent_func, &data);

  sync_yield_until (data.reached_wait && data.children[0].started);
  g_assert_true (bridge_task_cancel (parent, NULL));
  sync_join_cancelled (parent);

  g_assert_error (data.wait_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (data.children[0].saw_cancel && data.children[1].saw_cancel);
  g_assert_true (data.children[1].finished);
  g_assert_cmpuint (data.cancelling_after, ==, 1);
  g_clear_error (&data.wait_error);
}

static void
test_outside_cancel_in_wait (void)
{
  sync_run (outside_wait_main, NULL);
}

/* Cancelled in the body, before wait(): the same outcome. */
static void
outside_body_main (BridgeTask *task,
                   gpointer    user_data)
{
  ParentData data = { .children = { { .yields = 100 }, { .yields = 100 } }, .in_body_sleep = TRUE };
  BridgeTask *parent = sync_spawn ("parent", parent_func, &data);

  sync_yield_until (data.children[0].started);
  g_assert_false (data.reached_wait);
  g_assert_true (bridge_task_cancel (parent, NULL));
  sync_join_cancelled (parent);

  g_assert_error (data.wait_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (data.children[0].saw_cancel && data.children[1].saw_cancel);
  g_assert_cmpuint (data.cancelling_after, ==, 1);
  g_clear_error (&data.wait_error);
}

static void
test_outside_cancel_in_body (void)
{
  sync_run (outside_body_main, NULL);
}

/* Cancelled from outside while a child fails because of it: the group
 * error wins, and the outside cancellation is kept for the parent's next
 * await. */
static void
outside_and_error_main (BridgeTask *task,
                        gpointer    user_data)
{
  ParentData data = { .children = { { .yields = 100, .fail_on_cancel = TRUE }, { .yields = 100 } } };
  BridgeTask *parent = sync_spawn ("parent", parent_func, &data);

  sync_yield_until (data.reached_wait && data.children[0].started);
  g_assert_true (bridge_task_cancel (parent, NULL));
  sync_join_cancelled (parent);

  g_assert_error (data.wait_error, BRIDGE_ERROR, BRIDGE_ERROR_TASK_GROUP);
  g_assert_cmpuint (data.cancelling_after, ==, 1);
  g_assert_true (data.next_await_cancelled);
  g_clear_error (&data.wait_error);
}

static void
test_outside_cancel_and_error (void)
{
  sync_run (outside_and_error_main, NULL);
}

/* ---- misuse ---------------------------------------------------------------------------- */

static void
other_task_wait (BridgeTask *task,
                 gpointer    user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_task_group_wait (user_data, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
}

static void
misuse_main (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(BridgeTaskGroup) group = bridge_task_group_new ();
  g_autoptr(GError) error = NULL;
  Child child = { .yields = 1 };

  sync_join (sync_spawn ("other", other_task_wait, group));

  g_assert_true (bridge_task_group_wait (group, NULL));
  g_assert_false (bridge_task_group_wait (group, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  /* Finished: no new children, and the data is freed. */
  g_assert_null (bridge_task_group_spawn (group, child_func, &child, child_destroy, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_nonnull (strstr (error->message, "finished"));
  g_assert_cmpuint (child.destroyed, ==, 1);
  g_assert_false (child.started);
}

static void
test_misuse (void)
{
  sync_run (misuse_main, NULL);
}

static void
test_new_outside_task (void)
{
  BridgeTaskGroup *group;

  g_test_expect_message ("Bridge", G_LOG_LEVEL_CRITICAL, "*outside a task*");
  group = bridge_task_group_new ();
  g_test_assert_expected_messages ();
  g_assert_null (group);
}

/* A child that fails after its parent is done has nobody to report to: the
 * loop's exception handler hears of it. */
typedef struct
{
  guint   calls;
  GError *error;
  char   *message;
} HandlerData;

static void
exception_handler (BridgeLoop   *loop,
                   const char   *message,
                   const GError *error,
                   BridgeFuture *future,
                   gpointer      user_data)
{
  HandlerData *data = user_data;

  data->calls++;
  g_free (data->message);
  data->message = g_strdup (message);
  g_clear_error (&data->error);
  data->error = error != NULL ? g_error_copy (error) : NULL;
}

static void
abandoning_parent (BridgeTask *task,
                   gpointer    user_data)
{
  g_autoptr(BridgeTaskGroup) group = bridge_task_group_new ();

  spawn_child (group, "orphan", user_data);
  /* Returns without waiting for the group. */
}

static void
orphan_main (BridgeTask *task,
             gpointer    user_data)
{
  BridgeLoop *loop = bridge_future_get_loop (BRIDGE_FUTURE (task));
  HandlerData handler = { 0 };
  Child orphan = { .yields = 5, .fail_code = G_IO_ERROR_NOT_SUPPORTED };

  bridge_loop_set_exception_handler (loop, exception_handler, &handler, NULL);
  sync_join (sync_spawn ("parent", abandoning_parent, &orphan));
  sync_yield_until (orphan.destroyed == 1);
  sync_yield (2);

  g_assert_cmpuint (handler.calls, ==, 1);
  g_assert_nonnull (strstr (handler.message, "“orphan” has errored out"));
  g_assert_error (handler.error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  bridge_loop_set_exception_handler (loop, NULL, NULL, NULL);
  g_clear_error (&handler.error);
  g_free (handler.message);
}

static void
test_child_fails_after_parent (void)
{
  sync_run (orphan_main, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/libbridge/task-group/all-succeed", test_all_succeed);
  g_test_add_func ("/libbridge/task-group/empty", test_empty);
  g_test_add_func ("/libbridge/task-group/cancelled-child", test_cancelled_child);
  g_test_add_func ("/libbridge/task-group/child-spawns-sibling", test_child_spawns_sibling);
  g_test_add_func ("/libbridge/task-group/many-children", test_many_children);
  g_test_add_func ("/libbridge/task-group/failure/first", test_first_failure);
  g_test_add_func ("/libbridge/task-group/failure/body-cancelled", test_body_cancelled);
  g_test_add_func ("/libbridge/task-group/failure/two-fail-one-ignores", test_two_fail_one_ignores);
  g_test_add_func ("/libbridge/task-group/failure/body-error", test_body_error);
  g_test_add_func ("/libbridge/task-group/failure/after-parent", test_child_fails_after_parent);
  g_test_add_func ("/libbridge/task-group/outside-cancel/in-wait", test_outside_cancel_in_wait);
  g_test_add_func ("/libbridge/task-group/outside-cancel/in-body", test_outside_cancel_in_body);
  g_test_add_func ("/libbridge/task-group/outside-cancel/and-error", test_outside_cancel_and_error);
  g_test_add_func ("/libbridge/task-group/misuse", test_misuse);
  g_test_add_func ("/libbridge/task-group/new-outside-task", test_new_outside_task);

  return g_test_run ();
}
