/* bridge-executor.h
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

#include "bridge-thread.h"
#include "bridge-types.h"

G_BEGIN_DECLS

#define BRIDGE_TYPE_EXECUTOR (bridge_executor_get_type ())

BRIDGE_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BridgeExecutor, bridge_executor, BRIDGE, EXECUTOR, GObject)

BRIDGE_AVAILABLE_IN_ALL
BridgeExecutor  *bridge_executor_new              (const char        *name,
                                                   guint              max_threads) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
const char      *bridge_executor_get_name         (BridgeExecutor    *executor);
BRIDGE_AVAILABLE_IN_ALL
guint            bridge_executor_get_max_threads  (BridgeExecutor    *executor);
BRIDGE_AVAILABLE_IN_ALL
guint            bridge_executor_get_n_threads    (BridgeExecutor    *executor);
BRIDGE_AVAILABLE_IN_ALL
gboolean         bridge_executor_is_shut_down     (BridgeExecutor    *executor);
BRIDGE_AVAILABLE_IN_ALL
void             bridge_executor_shutdown         (BridgeExecutor    *executor,
                                                   gboolean           wait);
BRIDGE_AVAILABLE_IN_ALL
BridgeFuture    *bridge_run_in_executor           (BridgeExecutor    *executor,
                                                   BridgeThreadFunc   func,
                                                   gpointer           user_data,
                                                   GDestroyNotify     destroy) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
