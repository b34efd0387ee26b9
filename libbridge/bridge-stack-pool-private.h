/* bridge-stack-pool-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before bridge-stack-pool-private.h"
#endif

#include <glib.h>

G_BEGIN_DECLS

/* One fiber stack. Stacks are carved out of large reserved slabs, so a
 * million of them cost a few thousand kernel mappings, not a million; pages
 * are committed by the kernel only as a task's frames touch them. */
typedef struct _BridgeStack BridgeStack;
struct _BridgeStack
{
  guint8      *base;        /* lowest usable address */
  gsize        size;        /* usable bytes above @base */
  guint8      *guard;       /* the page below @base */
  BridgeStack *next_free;
  guint        valgrind_id;
  guint        guarded : 1; /* the page below @base faults */
  guint        hot : 1;     /* pages may still be committed */
};

typedef struct _BridgeStackPool BridgeStackPool;

BridgeStackPool *_bridge_stack_pool_new          (void);
void             _bridge_stack_pool_free         (BridgeStackPool *pool);
BridgeStack     *_bridge_stack_pool_acquire      (BridgeStackPool *pool,
                                                  gsize            size);
void             _bridge_stack_pool_release      (BridgeStackPool *pool,
                                                  BridgeStack     *stack,
                                                  const void      *lowest_used);
void             _bridge_stack_pool_trim         (BridgeStackPool *pool);
gsize            _bridge_stack_size_default      (void);
gsize            _bridge_stack_size_round        (gsize            size);
gboolean         _bridge_stack_pool_prepares_ahead (void);
guint            _bridge_stack_pool_slab_capacity (gsize           size);

G_END_DECLS
