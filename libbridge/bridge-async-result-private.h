/* bridge-async-result-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before bridge-async-result-private.h"
#endif

#include "bridge-async-result.h"

G_BEGIN_DECLS

/* Like bridge_async_result_future_new(), and @op_data is freed with the
 * future: that is, not before GIO has called back, even when the awaiting
 * task was cancelled and returned long before. The wrappers keep the memory
 * GIO works on (buffers, copies of the caller's data) here. */
BridgeFuture  *_bridge_async_result_future_new_full  (gpointer         op_data,
                                                      GDestroyNotify   op_destroy);
gpointer       _bridge_async_result_future_get_data  (BridgeFuture    *future);

/* The start of every wrapper: fails with BRIDGE_ERROR_INVALID_STATE outside
 * a task, before anything is started, and otherwise returns the future to
 * pass to bridge_async_ready() and the current task's cancellable. */
BridgeFuture  *_bridge_async_begin                   (const char      *function,
                                                      gpointer         op_data,
                                                      GDestroyNotify   op_destroy,
                                                      GCancellable   **cancellable,
                                                      GError         **error);

G_END_DECLS
