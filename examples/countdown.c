/* countdown.c: three tasks count down side by side while the main task
 * waits for all of them: the smallest complete libbridge program.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <libbridge.h>
#include <stdio.h>

typedef struct
{
  const char *name;
  int         count;
  double      interval;
} Countdown;

static void
countdown (BridgeTask *task,
           gpointer    user_data)
{
  Countdown *cd = user_data;
  GError *error = NULL;

  for (int i = cd->count; i > 0; i--)
    {
      printf ("%-8s %d\n", cd->name, i);
      /* Each sleep parks this task; the other two keep running meanwhile. */
      if (!bridge_sleep (cd->interval, &error))
        {
          bridge_task_return_error (task, error);
          return;
        }
    }

  printf ("%-8s liftoff after %.1f s\n", cd->name, cd->count * cd->interval);
  bridge_task_return_int64 (task, cd->count);
}

static void
main_task (BridgeTask *task,
           gpointer    user_data)
{
  static Countdown countdowns[] = {
    { "apollo", 3, 0.30 },
    { "gemini", 5, 0.15 },
    { "vostok", 2, 0.50 },
  };
  BridgeTask *tasks[G_N_ELEMENTS (countdowns)];
  gint64 total = 0;
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (countdowns); i++)
    tasks[i] = bridge_spawn_full (NULL, countdowns[i].name, BRIDGE_STACK_SIZE_DEFAULT,
                                  countdown, &countdowns[i], NULL);

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    {
      total += bridge_await_int64 (BRIDGE_FUTURE (tasks[i]), &error);
      bridge_task_unref (tasks[i]);
      if (error != NULL)
        {
          bridge_task_return_error (task, error);
          return;
        }
    }

  printf ("all %d countdowns done, %" G_GINT64_FORMAT " ticks in total\n",
          (int) G_N_ELEMENTS (tasks), total);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;

  if (!bridge_run (main_task, NULL, &error))
    {
      g_printerr ("countdown: %s\n", error->message);
      return 1;
    }
  return 0;
}
