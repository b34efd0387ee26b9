/* bridge-thread.h
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

#include "bridge-types.h"

G_BEGIN_DECLS

/**
 * BridgeThreadFunc: (skip)
 * @future: the future to complete with `bridge_future_set_*()`, from this
 *   thread, before returning
 * @user_data: the data given to [func@Bridge.run_in_thread]
 * @cancellable: cancelled when @future is cancelled; pass it to blocking
 *   GIO calls
 *
 * A function run by [func@Bridge.run_in_thread] on a worker thread, in the
 * style of `GTaskThreadFunc`. It reports its outcome by completing @future
 * (once), for instance with [method@Bridge.Future.set_int64] or
 * [method@Bridge.Future.set_error]; returning without doing so completes it
 * with no value. It may poll [func@Bridge.thread_is_cancelled] to stop
 * early. It must not touch objects that belong to the loop's thread.
 *
 * Not introspectable: GJS cannot run JavaScript on another thread, and
 * Python programs have their own threads, which complete a future with
 * [method@Bridge.Future.set_value] (safe from any thread) or hand work back
 * with [method@Bridge.Loop.call_soon_threadsafe].
 *
 * Since: 0.1
 */
typedef void (*BridgeThreadFunc) (BridgeFuture *future,
                                  gpointer      user_data,
                                  GCancellable *cancellable);

BRIDGE_AVAILABLE_IN_ALL
BridgeFuture  *bridge_run_in_thread          (BridgeThreadFunc   func,
                                              gpointer           user_data,
                                              GDestroyNotify     destroy) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_thread_is_cancelled    (void);
BRIDGE_AVAILABLE_IN_ALL
guint          bridge_thread_get_max_threads (void);
BRIDGE_AVAILABLE_IN_ALL
BridgeFuture  *bridge_loop_spawn_threadsafe  (BridgeLoop        *loop,
                                              BridgeTaskFunc     func,
                                              gpointer           user_data,
                                              GDestroyNotify     destroy) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_future_wait_sync       (BridgeFuture      *future,
                                              double             timeout,
                                              GError           **error);

G_END_DECLS
