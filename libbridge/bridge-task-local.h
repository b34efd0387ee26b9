/* bridge-task-local.h
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

#include "bridge-types.h"

G_BEGIN_DECLS

/**
 * BridgeTaskLocal:
 * @name: the variable's name, for debugging
 *
 * A variable whose value belongs to the running task, inherited by the
 * tasks it spawns: Python's `contextvars.ContextVar`. Declare one
 * statically, like a `GPrivate`:
 *
 * ```c
 * static BridgeTaskLocal request_id = BRIDGE_TASK_LOCAL_INIT ("request-id");
 * ```
 *
 * Since: 0.1
 */
typedef struct
{
  const char *name;
  /*< private >*/
  gpointer    reserved[2];
} BridgeTaskLocal;

/**
 * BRIDGE_TASK_LOCAL_INIT:
 * @variable_name: the variable's name, a string literal
 *
 * Initializes a static [struct@Bridge.TaskLocal].
 *
 * Since: 0.1
 */
#define BRIDGE_TASK_LOCAL_INIT(variable_name) { (variable_name), { NULL, NULL } }

BRIDGE_AVAILABLE_IN_ALL
gpointer  bridge_task_local_get    (BridgeTaskLocal  *local);
BRIDGE_AVAILABLE_IN_ALL
void      bridge_task_local_set    (BridgeTaskLocal  *local,
                                    gpointer          value,
                                    GDestroyNotify    destroy);
BRIDGE_AVAILABLE_IN_ALL
gboolean  bridge_task_local_is_set (BridgeTaskLocal  *local);

G_END_DECLS
