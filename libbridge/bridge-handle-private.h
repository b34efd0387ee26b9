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

/* ref_count of a freed handle: what bridge_handle_unref() and _ref() check
 * to report one unref too many (see bridge_future_unref()). */
#define BRIDGE_HANDLE_FREED (-0x2bad)

struct _BridgeHandle
{
  /* The first two words are overwritten by allocators' free lists once the
   * handle is freed; ref_count and callback come after them so that they
   * survive to name the mistake. 64 bytes: a handle from the loop's block
   * pool is one cache line, the one miss of a timer that falls due. (A
   * timer's due time and sequence live in the loop's heap, beside it.) */
  BridgeLoop     *loop;        /* borrowed: the loop outlives its handles' runs */
  gpointer        user_data;
  gint            ref_count;
  gint            state;       /* BridgeHandleState, changed atomically */
  BridgeCallback  callback;    /* kept once released, to name the handle in reports */
  GDestroyNotify  destroy;
  double          when_seconds;   /* the exact time asked for, for bridge_handle_get_when() */
  gpointer        inbox_next;  /* call_soon_threadsafe(): the loop's inbox link */
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
