/* bridge-timeout.h
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

#define BRIDGE_TYPE_TIMEOUT (bridge_timeout_get_type ())

/**
 * BRIDGE_TIMEOUT_NEVER:
 *
 * A delay or deadline meaning "no deadline" for [ctor@Bridge.Timeout.begin],
 * [ctor@Bridge.Timeout.begin_at] and [method@Bridge.Timeout.reschedule]
 * (asyncio's `None`). Any negative value means the same.
 *
 * Since: 0.1
 */
#define BRIDGE_TIMEOUT_NEVER (-1.0)

typedef struct _BridgeTimeout BridgeTimeout;

BRIDGE_AVAILABLE_IN_ALL
GType          bridge_timeout_get_type    (void) G_GNUC_CONST;
BRIDGE_AVAILABLE_IN_ALL
BridgeTimeout *bridge_timeout_begin       (double          delay) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeTimeout *bridge_timeout_begin_at    (double          when) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
void           bridge_timeout_reschedule  (BridgeTimeout  *scope,
                                           double          when);
BRIDGE_AVAILABLE_IN_ALL
double         bridge_timeout_get_when    (BridgeTimeout  *scope);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_timeout_expired     (BridgeTimeout  *scope);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_timeout_end         (BridgeTimeout  *scope,
                                           GError        **error);
BRIDGE_AVAILABLE_IN_ALL
BridgeTimeout *bridge_timeout_ref         (BridgeTimeout  *scope);
BRIDGE_AVAILABLE_IN_ALL
void           bridge_timeout_unref       (BridgeTimeout  *scope);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeTimeout, bridge_timeout_unref)

G_END_DECLS
