/* bridge-task-group.h
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

#define BRIDGE_TYPE_TASK_GROUP (bridge_task_group_get_type ())

typedef struct _BridgeTaskGroup BridgeTaskGroup;

BRIDGE_AVAILABLE_IN_ALL
GType             bridge_task_group_get_type     (void) G_GNUC_CONST;
BRIDGE_AVAILABLE_IN_ALL
BridgeTaskGroup  *bridge_task_group_new          (void) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeTaskGroup  *bridge_task_group_ref          (BridgeTaskGroup   *group);
BRIDGE_AVAILABLE_IN_ALL
void              bridge_task_group_unref        (BridgeTaskGroup   *group);
BRIDGE_AVAILABLE_IN_ALL
BridgeTask       *bridge_task_group_spawn        (BridgeTaskGroup   *group,
                                                  BridgeTaskFunc     func,
                                                  gpointer           user_data,
                                                  GDestroyNotify     destroy,
                                                  GError           **error);
BRIDGE_AVAILABLE_IN_ALL
BridgeTask       *bridge_task_group_spawn_full   (BridgeTaskGroup   *group,
                                                  const char        *name,
                                                  gsize              stack_size,
                                                  BridgeTaskFunc     func,
                                                  gpointer           user_data,
                                                  GDestroyNotify     destroy,
                                                  GError           **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean          bridge_task_group_wait         (BridgeTaskGroup   *group,
                                                  GError           **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean          bridge_task_group_wait_full    (BridgeTaskGroup   *group,
                                                  const GError      *body_error,
                                                  GError           **error);
BRIDGE_AVAILABLE_IN_ALL
GPtrArray        *bridge_task_group_get_errors   (BridgeTaskGroup   *group);
BRIDGE_AVAILABLE_IN_ALL
guint             bridge_task_group_get_n_tasks  (BridgeTaskGroup   *group);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BridgeTaskGroup, bridge_task_group_unref)

G_END_DECLS
