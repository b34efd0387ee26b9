/* test-task-local.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "test-util.h"

/* BridgeTaskLocal, rule by rule as contextvars with create_task(): a child
 * starts with a copy of its parent's values as they were at the spawn; its
 * changes stay its own, and so do the parent's later ones; code outside
 * tasks has its own values, which the tasks it spawns inherit; each task
 * keeps its value across awaits; values are freed with the last holder. */

static BridgeTaskLocal request_id = BRIDGE_TASK_LOCAL_INIT ("request-id");
static BridgeTaskLocal user = BRIDGE_TASK_LOCAL_INIT ("user");

typedef struct
{
  const char *seen_at_start;
  const char *seen_after_parent_changed;
  gboolean    user_set;
  BridgeEvent *parent_changed;
  BridgeEvent *child_changed;
} Child;

static void
child_body (BridgeTask *task,
            gpointer    user_data)
{
  Child *child = user_data;

  child->seen_at_start = bridge_task_local_get (&request_id);
  child->user_set = bridge_task_local_is_set (&user);

  /* The child's own change... */
  bridge_task_local_set (&request_id, (gpointer) "child", NULL);
  bridge_event_set (child->child_changed);

  /* ...and the parent's later one does not reach it. */
  g_assert_true (bridge_event_wait (child->parent_changed, NULL));
  child->seen_after_parent_changed = bridge_task_local_get (&request_id);
}

static void
parent_body (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(BridgeEvent) parent_changed = bridge_event_new ();
  g_autoptr(BridgeEvent) child_changed = bridge_event_new ();
  g_autoptr(BridgeTask) spawned = NULL;
  Child child = { NULL, NULL, FALSE, parent_changed, child_changed };

  g_assert_null (bridge_task_local_get (&request_id));
  bridge_task_local_set (&request_id, (gpointer) "parent", NULL);
  spawned = bridge_spawn (child_body, &child, NULL);

  g_assert_true (bridge_event_wait (child_changed, NULL));
  /* The child's change did not reach the parent. */
  g_assert_cmpstr (bridge_task_local_get (&request_id), ==, "parent");
  bridge_task_local_set (&request_id, (gpointer) "parent again", NULL);
  bridge_event_set (parent_changed);

  g_assert_true (bridge_await (BRIDGE_FUTURE (spawned), NULL));
  g_assert_cmpstr (child.seen_at_start, ==, "parent");
  g_assert_cmpstr (child.seen_after_parent_changed, ==, "child");
  g_assert_false (child.user_set);
  g_assert_cmpstr (bridge_task_local_get (&request_id), ==, "parent again");
}

static void
test_inherited_as_copy (void)
{
  g_assert_true (test_run_task (parent_body, NULL, NULL));
}

/* ---- outside tasks ------------------------------------------------------------------ */

static void
reads_user_body (BridgeTask *task,
                 gpointer    user_data)
{
  bridge_task_return_string (task, bridge_task_local_get (&user));
  /* Setting in the task leaves the thread's value alone. */
  bridge_task_local_set (&user, (gpointer) "changed in task", NULL);
}

static void
test_thread_value_inherited (void)
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(BridgeTask) later = NULL;

  g_assert_false (bridge_task_local_is_set (&user));
  bridge_task_local_set (&user, (gpointer) "alice", NULL);
  g_assert_cmpstr (bridge_task_local_get (&user), ==, "alice");
  task = bridge_spawn_full (loop, NULL, 0, reads_user_body, NULL, NULL);
  /* Changed after the spawn: the task keeps what was there at the spawn. */
  bridge_task_local_set (&user, (gpointer) "bob", NULL);
  later = bridge_spawn_full (loop, NULL, 0, reads_user_body, NULL, NULL);

  g_assert_true (bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (later), NULL));
  g_assert_true (bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (task), NULL));
  g_assert_cmpstr (bridge_future_get_string (BRIDGE_FUTURE (task), NULL), ==, "alice");
  g_assert_cmpstr (bridge_future_get_string (BRIDGE_FUTURE (later), NULL), ==, "bob");
  g_assert_cmpstr (bridge_task_local_get (&user), ==, "bob");
  g_assert_true (bridge_loop_close (loop, NULL));
  bridge_task_local_set (&user, NULL, NULL);
}

/* ---- across awaits, and between sibling tasks --------------------------------------- */

static void
sibling_body (BridgeTask *task,
              gpointer    user_data)
{
  const char *mine = user_data;

  bridge_task_local_set (&request_id, (gpointer) mine, NULL);
  for (guint i = 0; i < 5; i++)
    {
      g_assert_true (bridge_yield (NULL));
      /* The other sibling ran in between, with its own value. */
      g_assert_cmpstr (bridge_task_local_get (&request_id), ==, mine);
    }
}

static void
siblings_body (BridgeTask *task,
               gpointer    user_data)
{
  g_autoptr(BridgeTask) a = bridge_spawn (sibling_body, (gpointer) "a", NULL);
  g_autoptr(BridgeTask) b = bridge_spawn (sibling_body, (gpointer) "b", NULL);

  g_assert_true (bridge_await (BRIDGE_FUTURE (a), NULL));
  g_assert_true (bridge_await (BRIDGE_FUTURE (b), NULL));
  g_assert_null (bridge_task_local_get (&request_id));
}

static void
test_siblings_across_awaits (void)
{
  g_assert_true (test_run_task (siblings_body, NULL, NULL));
}

/* ---- values freed with the last holder --------------------------------------------- */

static void
count_free (gpointer data)
{
  (*(guint *) data)++;
}

static void
holder_body (BridgeTask *task,
             gpointer    user_data)
{
  guint *freed = user_data;

  g_assert_true (bridge_yield (NULL));
  /* Still the parent's value: not freed while this task holds it. */
  g_assert_cmpuint (*freed, ==, 0);
  g_assert_true (bridge_task_local_get (&user) == (gpointer) freed);
}

static void
lifetime_body (BridgeTask *task,
               gpointer    user_data)
{
  guint *freed = user_data;
  g_autoptr(BridgeTask) holder = NULL;

  bridge_task_local_set (&user, freed, count_free);
  holder = bridge_spawn (holder_body, freed, NULL);
  /* Replaced in the parent, still held by the child. */
  bridge_task_local_set (&user, NULL, NULL);
  g_assert_cmpuint (*freed, ==, 0);
  g_assert_true (bridge_await (BRIDGE_FUTURE (holder), NULL));
}

static void
test_value_lifetime (void)
{
  guint freed = 0;

  g_assert_true (test_run_task (lifetime_body, &freed, NULL));
  /* Both holders are gone now. */
  g_assert_cmpuint (freed, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/libbridge/task-local/inherited-as-copy", test_inherited_as_copy);
  g_test_add_func ("/libbridge/task-local/thread-value-inherited", test_thread_value_inherited);
  g_test_add_func ("/libbridge/task-local/siblings-across-awaits", test_siblings_across_awaits);
  g_test_add_func ("/libbridge/task-local/value-lifetime", test_value_lifetime);

  return g_test_run ();
}
