/* bridge-unix-signal.h
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
gboolean  bridge_loop_add_signal_handler     (BridgeLoop      *loop,
                                              int              signum,
                                              BridgeCallback   callback,
                                              gpointer         user_data,
                                              GDestroyNotify   destroy,
                                              GError         **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean  bridge_loop_remove_signal_handler  (BridgeLoop      *loop,
                                              int              signum);
BRIDGE_AVAILABLE_IN_ALL
gboolean  bridge_await_unix_signal           (int              signum,
                                              GError         **error);

G_END_DECLS
