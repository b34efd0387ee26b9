/* bridge-version-macros.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_INSIDE) && !defined (BRIDGE_COMPILATION)
# error "Only <libbridge.h> can be included directly."
#endif

#include <glib.h>

/* Symbols are hidden by default (gnu_symbol_visibility: 'hidden'); config.h
 * turns _BRIDGE_EXTERN into the visibility attribute while building the
 * library, and consumers see a plain extern. */
#ifndef _BRIDGE_EXTERN
# define _BRIDGE_EXTERN extern
#endif

#define BRIDGE_AVAILABLE_IN_ALL _BRIDGE_EXTERN
