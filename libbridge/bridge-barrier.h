/* bridge-barrier.h
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

#define BRIDGE_TYPE_BARRIER (bridge_barrier_get_type ())

typedef struct _BridgeBarrier BridgeBarrier;

BRIDGE_AVAILABLE_IN_ALL
GType           bridge_barrier_get_type       (void) G_GNUC_CONST;
BRIDGE_AVAILABLE_IN_ALL
BridgeBarrier  *bridge_barrier_new            (guint            parties) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeBarrier  *bridge_barrier_ref            (BridgeBarrier   *barrier);
BRIDGE_AVAILABLE_IN_ALL
void            bridge_barrier_unref          (BridgeBarrier   *barrier);
BRIDGE_AVAILABLE_IN_ALL
gboolean        bridge_barrier_wait           (BridgeBarrier   *barrier,
                                               guint           *out_index,
                                               GError         **error);
BRIDGE_AVAILABLE_IN_ALL
void            bridge_barrier_reset          (BridgeBarrier   *barrier);
BRIDGE_AVAILABLE_IN_ALL
void            bridge_barrier_abort          (BridgeBarrier   *barrier);
BRIDGE_AVAILABLE_IN_ALL
guint           bridge_barrier_get_parties    (BridgeBarrier   *barrier);
BRIDGE_AVAILABLE_IN_ALL
guint           bridge_barrier_get_n_waiting  (BridgeBarrier   *barrier);
BRIDGE_AVAILABLE_IN_ALL
gboolean        bridge_barrier_is_broken      (BridgeBarrier   *barrier);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeBarrier, bridge_barrier_unref)

G_END_DECLS
