/* bridge-subprocess.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_INSIDE) && !defined (BRIDGE_COMPILATION)
# error "Only <libbridge.h> can be included directly."
#endif

#include <gio/gio.h>

#include "bridge-stream-reader.h"
#include "bridge-types.h"

G_BEGIN_DECLS

BRIDGE_AVAILABLE_IN_ALL
gboolean  bridge_subprocess_wait        (GSubprocess  *subprocess,
                                         GError      **error);
BRIDGE_AVAILABLE_IN_ALL
gboolean  bridge_subprocess_wait_check  (GSubprocess  *subprocess,
                                         GError      **error);

BRIDGE_AVAILABLE_IN_ALL
gboolean             bridge_subprocess_communicate         (GSubprocess   *subprocess,
                                                            GBytes        *stdin_buf,
                                                            GBytes       **stdout_buf,
                                                            GBytes       **stderr_buf,
                                                            GError       **error);
BRIDGE_AVAILABLE_IN_ALL
BridgeStreamReader  *bridge_subprocess_get_stdout_reader   (GSubprocess   *subprocess) G_GNUC_WARN_UNUSED_RESULT;
BRIDGE_AVAILABLE_IN_ALL
BridgeStreamReader  *bridge_subprocess_get_stderr_reader   (GSubprocess   *subprocess) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
