/* test-lock.c
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
  BridgeLock *lock;
  GString    *log;
  guint       arrived;
  guint       holders;      /* tasks inside the critical section now */
  guint       max_holders;
  gboolean    acquired;
  GError     *error;
} LockTest;

static void
lock_test_init (LockTest *t)
{
  t->lock = bridge_lock_new ();
  t->log = g_string_new (NULL);
}

static void
lock_test_clear (LockTest *t)
{
  g_clear_pointer (&t->lock, bridge_lock_unref);
  g_string_free (t->log, TRUE);
  g_clear_error (&t->error);
}

/* Acquires, logs "<name>", yields once while holding, releases. */
static void
acquire_hold_release (BridgeTask *task,
                      gpointer    user_data)
{
  LockTest *t = user_data;
  GError *error = NULL;

  t->arrived++;
  if (!bridge_lock_acquire (t->lock, &error))
    {
      sync_log (t->log, "%s-failed", bridge_task_get_name (task));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_error_free (error);
      /* Handled: the task ends normally. */
      bridge_task_uncancel (task);
      return;
    }

  g_assert_true (bridge_lock_is_locked (t->lock));
  t->holders++;
  t->max_holders = MAX (t->max_holders, t->holders);
  sync_log (t->log, "%s", bridge_task_get_name (task));
  sync_yield (1);
  t->holders--;
  g_assert_true (bridge_lock_release (t->lock, NULL));
}

/* ---- rules ------------------------------------------------------------------ */

static void
free_lock_main (BridgeTask *task,
                gpointer    user_data)
{
  g_autoptr(BridgeLock) lock = bridge_lock_new ();
  g_autoptr(GError) error = NULL;
  SyncProbe probe;

  g_assert_false (bridge_lock_is_locked (lock));

  /* A free lock is taken without suspending. */
  sync_probe_arm (&probe);
  g_assert_true (bridge_lock_acquire (lock, &error));
  g_assert_no_error (error);
  g_assert_false (sync_probe_suspended (&probe));
  g_assert_true (bridge_lock_is_locked (lock));

  g_assert_true (bridge_lock_release (lock, &error));
  g_assert_no_error (error);
  g_assert_false (bridge_lock_is_locked (lock));

  /* And again: the lock is reusable. */
  g_assert_true (bridge_lock_acquire (lock, NULL));
  g_assert_true (bridge_lock_release (lock, NULL));
}

static void
test_free_lock (void)
{
  sync_run (free_lock_main, NULL);
}

static void
release_unlocked_main (BridgeTask *task,
                       gpointer    user_data)
{
  g_autoptr(BridgeLock) lock = bridge_lock_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_lock_release (lock, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_false (bridge_lock_is_locked (lock));
}

static void
test_release_unlocked (void)
{
  sync_run (release_unlocked_main, NULL);
}

static void
test_acquire_outside_task (void)
{
  g_autoptr(BridgeLock) lock = bridge_lock_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_lock_acquire (lock, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_false (bridge_lock_is_locked (lock));
}

static void
mutual_exclusion_main (BridgeTask *task,
                       gpointer    user_data)
{
  LockTest t = { 0 };
  BridgeTask *workers[5];

  lock_test_init (&t);
  for (guint i = 0; i < G_N_ELEMENTS (workers); i++)
    {
      g_autofree char *name = g_strdup_printf ("w%u", i);
      workers[i] = sync_spawn (name, acquire_hold_release, &t);
    }
  for (guint i = 0; i < G_N_ELEMENTS (workers); i++)
    sync_join (workers[i]);

  g_assert_cmpuint (t.max_holders, ==, 1);
  g_assert_cmpstr (t.log->str, ==, "w0;w1;w2;w3;w4;");
  g_assert_false (bridge_lock_is_locked (t.lock));
  lock_test_clear (&t);
}

static void
test_mutual_exclusion (void)
{
  sync_run (mutual_exclusion_main, NULL);
}

/* A task that releases and at once asks again must queue behind the
 * waiter it just woke: no barging. */
static void
no_barging_main (BridgeTask *task,
                 gpointer    user_data)
{
  LockTest t = { 0 };
  BridgeTask *waiter;
  SyncProbe probe;

  lock_test_init (&t);
  g_assert_true (bridge_lock_acquire (t.lock, NULL));
  waiter = sync_spawn ("waiter", acquire_hold_release, &t);
  sync_yield_until (t.arrived == 1);

  g_assert_true (bridge_lock_release (t.lock, NULL));
  /* The lock is free, but promised to the waiter: we must park. */
  g_assert_false (bridge_lock_is_locked (t.lock));
  sync_probe_arm (&probe);
  g_assert_true (bridge_lock_acquire (t.lock, NULL));
  g_assert_true (sync_probe_suspended (&probe));
  sync_log (t.log, "main");

  g_assert_cmpstr (t.log->str, ==, "waiter;main;");
  g_assert_true (bridge_lock_release (t.lock, NULL));
  sync_join (waiter);
  lock_test_clear (&t);
}

static void
test_no_barging (void)
{
  sync_run (no_barging_main, NULL);
}

/* 1,000 waiters get the lock in exactly the order they asked for it. */
static void
fifo_main (BridgeTask *task,
           gpointer    user_data)
{
  const guint n = 1000;
  LockTest t = { 0 };
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autoptr(GPtrArray) workers = g_ptr_array_new ();

  lock_test_init (&t);
  g_assert_true (bridge_lock_acquire (t.lock, NULL));

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%u", i);

      g_ptr_array_add (workers, sync_spawn (name, acquire_hold_release, &t));
      sync_log (expected, "%u", i);
    }
  sync_yield_until (t.arrived == n);

  g_assert_true (bridge_lock_release (t.lock, NULL));
  for (guint i = 0; i < n; i++)
    sync_join (g_ptr_array_index (workers, i));

  g_assert_cmpstr (t.log->str, ==, expected->str);
  g_assert_cmpuint (t.max_holders, ==, 1);
  g_assert_false (bridge_lock_is_locked (t.lock));
  lock_test_clear (&t);
}

static void
test_fifo_1000 (void)
{
  sync_run (fifo_main, NULL);
}

/* ---- cancellation ---------------------------------------------------------- */

/* A waiter cancelled while parked fails with CANCELLED; the holder keeps the
 * lock, and once it releases, the lock is simply free. */
static void
cancel_parked_main (BridgeTask *task,
                    gpointer    user_data)
{
  LockTest t = { 0 };
  BridgeTask *waiter;
  SyncProbe probe;

  lock_test_init (&t);
  g_assert_true (bridge_lock_acquire (t.lock, NULL));
  waiter = sync_spawn ("waiter", acquire_hold_release, &t);
  sync_yield_until (t.arrived == 1);

  g_assert_true (bridge_task_cancel (waiter, NULL));
  sync_join (waiter);   /* its body handles the cancellation */
  g_assert_cmpstr (t.log->str, ==, "waiter-failed;");
  g_assert_true (bridge_lock_is_locked (t.lock));

  g_assert_true (bridge_lock_release (t.lock, NULL));
  g_assert_false (bridge_lock_is_locked (t.lock));

  /* No stale waiter blocks the fast path. */
  sync_probe_arm (&probe);
  g_assert_true (bridge_lock_acquire (t.lock, NULL));
  g_assert_false (sync_probe_suspended (&probe));
  g_assert_true (bridge_lock_release (t.lock, NULL));
  lock_test_clear (&t);
}

static void
test_cancel_parked (void)
{
  sync_run (cancel_parked_main, NULL);
}

/* The race: release() hands the lock to the first waiter, and that waiter is
 * cancelled before it runs. It must not hold the lock, and the next waiter
 * must get it (asyncio's Lock._wake_up_first). */
static void
cancel_woken_main (BridgeTask *task,
                   gpointer    user_data)
{
  LockTest t = { 0 };
  BridgeTask *first;
  BridgeTask *second;

  lock_test_init (&t);
  g_assert_true (bridge_lock_acquire (t.lock, NULL));
  first = sync_spawn ("first", acquire_hold_release, &t);
  second = sync_spawn ("second", acquire_hold_release, &t);
  sync_yield_until (t.arrived == 2);

  g_assert_true (bridge_lock_release (t.lock, NULL));
  g_assert_true (bridge_task_cancel (first, NULL));

  sync_join (first);
  sync_join (second);
  g_assert_cmpstr (t.log->str, ==, "first-failed;second;");
  g_assert_false (bridge_lock_is_locked (t.lock));
  lock_test_clear (&t);
}

static void
test_cancel_woken (void)
{
  sync_run (cancel_woken_main, NULL);
}

/* The head waiter is cancelled first, then the lock is released before the
 * cancelled task has run: release() skips it, and the cancelled task wakes
 * the next waiter itself when it leaves. */
static void
cancel_head_then_release_main (BridgeTask *task,
                               gpointer    user_data)
{
  LockTest t = { 0 };
  BridgeTask *first;
  BridgeTask *second;
  BridgeTask *third;

  lock_test_init (&t);
  g_assert_true (bridge_lock_acquire (t.lock, NULL));
  first = sync_spawn ("first", acquire_hold_release, &t);
  second = sync_spawn ("second", acquire_hold_release, &t);
  third = sync_spawn ("third", acquire_hold_release, &t);
  sync_yield_until (t.arrived == 3);

  g_assert_true (bridge_task_cancel (first, NULL));
  g_assert_true (bridge_lock_release (t.lock, NULL));

  sync_join (first);
  sync_join (second);
  sync_join (third);
  g_assert_cmpstr (t.log->str, ==, "first-failed;second;third;");
  g_assert_cmpuint (t.max_holders, ==, 1);
  g_assert_false (bridge_lock_is_locked (t.lock));
  lock_test_clear (&t);
}

static void
test_cancel_head_then_release (void)
{
  sync_run (cancel_head_then_release_main, NULL);
}

/* A waiter in the middle of the queue is cancelled: the others keep their
 * order. */
static void
cancel_middle_main (BridgeTask *task,
                    gpointer    user_data)
{
  LockTest t = { 0 };
  BridgeTask *workers[4];

  lock_test_init (&t);
  g_assert_true (bridge_lock_acquire (t.lock, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (workers); i++)
    {
      g_autofree char *name = g_strdup_printf ("w%u", i);
      workers[i] = sync_spawn (name, acquire_hold_release, &t);
    }
  sync_yield_until (t.arrived == 4);

  g_assert_true (bridge_task_cancel (workers[2], NULL));
  sync_yield (2);
  g_assert_true (bridge_lock_release (t.lock, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (workers); i++)
    sync_join (workers[i]);
  g_assert_cmpstr (t.log->str, ==, "w2-failed;w0;w1;w3;");
  g_assert_false (bridge_lock_is_locked (t.lock));
  lock_test_clear (&t);
}

static void
test_cancel_middle (void)
{
  sync_run (cancel_middle_main, NULL);
}

/* A task with a cancellation pending when it reaches acquire() on a held
 * lock fails with CANCELLED, and leaves no waiter behind. */
static void
self_cancel_then_acquire (BridgeTask *task,
                          gpointer    user_data)
{
  LockTest *t = user_data;

  g_assert_true (bridge_task_cancel (task, NULL));
  acquire_hold_release (task, t);
}

static void
cancel_pending_main (BridgeTask *task,
                     gpointer    user_data)
{
  LockTest t = { 0 };
  BridgeTask *worker;
  SyncProbe probe;

  lock_test_init (&t);
  g_assert_true (bridge_lock_acquire (t.lock, NULL));
  worker = sync_spawn ("worker", self_cancel_then_acquire, &t);
  sync_join (worker);
  g_assert_cmpstr (t.log->str, ==, "worker-failed;");

  g_assert_true (bridge_lock_release (t.lock, NULL));
  sync_probe_arm (&probe);
  g_assert_true (bridge_lock_acquire (t.lock, NULL));
  g_assert_false (sync_probe_suspended (&probe));
  g_assert_true (bridge_lock_release (t.lock, NULL));
  lock_test_clear (&t);
}

static void
test_cancel_pending (void)
{
  sync_run (cancel_pending_main, NULL);
}

/* Random cancellations among many waiters never leave two holders, never
 * leave the lock held, and every task that was not cancelled gets it. */
typedef struct
{
  LockTest  t;
  guint     succeeded;
  guint     cancelled;
  guint     started;
  guint     finished;
} ChurnData;

static void
churn_worker (BridgeTask *task,
              gpointer    user_data)
{
  ChurnData *data = user_data;

  data->started++;
  for (guint round = 0; round < 20; round++)
    {
      GError *error = NULL;

      if (!bridge_lock_acquire (data->t.lock, &error))
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
          g_error_free (error);
          data->cancelled++;
          bridge_task_uncancel (task);
          continue;
        }
      data->t.holders++;
      g_assert_cmpuint (data->t.holders, ==, 1);
      data->succeeded++;
      if (!bridge_yield (&error))
        {
          /* Cancelled while holding: still the holder, release as usual. */
          g_error_free (error);
          bridge_task_uncancel (task);
        }
      data->t.holders--;
      g_assert_true (bridge_lock_release (data->t.lock, NULL));
    }
  data->finished++;
}

static void
churn_main (BridgeTask *task,
            gpointer    user_data)
{
  ChurnData data = { { 0 } };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260101);
  BridgeTask *workers[32];
  guint n_requests = 0;

  lock_test_init (&data.t);
  for (guint i = 0; i < G_N_ELEMENTS (workers); i++)
    workers[i] = sync_spawn (NULL, churn_worker, &data);

  /* Cancelling a task before it starts would skip its body entirely. */
  sync_yield_until (data.started == G_N_ELEMENTS (workers));

  while (data.finished < G_N_ELEMENTS (workers))
    {
      BridgeTask *victim = workers[g_rand_int_range (rand, 0, G_N_ELEMENTS (workers))];

      if (bridge_task_cancel (victim, NULL))
        n_requests++;
      sync_yield (1);
    }

  for (guint i = 0; i < G_N_ELEMENTS (workers); i++)
    {
      /* A request that arrived after the worker's last await cancels it. */
      g_autoptr(GError) error = NULL;

      if (!bridge_await (BRIDGE_FUTURE (workers[i]), &error))
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      bridge_task_unref (workers[i]);
    }

  g_assert_cmpuint (data.succeeded + data.cancelled, ==, 20 * G_N_ELEMENTS (workers));
  g_assert_cmpuint (n_requests, >, 100);
  g_assert_cmpuint (data.cancelled, >, 10);
  g_assert_cmpuint (data.succeeded, >, 10);
  g_assert_false (bridge_lock_is_locked (data.t.lock));
  lock_test_clear (&data.t);
}

static void
test_cancel_churn (void)
{
  sync_run (churn_main, NULL);
}

/* ---- loop binding -------------------------------------------------------------- */

static void
bind_main (BridgeTask *task,
           gpointer    user_data)
{
  LockTest *t = user_data;
  BridgeTask *waiter;

  /* Parking binds the lock to this loop. */
  g_assert_true (bridge_lock_acquire (t->lock, NULL));
  waiter = sync_spawn ("waiter", acquire_hold_release, t);
  sync_yield_until (t->arrived == 1);
  g_assert_true (bridge_lock_release (t->lock, NULL));
  sync_join (waiter);
}

static void
other_loop_main (BridgeTask *task,
                 gpointer    user_data)
{
  LockTest *t = user_data;
  g_autoptr(GError) error = NULL;

  /* The fast path works anywhere; parking on another loop does not. */
  g_assert_true (bridge_lock_acquire (t->lock, NULL));
  g_assert_false (bridge_lock_acquire (t->lock, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_true (bridge_lock_release (t->lock, NULL));
}

static void
test_bound_to_loop (void)
{
  LockTest t = { 0 };

  lock_test_init (&t);
  sync_run (bind_main, &t);
  sync_run (other_loop_main, &t);
  lock_test_clear (&t);
}

/* A parked waiter keeps the lock alive even if every other reference goes. */
static void
acquire_only (BridgeTask *task,
              gpointer    user_data)
{
  BridgeLock *lock = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_lock_acquire (lock, &error));
  g_assert_no_error (error);
  /* The lock may be gone now: our reference was the last one. */
}

static void
unref_while_parked_main (BridgeTask *task,
                         gpointer    user_data)
{
  BridgeLock *lock = bridge_lock_new ();
  BridgeTask *waiter;

  g_assert_true (bridge_lock_acquire (lock, NULL));
  waiter = sync_spawn ("waiter", acquire_only, lock);
  sync_yield_until (bridge_task_get_state (waiter) == BRIDGE_TASK_STATE_PARKED);

  g_assert_true (bridge_lock_release (lock, NULL));
  bridge_lock_unref (lock);
  sync_join (waiter);
}

static void
test_unref_while_parked (void)
{
  sync_run (unref_while_parked_main, NULL);
}

static void
test_boxed_type (void)
{
  g_autoptr(BridgeLock) lock = bridge_lock_new ();
  BridgeLock *copy;

  g_assert_true (G_TYPE_IS_BOXED (BRIDGE_TYPE_LOCK));
  copy = g_boxed_copy (BRIDGE_TYPE_LOCK, lock);
  g_assert_true (copy == lock);
  g_boxed_free (BRIDGE_TYPE_LOCK, copy);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/libbridge/lock/free-no-suspend", test_free_lock);
  g_test_add_func ("/libbridge/lock/release-unlocked", test_release_unlocked);
  g_test_add_func ("/libbridge/lock/outside-task", test_acquire_outside_task);
  g_test_add_func ("/libbridge/lock/mutual-exclusion", test_mutual_exclusion);
  g_test_add_func ("/libbridge/lock/no-barging", test_no_barging);
  g_test_add_func ("/libbridge/lock/fifo-1000", test_fifo_1000);
  g_test_add_func ("/libbridge/lock/cancel/parked", test_cancel_parked);
  g_test_add_func ("/libbridge/lock/cancel/woken", test_cancel_woken);
  g_test_add_func ("/libbridge/lock/cancel/head-then-release", test_cancel_head_then_release);
  g_test_add_func ("/libbridge/lock/cancel/middle", test_cancel_middle);
  g_test_add_func ("/libbridge/lock/cancel/pending", test_cancel_pending);
  g_test_add_func ("/libbridge/lock/cancel/churn", test_cancel_churn);
  g_test_add_func ("/libbridge/lock/bound-to-loop", test_bound_to_loop);
  g_test_add_func ("/libbridge/lock/unref-while-parked", test_unref_while_parked);
  g_test_add_func ("/libbridge/lock/boxed-type", test_boxed_type);

  return g_test_run ();
}
