/* bridge-block-pool-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before bridge-block-pool-private.h"
#endif

#include <glib.h>

G_BEGIN_DECLS

/* Fixed-size blocks for a loop's futures and tasks, carved from memory whose
 * pages a background thread has already faulted in. A page's first touch
 * costs about 1.4 µs on a virtual machine, and a burst of 100k new tasks
 * touches 7,000 of them: a third of the time of spawning them. Here the
 * loop's thread finds the pages ready, while another core did the faulting.
 *
 * One pool per loop; blocks are taken on the loop's thread while it
 * dispatches, and given back from any thread. */
typedef struct _BridgeBlockPool BridgeBlockPool;

#define BRIDGE_BLOCK_POOL_N_CLASSES 3

BridgeBlockPool *_bridge_block_pool_new     (const gsize      sizes[BRIDGE_BLOCK_POOL_N_CLASSES]);
void             _bridge_block_pool_free    (BridgeBlockPool *pool);
gpointer         _bridge_block_pool_alloc   (BridgeBlockPool *pool,
                                             guint            size_class);
gboolean         _bridge_block_pool_owns    (BridgeBlockPool *pool,
                                             gconstpointer    block);
void             _bridge_block_pool_release (BridgeBlockPool *pool,
                                             gpointer         block,
                                             gboolean         on_owner_thread);
void             _bridge_block_pool_trim    (BridgeBlockPool *pool);

/* The thread that faults in a pool's next chunks also takes other such work
 * (the stack pool's): one thread per process. */
typedef void (*BridgePopulateFunc) (gpointer data);

void             _bridge_populate_in_background (BridgePopulateFunc func,
                                                 gpointer           data);
gboolean         _bridge_populating_thread_started (void);

G_END_DECLS
