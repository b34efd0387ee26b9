/* bridge-fd.h
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

BRIDGE_AVAILABLE_IN_ALL
void          bridge_loop_add_reader     (BridgeLoop      *loop,
                                          int              fd,
                                          BridgeCallback   callback,
                                          gpointer         user_data,
                                          GDestroyNotify   destroy);
BRIDGE_AVAILABLE_IN_ALL
gboolean      bridge_loop_remove_reader  (BridgeLoop      *loop,
                                          int              fd);
BRIDGE_AVAILABLE_IN_ALL
void          bridge_loop_add_writer     (BridgeLoop      *loop,
                                          int              fd,
                                          BridgeCallback   callback,
                                          gpointer         user_data,
                                          GDestroyNotify   destroy);
BRIDGE_AVAILABLE_IN_ALL
gboolean      bridge_loop_remove_writer  (BridgeLoop      *loop,
                                          int              fd);
BRIDGE_AVAILABLE_IN_ALL
GIOCondition  bridge_await_fd            (int              fd,
                                          GIOCondition     condition,
                                          GError         **error);

G_END_DECLS
