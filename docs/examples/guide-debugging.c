/* guide-debugging.c: the program of the guide "Debugging".
 *
 * Debug mode names slow steps, the task list shows where each task is
 * parked, the exception handler receives errors nobody retrieved, and a
 * stack overflow in a task is reported with the task's name and stack size.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libbridge.h>
#include <stdio.h>
#include <string.h>

static guint n_slow_reports;
static guint n_unretrieved;

static void
busy (BridgeTask *task,
      gpointer    user_data)
{
  g_usleep (30 * 1000);                     /* blocks the loop: a slow step */
}

static void
parked (BridgeTask *task,
        gpointer    user_data)
{
  bridge_sleep (10, NULL);
}

static void
failing (BridgeTask *task,
         gpointer    user_data)
{
  bridge_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such file");
}

static void
print_tasks (BridgeLoop *loop)
{
  static const char *states[] = { "scheduled", "running", "parked", "done" };
  g_autoptr(GPtrArray) tasks = bridge_loop_list_tasks (loop);

  for (guint i = 0; i < tasks->len; i++)
    {
      BridgeTask *task = g_ptr_array_index (tasks, i);
      gint64 since = bridge_task_get_parked_since (task);

      g_print ("%-10s %-9s %s\n", bridge_task_get_name (task),
               states[bridge_task_get_state (task)],
               since != 0 ? "awaiting a future" : "");
    }
}

static void
on_exception (BridgeLoop   *loop,
              const char   *message,
              const GError *error,
              BridgeFuture *future,
              gpointer      user_data)
{
  /* "Task exception was never retrieved": log it where it will be seen. */
  g_print ("exception handler: %s: %s\n", message, error ? error->message : "");
  n_unretrieved++;
}

static GLogWriterOutput
count_slow_steps (GLogLevelFlags   level,
                  const GLogField *fields,
                  gsize            n_fields,
                  gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") &&
        g_str_has_prefix (fields[i].value, "Executing <Task name='busy'>"))
      n_slow_reports++;
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static guint
dig (guint depth)
{
  volatile char frame[4096];

  frame[0] = (char) depth;
  if (depth == G_MAXUINT)                   /* never: the stack ends first */
    return 0;
  return dig (depth + 1) + frame[0];
}

static void
overflow_the_stack (BridgeTask *task,
                    gpointer    user_data)
{
  bridge_task_return_int64 (task, dig (0));
}

static int
report_an_overflow (const char *self)
{
  const char *argv[] = { self, "--overflow", NULL };
  g_autofree char *err = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status, NULL);
  fputs (err, stdout);                      /* g_print() would recode the quotes */
  return strstr (err, "stack overflow in task “deep”") != NULL ? 0 : 1;
}

int
main (int   argc,
      char *argv[])
{
  BridgeLoop *loop = bridge_loop_get_default ();
  g_autoptr(BridgeTask) slow = NULL;
  g_autoptr(BridgeTask) sleeper = NULL;

  if (argc > 1 && g_str_equal (argv[1], "--overflow"))
    {
      g_autoptr(BridgeTask) deep = bridge_spawn_full (NULL, "deep", 64 * 1024, overflow_the_stack, NULL, NULL);

      bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (deep), NULL);
      return 0;                             /* not reached: the report aborts */
    }

  g_log_set_writer_func (count_slow_steps, NULL, NULL);
  bridge_loop_set_debug (loop, TRUE);       /* or BRIDGE_DEBUG=1 in the environment */
  bridge_loop_set_slow_callback_duration (loop, 0.01);
  bridge_loop_set_exception_handler (loop, on_exception, NULL, NULL);

  slow = bridge_spawn_full (loop, "busy", BRIDGE_STACK_SIZE_DEFAULT, busy, NULL, NULL);
  sleeper = bridge_spawn_full (loop, "sleeper", BRIDGE_STACK_SIZE_DEFAULT, parked, NULL, NULL);
  bridge_task_unref (bridge_spawn_full (loop, "failing", BRIDGE_STACK_SIZE_DEFAULT, failing, NULL, NULL));
  bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (slow), NULL);

  print_tasks (loop);

  bridge_task_cancel (sleeper, NULL);
  bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (sleeper), NULL);

  if (n_slow_reports != 1 || n_unretrieved != 1)
    {
      g_printerr ("expected one slow step and one unretrieved error, got %u and %u\n",
                  n_slow_reports, n_unretrieved);
      return 1;
    }
  return report_an_overflow (argv[0]);
}
