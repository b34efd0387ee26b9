/* bridge-signal-task.h
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

#include "bridge-types.h"

G_BEGIN_DECLS

/**
 * BridgeConnectFlags:
 * @BRIDGE_CONNECT_DEFAULT: every emission spawns a task of its own, whatever
 *   else is running
 * @BRIDGE_CONNECT_RESTART: an emission first cancels the tasks that earlier
 *   emissions started and are still running, then spawns its own (search
 *   as you type: only the latest query matters)
 * @BRIDGE_CONNECT_EXCLUSIVE: an emission is ignored while a task of an earlier
 *   emission still runs (a double-click guard)
 * @BRIDGE_CONNECT_KEEP_ON_DISCONNECT: disconnecting the handler leaves
 *   running tasks alone; by default it cancels them
 * @BRIDGE_CONNECT_HANDLED: for a signal that returns a `gboolean`, return
 *   %TRUE from every emission, including ignored ones, so that the default
 *   handler does not run (`GtkWindow::close-request` stays open while the
 *   task decides; see [func@Bridge.signal_connect_task])
 *
 * How [func@Bridge.signal_connect_task] treats emissions.
 *
 * Since: 0.1
 */
typedef enum
{
  BRIDGE_CONNECT_DEFAULT            = 0,
  BRIDGE_CONNECT_RESTART            = 1 << 0,
  BRIDGE_CONNECT_EXCLUSIVE          = 1 << 1,
  BRIDGE_CONNECT_KEEP_ON_DISCONNECT = 1 << 2,
  BRIDGE_CONNECT_HANDLED            = 1 << 3,
} BridgeConnectFlags;

/**
 * BridgeSignalTaskFunc: (skip)
 * @task: the task started for this emission
 * @instance: (type GObject): the object that emitted the signal; the task is
 *   bound to it, so it must not be touched after an await fails
 * @param_values: (array length=n_param_values): copies of the emission's
 *   arguments, without the instance
 * @n_param_values: the number of arguments
 * @user_data: the data given to [func@Bridge.signal_connect_task]
 *
 * The body of a task started by a signal emission.
 *
 * It runs on the task's fiber, so it is always C: this type is not
 * introspectable, and neither is [func@Bridge.signal_connect_task] (see the
 * [Language bindings](bindings.html) page).
 *
 * Since: 0.1
 */
typedef void (*BridgeSignalTaskFunc) (BridgeTask   *task,
                                      gpointer      instance,
                                      const GValue *param_values,
                                      guint         n_param_values,
                                      gpointer      user_data);

BRIDGE_AVAILABLE_IN_ALL
gulong  bridge_signal_connect_task  (gpointer              instance,
                                     const char           *detailed_signal,
                                     BridgeSignalTaskFunc  func,
                                     gpointer              user_data,
                                     GDestroyNotify        destroy,
                                     BridgeConnectFlags    flags);

G_END_DECLS
