/* bridge-error.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-error.h"

G_DEFINE_QUARK (bridge-error-quark, bridge_error)
