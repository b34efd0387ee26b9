/* libbridge.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>
#include <glib-object.h>
#include <gio/gio.h>

#define BRIDGE_INSIDE
# include "bridge-version.h"
# include "bridge-version-macros.h"
# include "bridge-types.h"
# include "bridge-error.h"
# include "bridge-handle.h"
# include "bridge-loop.h"
# include "bridge-future.h"
# include "bridge-task.h"
/* @BRIDGE_PUBLIC_HEADERS@ : issue-3/4 headers are added below this line */
#undef BRIDGE_INSIDE
