/* bridge-event.h
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

#define BRIDGE_TYPE_EVENT (bridge_event_get_type ())

typedef struct _BridgeEvent BridgeEvent;

BRIDGE_AVAILABLE_IN_ALL
GType         bridge_event_get_type  (void) G_GNUC_CONST;
BRIDGE_AVAILABLE_IN_ALL
BridgeEvent  *bridge_event_new       (void) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeEvent  *bridge_event_ref       (BridgeEvent  *event);
BRIDGE_AVAILABLE_IN_ALL
void          bridge_event_unref     (BridgeEvent  *event);
BRIDGE_AVAILABLE_IN_ALL
gboolean      bridge_event_wait      (BridgeEvent  *event,
                                      GError      **error);
BRIDGE_AVAILABLE_IN_ALL
void          bridge_event_set       (BridgeEvent  *event);
BRIDGE_AVAILABLE_IN_ALL
void          bridge_event_clear     (BridgeEvent  *event);
BRIDGE_AVAILABLE_IN_ALL
gboolean      bridge_event_is_set    (BridgeEvent  *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeEvent, bridge_event_unref)

G_END_DECLS
