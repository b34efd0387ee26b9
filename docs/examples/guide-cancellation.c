/* guide-cancellation.c: the program of the guide "Cancellation and
 * timeouts".
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib-unix.h>
#include <gio/gunixinputstream.h>
#include <libbridge.h>
#include <unistd.h>

static gboolean cleaned_up;

static void
worker (BridgeTask *task,
        gpointer    user_data)
{
  g_autoptr(GError) error = NULL;

  if (!bridge_sleep (10, &error))
    {
      /* The request arrives as an error from the await the task is parked
       * in. Clean up, then end: returning without a result ends the task
       * cancelled, as re-raising CancelledError does in asyncio. */
      g_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
      cleaned_up = TRUE;
      return;
    }
  bridge_task_return_string (task, "finished");
}

static gboolean
cancel_a_task (void)
{
  g_autoptr(BridgeTask) task = bridge_spawn (worker, NULL, NULL);

  bridge_sleep (0.01, NULL);               /* let it start and park */
  bridge_task_cancel (task, "user pressed Stop");
  bridge_await (BRIDGE_FUTURE (task), NULL);

  return cleaned_up && bridge_future_is_cancelled (BRIDGE_FUTURE (task));
}

static void
stubborn (BridgeTask *task,
          gpointer    user_data)
{
  g_autoptr(GError) error = NULL;

  if (!bridge_sleep (10, &error))
    {
      /* Suppressing a cancellation: withdraw the request, then carry on. */
      bridge_task_uncancel (task);
      bridge_task_return_string (task, "carried on");
    }
}

static gboolean
suppress_a_cancellation (void)
{
  g_autoptr(BridgeTask) task = bridge_spawn (stubborn, NULL, NULL);
  g_autofree char *outcome = NULL;

  bridge_sleep (0.01, NULL);
  bridge_task_cancel (task, NULL);
  outcome = bridge_await_string (BRIDGE_FUTURE (task), NULL);
  return g_strcmp0 (outcome, "carried on") == 0;
}

static gboolean
timeout_scope (void)
{
  /* async with asyncio.timeout (0.05): */
  BridgeTimeout *scope = bridge_timeout_begin (0.05);
  GError *error = NULL;

  if (bridge_sleep (1, &error))
    bridge_sleep (1, &error);
  bridge_timeout_end (scope, &error);

  /* The scope turned its own cancellation into a timeout. */
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return FALSE;
  g_clear_error (&error);
  return TRUE;
}

static void
save_document (BridgeTask *task,
               gpointer    user_data)
{
  if (bridge_sleep (0.05, NULL))
    bridge_task_return_string (task, "saved");
}

static gboolean
shield_a_save (void)
{
  g_autoptr(BridgeTask) save = bridge_spawn (save_document, NULL, NULL);
  g_autoptr(BridgeFuture) shielded = bridge_shield (BRIDGE_FUTURE (save));
  g_autoptr(GError) error = NULL;

  /* Giving up on waiting does not stop the save itself. */
  if (bridge_wait_for (shielded, 0.01, &error))
    return FALSE;
  bridge_await (BRIDGE_FUTURE (save), NULL);
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) &&
         g_strcmp0 (bridge_future_get_string (BRIDGE_FUTURE (save), NULL), "saved") == 0;
}

static void
read_forever (BridgeTask *task,
              gpointer    user_data)
{
  GInputStream *stream = user_data;
  g_autoptr(GBytes) bytes = NULL;
  GError *error = NULL;

  /* A GIO call made with the task's cancellable stops at the socket or
   * pipe when the task is cancelled. */
  bytes = bridge_input_stream_read_bytes (stream, 4096, G_PRIORITY_DEFAULT, &error);
  if (bytes == NULL)
    bridge_task_return_error (task, error);
}

static gboolean
cancel_reaches_gio (void)
{
  int fds[2];
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(BridgeTask) reader = NULL;
  gboolean ok;

  if (!g_unix_open_pipe (fds, FD_CLOEXEC, NULL))
    return FALSE;
  stream = g_unix_input_stream_new (fds[0], TRUE);
  reader = bridge_spawn (read_forever, stream, NULL);

  bridge_sleep (0.01, NULL);               /* nothing is ever written */
  bridge_task_cancel (reader, NULL);
  ok = !bridge_await (BRIDGE_FUTURE (reader), NULL) &&
       bridge_future_is_cancelled (BRIDGE_FUTURE (reader));
  close (fds[1]);
  return ok;
}

static void
main_task (BridgeTask *task,
           gpointer    user_data)
{
  if (!cancel_a_task () || !suppress_a_cancellation () || !timeout_scope () ||
      !shield_a_save () || !cancel_reaches_gio ())
    bridge_task_return_new_error (task, BRIDGE_ERROR, BRIDGE_ERROR_FAILED,
                                  "cancellation did not behave as the guide says");
}

int
main (void)
{
  g_autoptr(GError) error = NULL;

  if (!bridge_run (main_task, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  g_print ("cancellation and timeouts behaved as documented\n");
  return 0;
}
