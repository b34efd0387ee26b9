/* libbridge-qt.h: libbridge in Qt 6 applications, in C++.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

/* GIO's headers name struct fields `signals`, which Qt defines as a keyword
 * macro unless QT_NO_KEYWORDS: include libbridge with Qt's keywords out of
 * the way, whatever the including file included before. */
#pragma push_macro ("signals")
#pragma push_macro ("slots")
#pragma push_macro ("emit")
#undef signals
#undef slots
#undef emit
#include <libbridge.h>
#pragma pop_macro ("emit")
#pragma pop_macro ("slots")
#pragma pop_macro ("signals")

#define BRIDGE_QT_INSIDE
# include "bridge-qt-error.h"
# include "bridge-qt-handle.h"
# include "bridge-qt-loop.h"
# include "bridge-qt-task.h"
# include "bridge-qt-signal.h"
# include "bridge-qt-connect.h"
#undef BRIDGE_QT_INSIDE
