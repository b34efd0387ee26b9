/* gather-sleeps.c: asyncio's classic, in C.
 *
 *     async def main():
 *         results = await asyncio.gather(nap(0.3, "a"), nap(0.1, "b"), nap(0.2, "c"))
 *
 * Three tasks sleep concurrently; gather returns their results in argument
 * order, after about 0.3 s rather than 0.6 s.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <libbridge.h>
#include <stdio.h>

typedef struct
{
  double      seconds;
  const char *word;
} Nap;

static void
nap (BridgeTask *task,
     gpointer    user_data)
{
  Nap *n = user_data;
  GError *error = NULL;

  if (!bridge_sleep (n->seconds, &error))
    {
      bridge_task_return_error (task, error);
      return;
    }
  printf ("%s woke up after %.1f s\n", n->word, n->seconds);
  bridge_task_return_string (task, n->word);
}

static void
main_task (BridgeTask *task,
           gpointer    user_data)
{
  static Nap naps[] = { { 0.3, "a" }, { 0.1, "b" }, { 0.2, "c" } };
  BridgeFuture *children[G_N_ELEMENTS (naps)];
  g_autoptr(BridgeFuture) all = NULL;
  g_autoptr(GPtrArray) results = NULL;
  GError *error = NULL;
  double start = bridge_loop_time (bridge_loop_get_default ());

  for (guint i = 0; i < G_N_ELEMENTS (naps); i++)
    children[i] = BRIDGE_FUTURE (bridge_spawn (nap, &naps[i], NULL));

  all = bridge_gather (children, G_N_ELEMENTS (children), FALSE);
  results = bridge_await_pointer (all, &error);   /* a GPtrArray of the children */
  for (guint i = 0; i < G_N_ELEMENTS (children); i++)
    bridge_future_unref (children[i]);
  if (results == NULL)
    {
      bridge_task_return_error (task, error);
      return;
    }

  printf ("results in argument order:");
  for (guint i = 0; i < results->len; i++)
    printf (" %s", bridge_future_get_string (g_ptr_array_index (results, i), NULL));
  printf (" (%.1f s in all)\n", bridge_loop_time (bridge_loop_get_default ()) - start);
}

int
main (void)
{
  g_autoptr(GError) error = NULL;

  if (!bridge_run (main_task, NULL, &error))
    {
      g_printerr ("gather-sleeps: %s\n", error->message);
      return 1;
    }
  return 0;
}
