/* bridge-wait.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_INSIDE) && !defined (BRIDGE_COMPILATION)
# error "Only <libbridge.h> can be included directly."
#endif

#include <glib.h>

#include "bridge-types.h"

G_BEGIN_DECLS

/**
 * BridgeWaitMode:
 * @BRIDGE_WAIT_FIRST_COMPLETED: return as soon as any future is done
 *   (`asyncio.FIRST_COMPLETED`)
 * @BRIDGE_WAIT_FIRST_EXCEPTION: return as soon as any future fails with an
 *   error other than a cancellation, or when all are done
 *   (`asyncio.FIRST_EXCEPTION`)
 * @BRIDGE_WAIT_ALL_COMPLETED: return when every future is done
 *   (`asyncio.ALL_COMPLETED`)
 *
 * When [func@Bridge.wait] returns (`return_when`).
 *
 * Since: 0.1
 */
typedef enum
{
  BRIDGE_WAIT_FIRST_COMPLETED,
  BRIDGE_WAIT_FIRST_EXCEPTION,
  BRIDGE_WAIT_ALL_COMPLETED,
} BridgeWaitMode;

BRIDGE_AVAILABLE_IN_ALL
gboolean bridge_wait (BridgeFuture   **futures,
                      guint            n_futures,
                      BridgeWaitMode   return_when,
                      double           timeout,
                      GPtrArray      **done,
                      GPtrArray      **pending,
                      GError         **error);

G_END_DECLS
