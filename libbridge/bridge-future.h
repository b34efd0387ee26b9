/* bridge-future.h
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

#define BRIDGE_TYPE_FUTURE (bridge_future_get_type ())

BRIDGE_AVAILABLE_IN_ALL
GType          bridge_future_get_type              (void) G_GNUC_CONST;
BRIDGE_AVAILABLE_IN_ALL
BridgeFuture  *bridge_future_new                   (void) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeFuture  *bridge_future_new_for_loop          (BridgeLoop            *loop) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeFuture  *bridge_future_ref                   (BridgeFuture          *future);
BRIDGE_AVAILABLE_IN_ALL
void           bridge_future_unref                 (BridgeFuture          *future);
BRIDGE_AVAILABLE_IN_ALL
BridgeLoop    *bridge_future_get_loop              (BridgeFuture          *future);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_future_is_done               (BridgeFuture          *future);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_future_is_cancelled          (BridgeFuture          *future);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_future_is_task               (BridgeFuture          *future);
BRIDGE_AVAILABLE_IN_ALL
const char    *bridge_future_get_label             (BridgeFuture          *future);
BRIDGE_AVAILABLE_IN_ALL
void           bridge_future_set_label             (BridgeFuture          *future,
                                                    const char            *label);

BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_future_set_value             (BridgeFuture          *future,
                                                    const GValue          *value,
                                                    GError               **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_future_set_object            (BridgeFuture          *future,
                                                    gpointer               object,
                                                    GError               **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_future_set_pointer           (BridgeFuture          *future,
                                                    gpointer               pointer,
                                                    GDestroyNotify         destroy,
                                                    GError               **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_future_set_boolean           (BridgeFuture          *future,
                                                    gboolean               value,
                                                    GError               **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_future_set_int64             (BridgeFuture          *future,
                                                    gint64                 value,
                                                    GError               **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_future_set_double            (BridgeFuture          *future,
                                                    double                 value,
                                                    GError               **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_future_set_string            (BridgeFuture          *future,
                                                    const char            *value,
                                                    GError               **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_future_set_error             (BridgeFuture          *future,
                                                    GError                *error_to_set,
                                                    GError               **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_future_cancel                (BridgeFuture          *future,
                                                    const char            *message);

BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_future_get_value             (BridgeFuture          *future,
                                                    GValue                *value,
                                                    GError               **error);
BRIDGE_AVAILABLE_IN_ALL
gpointer       bridge_future_get_object            (BridgeFuture          *future,
                                                    GError               **error);
BRIDGE_AVAILABLE_IN_ALL
gpointer       bridge_future_get_pointer           (BridgeFuture          *future,
                                                    GError               **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_future_get_boolean           (BridgeFuture          *future,
                                                    GError               **error);
BRIDGE_AVAILABLE_IN_ALL
gint64         bridge_future_get_int64             (BridgeFuture          *future,
                                                    GError               **error);
BRIDGE_AVAILABLE_IN_ALL
double         bridge_future_get_double            (BridgeFuture          *future,
                                                    GError               **error);
BRIDGE_AVAILABLE_IN_ALL
const char    *bridge_future_get_string            (BridgeFuture          *future,
                                                    GError               **error);
BRIDGE_AVAILABLE_IN_ALL
const GError  *bridge_future_get_error             (BridgeFuture          *future);

BRIDGE_AVAILABLE_IN_ALL
void           bridge_future_add_done_callback     (BridgeFuture          *future,
                                                    BridgeFutureCallback   callback,
                                                    gpointer               user_data,
                                                    GDestroyNotify         destroy);
BRIDGE_AVAILABLE_IN_ALL
guint          bridge_future_remove_done_callback  (BridgeFuture          *future,
                                                    BridgeFutureCallback   callback,
                                                    gpointer               user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeFuture, bridge_future_unref)

G_END_DECLS
