/* bridge-types.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_INSIDE) && !defined (BRIDGE_COMPILATION)
# error "Only <libbridge.h> can be included directly."
#endif

#include <glib-object.h>

#include "bridge-version-macros.h"

G_BEGIN_DECLS

typedef struct _BridgeLoop   BridgeLoop;
typedef struct _BridgeHandle BridgeHandle;
typedef struct _BridgeFuture BridgeFuture;
typedef struct _BridgeTask   BridgeTask;

/**
 * BridgeCallback:
 * @user_data: the data given when the callback was scheduled
 *
 * A callback run by the loop: see [method@Bridge.Loop.call_soon].
 *
 * Since: 0.1
 */
typedef void (*BridgeCallback) (gpointer user_data);

/**
 * BridgeFutureCallback:
 * @future: the future that completed
 * @user_data: the data given to [method@Bridge.Future.add_done_callback]
 *
 * A done callback. It always runs from the loop's ready queue, never from
 * inside the call that completed the future.
 *
 * Since: 0.1
 */
typedef void (*BridgeFutureCallback) (BridgeFuture *future,
                                      gpointer      user_data);

/**
 * BridgeTaskFunc: (skip)
 * @task: the task running the function
 * @user_data: the data given to [func@Bridge.spawn]
 *
 * The body of a task. It runs on its own fiber and may call
 * [func@Bridge.await] at any depth. It reports its result with one of the
 * `bridge_task_return_*()` functions; returning without one resolves the task
 * with no value, or cancels it when a cancellation was delivered and not
 * withdrawn with [method@Bridge.Task.uncancel].
 *
 * A task function is always C. Interpreters such as CPython and GJS keep
 * per-thread state tied to the thread's own stack, and a fiber's stack is
 * another one, so this type is not introspectable and neither is any
 * function that takes one ([func@Bridge.spawn], [func@Bridge.run],
 * [method@Bridge.TaskGroup.spawn]…): a bound language cannot start a task.
 * It can await a task exported by C code as an `_async`/`_finish` pair
 * ([func@Bridge.spawn_async]); see the
 * [Language bindings](bindings.html) page.
 *
 * Since: 0.1
 */
typedef void (*BridgeTaskFunc) (BridgeTask *task,
                                gpointer    user_data);

BRIDGE_AVAILABLE_IN_ALL
BridgeFuture *bridge_future_check_instance_cast (gpointer instance);

/**
 * BRIDGE_FUTURE:
 * @obj: a [struct@Bridge.Task] or any other future
 *
 * Casts a task (or another future subtype) to its [struct@Bridge.Future].
 * Unless `G_DISABLE_CAST_CHECKS` is defined, the cast is checked, as
 * `G_TYPE_CHECK_INSTANCE_CAST()` is: casting something that is not a future,
 * or a future already freed, is a critical warning.
 *
 * Since: 0.1
 */
#ifdef G_DISABLE_CAST_CHECKS
# define BRIDGE_FUTURE(obj) ((BridgeFuture *) (obj))
#else
# define BRIDGE_FUTURE(obj) (bridge_future_check_instance_cast ((gpointer) (obj)))
#endif

G_END_DECLS
