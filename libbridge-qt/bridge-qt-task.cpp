/* bridge-qt-task.cpp
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "libbridge-qt.h"

namespace Bridge {
namespace Detail {

void
destroy_box (gpointer box)
{
  delete static_cast<BoxBase *> (box);
}

/* An exception leaving the body would unwind through libbridge's C frames
 * (not built for exceptions) and off the top of the fiber's stack, where no
 * handler can be: std::terminate() at best. It is a bug in the body, so say
 * so loudly, and fail the task instead. */
void
report_escaped_exception (BridgeTask *task,
                          const char *what)
{
  const char *name = bridge_task_get_name (task);

  g_critical ("Bridge::spawn: an exception escaped the body of task '%s'%s%s; "
              "catch it inside the task and return an Error",
              name != nullptr ? name : "(unnamed)",
              what != nullptr ? ": " : "", what != nullptr ? what : "");
  bridge_task_return_new_error (task, BRIDGE_ERROR, BRIDGE_ERROR_FAILED,
                                "an exception escaped the task: %s",
                                what != nullptr ? what : "(not a std::exception)");
}

} // namespace Detail
} // namespace Bridge
