/* bridge-loop.h
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

#define BRIDGE_TYPE_LOOP (bridge_loop_get_type ())

BRIDGE_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BridgeLoop, bridge_loop, BRIDGE, LOOP, GObject)

/**
 * BridgeExceptionHandler: (skip)
 * @loop: the loop
 * @message: what happened, in asyncio's words
 * @error: (nullable): the error involved, if any
 * @future: (nullable): the future or task involved, if any
 * @user_data: the handler's data
 *
 * Receives what asyncio would pass to `call_exception_handler()`: errors that
 * have nobody to go to, such as a failed task whose error was never retrieved.
 *
 * The handler runs where the report arises: when the last reference to a
 * failed future is dropped, that may be inside a task, on its fiber. So this
 * type is not introspectable, and neither is
 * [method@Bridge.Loop.set_exception_handler]: a bound language would run on
 * a fiber (see the [Language bindings](bindings.html) page).
 *
 * Since: 0.1
 */
/**
 * BRIDGE_IO_PRIORITY_LOOP:
 *
 * An `io_priority` for libbridge's GIO and libsoup wrappers meaning "the
 * loop's I/O priority" (see [method@Bridge.Loop.set_io_priority]): below
 * GTK's redraw priority by default, so that bulk reads and writes arriving
 * as fast as the network delivers them leave frames to be drawn.
 *
 * Since: 0.1
 */
#define BRIDGE_IO_PRIORITY_LOOP G_MININT

/**
 * BRIDGE_PRIORITY_BULK_IO:
 *
 * The loop's default I/O priority: below `GDK_PRIORITY_REDRAW`
 * (%G_PRIORITY_HIGH_IDLE + 20), above %G_PRIORITY_DEFAULT_IDLE.
 *
 * Since: 0.1
 */
#define BRIDGE_PRIORITY_BULK_IO (G_PRIORITY_HIGH_IDLE + 30)

typedef void (*BridgeExceptionHandler) (BridgeLoop   *loop,
                                        const char   *message,
                                        const GError *error,
                                        BridgeFuture *future,
                                        gpointer      user_data);

BRIDGE_AVAILABLE_IN_ALL
BridgeLoop    *bridge_loop_get_default                  (void);
BRIDGE_AVAILABLE_IN_ALL
BridgeLoop    *bridge_loop_new                          (GMainContext            *context) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
GMainContext  *bridge_loop_get_context                  (BridgeLoop              *loop);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_loop_run_until_complete           (BridgeLoop              *loop,
                                                         BridgeFuture            *future,
                                                         GError                 **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_loop_run_forever                  (BridgeLoop              *loop,
                                                         GError                 **error);
BRIDGE_AVAILABLE_IN_ALL
void           bridge_loop_stop                         (BridgeLoop              *loop);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_loop_close                        (BridgeLoop              *loop,
                                                         GError                 **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_loop_is_running                   (BridgeLoop              *loop);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_loop_is_closed                    (BridgeLoop              *loop);
BRIDGE_AVAILABLE_IN_ALL
double         bridge_loop_time                         (BridgeLoop              *loop);
BRIDGE_AVAILABLE_IN_ALL
BridgeHandle  *bridge_loop_call_soon                    (BridgeLoop              *loop,
                                                         BridgeCallback           callback,
                                                         gpointer                 user_data,
                                                         GDestroyNotify           destroy);
BRIDGE_AVAILABLE_IN_ALL
BridgeHandle  *bridge_loop_call_later                   (BridgeLoop              *loop,
                                                         double                   delay,
                                                         BridgeCallback           callback,
                                                         gpointer                 user_data,
                                                         GDestroyNotify           destroy);
BRIDGE_AVAILABLE_IN_ALL
BridgeHandle  *bridge_loop_call_at                      (BridgeLoop              *loop,
                                                         double                   when,
                                                         BridgeCallback           callback,
                                                         gpointer                 user_data,
                                                         GDestroyNotify           destroy);
BRIDGE_AVAILABLE_IN_ALL
BridgeHandle  *bridge_loop_call_soon_threadsafe         (BridgeLoop              *loop,
                                                         BridgeCallback           callback,
                                                         gpointer                 user_data,
                                                         GDestroyNotify           destroy) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
void           bridge_loop_set_exception_handler        (BridgeLoop              *loop,
                                                         BridgeExceptionHandler   handler,
                                                         gpointer                 user_data,
                                                         GDestroyNotify           destroy);
BRIDGE_AVAILABLE_IN_ALL
void           bridge_loop_call_exception_handler       (BridgeLoop              *loop,
                                                         const char              *message,
                                                         const GError            *error,
                                                         BridgeFuture            *future);
BRIDGE_AVAILABLE_IN_ALL
void           bridge_loop_set_debug                    (BridgeLoop              *loop,
                                                         gboolean                 debug);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_loop_get_debug                    (BridgeLoop              *loop);
BRIDGE_AVAILABLE_IN_ALL
void           bridge_loop_set_slow_callback_duration   (BridgeLoop              *loop,
                                                         double                   seconds);
BRIDGE_AVAILABLE_IN_ALL
double         bridge_loop_get_slow_callback_duration   (BridgeLoop              *loop);
BRIDGE_AVAILABLE_IN_ALL
void           bridge_loop_set_io_priority              (BridgeLoop              *loop,
                                                         int                      io_priority);
BRIDGE_AVAILABLE_IN_ALL
void           bridge_loop_set_priority                 (BridgeLoop              *loop,
                                                         int                      priority);
BRIDGE_AVAILABLE_IN_ALL
int            bridge_loop_get_priority                 (BridgeLoop              *loop);
BRIDGE_AVAILABLE_IN_ALL
int            bridge_loop_get_io_priority              (BridgeLoop              *loop);
BRIDGE_AVAILABLE_IN_ALL
GPtrArray     *bridge_loop_list_tasks                   (BridgeLoop              *loop) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
