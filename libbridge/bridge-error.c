/* bridge-error.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "bridge-error.h"

/**
 * bridge_error_quark:
 *
 * The domain of [error@Bridge.Error]; use the %BRIDGE_ERROR macro in C.
 *
 * Returns: the quark `bridge-error-quark`
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (bridge-error-quark, bridge_error)
