/* test-combinator-util.h
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

/* ---- scripted child tasks ------------------------------------------------ */

/* What a child task does. It lives in the test's frame, which outlives the
 * child: every test awaits (or cancels and awaits) its children. */
typedef struct
{
  /* script */
  double    delay;            /* sleep first; negative: no sleep */
  BridgeFuture *release;      /* if set, await it first instead (borrowed) */
  gint64    value;            /* the result */
  int       error_code;       /* non-zero: fail with this G_IO_ERROR code */
  gboolean  ignore_cancel;    /* on cancellation: uncancel and return @value */
  double    cleanup_delay;    /* on cancellation: sleep this long first */
  GString  *log;              /* if set, "<value>;" is appended on finishing */

  /* what happened */
  gboolean  started;
  gboolean  saw_cancel;
  gboolean  cleaned_up;
  gboolean  cleanup_interrupted;
  gboolean  finished;
} ChildSpec;

static inline void
child_log (ChildSpec *spec)
{
  spec->finished = TRUE;
  if (spec->log != NULL)
    g_string_append_printf (spec->log, "%" G_GINT64_FORMAT ";", spec->value);
}

static inline void
child_func (BridgeTask *task,
            gpointer    user_data)
{
  ChildSpec *spec = user_data;
  GError *error = NULL;

  spec->started = TRUE;

  if (spec->release != NULL ? !bridge_await (spec->release, &error) :
      spec->delay >= 0 && !bridge_sleep (spec->delay, &error))
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      spec->saw_cancel = TRUE;

      if (spec->cleanup_delay > 0)
        {
          /* Cleanup that itself awaits: the cancellation was delivered, so
           * this await runs normally. */
          GError *cleanup_error = NULL;

          /* A second cancellation may cut the cleanup short. */
          if (!bridge_sleep (spec->cleanup_delay, &cleanup_error))
            {
              g_assert_error (cleanup_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
              g_clear_error (&cleanup_error);
              spec->cleanup_interrupted = TRUE;
            }
        }
      spec->cleaned_up = TRUE;

      if (spec->ignore_cancel)
        {
          g_clear_error (&error);
          bridge_task_uncancel (task);
        }
      else
        {
          child_log (spec);
          bridge_task_return_error (task, error);
          return;
        }
    }

  child_log (spec);
  if (spec->error_code != 0)
    bridge_task_return_new_error (task, G_IO_ERROR, spec->error_code,
                                  "child %" G_GINT64_FORMAT " failed", spec->value);
  else
    bridge_task_return_int64 (task, spec->value);
}

static inline BridgeTask *
spawn_child (ChildSpec *spec)
{
  return bridge_spawn_full (NULL, NULL, BRIDGE_STACK_SIZE_DEFAULT, child_func, spec, NULL);
}

/* ---- tasks left pending when the loop is closed --------------------------- */

static inline void
park_on_func (BridgeTask *task,
              gpointer    user_data)
{
  /* Borrowed, so an abandoned frame holds nothing. */
  bridge_await (user_data, NULL);
  g_assert_not_reached ();
}

static inline void
tick_cb (gpointer user_data)
{
  bridge_future_set_boolean (user_data, TRUE, NULL);
}

/* Spawns a task on @loop that parks on @future forever, and lets it start. */
static inline BridgeTask *
spawn_parked (BridgeLoop   *loop,
              BridgeFuture *future)
{
  BridgeTask *task = bridge_spawn_full (loop, "parked", BRIDGE_STACK_SIZE_DEFAULT,
                                        park_on_func, future, NULL);
  g_autoptr(BridgeFuture) tick = bridge_future_new_for_loop (loop);

  /* The task starts in the same iteration as this tick, before it. */
  bridge_loop_call_soon (loop, tick_cb, tick, NULL);
  g_assert_true (bridge_loop_run_until_complete (loop, tick, NULL));
  g_assert_cmpint (bridge_task_get_state (task), ==, BRIDGE_TASK_STATE_PARKED);
  return task;
}

static inline void
count_pending_destroyed (BridgeLoop   *loop,
                         const char   *message,
                         const GError *error,
                         BridgeFuture *future,
                         gpointer      user_data)
{
  g_assert_cmpstr (message, ==, "Task was destroyed but it is pending!");
  (*(guint *) user_data)++;
}

/* ---- completing plain futures from timers ----------------------------------- */

static inline void
set_int64_cb (gpointer user_data)
{
  BridgeFuture *future = user_data;

  /* A timeout may have cancelled it first: only a pending one is set. */
  if (!bridge_future_is_done (future))
    g_assert_true (bridge_future_set_int64 (future, 42, NULL));
}

/* Completes @future with 42 at @when, holding a reference until then. */
static inline void
set_int64_at (BridgeLoop   *loop,
              double        when,
              BridgeFuture *future)
{
  bridge_loop_call_at (loop, when, set_int64_cb, bridge_future_ref (future),
                       (GDestroyNotify) bridge_future_unref);
}

static inline BridgeLoop *
current_loop (void)
{
  return bridge_future_get_loop (BRIDGE_FUTURE (bridge_task_get_current ()));
}

/* ---- the loop's exception handler -------------------------------------------- */

typedef struct
{
  guint    count;
  GError  *last_error;
  char    *last_message;
} ExceptionLog;

static inline void
exception_log_handler (BridgeLoop   *loop,
                       const char   *message,
                       const GError *error,
                       BridgeFuture *future,
                       gpointer      user_data)
{
  ExceptionLog *log = user_data;

  log->count++;
  g_clear_error (&log->last_error);
  g_free (log->last_message);
  log->last_error = error != NULL ? g_error_copy (error) : NULL;
  log->last_message = g_strdup (message);
}

static inline void
exception_log_clear (ExceptionLog *log)
{
  g_clear_error (&log->last_error);
  g_clear_pointer (&log->last_message, g_free);
}

/* ---- running a test's main task on the fixture's loop ------------------------ */

static inline gboolean
fixture_run (LoopFixture     *fixture,
             BridgeTaskFunc   func,
             gpointer         user_data,
             GError         **error)
{
  g_autoptr(BridgeTask) task = bridge_spawn_full (fixture->loop, "main", BRIDGE_STACK_SIZE_DEFAULT,
                                                  func, user_data, NULL);

  return bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), error);
}

/* Runs @func as the main task and requires it to succeed. */
#define fixture_run_ok(fixture, func, data)                                   \
  G_STMT_START {                                                              \
    g_autoptr(GError) _run_error = NULL;                                      \
    g_assert_true (fixture_run ((fixture), (func), (data), &_run_error));     \
    g_assert_no_error (_run_error);                                           \
  } G_STMT_END

/* Cancels a child that is still running and waits until it is done, so no
 * task outlives its test. */
static inline void
cancel_and_reap (BridgeTask *task)
{
  GError *error = NULL;

  bridge_task_cancel (task, NULL);
  if (!bridge_await (BRIDGE_FUTURE (task), &error))
    g_clear_error (&error);
}

G_END_DECLS
