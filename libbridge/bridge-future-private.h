/* bridge-future-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before bridge-future-private.h"
#endif

#include "bridge-future.h"
#include "bridge-loop-private.h"

G_BEGIN_DECLS

typedef enum
{
  BRIDGE_FUTURE_PENDING,
  BRIDGE_FUTURE_FINISHED,
  BRIDGE_FUTURE_CANCELLED,
} BridgeFutureState;

/* A live future's magic byte, and the ref_count a freed one is left with:
 * what bridge_future_check_instance_cast() and unref() look at to report a
 * cast of something else, or one unref too many. */
#define BRIDGE_FUTURE_MAGIC 0xb7
#define BRIDGE_FUTURE_FREED (-0x1bad)

typedef enum
{
  BRIDGE_RESULT_NONE,
  BRIDGE_RESULT_VALUE,
  BRIDGE_RESULT_POINTER,
  BRIDGE_RESULT_ERROR,
} BridgeResultKind;

/* Future subtypes (tasks, gathering futures, …) are a struct that starts with
 * a BridgeFuture and a static class with the few behaviours that differ.
 * Futures are not GObjects on purpose: g_object_new() and its qdata and
 * toggle-ref machinery cost more than the whole spawn budget of a task. */
typedef struct _BridgeFutureClass BridgeFutureClass;
struct _BridgeFutureClass
{
  const char *type_name;        /* "Future", "Task", …: used in diagnostics */
  gsize       instance_size;
  /* 1 + the BRIDGE_BLOCK_ size class for the kinds made by the million
   * (pooled and cached blocks); 0 for the others. */
  guint       block_class;
  /* What inspectors show when no label was set; NULL: the type name. */
  const char *(*label) (BridgeFuture *future);
  /* Request cancellation; NULL means: complete as cancelled right away. */
  gboolean  (*cancel)   (BridgeFuture *future,
                         const char   *message);
  /* Free what the subtype owns; the base fields are freed afterwards. */
  void      (*finalize) (BridgeFuture *future);
};

typedef struct
{
  union {
    BridgeFutureCallback func;
    BridgeReadyFunc      waker;     /* first_callback only, see first_is_waker */
  };
  gpointer             data;
  GDestroyNotify       destroy;
} BridgeFutureCallbackEntry;

struct _BridgeFuture
{
  const BridgeFutureClass  *klass;
  BridgeLoop               *loop;
  gint                      ref_count;
  guint8                    state;          /* BridgeFutureState */
  guint8                    result_kind;    /* BridgeResultKind */
  guint                     error_retrieved : 1;
  guint                     callbacks_scheduled : 1;
  guint                     first_is_waker : 1;   /* see _bridge_future_add_waker() */
  guint8                    magic;          /* BRIDGE_FUTURE_MAGIC, for checked casts */
  union {
    GValue                  value;
    struct {
      gpointer              pointer;
      GDestroyNotify        destroy;
    } pointer;
  } result;
  GError                   *error;          /* also set when cancelled */
  const char               *label;          /* interned; what inspectors show */
  /* Most futures have one waiter: keep it inline, the rest in an array. */
  BridgeFutureCallbackEntry first_callback;
  GArray                   *more_callbacks;
};

extern const BridgeFutureClass _bridge_future_class;
extern const BridgeFutureClass _bridge_task_class;

gpointer  _bridge_future_new_of_class       (const BridgeFutureClass *klass,
                                             BridgeLoop              *loop);
gboolean  _bridge_future_cancel_default     (BridgeFuture            *future,
                                             const char              *message);
gboolean  _bridge_future_complete_value     (BridgeFuture            *future,
                                             const GValue            *value,
                                             GError                 **error);
gboolean  _bridge_future_complete_value_take (BridgeFuture           *future,
                                             GValue                 *value,
                                             GError                **error);
gboolean  _bridge_future_complete_pointer   (BridgeFuture            *future,
                                             gpointer                 pointer,
                                             GDestroyNotify           destroy,
                                             GError                 **error);
gboolean  _bridge_future_complete_error     (BridgeFuture            *future,
                                             GError                  *error_to_set,
                                             GError                 **error);
gboolean  _bridge_future_complete_copy      (BridgeFuture            *future,
                                             BridgeFuture            *source,
                                             GError                 **error);
gboolean  _bridge_future_propagate          (BridgeFuture            *future,
                                             GError                 **error);
guint     _bridge_future_remove_callback    (BridgeFuture            *future,
                                             BridgeFutureCallback     callback,
                                             gpointer                 user_data);
void      _bridge_future_release_callbacks  (BridgeFuture            *future);
gboolean  _bridge_future_add_waker          (BridgeFuture            *future,
                                             BridgeReadyFunc          waker,
                                             gpointer                 data,
                                             GDestroyNotify           destroy);
gboolean  _bridge_future_remove_waker       (BridgeFuture            *future,
                                             BridgeReadyFunc          waker,
                                             gpointer                 data);
gpointer  _bridge_future_steal_pointer      (BridgeFuture            *future);
GError   *_bridge_future_new_cancelled_error (const char             *message);
void      _bridge_future_report_freed       (BridgeFuture            *future,
                                             const char              *function);

/* For the ref and unref functions of subtypes, which report under their own
 * name. */
static inline gboolean
_bridge_future_check_alive (BridgeFuture *future,
                            const char   *function)
{
  if (G_LIKELY (g_atomic_int_get (&future->ref_count) > 0))
    return TRUE;
  _bridge_future_report_freed (future, function);
  return FALSE;
}

static inline gboolean
_bridge_future_is_pending (BridgeFuture *future)
{
  return future->state == BRIDGE_FUTURE_PENDING;
}

G_END_DECLS
