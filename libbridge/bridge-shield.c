/* bridge-shield.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-future-private.h"
#include "bridge-shield.h"

/* The outer future of bridge_shield(): a plain future (cancelling it cancels
 * only itself) that keeps the inner one alive, because a pointer result is
 * lent by _bridge_future_complete_copy(), not copied. */
typedef struct
{
  BridgeFuture  parent;
  BridgeFuture *inner;
} BridgeShield;

static void shield_finalize (BridgeFuture *future);

static const BridgeFutureClass shield_class = {
  .type_name = "Future",
  .instance_size = sizeof (BridgeShield),
  .cancel = NULL,
  .finalize = shield_finalize,
};

static void
shield_finalize (BridgeFuture *future)
{
  g_clear_pointer (&((BridgeShield *) future)->inner, bridge_future_unref);
}

/* asyncio's shield() _inner_done_callback(). */
static void
shield_inner_done_cb (BridgeFuture *inner,
                      gpointer      user_data)
{
  BridgeFuture *outer = user_data;

  if (!_bridge_future_is_pending (outer))
    {
      /* The outer future was cancelled (or completed by someone else) in
       * the same iteration: the inner result counts as seen. */
      if (inner->state != BRIDGE_FUTURE_CANCELLED && inner->result_kind == BRIDGE_RESULT_ERROR)
        inner->error_retrieved = TRUE;
      return;
    }

  _bridge_future_complete_copy (outer, inner, NULL);
}

/* asyncio's shield() _outer_done_callback(): once the outer future is done
 * nobody listens for the inner one through it any more. An error the inner
 * future ends with later is then reported by the loop's exception handler
 * ("… exception was never retrieved") unless someone else reads it. */
static void
shield_outer_done_cb (BridgeFuture *outer,
                      gpointer      user_data)
{
  BridgeShield *self = (BridgeShield *) outer;

  if (self->inner != NULL && _bridge_future_is_pending (self->inner))
    bridge_future_remove_done_callback (self->inner, shield_inner_done_cb, outer);
}

/**
 * bridge_shield:
 * @future: the future or task to protect
 *
 * Protects @future from cancellation (`asyncio.shield(aw)`).
 *
 * Returns an outer future that completes with a copy of @future's outcome.
 * Cancelling the outer future (directly, or by cancelling a task that awaits
 * it) cancels only the outer future: @future keeps running. A task that does
 * `bridge_await (shielded, &error)` and gets cancelled therefore sees
 * %G_IO_ERROR_CANCELLED at once while the work goes on.
 *
 * If @future is cancelled by someone else, the outer future ends cancelled
 * too. If the outer future was cancelled and @future fails later, the error
 * is not swallowed: nobody retrieved it, so the loop's exception handler
 * reports it when @future is freed, as asyncio does. A pointer result is
 * lent by @future, which the outer future keeps alive.
 *
 * If @future is already done it is returned itself (with a new reference),
 * as asyncio does.
 *
 * Returns: (transfer full): the outer future, or @future when it is done
 *
 * Since: 0.1
 */
BridgeFuture *
bridge_shield (BridgeFuture *future)
{
  BridgeShield *self;

  g_return_val_if_fail (future != NULL, NULL);

  if (!_bridge_future_is_pending (future))
    return bridge_future_ref (future);

  self = _bridge_future_new_of_class (&shield_class, bridge_future_get_loop (future));
  self->inner = bridge_future_ref (future);

  /* The inner callback holds the outer future until the inner one is done
   * or the callback is removed by shield_outer_done_cb(); the outer's own
   * callback needs no reference, the future outlives its callbacks. */
  bridge_future_add_done_callback (future, shield_inner_done_cb,
                                   bridge_future_ref (BRIDGE_FUTURE (self)),
                                   (GDestroyNotify) bridge_future_unref);
  bridge_future_add_done_callback (BRIDGE_FUTURE (self), shield_outer_done_cb, NULL, NULL);

  return BRIDGE_FUTURE (self);
}
