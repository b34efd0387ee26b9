/* bridge-fiber-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before bridge-fiber-private.h"
#endif

#include <glib.h>

#if !defined (__x86_64__) && !defined (__aarch64__)
# define BRIDGE_FIBER_UCONTEXT 1
# include <ucontext.h>
#endif

#include "bridge-stack-pool-private.h"

G_BEGIN_DECLS

/* A fiber is a stack and a saved register set. Switches go between the
 * thread's scheduler (the stack the GLib main loop runs on) and one fiber, so
 * a fiber never needs to know about another fiber; the one exception,
 * _bridge_fiber_resume_nested(), makes the running fiber the scheduler of the
 * one it starts until that one switches out. */
typedef struct _BridgeFiber BridgeFiber;
typedef void (*BridgeFiberFunc) (BridgeFiber *fiber,
                                 gpointer     data);

struct _BridgeFiber
{
#ifdef BRIDGE_FIBER_UCONTEXT
  ucontext_t       context;
#else
  void            *sp;           /* saved stack pointer while switched out */
#endif
  BridgeStack     *stack;
  BridgeFiberFunc  func;
  gpointer         data;
  /* Read by the stack overflow handler: plain pointers, no locking. */
  const char      *volatile name;
  guint64          number;       /* "Task-N" when @name is unset */
#if HAVE_ASAN
  void            *asan_fake_stack;
#endif
  guint            finished : 1;
};

void         _bridge_fiber_init         (BridgeFiber     *fiber,
                                         BridgeStack     *stack,
                                         BridgeFiberFunc  func,
                                         gpointer         data);
void         _bridge_fiber_resume       (BridgeFiber     *fiber);
void         _bridge_fiber_resume_nested (BridgeFiber    *fiber);
void         _bridge_fiber_suspend      (void);
BridgeFiber *_bridge_fiber_get_current  (void);
const void  *_bridge_fiber_get_saved_sp (BridgeFiber     *fiber);

G_END_DECLS
