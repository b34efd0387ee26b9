/* test-semaphore.c
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
  BridgeSemaphore *sem;
  GString         *log;
  guint            arrived;
  guint            holders;
  guint            max_holders;
  guint            hold_yields;
} SemTest;

static void
sem_test_init (SemTest *t,
               guint    value,
               gboolean bounded)
{
  t->sem = bridge_semaphore_new (value, bounded);
  t->log = g_string_new (NULL);
  t->hold_yields = 1;
}

static void
sem_test_clear (SemTest *t)
{
  g_clear_pointer (&t->sem, bridge_semaphore_unref);
  g_string_free (t->log, TRUE);
}

static void
worker_func (BridgeTask *task,
             gpointer    user_data)
{
  SemTest *t = user_data;
  GError *error = NULL;

  t->arrived++;
  if (!bridge_semaphore_acquire (t->sem, &error))
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_error_free (error);
      sync_log (t->log, "%s-cancelled", bridge_task_get_name (task));
      bridge_task_uncancel (task);
      return;
    }

  t->holders++;
  t->max_holders = MAX (t->max_holders, t->holders);
  sync_log (t->log, "%s", bridge_task_get_name (task));
  sync_yield (t->hold_yields);
  t->holders--;
  g_assert_true (bridge_semaphore_release (t->sem, NULL));
}

static GPtrArray *
spawn_workers (SemTest *t,
               guint    n)
{
  GPtrArray *tasks = g_ptr_array_new ();
  guint first = t->arrived;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("w%u", i);
      g_ptr_array_add (tasks, sync_spawn (name, worker_func, t));
    }
  sync_yield_until (t->arrived == first + n);
  return tasks;
}

static void
join_all (GPtrArray *tasks)
{
  for (guint i = 0; i < tasks->len; i++)
    sync_join (g_ptr_array_index (tasks, i));
  g_ptr_array_unref (tasks);
}

/* ---- counting ------------------------------------------------------------------ */

static void
counting_main (BridgeTask *task,
               gpointer    user_data)
{
  g_autoptr(BridgeSemaphore) sem = bridge_semaphore_new (2, FALSE);
  SyncProbe probe;

  g_assert_false (bridge_semaphore_is_bounded (sem));
  g_assert_cmpuint (bridge_semaphore_get_value (sem), ==, 2);
  g_assert_false (bridge_semaphore_is_locked (sem));

  /* Free slots are taken without suspending. */
  sync_probe_arm (&probe);
  g_assert_true (bridge_semaphore_acquire (sem, NULL));
  g_assert_true (bridge_semaphore_acquire (sem, NULL));
  g_assert_false (sync_probe_suspended (&probe));
  g_assert_cmpuint (bridge_semaphore_get_value (sem), ==, 0);
  g_assert_true (bridge_semaphore_is_locked (sem));

  g_assert_true (bridge_semaphore_release (sem, NULL));
  g_assert_cmpuint (bridge_semaphore_get_value (sem), ==, 1);
  g_assert_true (bridge_semaphore_release (sem, NULL));
  g_assert_cmpuint (bridge_semaphore_get_value (sem), ==, 2);

  /* Unbounded: releasing more than acquired grows the value, as in asyncio. */
  g_assert_true (bridge_semaphore_release (sem, NULL));
  g_assert_cmpuint (bridge_semaphore_get_value (sem), ==, 3);
}

static void
test_counting (void)
{
  sync_run (counting_main, NULL);
}

static void
bounded_main (BridgeTask *task,
              gpointer    user_data)
{
  g_autoptr(BridgeSemaphore) sem = bridge_semaphore_new (1, TRUE);
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_semaphore_is_bounded (sem));
  g_assert_false (bridge_semaphore_release (sem, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_VALUE);
  g_clear_error (&error);
  g_assert_cmpuint (bridge_semaphore_get_value (sem), ==, 1);

  g_assert_true (bridge_semaphore_acquire (sem, NULL));
  g_assert_true (bridge_semaphore_release (sem, &error));
  g_assert_no_error (error);
  g_assert_false (bridge_semaphore_release (sem, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_VALUE);
  g_assert_cmpuint (bridge_semaphore_get_value (sem), ==, 1);
}

static void
test_bounded (void)
{
  sync_run (bounded_main, NULL);
}

static void
test_acquire_outside_task (void)
{
  g_autoptr(BridgeSemaphore) sem = bridge_semaphore_new (1, FALSE);
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_semaphore_acquire (sem, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_cmpuint (bridge_semaphore_get_value (sem), ==, 1);
}

/* No more than value tasks inside at once; a zero semaphore blocks until
 * released from outside. */
static void
limit_main (BridgeTask *task,
            gpointer    user_data)
{
  SemTest t = { 0 };
  GPtrArray *workers;

  sem_test_init (&t, 3, FALSE);
  t.hold_yields = 4;
  workers = spawn_workers (&t, 10);
  join_all (workers);
  g_assert_cmpuint (t.max_holders, ==, 3);
  g_assert_cmpuint (bridge_semaphore_get_value (t.sem), ==, 3);
  sem_test_clear (&t);

  sem_test_init (&t, 0, FALSE);
  workers = spawn_workers (&t, 1);
  sync_yield (5);
  g_assert_cmpstr (t.log->str, ==, "");
  g_assert_true (bridge_semaphore_release (t.sem, NULL));
  join_all (workers);
  g_assert_cmpstr (t.log->str, ==, "w0;");
  g_assert_cmpuint (bridge_semaphore_get_value (t.sem), ==, 1);
  sem_test_clear (&t);
}

static void
test_limit (void)
{
  sync_run (limit_main, NULL);
}

/* A slot freed for a waiter is not for a newcomer, even though the value is
 * momentarily positive from the releaser's point of view. */
static void
no_barging_main (BridgeTask *task,
                 gpointer    user_data)
{
  SemTest t = { 0 };
  GPtrArray *workers;
  SyncProbe probe;

  sem_test_init (&t, 1, FALSE);
  g_assert_true (bridge_semaphore_acquire (t.sem, NULL));
  workers = spawn_workers (&t, 1);

  g_assert_true (bridge_semaphore_release (t.sem, NULL));
  g_assert_true (bridge_semaphore_is_locked (t.sem));
  sync_probe_arm (&probe);
  g_assert_true (bridge_semaphore_acquire (t.sem, NULL));
  g_assert_true (sync_probe_suspended (&probe));
  sync_log (t.log, "main");
  g_assert_true (bridge_semaphore_release (t.sem, NULL));

  join_all (workers);
  g_assert_cmpstr (t.log->str, ==, "w0;main;");
  g_assert_cmpuint (bridge_semaphore_get_value (t.sem), ==, 1);
  sem_test_clear (&t);
}

static void
test_no_barging (void)
{
  sync_run (no_barging_main, NULL);
}

/* 1,000 waiters on a Semaphore(5) get their slots in arrival order. */
static void
fifo_main (BridgeTask *task,
           gpointer    user_data)
{
  const guint n = 1000;
  SemTest t = { 0 };
  g_autoptr(GString) expected = g_string_new (NULL);
  GPtrArray *workers;

  sem_test_init (&t, 5, TRUE);
  for (guint i = 0; i < 5; i++)
    g_assert_true (bridge_semaphore_acquire (t.sem, NULL));

  workers = spawn_workers (&t, n);
  for (guint i = 0; i < n; i++)
    sync_log (expected, "w%u", i);

  for (guint i = 0; i < 5; i++)
    g_assert_true (bridge_semaphore_release (t.sem, NULL));
  join_all (workers);

  g_assert_cmpstr (t.log->str, ==, expected->str);
  g_assert_cmpuint (t.max_holders, ==, 5);
  g_assert_cmpuint (bridge_semaphore_get_value (t.sem), ==, 5);
  g_assert_false (bridge_semaphore_is_locked (t.sem));
  sem_test_clear (&t);
}

static void
test_fifo_1000 (void)
{
  sync_run (fifo_main, NULL);
}

/* ---- cancellation ------------------------------------------------------------ */

static void
cancel_parked_main (BridgeTask *task,
                    gpointer    user_data)
{
  SemTest t = { 0 };
  GPtrArray *workers;

  sem_test_init (&t, 1, TRUE);
  g_assert_true (bridge_semaphore_acquire (t.sem, NULL));
  workers = spawn_workers (&t, 2);

  g_assert_true (bridge_task_cancel (g_ptr_array_index (workers, 0), NULL));
  sync_yield_until (t.log->len > 0);
  g_assert_cmpstr (t.log->str, ==, "w0-cancelled;");
  g_assert_cmpuint (bridge_semaphore_get_value (t.sem), ==, 0);

  g_assert_true (bridge_semaphore_release (t.sem, NULL));
  join_all (workers);
  g_assert_cmpstr (t.log->str, ==, "w0-cancelled;w1;");
  g_assert_cmpuint (bridge_semaphore_get_value (t.sem), ==, 1);
  g_assert_false (bridge_semaphore_is_locked (t.sem));
  sem_test_clear (&t);
}

static void
test_cancel_parked (void)
{
  sync_run (cancel_parked_main, NULL);
}

/* The race: the slot was promised to a waiter that is cancelled before it
 * runs. The slot must go to the next waiter, and none may leak. */
static void
cancel_woken_main (BridgeTask *task,
                   gpointer    user_data)
{
  SemTest t = { 0 };
  GPtrArray *workers;

  sem_test_init (&t, 1, TRUE);
  g_assert_true (bridge_semaphore_acquire (t.sem, NULL));
  workers = spawn_workers (&t, 3);

  g_assert_true (bridge_semaphore_release (t.sem, NULL));
  g_assert_cmpuint (bridge_semaphore_get_value (t.sem), ==, 0);   /* promised */
  g_assert_true (bridge_task_cancel (g_ptr_array_index (workers, 0), NULL));

  join_all (workers);
  g_assert_cmpstr (t.log->str, ==, "w0-cancelled;w1;w2;");
  g_assert_cmpuint (t.max_holders, ==, 1);
  g_assert_cmpuint (bridge_semaphore_get_value (t.sem), ==, 1);
  sem_test_clear (&t);
}

static void
test_cancel_woken (void)
{
  sync_run (cancel_woken_main, NULL);
}

/* Random cancellations of waiters and holders: at the end every slot is
 * back, and at no time were more tasks inside than slots. */
typedef struct
{
  SemTest  t;
  guint    succeeded;
  guint    cancelled;
  guint    started;
  guint    finished;
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

      if (!bridge_semaphore_acquire (data->t.sem, &error))
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
          g_error_free (error);
          data->cancelled++;
          bridge_task_uncancel (task);
          continue;
        }
      data->t.holders++;
      g_assert_cmpuint (data->t.holders, <=, 3);
      data->succeeded++;
      if (!bridge_yield (&error))
        {
          g_error_free (error);
          bridge_task_uncancel (task);
        }
      data->t.holders--;
      g_assert_true (bridge_semaphore_release (data->t.sem, NULL));
    }
  data->finished++;
}

static void
churn_main (BridgeTask *task,
            gpointer    user_data)
{
  ChurnData data = { { 0 } };
  g_autoptr(GRand) rand = g_rand_new_with_seed (4242);
  BridgeTask *workers[40];
  guint n_requests = 0;

  sem_test_init (&data.t, 3, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (workers); i++)
    workers[i] = sync_spawn (NULL, churn_worker, &data);
  sync_yield_until (data.started == G_N_ELEMENTS (workers));

  while (data.finished < G_N_ELEMENTS (workers))
    {
      guint n = g_rand_int_range (rand, 0, 3);

      for (guint i = 0; i < n; i++)
        if (bridge_task_cancel (workers[g_rand_int_range (rand, 0, G_N_ELEMENTS (workers))], NULL))
          n_requests++;
      sync_yield (1);
    }

  for (guint i = 0; i < G_N_ELEMENTS (workers); i++)
    {
      g_autoptr(GError) error = NULL;

      if (!bridge_await (BRIDGE_FUTURE (workers[i]), &error))
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      bridge_task_unref (workers[i]);
    }

  g_assert_cmpuint (data.succeeded + data.cancelled, ==, 20 * G_N_ELEMENTS (workers));
  g_assert_cmpuint (n_requests, >, 100);
  g_assert_cmpuint (data.cancelled, >, 10);
  g_assert_cmpuint (bridge_semaphore_get_value (data.t.sem), ==, 3);
  g_assert_false (bridge_semaphore_is_locked (data.t.sem));
  sem_test_clear (&data.t);
}

static void
test_cancel_churn (void)
{
  sync_run (churn_main, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/libbridge/semaphore/counting", test_counting);
  g_test_add_func ("/libbridge/semaphore/bounded", test_bounded);
  g_test_add_func ("/libbridge/semaphore/outside-task", test_acquire_outside_task);
  g_test_add_func ("/libbridge/semaphore/limit", test_limit);
  g_test_add_func ("/libbridge/semaphore/no-barging", test_no_barging);
  g_test_add_func ("/libbridge/semaphore/fifo-1000", test_fifo_1000);
  g_test_add_func ("/libbridge/semaphore/cancel/parked", test_cancel_parked);
  g_test_add_func ("/libbridge/semaphore/cancel/woken", test_cancel_woken);
  g_test_add_func ("/libbridge/semaphore/cancel/churn", test_cancel_churn);

  return g_test_run ();
}
