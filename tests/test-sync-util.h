/* test-sync-util.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libbridge.h>

#include "test-util.h"

G_BEGIN_DECLS

/* Helpers for the synchronization and task-group tests. Every test runs a
 * main task on a fresh loop (test_run_task()), which spawns helper tasks and
 * awaits all of them before returning, so the loop closes with nothing
 * pending. Progress is driven by bridge_yield(): the ready queue is FIFO, so
 * "yield until X" is deterministic and bounded, never a timed guess. */

/* More yields than any test needs for anything that is not broken. */
#define SYNC_MAX_YIELDS 100000

static inline void
sync_deadline_cb (gpointer user_data)
{
  g_error ("%s: the test's main task did not finish within %.0f s (a lost wake-up?)",
           (const char *) user_data, TEST_TIMEOUT_SECONDS);
}

/* Runs @func as the task "main" on a fresh loop and closes the loop. A
 * deadline turns a lost wake-up (everything parked forever) into a clear
 * failure instead of a hang. */
static inline void
sync_run (BridgeTaskFunc func,
          gpointer       user_data)
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(BridgeHandle) deadline = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  task = bridge_spawn_full (loop, "main", BRIDGE_STACK_SIZE_DEFAULT, func, user_data, NULL);
  deadline = bridge_handle_ref (bridge_loop_call_later (loop, TEST_TIMEOUT_SECONDS, sync_deadline_cb,
                                                        (gpointer) g_test_get_path (), NULL));
  ok = bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (task), &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  bridge_handle_cancel (deadline);
  g_assert_true (bridge_loop_close (loop, &error));
  g_assert_no_error (error);
}

static inline BridgeTask *
sync_spawn (const char     *name,
            BridgeTaskFunc  func,
            gpointer        user_data)
{
  return bridge_spawn_full (NULL, name, BRIDGE_STACK_SIZE_DEFAULT, func, user_data, NULL);
}

static inline void
sync_yield (guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (bridge_yield (&error));
      g_assert_no_error (error);
    }
}

/* Yields until @condition holds; fails the test if it never does. */
#define sync_yield_until(condition)                                             \
  G_STMT_START {                                                               \
    guint _sync_n = 0;                                                         \
    while (!(condition))                                                       \
      {                                                                        \
        if (++_sync_n > SYNC_MAX_YIELDS)                                       \
          g_error ("%s:%d: never became true: %s", __FILE__, __LINE__, #condition); \
        sync_yield (1);                                                        \
      }                                                                        \
  } G_STMT_END

/* Awaits @task and asserts it succeeded; drops the reference. */
static inline void
sync_join (BridgeTask *task)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_await (BRIDGE_FUTURE (task), &error));
  g_assert_no_error (error);
  bridge_task_unref (task);
}

/* Awaits @task, which must have ended cancelled; drops the reference. */
static inline void
sync_join_cancelled (BridgeTask *task)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (bridge_await (BRIDGE_FUTURE (task), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
  bridge_task_unref (task);
}

/* ---- did the current task suspend? ------------------------------------------ */

/* A probe is a callback queued on the loop: if it has run, the task gave
 * the loop a turn (it suspended); if not, it ran straight through. The
 * callback may run after the task has ended, when the task's stack is gone
 * or holds another task's frames: what it counts lives on the heap, shared
 * between the probe and the callback. */
typedef struct
{
  guint *ran;
} SyncProbe;

static inline void
sync_probe_cb (gpointer user_data)
{
  guint *ran = user_data;

  (*ran)++;
}

static inline void
sync_probe_arm (SyncProbe *probe)
{
  BridgeTask *task = bridge_task_get_current ();

  g_assert_nonnull (task);
  probe->ran = g_rc_box_new0 (guint);
  bridge_loop_call_soon (bridge_future_get_loop (BRIDGE_FUTURE (task)), sync_probe_cb,
                         g_rc_box_acquire (probe->ran), g_rc_box_release);
}

/* Reads the probe once: it is spent afterwards (arm it again to reuse it). */
static inline gboolean
sync_probe_suspended (SyncProbe *probe)
{
  gboolean suspended;

  g_assert_nonnull (probe->ran);
  suspended = *probe->ran > 0;
  g_clear_pointer (&probe->ran, g_rc_box_release);
  return suspended;
}

/* ---- order logs ----------------------------------------------------------------- */

static inline void
sync_log (GString    *log,
          const char *format,
          ...) G_GNUC_PRINTF (2, 3);

static inline void
sync_log (GString    *log,
          const char *format,
          ...)
{
  va_list args;

  va_start (args, format);
  g_string_append_vprintf (log, format, args);
  va_end (args);
  g_string_append_c (log, ';');
}

G_END_DECLS
