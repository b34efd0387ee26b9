/* bridge-task-local-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "bridge-task-local.h"

G_BEGIN_DECLS

/* A task's values of its task-locals: shared, copy on write. */
typedef struct _BridgeTaskLocals BridgeTaskLocals;

/* What a task spawned now inherits: @parent's values (NULL: the calling
 * thread's, outside any task). */
BridgeTaskLocals *_bridge_task_locals_inherit (BridgeTask       *parent);
void              _bridge_task_locals_unref   (BridgeTaskLocals *locals);

G_END_DECLS
