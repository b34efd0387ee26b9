/* bridge-task.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_INSIDE) && !defined (BRIDGE_COMPILATION)
# error "Only <libbridge.h> can be included directly."
#endif

#include <gio/gio.h>

#include "bridge-future.h"
#include "bridge-types.h"

G_BEGIN_DECLS

#define BRIDGE_TYPE_TASK (bridge_task_get_type ())

/**
 * BRIDGE_IS_TASK:
 * @obj: a [struct@Bridge.Future] or [struct@Bridge.Task]
 *
 * Checks whether @obj is a task; see [method@Bridge.Future.is_task].
 *
 * Since: 0.1
 */
#define BRIDGE_IS_TASK(obj) (bridge_future_is_task (BRIDGE_FUTURE (obj)))

/**
 * BRIDGE_STACK_SIZE_DEFAULT:
 *
 * Passing this as the stack size to [func@Bridge.spawn_full] picks the
 * default: 256 KiB, or the `BRIDGE_STACK_SIZE` environment variable (bytes,
 * with an optional `k`/`m` suffix).
 *
 * Since: 0.1
 */
#define BRIDGE_STACK_SIZE_DEFAULT 0

/**
 * BridgeTaskState:
 * @BRIDGE_TASK_STATE_SCHEDULED: waiting in the ready queue for its next step
 * @BRIDGE_TASK_STATE_RUNNING: running right now
 * @BRIDGE_TASK_STATE_PARKED: suspended in [func@Bridge.await]
 * @BRIDGE_TASK_STATE_DONE: finished (with a result, an error or cancelled)
 *
 * Where a task is in its life, for inspectors and debugging.
 *
 * Since: 0.1
 */
typedef enum
{
  BRIDGE_TASK_STATE_SCHEDULED,
  BRIDGE_TASK_STATE_RUNNING,
  BRIDGE_TASK_STATE_PARKED,
  BRIDGE_TASK_STATE_DONE,
} BridgeTaskState;

BRIDGE_AVAILABLE_IN_ALL
GType            bridge_task_get_type           (void) G_GNUC_CONST;
BRIDGE_AVAILABLE_IN_ALL
BridgeTask      *bridge_spawn                   (BridgeTaskFunc   func,
                                                 gpointer         user_data,
                                                 GDestroyNotify   destroy) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeTask      *bridge_spawn_full              (BridgeLoop      *loop,
                                                 const char      *name,
                                                 gsize            stack_size,
                                                 BridgeTaskFunc   func,
                                                 gpointer         user_data,
                                                 GDestroyNotify   destroy) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeTask      *bridge_spawn_eager             (BridgeTaskFunc   func,
                                                 gpointer         user_data,
                                                 GDestroyNotify   destroy) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeTask      *bridge_spawn_eager_full        (BridgeLoop      *loop,
                                                 const char      *name,
                                                 gsize            stack_size,
                                                 BridgeTaskFunc   func,
                                                 gpointer         user_data,
                                                 GDestroyNotify   destroy) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeTask      *bridge_task_ref                (BridgeTask      *task);
BRIDGE_AVAILABLE_IN_ALL
void             bridge_task_unref              (BridgeTask      *task);
BRIDGE_AVAILABLE_IN_ALL
BridgeFuture    *bridge_task_as_future          (BridgeTask      *task);
BRIDGE_AVAILABLE_IN_ALL
BridgeTask      *bridge_task_get_current        (void);
BRIDGE_AVAILABLE_IN_ALL
const char      *bridge_task_get_name           (BridgeTask      *task);
BRIDGE_AVAILABLE_IN_ALL
void             bridge_task_set_name           (BridgeTask      *task,
                                                 const char      *name);
BRIDGE_AVAILABLE_IN_ALL
BridgeTaskState  bridge_task_get_state          (BridgeTask      *task);
BRIDGE_AVAILABLE_IN_ALL
BridgeFuture    *bridge_task_get_awaiting       (BridgeTask      *task);
BRIDGE_AVAILABLE_IN_ALL
gint64           bridge_task_get_parked_since   (BridgeTask      *task);
BRIDGE_AVAILABLE_IN_ALL
gsize            bridge_task_get_stack_size     (BridgeTask      *task);
BRIDGE_AVAILABLE_IN_ALL
GCancellable    *bridge_task_get_cancellable    (BridgeTask      *task);
BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_task_cancel             (BridgeTask      *task,
                                                 const char      *message);
BRIDGE_AVAILABLE_IN_ALL
guint            bridge_task_get_cancelling     (BridgeTask      *task);
BRIDGE_AVAILABLE_IN_ALL
guint            bridge_task_uncancel           (BridgeTask      *task);

BRIDGE_AVAILABLE_IN_ALL
void             bridge_task_return_value       (BridgeTask      *task,
                                                 const GValue    *value);
BRIDGE_AVAILABLE_IN_ALL
void             bridge_task_return_object      (BridgeTask      *task,
                                                 gpointer         object);
BRIDGE_AVAILABLE_IN_ALL
void             bridge_task_return_pointer     (BridgeTask      *task,
                                                 gpointer         pointer,
                                                 GDestroyNotify   destroy);
BRIDGE_AVAILABLE_IN_ALL
void             bridge_task_return_boolean     (BridgeTask      *task,
                                                 gboolean         value);
BRIDGE_AVAILABLE_IN_ALL
void             bridge_task_return_int64       (BridgeTask      *task,
                                                 gint64           value);
BRIDGE_AVAILABLE_IN_ALL
void             bridge_task_return_double      (BridgeTask      *task,
                                                 double           value);
BRIDGE_AVAILABLE_IN_ALL
void             bridge_task_return_string      (BridgeTask      *task,
                                                 const char      *value);
BRIDGE_AVAILABLE_IN_ALL
void             bridge_task_return_error       (BridgeTask      *task,
                                                 GError          *error);
BRIDGE_AVAILABLE_IN_ALL
void             bridge_task_return_new_error   (BridgeTask      *task,
                                                 GQuark           domain,
                                                 int              code,
                                                 const char      *format,
                                                 ...) G_GNUC_PRINTF (4, 5);

BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_await                   (BridgeFuture    *future,
                                                 GError         **error);
BRIDGE_AVAILABLE_IN_ALL
gpointer         bridge_await_object            (BridgeFuture    *future,
                                                 GError         **error);
BRIDGE_AVAILABLE_IN_ALL
gpointer         bridge_await_pointer           (BridgeFuture    *future,
                                                 GError         **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_await_boolean           (BridgeFuture    *future,
                                                 GError         **error);
BRIDGE_AVAILABLE_IN_ALL
gint64           bridge_await_int64             (BridgeFuture    *future,
                                                 GError         **error);
BRIDGE_AVAILABLE_IN_ALL
double           bridge_await_double            (BridgeFuture    *future,
                                                 GError         **error);
BRIDGE_AVAILABLE_IN_ALL
char            *bridge_await_string            (BridgeFuture    *future,
                                                 GError         **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_await_value             (BridgeFuture    *future,
                                                 GValue          *value,
                                                 GError         **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_sleep                   (double           seconds,
                                                 GError         **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_yield                   (GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeTask, bridge_task_unref)

G_END_DECLS
