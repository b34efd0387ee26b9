/* bridge-handle-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before bridge-handle-private.h"
#endif

#include "bridge-handle.h"

G_BEGIN_DECLS

typedef enum
{
  BRIDGE_HANDLE_SCHEDULED,
  BRIDGE_HANDLE_RAN,
  BRIDGE_HANDLE_CANCELLED,
} BridgeHandleState;

struct _BridgeHandle
{
  gint            ref_count;
  gint            state;       /* BridgeHandleState, changed atomically */
  BridgeLoop     *loop;        /* borrowed: the loop outlives its handles' runs */
  BridgeCallback  callback;
  gpointer        user_data;
  GDestroyNotify  destroy;
  gint64          when;        /* monotonic µs, timers only */
  guint64         sequence;    /* FIFO among timers due at the same time */
  gboolean        in_heap;     /* a timer still in the loop's heap (loop thread) */
};

BridgeHandle *_bridge_handle_new  (BridgeLoop     *loop,
                                   BridgeCallback  callback,
                                   gpointer        user_data,
                                   GDestroyNotify  destroy);
void          _bridge_handle_run  (gpointer        a,
                                   gpointer        b);
void          _bridge_handle_drop (BridgeHandle   *handle);

G_END_DECLS
