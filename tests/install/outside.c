/* outside.c: a program that knows libbridge only through pkg-config, as an
 * application embedding the installed library would.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <libbridge.h>
#include <stdio.h>

static void
child (BridgeTask *task,
       gpointer    user_data)
{
  if (bridge_sleep (0.01, NULL))
    bridge_task_return_int64 (task, GPOINTER_TO_INT (user_data) * 2);
}

static void
main_task (BridgeTask *task,
           gpointer    user_data)
{
  g_autoptr(BridgeTask) a = bridge_spawn (child, GINT_TO_POINTER (20), NULL);
  g_autoptr(BridgeTask) b = bridge_spawn (child, GINT_TO_POINTER (1), NULL);
  gint64 sum = bridge_await_int64 (BRIDGE_FUTURE (a), NULL) + bridge_await_int64 (BRIDGE_FUTURE (b), NULL);

  bridge_task_return_int64 (task, sum);
}

int
main (void)
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (NULL);
  g_autoptr(BridgeTask) task = bridge_spawn_full (loop, "main", BRIDGE_STACK_SIZE_DEFAULT,
                                                  main_task, NULL, NULL);

  if (!bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (task), NULL))
    return 1;
  printf ("libbridge %s: %" G_GINT64_FORMAT "\n", BRIDGE_VERSION_S,
          bridge_future_get_int64 (BRIDGE_FUTURE (task), NULL));
  return bridge_future_get_int64 (BRIDGE_FUTURE (task), NULL) == 42 ? 0 : 1;
}
