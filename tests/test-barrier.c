/* test-barrier.c
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
  BridgeBarrier *barrier;
  GString       *log;
  guint          arrived;
  guint          rounds;        /* how many times each party waits */
  guint          index_seen[8];
} BarrierTest;

static void
barrier_test_init (BarrierTest *t,
                   guint        parties)
{
  t->barrier = bridge_barrier_new (parties);
  t->log = g_string_new (NULL);
  t->rounds = 1;
}

static void
barrier_test_clear (BarrierTest *t)
{
  g_clear_pointer (&t->barrier, bridge_barrier_unref);
  g_string_free (t->log, TRUE);
}

/* Waits t->rounds times, logging "<name>:<index>" or "<name>:<error>". */
static void
party_func (BridgeTask *task,
            gpointer    user_data)
{
  BarrierTest *t = user_data;

  for (guint round = 0; round < t->rounds; round++)
    {
      GError *error = NULL;
      guint index = G_MAXUINT;

      t->arrived++;
      if (bridge_barrier_wait (t->barrier, &index, &error))
        {
          g_assert_cmpuint (index, <, G_N_ELEMENTS (t->index_seen));
          t->index_seen[index]++;
          sync_log (t->log, "%s:%u", bridge_task_get_name (task), index);
        }
      else
        {
          if (g_error_matches (error, BRIDGE_ERROR, BRIDGE_ERROR_BROKEN_BARRIER))
            sync_log (t->log, "%s:broken", bridge_task_get_name (task));
          else
            {
              g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
              sync_log (t->log, "%s:cancelled", bridge_task_get_name (task));
              bridge_task_uncancel (task);
            }
          g_error_free (error);
          return;
        }
    }
}

static GPtrArray *
spawn_parties (BarrierTest *t,
               const char  *prefix,
               guint        n)
{
  GPtrArray *tasks = g_ptr_array_new ();
  guint first = t->arrived;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s%u", prefix, i);
      g_ptr_array_add (tasks, sync_spawn (name, party_func, t));
    }
  sync_yield_until (t->arrived >= first + n);
  return tasks;
}

static void
join_all (GPtrArray *tasks)
{
  for (guint i = 0; i < tasks->len; i++)
    sync_join (g_ptr_array_index (tasks, i));
  g_ptr_array_unref (tasks);
}

/* Each party gets a distinct index; the last to arrive gets parties - 1
 * and does not suspend; everyone is released together. */
static void
indexes_main (BridgeTask *task,
              gpointer    user_data)
{
  BarrierTest t = { 0 };
  GPtrArray *parties;
  guint index = G_MAXUINT;
  SyncProbe probe;

  barrier_test_init (&t, 4);
  g_assert_cmpuint (bridge_barrier_get_parties (t.barrier), ==, 4);
  parties = spawn_parties (&t, "p", 3);
  sync_yield (3);
  g_assert_cmpuint (bridge_barrier_get_n_waiting (t.barrier), ==, 3);
  g_assert_cmpstr (t.log->str, ==, "");

  sync_probe_arm (&probe);
  g_assert_true (bridge_barrier_wait (t.barrier, &index, NULL));
  g_assert_false (sync_probe_suspended (&probe));
  g_assert_cmpuint (index, ==, 3);

  join_all (parties);
  g_assert_cmpstr (t.log->str, ==, "p0:0;p1:1;p2:2;");
  g_assert_cmpuint (bridge_barrier_get_n_waiting (t.barrier), ==, 0);
  g_assert_false (bridge_barrier_is_broken (t.barrier));
  barrier_test_clear (&t);
}

static void
test_indexes (void)
{
  sync_run (indexes_main, NULL);
}

static void
single_party_main (BridgeTask *task,
                   gpointer    user_data)
{
  g_autoptr(BridgeBarrier) barrier = bridge_barrier_new (1);
  guint index = G_MAXUINT;

  for (guint i = 0; i < 3; i++)
    {
      g_assert_true (bridge_barrier_wait (barrier, &index, NULL));
      g_assert_cmpuint (index, ==, 0);
    }
}

static void
test_single_party (void)
{
  sync_run (single_party_main, NULL);
}

static void
test_wait_outside_task (void)
{
  g_autoptr(BridgeBarrier) barrier = bridge_barrier_new (2);
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_barrier_wait (barrier, NULL, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_cmpuint (bridge_barrier_get_n_waiting (barrier), ==, 0);
}

/* The barrier is reusable: several rounds, each with every index once. */
static void
rounds_main (BridgeTask *task,
             gpointer    user_data)
{
  BarrierTest t = { 0 };
  GPtrArray *parties;

  barrier_test_init (&t, 3);
  t.rounds = 5;
  parties = spawn_parties (&t, "p", 3);
  join_all (parties);

  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (t.index_seen[i], ==, 5);
  g_assert_cmpuint (bridge_barrier_get_n_waiting (t.barrier), ==, 0);
  barrier_test_clear (&t);
}

static void
test_rounds (void)
{
  sync_run (rounds_main, NULL);
}

/* Tasks arriving while a round drains wait for the next round instead of
 * joining the one being released. */
static void
draining_main (BridgeTask *task,
               gpointer    user_data)
{
  BarrierTest t = { 0 };
  GPtrArray *first;
  BridgeTask *second;
  guint index = G_MAXUINT;
  SyncProbe probe;

  barrier_test_init (&t, 2);
  first = spawn_parties (&t, "a", 1);

  /* Complete round one: a0 is released but has not run yet (draining). */
  g_assert_true (bridge_barrier_wait (t.barrier, &index, NULL));
  g_assert_cmpuint (index, ==, 1);
  g_assert_cmpuint (bridge_barrier_get_n_waiting (t.barrier), ==, 0);

  /* Arrive again at once, with a0 still inside: we must wait for the
   * drain and then pair with b0 in round two. */
  second = sync_spawn ("b0", party_func, &t);
  sync_probe_arm (&probe);
  g_assert_true (bridge_barrier_wait (t.barrier, &index, NULL));
  g_assert_true (sync_probe_suspended (&probe));
  g_assert_cmpuint (index, ==, 1);

  join_all (first);
  sync_join (second);
  g_assert_cmpstr (t.log->str, ==, "a0:0;b0:0;");
  barrier_test_clear (&t);
}

static void
test_draining (void)
{
  sync_run (draining_main, NULL);
}

/* abort() fails the current waiters and every later wait, until reset(). */
static void
abort_main (BridgeTask *task,
            gpointer    user_data)
{
  BarrierTest t = { 0 };
  GPtrArray *parties;
  g_autoptr(GError) error = NULL;

  barrier_test_init (&t, 3);
  parties = spawn_parties (&t, "p", 2);
  bridge_barrier_abort (t.barrier);
  g_assert_true (bridge_barrier_is_broken (t.barrier));
  g_assert_cmpuint (bridge_barrier_get_n_waiting (t.barrier), ==, 0);
  join_all (parties);
  g_assert_cmpstr (t.log->str, ==, "p0:broken;p1:broken;");

  g_assert_false (bridge_barrier_wait (t.barrier, NULL, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_BROKEN_BARRIER);
  g_clear_error (&error);

  /* reset() repairs it. */
  bridge_barrier_reset (t.barrier);
  g_assert_false (bridge_barrier_is_broken (t.barrier));
  g_string_truncate (t.log, 0);
  parties = spawn_parties (&t, "q", 2);
  g_assert_true (bridge_barrier_wait (t.barrier, NULL, NULL));
  join_all (parties);
  g_assert_cmpstr (t.log->str, ==, "q0:0;q1:1;");
  barrier_test_clear (&t);
}

static void
test_abort (void)
{
  sync_run (abort_main, NULL);
}

/* reset() with tasks waiting: they fail with BROKEN_BARRIER, the barrier is
 * not broken, and it fills again once they have left. */
static void
reset_main (BridgeTask *task,
            gpointer    user_data)
{
  BarrierTest t = { 0 };
  GPtrArray *parties;
  GPtrArray *later;

  barrier_test_init (&t, 3);
  parties = spawn_parties (&t, "p", 2);
  bridge_barrier_reset (t.barrier);
  g_assert_false (bridge_barrier_is_broken (t.barrier));
  /* New arrivals wait for the reset to complete, then form a new round. */
  later = spawn_parties (&t, "q", 2);
  join_all (parties);
  g_assert_cmpstr (t.log->str, ==, "p0:broken;p1:broken;");

  g_assert_true (bridge_barrier_wait (t.barrier, NULL, NULL));
  join_all (later);
  g_assert_cmpstr (t.log->str, ==, "p0:broken;p1:broken;q0:0;q1:1;");
  barrier_test_clear (&t);
}

static void
test_reset (void)
{
  sync_run (reset_main, NULL);
}

/* A party cancelled while waiting leaves the round: the round then needs
 * one more arrival. */
static void
cancel_main (BridgeTask *task,
             gpointer    user_data)
{
  BarrierTest t = { 0 };
  GPtrArray *parties;
  GPtrArray *more;

  barrier_test_init (&t, 3);
  parties = spawn_parties (&t, "p", 2);
  g_assert_cmpuint (bridge_barrier_get_n_waiting (t.barrier), ==, 2);

  g_assert_true (bridge_task_cancel (g_ptr_array_index (parties, 0), NULL));
  sync_yield_until (t.log->len > 0);
  g_assert_cmpstr (t.log->str, ==, "p0:cancelled;");
  g_assert_cmpuint (bridge_barrier_get_n_waiting (t.barrier), ==, 1);

  more = spawn_parties (&t, "q", 1);
  sync_yield (3);
  g_assert_cmpuint (bridge_barrier_get_n_waiting (t.barrier), ==, 2);
  g_assert_cmpstr (t.log->str, ==, "p0:cancelled;");
  g_assert_true (bridge_barrier_wait (t.barrier, NULL, NULL));

  join_all (parties);
  join_all (more);
  /* Each party of the round has its own index: p1 arrived second (1), q0
   * takes the index p0 gave up (0), and this task, the last, gets 2.
   * (CPython 3.11 hands q0 a second 1, against its own docstring.) */
  g_assert_cmpstr (t.log->str, ==, "p0:cancelled;p1:1;q0:0;");
  barrier_test_clear (&t);
}

static void
test_cancel (void)
{
  sync_run (cancel_main, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/libbridge/barrier/indexes", test_indexes);
  g_test_add_func ("/libbridge/barrier/single-party", test_single_party);
  g_test_add_func ("/libbridge/barrier/outside-task", test_wait_outside_task);
  g_test_add_func ("/libbridge/barrier/rounds", test_rounds);
  g_test_add_func ("/libbridge/barrier/draining", test_draining);
  g_test_add_func ("/libbridge/barrier/abort", test_abort);
  g_test_add_func ("/libbridge/barrier/reset", test_reset);
  g_test_add_func ("/libbridge/barrier/cancel", test_cancel);

  return g_test_run ();
}
