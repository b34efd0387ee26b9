/* bridge-runner.h
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

#define BRIDGE_TYPE_RUNNER (bridge_runner_get_type ())

BRIDGE_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BridgeRunner, bridge_runner, BRIDGE, RUNNER, GObject)

BRIDGE_AVAILABLE_IN_ALL
BridgeRunner  *bridge_runner_new       (void) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeLoop    *bridge_runner_get_loop  (BridgeRunner     *runner);
BRIDGE_AVAILABLE_IN_ALL
gboolean       bridge_runner_run       (BridgeRunner     *runner,
                                        BridgeTaskFunc    func,
                                        gpointer          user_data,
                                        GDestroyNotify    destroy,
                                        BridgeTask      **task,
                                        GError          **error);
BRIDGE_AVAILABLE_IN_ALL
void           bridge_runner_close     (BridgeRunner     *runner);

G_END_DECLS
