/* bridge-executor-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "bridge-executor.h"

G_BEGIN_DECLS

void _bridge_executor_submit (gpointer job,
                              gpointer executor);

G_END_DECLS
