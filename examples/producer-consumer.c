/* producer-consumer.c: a bounded queue between tasks.
 *
 * Two producers put numbered jobs into a BridgeQueue of at most four items
 * (a full queue parks the producer: back-pressure); three consumers take
 * them, mark each done, and stop when the queue is shut down after
 * bridge_queue_join() saw every job processed. asyncio's Queue example, in C.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <libbridge.h>
#include <stdio.h>

#define JOBS_PER_PRODUCER 10

typedef struct
{
  BridgeQueue *queue;
  int          id;
  int          processed;
} Worker;

static void
producer (BridgeTask *task,
          gpointer    user_data)
{
  Worker *w = user_data;
  GError *error = NULL;

  for (int i = 0; i < JOBS_PER_PRODUCER; i++)
    {
      int job = w->id * 100 + i;

      /* Parks while the queue is full. */
      if (!bridge_queue_put (w->queue, GINT_TO_POINTER (job), &error))
        {
          bridge_task_return_error (task, error);
          return;
        }
    }
}

static void
consumer (BridgeTask *task,
          gpointer    user_data)
{
  Worker *w = user_data;

  for (;;)
    {
      gpointer item = NULL;
      GError *error = NULL;

      if (!bridge_queue_get (w->queue, &item, &error))
        {
          /* Shut down: every job was processed. */
          gboolean shut_down = g_error_matches (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_SHUT_DOWN);

          g_error_free (error);
          if (shut_down)
            return;
          bridge_task_return_new_error (task, BRIDGE_ERROR, BRIDGE_ERROR_FAILED, "get failed");
          return;
        }

      if (!bridge_sleep (0.002, NULL))   /* "work" */
        return;
      printf ("consumer %d did job %d\n", w->id, GPOINTER_TO_INT (item));
      w->processed++;
      bridge_queue_task_done (w->queue, NULL);
    }
}

static void
main_task (BridgeTask *task,
           gpointer    user_data)
{
  g_autoptr(BridgeQueue) queue = bridge_queue_new (4);
  Worker producers[2], consumers[3];
  BridgeTask *tasks[5];
  GError *error = NULL;
  int total = 0;

  for (int i = 0; i < 3; i++)
    {
      consumers[i] = (Worker) { queue, i + 1, 0 };
      tasks[i] = bridge_spawn (consumer, &consumers[i], NULL);
    }
  for (int i = 0; i < 2; i++)
    {
      producers[i] = (Worker) { queue, i + 1, 0 };
      tasks[3 + i] = bridge_spawn (producer, &producers[i], NULL);
    }

  /* Wait for the producers, then until every job was marked done. */
  for (int i = 3; i < 5; i++)
    bridge_await (BRIDGE_FUTURE (tasks[i]), NULL);
  if (!bridge_queue_join (queue, &error))
    {
      bridge_task_return_error (task, error);
      return;
    }
  bridge_queue_shutdown (queue, FALSE);

  for (int i = 0; i < 3; i++)
    {
      bridge_await (BRIDGE_FUTURE (tasks[i]), NULL);
      total += consumers[i].processed;
    }
  for (int i = 0; i < 5; i++)
    bridge_task_unref (tasks[i]);

  printf ("%d jobs processed by 3 consumers\n", total);
  if (total != 2 * JOBS_PER_PRODUCER)
    bridge_task_return_new_error (task, BRIDGE_ERROR, BRIDGE_ERROR_FAILED,
                                  "expected %d jobs, got %d", 2 * JOBS_PER_PRODUCER, total);
}

int
main (void)
{
  g_autoptr(GError) error = NULL;

  if (!bridge_run (main_task, NULL, &error))
    {
      g_printerr ("producer-consumer: %s\n", error->message);
      return 1;
    }
  return 0;
}
