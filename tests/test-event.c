/* test-event.c
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
  BridgeEvent *event;
  GString     *log;
  guint        arrived;
} EventTest;

static void
event_test_init (EventTest *t)
{
  t->event = bridge_event_new ();
  t->log = g_string_new (NULL);
}

static void
event_test_clear (EventTest *t)
{
  g_clear_pointer (&t->event, bridge_event_unref);
  g_string_free (t->log, TRUE);
}

static void
waiter_func (BridgeTask *task,
             gpointer    user_data)
{
  EventTest *t = user_data;
  GError *error = NULL;

  t->arrived++;
  if (bridge_event_wait (t->event, &error))
    sync_log (t->log, "%s", bridge_task_get_name (task));
  else
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_error_free (error);
      sync_log (t->log, "%s-cancelled", bridge_task_get_name (task));
      bridge_task_uncancel (task);
    }
}

static void
test_flag (void)
{
  g_autoptr(BridgeEvent) event = bridge_event_new ();

  g_assert_false (bridge_event_is_set (event));
  bridge_event_set (event);
  g_assert_true (bridge_event_is_set (event));
  bridge_event_set (event);
  g_assert_true (bridge_event_is_set (event));
  bridge_event_clear (event);
  g_assert_false (bridge_event_is_set (event));
}

static void
set_no_suspend_main (BridgeTask *task,
                     gpointer    user_data)
{
  g_autoptr(BridgeEvent) event = bridge_event_new ();
  g_autoptr(GError) error = NULL;
  SyncProbe probe;

  bridge_event_set (event);
  sync_probe_arm (&probe);
  g_assert_true (bridge_event_wait (event, &error));
  g_assert_no_error (error);
  g_assert_false (sync_probe_suspended (&probe));
}

static void
test_wait_set_no_suspend (void)
{
  sync_run (set_no_suspend_main, NULL);
}

static void
test_wait_outside_task (void)
{
  g_autoptr(BridgeEvent) event = bridge_event_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_event_wait (event, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
}

/* wait() blocks until set(), which wakes every waiter, in arrival order. */
static void
set_wakes_all_main (BridgeTask *task,
                    gpointer    user_data)
{
  EventTest t = { 0 };
  BridgeTask *waiters[3];

  event_test_init (&t);
  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    {
      g_autofree char *name = g_strdup_printf ("w%u", i);
      waiters[i] = sync_spawn (name, waiter_func, &t);
    }
  sync_yield_until (t.arrived == 3);
  sync_yield (3);
  g_assert_cmpstr (t.log->str, ==, "");

  bridge_event_set (t.event);
  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    sync_join (waiters[i]);
  g_assert_cmpstr (t.log->str, ==, "w0;w1;w2;");
  event_test_clear (&t);
}

static void
test_set_wakes_all (void)
{
  sync_run (set_wakes_all_main, NULL);
}

/* A waiter woken by set() returns TRUE even if clear() ran before it did;
 * a waiter arriving after clear() blocks again. */
static void
set_then_clear_main (BridgeTask *task,
                     gpointer    user_data)
{
  EventTest t = { 0 };
  BridgeTask *early;
  BridgeTask *late;

  event_test_init (&t);
  early = sync_spawn ("early", waiter_func, &t);
  sync_yield_until (t.arrived == 1);

  bridge_event_set (t.event);
  bridge_event_clear (t.event);
  sync_join (early);
  g_assert_cmpstr (t.log->str, ==, "early;");

  late = sync_spawn ("late", waiter_func, &t);
  sync_yield_until (t.arrived == 2);
  sync_yield (3);
  g_assert_cmpstr (t.log->str, ==, "early;");
  bridge_event_set (t.event);
  sync_join (late);
  g_assert_cmpstr (t.log->str, ==, "early;late;");
  event_test_clear (&t);
}

static void
test_set_then_clear (void)
{
  sync_run (set_then_clear_main, NULL);
}

/* A cancelled waiter fails with CANCELLED and does not disturb the others. */
static void
cancel_main (BridgeTask *task,
             gpointer    user_data)
{
  EventTest t = { 0 };
  BridgeTask *waiters[3];

  event_test_init (&t);
  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    {
      g_autofree char *name = g_strdup_printf ("w%u", i);
      waiters[i] = sync_spawn (name, waiter_func, &t);
    }
  sync_yield_until (t.arrived == 3);

  g_assert_true (bridge_task_cancel (waiters[1], NULL));
  sync_join (waiters[1]);
  g_assert_cmpstr (t.log->str, ==, "w1-cancelled;");

  bridge_event_set (t.event);
  sync_join (waiters[0]);
  sync_join (waiters[2]);
  g_assert_cmpstr (t.log->str, ==, "w1-cancelled;w0;w2;");
  event_test_clear (&t);
}

static void
test_cancel_waiter (void)
{
  sync_run (cancel_main, NULL);
}

/* set() then a cancellation before the waiter runs: asyncio raises
 * CancelledError from wait(), and so do we. */
static void
cancel_after_set_main (BridgeTask *task,
                       gpointer    user_data)
{
  EventTest t = { 0 };
  BridgeTask *waiter;

  event_test_init (&t);
  waiter = sync_spawn ("w", waiter_func, &t);
  sync_yield_until (t.arrived == 1);

  bridge_event_set (t.event);
  g_assert_true (bridge_task_cancel (waiter, NULL));
  sync_join (waiter);
  g_assert_cmpstr (t.log->str, ==, "w-cancelled;");
  g_assert_true (bridge_event_is_set (t.event));
  event_test_clear (&t);
}

static void
test_cancel_after_set (void)
{
  sync_run (cancel_after_set_main, NULL);
}

/* set() from a plain loop callback (no task) wakes the waiters. */
static void
set_cb (gpointer user_data)
{
  bridge_event_set (user_data);
}

static void
set_from_callback_main (BridgeTask *task,
                        gpointer    user_data)
{
  g_autoptr(BridgeEvent) event = bridge_event_new ();
  g_autoptr(GError) error = NULL;

  bridge_loop_call_soon (bridge_future_get_loop (BRIDGE_FUTURE (task)), set_cb, event, NULL);
  g_assert_true (bridge_event_wait (event, &error));
  g_assert_no_error (error);
}

static void
test_set_from_callback (void)
{
  sync_run (set_from_callback_main, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/libbridge/event/flag", test_flag);
  g_test_add_func ("/libbridge/event/wait-set-no-suspend", test_wait_set_no_suspend);
  g_test_add_func ("/libbridge/event/outside-task", test_wait_outside_task);
  g_test_add_func ("/libbridge/event/set-wakes-all", test_set_wakes_all);
  g_test_add_func ("/libbridge/event/set-then-clear", test_set_then_clear);
  g_test_add_func ("/libbridge/event/set-from-callback", test_set_from_callback);
  g_test_add_func ("/libbridge/event/cancel/waiter", test_cancel_waiter);
  g_test_add_func ("/libbridge/event/cancel/after-set", test_cancel_after_set);

  return g_test_run ();
}
