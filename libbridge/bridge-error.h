/* bridge-error.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_INSIDE) && !defined (BRIDGE_COMPILATION)
# error "Only <libbridge.h> can be included directly."
#endif

#include <glib.h>

#include "bridge-version-macros.h"

G_BEGIN_DECLS

/**
 * BRIDGE_ERROR:
 *
 * The error domain of libbridge's own errors, [error@Bridge.Error].
 *
 * Since: 0.1
 */
#define BRIDGE_ERROR (bridge_error_quark ())

/**
 * BridgeError:
 * @BRIDGE_ERROR_FAILED: a generic failure
 * @BRIDGE_ERROR_INVALID_STATE: the call does not fit the object's state: a
 *   result set twice, the result of a pending future, a loop that is already
 *   running or closed, an await outside a task (asyncio's `InvalidStateError`
 *   and `RuntimeError`)
 * @BRIDGE_ERROR_TASK_GROUP: one or more children of a task group failed; the
 *   message lists each of them (asyncio's `ExceptionGroup`)
 * @BRIDGE_ERROR_QUEUE_FULL: a `_nowait` put on a full queue
 * @BRIDGE_ERROR_QUEUE_EMPTY: a `_nowait` get on an empty queue
 * @BRIDGE_ERROR_QUEUE_SHUT_DOWN: the queue was shut down
 * @BRIDGE_ERROR_BROKEN_BARRIER: the barrier was aborted or reset while waiting
 * @BRIDGE_ERROR_VALUE: a value out of range, such as releasing a bounded
 *   semaphore more often than it was acquired (asyncio's `ValueError`)
 *
 * Errors in the %BRIDGE_ERROR domain. Cancellation is never one of these: it is
 * always %G_IO_ERROR_CANCELLED, and a timeout %G_IO_ERROR_TIMED_OUT, so GIO and
 * libbridge errors look alike to callers.
 *
 * Misuse follows one rule, so callers know where to look: a function that
 * takes a `GError` reports misuse there, as %BRIDGE_ERROR_INVALID_STATE
 * (awaiting outside a task or from a nested main loop, a future of another
 * loop, running a loop that is running or closed, setting a result twice).
 * A function without one reports misuse as a `g_critical()` naming the
 * function and returns %NULL or %FALSE (`bridge_task_group_new()` outside a
 * task, `bridge_loop_call_soon()` on a closed loop, one unref too many, an
 * invalid `BRIDGE_FUTURE()` cast), as GLib does for programming errors.
 * Neither ever corrupts memory.
 *
 * Since: 0.1
 */
typedef enum
{
  BRIDGE_ERROR_FAILED,
  BRIDGE_ERROR_INVALID_STATE,
  BRIDGE_ERROR_TASK_GROUP,
  BRIDGE_ERROR_QUEUE_FULL,
  BRIDGE_ERROR_QUEUE_EMPTY,
  BRIDGE_ERROR_QUEUE_SHUT_DOWN,
  BRIDGE_ERROR_BROKEN_BARRIER,
  BRIDGE_ERROR_VALUE,
} BridgeError;

BRIDGE_AVAILABLE_IN_ALL
GQuark bridge_error_quark (void);

G_END_DECLS
