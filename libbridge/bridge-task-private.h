/* bridge-task-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before bridge-task-private.h"
#endif

#include <gio/gio.h>

#include "bridge-fiber-private.h"
#include "bridge-future-private.h"
#include "bridge-task.h"

G_BEGIN_DECLS

struct _BridgeTask
{
  BridgeFuture    parent;

  BridgeTaskFunc  func;
  gpointer        data;
  GDestroyNotify  destroy;

  /* fiber.number is the task's, for its default name "Task-N" (set at
   * creation; the fiber only names the task in a stack overflow report). */
  BridgeFiber     fiber;
  gsize           stack_size;       /* 0 until the first step picks one */

  char           *name;             /* NULL until asked for or set */

  BridgeFuture   *awaiting;         /* owned while parked in bridge_await() */
  gint64          parked_since;
  GCancellable   *cancellable;      /* created on first use */
  char           *cancel_message;
  guint           cancels_requested;

  /* Beside the counter, where they fill what would be padding: a task that
   * takes 256 bytes instead of 272 fits more tasks to a page. */
  guint8          state;            /* BridgeTaskState */
  guint           must_cancel : 1;
  guint           returned : 1;
  guint           cancel_delivered : 1;
  guint           in_loop_list : 1;
  guint           abandoned : 1;

  /* The loop's list of live tasks (the loop holds a reference). */
  BridgeTask     *prev;
  BridgeTask     *next;

  gpointer        locals;           /* BridgeTaskLocals, see bridge-task-local.c */
};


void _bridge_task_abandon (BridgeTask *task);

G_END_DECLS
