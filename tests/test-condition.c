/* test-condition.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libbridge.h>

#include "test-sync-util.h"

typedef struct
{
  BridgeCondition *cond;
  GString         *log;
  guint            arrived;
  guint            value;       /* the state the predicate looks at */
  guint            checks;
} CondTest;

static void
cond_test_init (CondTest *t)
{
  t->cond = bridge_condition_new (NULL);
  t->log = g_string_new (NULL);
}

static void
cond_test_clear (CondTest *t)
{
  g_clear_pointer (&t->cond, bridge_condition_unref);
  g_string_free (t->log, TRUE);
}

/* Takes the lock, waits once, logs, releases. On cancellation it checks
 * that it holds the lock again all the same. */
static void
waiter_func (BridgeTask *task,
             gpointer    user_data)
{
  CondTest *t = user_data;
  GError *error = NULL;

  g_assert_true (bridge_condition_acquire (t->cond, NULL));
  t->arrived++;
  if (bridge_condition_wait (t->cond, &error))
    sync_log (t->log, "%s", bridge_task_get_name (task));
  else
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_error_free (error);
      sync_log (t->log, "%s-cancelled", bridge_task_get_name (task));
      bridge_task_uncancel (task);
    }
  /* Either way, the lock is ours again. */
  g_assert_true (bridge_condition_is_locked (t->cond));
  g_assert_true (bridge_condition_release (t->cond, NULL));
}

static gboolean
value_reached (gpointer user_data)
{
  CondTest *t = user_data;

  t->checks++;
  return t->value >= 3;
}

static void
wait_for_func (BridgeTask *task,
               gpointer    user_data)
{
  CondTest *t = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_condition_acquire (t->cond, NULL));
  t->arrived++;
  g_assert_true (bridge_condition_wait_for (t->cond, value_reached, t, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (t->value, >=, 3);
  sync_log (t->log, "%s", bridge_task_get_name (task));
  g_assert_true (bridge_condition_release (t->cond, NULL));
}

static GPtrArray *
spawn_waiters (CondTest       *t,
               guint           n,
               BridgeTaskFunc  func)
{
  GPtrArray *tasks = g_ptr_array_new ();

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("w%u", i);
      g_ptr_array_add (tasks, sync_spawn (name, func, t));
    }
  sync_yield_until (t->arrived == n);
  return tasks;
}

static void
join_all (GPtrArray *tasks)
{
  for (guint i = 0; i < tasks->len; i++)
    sync_join (g_ptr_array_index (tasks, i));
  g_ptr_array_unref (tasks);
}

/* ---- misuse ---------------------------------------------------------------------- */

static void
misuse_main (BridgeTask *task,
             gpointer    user_data)
{
  g_autoptr(BridgeCondition) cond = bridge_condition_new (NULL);
  GError *error = NULL;

  g_assert_false (bridge_condition_wait (cond, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_false (bridge_condition_notify (cond, 1, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_false (bridge_condition_notify_all (cond, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_false (bridge_condition_release (cond, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_false (bridge_condition_is_locked (cond));
}

static void
test_misuse (void)
{
  sync_run (misuse_main, NULL);
}

static void
test_wait_outside_task (void)
{
  g_autoptr(BridgeCondition) cond = bridge_condition_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_condition_wait (cond, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
}

static void
shared_lock_main (BridgeTask *task,
                  gpointer    user_data)
{
  g_autoptr(BridgeLock) lock = bridge_lock_new ();
  g_autoptr(BridgeCondition) a = bridge_condition_new (lock);
  g_autoptr(BridgeCondition) b = bridge_condition_new (lock);

  g_assert_true (bridge_condition_get_lock (a) == lock);
  g_assert_true (bridge_condition_get_lock (b) == lock);
  g_assert_true (bridge_condition_acquire (a, NULL));
  g_assert_true (bridge_lock_is_locked (lock));
  g_assert_true (bridge_condition_is_locked (b));
  g_assert_true (bridge_condition_notify (b, 1, NULL));
  g_assert_true (bridge_condition_release (b, NULL));
  g_assert_false (bridge_condition_is_locked (a));
}

static void
test_shared_lock (void)
{
  sync_run (shared_lock_main, NULL);
}

/* ---- notification -------------------------------------------------------------- */

/* wait() releases the lock while parked, and a notified waiter returns only
 * once it has the lock again. */
static void
wait_releases_main (BridgeTask *task,
                    gpointer    user_data)
{
  CondTest t = { 0 };
  GPtrArray *waiters;

  cond_test_init (&t);
  waiters = spawn_waiters (&t, 1, waiter_func);

  /* The waiter released the lock inside wait(). */
  g_assert_false (bridge_condition_is_locked (t.cond));
  g_assert_true (bridge_condition_acquire (t.cond, NULL));
  g_assert_true (bridge_condition_notify (t.cond, 1, NULL));
  sync_yield (5);
  /* Notified, but we still hold the lock: it cannot return yet. */
  g_assert_cmpstr (t.log->str, ==, "");
  g_assert_true (bridge_condition_release (t.cond, NULL));

  join_all (waiters);
  g_assert_cmpstr (t.log->str, ==, "w0;");
  g_assert_false (bridge_condition_is_locked (t.cond));
  cond_test_clear (&t);
}

static void
test_wait_releases_lock (void)
{
  sync_run (wait_releases_main, NULL);
}

/* notify(n) wakes n waiters, oldest first; notify_all() wakes the rest. */
static void
notify_n_main (BridgeTask *task,
               gpointer    user_data)
{
  CondTest t = { 0 };
  GPtrArray *waiters;

  cond_test_init (&t);
  waiters = spawn_waiters (&t, 5, waiter_func);

  g_assert_true (bridge_condition_acquire (t.cond, NULL));
  g_assert_true (bridge_condition_notify (t.cond, 1, NULL));
  g_assert_true (bridge_condition_release (t.cond, NULL));
  sync_yield_until (t.log->len > 0);
  sync_yield (5);
  g_assert_cmpstr (t.log->str, ==, "w0;");

  g_assert_true (bridge_condition_acquire (t.cond, NULL));
  g_assert_true (bridge_condition_notify (t.cond, 2, NULL));
  g_assert_true (bridge_condition_release (t.cond, NULL));
  sync_yield_until (g_str_equal (t.log->str, "w0;w1;w2;"));
  sync_yield (5);
  g_assert_cmpstr (t.log->str, ==, "w0;w1;w2;");

  g_assert_true (bridge_condition_acquire (t.cond, NULL));
  g_assert_true (bridge_condition_notify_all (t.cond, NULL));
  g_assert_true (bridge_condition_release (t.cond, NULL));

  join_all (waiters);
  g_assert_cmpstr (t.log->str, ==, "w0;w1;w2;w3;w4;");
  cond_test_clear (&t);
}

static void
test_notify_n (void)
{
  sync_run (notify_n_main, NULL);
}

/* notify() with nobody waiting is a no-op; a later waiter is not woken by
 * an earlier notification. */
static void
notify_nobody_main (BridgeTask *task,
                    gpointer    user_data)
{
  CondTest t = { 0 };
  GPtrArray *waiters;

  cond_test_init (&t);
  g_assert_true (bridge_condition_acquire (t.cond, NULL));
  g_assert_true (bridge_condition_notify_all (t.cond, NULL));
  g_assert_true (bridge_condition_release (t.cond, NULL));

  waiters = spawn_waiters (&t, 1, waiter_func);
  sync_yield (5);
  g_assert_cmpstr (t.log->str, ==, "");

  g_assert_true (bridge_condition_acquire (t.cond, NULL));
  g_assert_true (bridge_condition_notify (t.cond, 1, NULL));
  g_assert_true (bridge_condition_release (t.cond, NULL));
  join_all (waiters);
  g_assert_cmpstr (t.log->str, ==, "w0;");
  cond_test_clear (&t);
}

static void
test_notify_nobody (void)
{
  sync_run (notify_nobody_main, NULL);
}

/* wait_for() checks the predicate first, and again after every wake-up. */
static void
wait_for_main (BridgeTask *task,
               gpointer    user_data)
{
  CondTest t = { 0 };
  GPtrArray *waiters;
  SyncProbe probe;

  cond_test_init (&t);

  /* True at once: no wait at all. */
  t.value = 3;
  g_assert_true (bridge_condition_acquire (t.cond, NULL));
  sync_probe_arm (&probe);
  g_assert_true (bridge_condition_wait_for (t.cond, value_reached, &t, NULL));
  g_assert_false (sync_probe_suspended (&probe));
  g_assert_cmpuint (t.checks, ==, 1);
  g_assert_true (bridge_condition_release (t.cond, NULL));

  t.value = 0;
  t.checks = 0;
  waiters = spawn_waiters (&t, 2, wait_for_func);
  g_assert_cmpuint (t.checks, ==, 2);

  for (guint i = 1; i <= 3; i++)
    {
      g_assert_true (bridge_condition_acquire (t.cond, NULL));
      t.value = i;
      g_assert_true (bridge_condition_notify_all (t.cond, NULL));
      g_assert_true (bridge_condition_release (t.cond, NULL));
      /* Each waiter re-checks once per notification. */
      sync_yield_until (t.checks == 2 + 2 * i);
    }

  join_all (waiters);
  g_assert_cmpstr (t.log->str, ==, "w0;w1;");
  cond_test_clear (&t);
}

static void
test_wait_for (void)
{
  sync_run (wait_for_main, NULL);
}

/* ---- cancellation ------------------------------------------------------------ */

/* A waiter cancelled while parked fails with CANCELLED and holds the lock
 * again; it waits for the lock if someone else has it. */
static void
cancel_parked_main (BridgeTask *task,
                    gpointer    user_data)
{
  CondTest t = { 0 };
  GPtrArray *waiters;

  cond_test_init (&t);
  waiters = spawn_waiters (&t, 1, waiter_func);

  g_assert_true (bridge_condition_acquire (t.cond, NULL));
  g_assert_true (bridge_task_cancel (g_ptr_array_index (waiters, 0), NULL));
  sync_yield (5);
  /* It cannot finish while we hold the lock. */
  g_assert_cmpstr (t.log->str, ==, "");
  g_assert_true (bridge_condition_release (t.cond, NULL));

  join_all (waiters);
  g_assert_cmpstr (t.log->str, ==, "w0-cancelled;");
  g_assert_false (bridge_condition_is_locked (t.cond));
  cond_test_clear (&t);
}

static void
test_cancel_parked (void)
{
  sync_run (cancel_parked_main, NULL);
}

/* A cancellation delivered while the task re-acquires the lock is
 * reported, but the task still ends up holding the lock. */
static void
cancel_reacquire_main (BridgeTask *task,
                       gpointer    user_data)
{
  CondTest t = { 0 };
  GPtrArray *waiters;
  BridgeTask *waiter;

  cond_test_init (&t);
  waiters = spawn_waiters (&t, 1, waiter_func);
  waiter = g_ptr_array_index (waiters, 0);

  g_assert_true (bridge_condition_acquire (t.cond, NULL));
  g_assert_true (bridge_condition_notify (t.cond, 1, NULL));
  /* Let it wake and park again on the lock we hold. */
  sync_yield (3);
  g_assert_true (bridge_task_get_state (waiter) == BRIDGE_TASK_STATE_PARKED);
  g_assert_true (bridge_task_cancel (waiter, NULL));
  sync_yield (3);
  g_assert_cmpstr (t.log->str, ==, "");
  g_assert_true (bridge_condition_release (t.cond, NULL));

  join_all (waiters);
  g_assert_cmpstr (t.log->str, ==, "w0-cancelled;");
  cond_test_clear (&t);
}

static void
test_cancel_reacquire (void)
{
  sync_run (cancel_reacquire_main, NULL);
}

/* notify(1) picks the first waiter, which is cancelled before it runs: the
 * notification passes to the next waiter instead of being lost (3.13). */
static void
cancel_notified_main (BridgeTask *task,
                      gpointer    user_data)
{
  CondTest t = { 0 };
  GPtrArray *waiters;

  cond_test_init (&t);
  waiters = spawn_waiters (&t, 3, waiter_func);

  g_assert_true (bridge_condition_acquire (t.cond, NULL));
  g_assert_true (bridge_condition_notify (t.cond, 1, NULL));
  g_assert_true (bridge_task_cancel (g_ptr_array_index (waiters, 0), NULL));
  g_assert_true (bridge_condition_release (t.cond, NULL));

  sync_yield_until (g_str_equal (t.log->str, "w0-cancelled;w1;"));
  sync_yield (5);
  /* Exactly one notification was passed on: w2 still waits. */
  g_assert_cmpstr (t.log->str, ==, "w0-cancelled;w1;");

  g_assert_true (bridge_condition_acquire (t.cond, NULL));
  g_assert_true (bridge_condition_notify (t.cond, 1, NULL));
  g_assert_true (bridge_condition_release (t.cond, NULL));
  join_all (waiters);
  g_assert_cmpstr (t.log->str, ==, "w0-cancelled;w1;w2;");
  cond_test_clear (&t);
}

static void
test_cancel_notified (void)
{
  sync_run (cancel_notified_main, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/libbridge/condition/misuse", test_misuse);
  g_test_add_func ("/libbridge/condition/outside-task", test_wait_outside_task);
  g_test_add_func ("/libbridge/condition/shared-lock", test_shared_lock);
  g_test_add_func ("/libbridge/condition/wait-releases-lock", test_wait_releases_lock);
  g_test_add_func ("/libbridge/condition/notify-n", test_notify_n);
  g_test_add_func ("/libbridge/condition/notify-nobody", test_notify_nobody);
  g_test_add_func ("/libbridge/condition/wait-for", test_wait_for);
  g_test_add_func ("/libbridge/condition/cancel/parked", test_cancel_parked);
  g_test_add_func ("/libbridge/condition/cancel/reacquire", test_cancel_reacquire);
  g_test_add_func ("/libbridge/condition/cancel/notified", test_cancel_notified);

  return g_test_run ();
}
