/* bridge-timeout.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "bridge-error.h"
#include "bridge-handle.h"
#include "bridge-loop.h"
#include "bridge-task.h"
#include "bridge-timeout.h"

/**
 * BridgeTimeout:
 *
 * A timeout scope: asyncio's `asyncio.timeout()` / `asyncio.timeout_at()`
 * context manager, as a begin/end pair around any number of awaits.
 *
 * ```c
 * g_autoptr(GError) error = NULL;
 * BridgeTimeout *scope = bridge_timeout_begin (1.0);
 *
 * if (bridge_await (BRIDGE_FUTURE (fetch), &error))
 *   bridge_await (BRIDGE_FUTURE (store), &error);   // the same deadline
 *
 * if (!bridge_timeout_end (scope, &error))
 *   {
 *     // error is G_IO_ERROR_TIMED_OUT if the deadline passed, or whatever
 *     // else the body failed with (an outside cancellation included)
 *   }
 * ```
 *
 * When the deadline passes, the scope cancels the task that began it, as
 * [method@Bridge.Task.cancel] would: the task sees %G_IO_ERROR_CANCELLED
 * from the await it is parked in (and whatever that await was waiting for is
 * cancelled). The body stops at that error and hands it to
 * [method@Bridge.Timeout.end], which turns it into %G_IO_ERROR_TIMED_OUT,
 * but only when the cancellation was the scope's own: it withdraws its
 * request with [method@Bridge.Task.uncancel] and converts the error only if
 * no other cancellation request is left. A cancellation from outside (the
 * task was cancelled by someone else too) passes through unchanged, which is
 * the same bookkeeping as asyncio's `Timeout.__aexit__`.
 *
 * Scopes nest. When an outer scope's deadline passes first, the inner scope
 * has not expired and leaves the cancellation alone; the outer scope's end
 * converts it. When both pass before the task runs, the inner scope sees that
 * a request other than its own is left and lets the cancellation through to
 * the outer scope, which reports the timeout.
 *
 * Call [method@Bridge.Timeout.end] once per scope, in the task that began it,
 * innermost scope first.
 *
 * Since: 0.1
 */

typedef enum
{
  SCOPE_OUTSIDE_TASK,   /* begun outside a task: end() reports the misuse */
  SCOPE_ENTERED,
  SCOPE_EXPIRING,       /* the deadline passed and the task was cancelled */
  SCOPE_EXPIRED,        /* ended after expiring */
  SCOPE_EXITED,         /* ended before the deadline */
} ScopeState;

struct _BridgeTimeout
{
  gint          ref_count;
  guint8        state;        /* ScopeState */
  guint         cancelling;   /* the task's cancelling() when the scope began */
  double        when;         /* negative: no deadline */
  BridgeTask   *task;         /* a reference; NULL outside a task */
  BridgeHandle *handler;      /* a reference while armed */
};

G_DEFINE_BOXED_TYPE (BridgeTimeout, bridge_timeout, bridge_timeout_ref, bridge_timeout_unref)

static const char *
scope_state_name (ScopeState state)
{
  switch (state)
    {
    case SCOPE_OUTSIDE_TASK:
      return "unentered";
    case SCOPE_ENTERED:
      return "active";
    case SCOPE_EXPIRING:
      return "expiring";
    case SCOPE_EXPIRED:
      return "expired";
    case SCOPE_EXITED:
      return "finished";
    default:
      return "invalid";
    }
}

static void
scope_disarm (BridgeTimeout *scope)
{
  if (scope->handler != NULL)
    {
      BridgeHandle *handler = g_steal_pointer (&scope->handler);

      bridge_handle_cancel (handler);
      bridge_handle_unref (handler);
    }
}

static void
scope_on_timeout (gpointer user_data)
{
  BridgeTimeout *scope = user_data;

  /* The handle is running: drop our reference, the queue holds its own. */
  g_clear_pointer (&scope->handler, bridge_handle_unref);

  if (scope->state != SCOPE_ENTERED)
    return;

  bridge_task_cancel (scope->task, NULL);
  scope->state = SCOPE_EXPIRING;
}

static void
scope_arm (BridgeTimeout *scope,
           double         when)
{
  BridgeLoop *loop = bridge_future_get_loop (BRIDGE_FUTURE (scope->task));
  BridgeHandle *handler;

  scope_disarm (scope);
  scope->when = when < 0 ? BRIDGE_TIMEOUT_NEVER : when;
  if (when < 0)
    return;

  /* The handler holds no reference: end() and the last unref disarm it
   * before the scope goes away. A deadline already passed fires in the next
   * iteration, as asyncio's call_soon() branch does. */
  if (when <= bridge_loop_time (loop))
    handler = bridge_loop_call_soon (loop, scope_on_timeout, scope, NULL);
  else
    handler = bridge_loop_call_at (loop, when, scope_on_timeout, scope, NULL);

  if (handler != NULL)
    scope->handler = bridge_handle_ref (handler);
}

/**
 * bridge_timeout_begin_at: (constructor)
 * @when: the deadline on the [method@Bridge.Loop.time] clock; a time in the
 *   past expires in the next iteration; negative (%BRIDGE_TIMEOUT_NEVER) for
 *   no deadline yet
 *
 * Begins a timeout scope in the current task that expires at @when
 * (`async with asyncio.timeout_at(when)`). See [struct@Bridge.Timeout].
 *
 * Outside a task this returns an inert scope whose
 * [method@Bridge.Timeout.end] fails with %BRIDGE_ERROR_INVALID_STATE.
 *
 * Returns: (transfer full): the scope; pass it to
 *   [method@Bridge.Timeout.end]
 *
 * Since: 0.1
 */
BridgeTimeout *
bridge_timeout_begin_at (double when)
{
  BridgeTask *task = bridge_task_get_current ();
  BridgeTimeout *scope = g_new0 (BridgeTimeout, 1);

  scope->ref_count = 1;
  scope->when = when < 0 ? BRIDGE_TIMEOUT_NEVER : when;

  if (task == NULL)
    {
      scope->state = SCOPE_OUTSIDE_TASK;
      return scope;
    }

  scope->task = bridge_task_ref (task);
  scope->state = SCOPE_ENTERED;
  scope->cancelling = bridge_task_get_cancelling (task);
  scope_arm (scope, when);
  return scope;
}

/**
 * bridge_timeout_begin: (constructor)
 * @delay: seconds from now; 0 expires in the next iteration; negative
 *   (%BRIDGE_TIMEOUT_NEVER) for no deadline yet
 *
 * Begins a timeout scope in the current task that expires after @delay
 * seconds (`async with asyncio.timeout(delay)`). See [struct@Bridge.Timeout]
 * for the usage pattern.
 *
 * Unlike asyncio, whose `timeout(None)` is the way to say "no deadline", a
 * negative @delay means no deadline here, consistently with the `timeout`
 * arguments of [func@Bridge.wait] and [func@Bridge.wait_for].
 *
 * Returns: (transfer full): the scope; pass it to
 *   [method@Bridge.Timeout.end]
 *
 * Since: 0.1
 */
BridgeTimeout *
bridge_timeout_begin (double delay)
{
  BridgeTask *task = bridge_task_get_current ();

  if (delay < 0 || task == NULL)
    return bridge_timeout_begin_at (BRIDGE_TIMEOUT_NEVER);

  return bridge_timeout_begin_at (bridge_loop_time (bridge_future_get_loop (BRIDGE_FUTURE (task))) + delay);
}

/**
 * bridge_timeout_reschedule:
 * @scope: an active [struct@Bridge.Timeout]
 * @when: the new deadline on the [method@Bridge.Loop.time] clock; a time in
 *   the past expires in the next iteration; negative
 *   (%BRIDGE_TIMEOUT_NEVER) for none
 *
 * Moves the deadline of a scope that has neither expired nor ended
 * (`Timeout.reschedule(when)`). Rescheduling an expired or ended scope is a
 * programming error, reported with a critical warning.
 *
 * Since: 0.1
 */
void
bridge_timeout_reschedule (BridgeTimeout *scope,
                           double         when)
{
  g_return_if_fail (scope != NULL);

  if (scope->state != SCOPE_ENTERED)
    {
      g_critical ("Cannot change the deadline of a timeout scope that is %s",
                  scope_state_name (scope->state));
      return;
    }

  scope_arm (scope, when);
}

/**
 * bridge_timeout_get_when:
 * @scope: a [struct@Bridge.Timeout]
 *
 * Reads the deadline of @scope.
 *
 * Returns: the deadline on the [method@Bridge.Loop.time] clock
 *   (`Timeout.when()`), or %BRIDGE_TIMEOUT_NEVER
 *
 * Since: 0.1
 */
double
bridge_timeout_get_when (BridgeTimeout *scope)
{
  g_return_val_if_fail (scope != NULL, BRIDGE_TIMEOUT_NEVER);

  return scope->when;
}

/**
 * bridge_timeout_expired:
 * @scope: a [struct@Bridge.Timeout]
 *
 * Whether the deadline passed and the scope cancelled its task
 * (`Timeout.expired()`). It stays %TRUE after a body that completed anyway
 * (its awaited future ignored the cancellation).
 *
 * Returns: whether @scope expired
 *
 * Since: 0.1
 */
gboolean
bridge_timeout_expired (BridgeTimeout *scope)
{
  g_return_val_if_fail (scope != NULL, FALSE);

  return scope->state == SCOPE_EXPIRING || scope->state == SCOPE_EXPIRED;
}

/* asyncio's Timeout.__aexit__(), minus raising: returns whether the error
 * in *error (the body's) is our own cancellation, to be turned into a
 * timeout. */
static gboolean
scope_exit (BridgeTimeout  *scope,
            GError        **error)
{
  gboolean convert = FALSE;

  scope_disarm (scope);

  if (scope->state == SCOPE_EXPIRING)
    {
      scope->state = SCOPE_EXPIRED;
      /* Withdraw our request; if no other is left, the cancellation the body
       * saw was ours. */
      if (bridge_task_uncancel (scope->task) <= scope->cancelling &&
          error != NULL && *error != NULL &&
          g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        convert = TRUE;
    }
  else if (scope->state == SCOPE_ENTERED)
    scope->state = SCOPE_EXITED;

  return convert;
}

/**
 * bridge_timeout_end:
 * @scope: (transfer full): the scope from [ctor@Bridge.Timeout.begin]
 * @error: (inout) (optional) (nullable): the location holding the body's
 *   error, %NULL inside if the body succeeded
 *
 * Ends a timeout scope (`Timeout.__aexit__`) and consumes the reference
 * returned by [ctor@Bridge.Timeout.begin] (take another one with
 * [method@Bridge.Timeout.ref] to call [method@Bridge.Timeout.expired]
 * afterwards).
 *
 * Pass the same @error location the body's awaits reported into. If the
 * scope expired and *@error is the %G_IO_ERROR_CANCELLED that the scope
 * itself caused, it is replaced by %G_IO_ERROR_TIMED_OUT. Any other error
 * (an outside cancellation included) is left as it is, and so is a success:
 * a body whose awaited future ignored the cancellation and completed keeps
 * its result, with [method@Bridge.Timeout.expired] still %TRUE. Either way,
 * the scope's cancellation request is withdrawn, so it cannot leak into
 * later awaits of the task.
 *
 * A scope begun outside a task fails here with %BRIDGE_ERROR_INVALID_STATE
 * (if *@error is not set already).
 *
 * Returns: %TRUE if *@error is unset afterwards (always %TRUE when @error is
 *   %NULL): the body succeeded and no timeout is to be reported
 *
 * Since: 0.1
 */
gboolean
bridge_timeout_end (BridgeTimeout  *scope,
                    GError        **error)
{
  gboolean ret;

  g_return_val_if_fail (scope != NULL, FALSE);

  switch ((ScopeState) scope->state)
    {
    case SCOPE_OUTSIDE_TASK:
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE,
                             "Timeout should be used inside a task");
      bridge_timeout_unref (scope);
      return FALSE;

    case SCOPE_EXPIRED:
    case SCOPE_EXITED:
      g_critical ("bridge_timeout_end() called on a timeout scope that already ended");
      break;

    case SCOPE_ENTERED:
    case SCOPE_EXPIRING:
    default:
      if (scope_exit (scope, error))
        {
          g_clear_error (error);
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Timeout was reached");
        }
      break;
    }

  ret = error == NULL || *error == NULL;
  bridge_timeout_unref (scope);
  return ret;
}

/**
 * bridge_timeout_ref:
 * @scope: a [struct@Bridge.Timeout]
 *
 * Takes a reference on @scope.
 *
 * Returns: (transfer full): @scope
 *
 * Since: 0.1
 */
BridgeTimeout *
bridge_timeout_ref (BridgeTimeout *scope)
{
  g_return_val_if_fail (scope != NULL, NULL);

  g_atomic_int_inc (&scope->ref_count);
  return scope;
}

/**
 * bridge_timeout_unref:
 * @scope: (transfer full): a [struct@Bridge.Timeout]
 *
 * Drops a reference. Dropping the last one of a scope that was never ended
 * (an early return with `g_autoptr`) ends it first without converting any
 * error: the deadline is disarmed and the scope's own cancellation request,
 * if it expired, is withdrawn.
 *
 * Since: 0.1
 */
void
bridge_timeout_unref (BridgeTimeout *scope)
{
  g_return_if_fail (scope != NULL);

  if (!g_atomic_int_dec_and_test (&scope->ref_count))
    return;

  if (scope->state == SCOPE_ENTERED || scope->state == SCOPE_EXPIRING)
    scope_exit (scope, NULL);

  scope_disarm (scope);
  g_clear_pointer (&scope->task, bridge_task_unref);
  g_free (scope);
}
