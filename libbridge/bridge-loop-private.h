/* bridge-loop-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before bridge-loop-private.h"
#endif

#include "bridge-loop.h"
#include "bridge-stack-pool-private.h"
#include "bridge-task.h"
#include "bridge-thread-local-private.h"

G_BEGIN_DECLS

/* g_main_depth() inside the current loop dispatch on this thread: a callback
 * that runs deeper was dispatched by a main loop nested inside a task step.
 * g_main_depth() is a thread-private lookup, too slow for every await: it is
 * only asked once the loop saw its context iterated inside its own dispatch
 * (_bridge_loop_nested_iteration). */
extern BRIDGE_THREAD_LOCAL int      _bridge_loop_dispatch_depth;
extern BRIDGE_THREAD_LOCAL gboolean _bridge_loop_nested_iteration;

/* An entry of the ready queue: the loop's unit of work. Internal work (waking
 * a task, running a future's done callbacks) goes in as a bare function and
 * two pointers, with no allocation; public call_soon() entries carry their
 * BridgeHandle in @a. */
typedef void (*BridgeReadyFunc) (gpointer a,
                                 gpointer b);

typedef struct
{
  BridgeReadyFunc func;
  gpointer        a;
  gpointer        b;
} BridgeReadyItem;

void             _bridge_loop_push_ready            (BridgeLoop      *loop,
                                                     BridgeReadyFunc  func,
                                                     gpointer         a,
                                                     gpointer         b);
void             _bridge_loop_push_ready_threadsafe (BridgeLoop      *loop,
                                                     BridgeReadyFunc  func,
                                                     gpointer         a,
                                                     gpointer         b);
gboolean         _bridge_loop_is_closing            (BridgeLoop      *loop);
gboolean         _bridge_loop_is_owner_thread       (BridgeLoop      *loop);
void             _bridge_loop_timer_cancelled       (BridgeLoop      *loop);
BridgeLoop      *_bridge_loop_get_current           (void);
void             _bridge_loop_hold                  (BridgeLoop      *loop);
void             _bridge_loop_release               (BridgeLoop      *loop);
BridgeStackPool *_bridge_loop_get_stack_pool        (BridgeLoop      *loop);
/* The block sizes of a loop's block pool (bridge-block-pool.c). */
enum
{
  BRIDGE_BLOCK_FUTURE,
  BRIDGE_BLOCK_TASK,
  BRIDGE_BLOCK_HANDLE,
};

gpointer         _bridge_loop_alloc_block           (BridgeLoop      *loop,
                                                     guint            size_class);
gboolean         _bridge_loop_release_block         (BridgeLoop      *loop,
                                                     gpointer         block);
void             _bridge_loop_add_task              (BridgeLoop      *loop,
                                                     BridgeTask      *task);
void             _bridge_loop_remove_task           (BridgeLoop      *loop,
                                                     BridgeTask      *task);
guint64          _bridge_loop_next_task_number      (BridgeLoop      *loop);
gint64           _bridge_loop_get_dispatch_clock    (BridgeLoop      *loop);
int              _bridge_loop_resolve_io_priority   (int              io_priority);
gboolean         _bridge_loop_get_debug_fast        (BridgeLoop      *loop);
void             _bridge_loop_note_slow_step        (BridgeLoop      *loop,
                                                     const char      *what,
                                                     gint64           duration_usec);

void             _bridge_loop_thread_job_begin      (BridgeLoop      *loop);
void             _bridge_loop_thread_job_end        (BridgeLoop      *loop,
                                                     gint64           run_usec);
G_END_DECLS
