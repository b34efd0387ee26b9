/* test-queue.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libbridge.h>

#include "test-sync-util.h"

#define ITEM(i)     GUINT_TO_POINTER ((guint) (i) + 1)
#define ITEM_ID(p)  (GPOINTER_TO_UINT (p) - 1)

typedef struct
{
  BridgeQueue *queue;
  GString     *log;
  guint        arrived;
} QueueTest;

static void
queue_test_init (QueueTest   *t,
                 BridgeQueue *queue)
{
  t->queue = queue;
  t->log = g_string_new (NULL);
}

static void
queue_test_clear (QueueTest *t)
{
  g_clear_pointer (&t->queue, bridge_queue_unref);
  g_string_free (t->log, TRUE);
}

/* Gets one item and logs "<name>=<id>", or "<name>:<reason>". */
static void
getter_func (BridgeTask *task,
             gpointer    user_data)
{
  QueueTest *t = user_data;
  GError *error = NULL;
  gpointer item = NULL;

  t->arrived++;
  if (bridge_queue_get (t->queue, &item, &error))
    {
      sync_log (t->log, "%s=%u", bridge_task_get_name (task), ITEM_ID (item));
      return;
    }

  if (g_error_matches (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_SHUT_DOWN))
    sync_log (t->log, "%s:shutdown", bridge_task_get_name (task));
  else
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      sync_log (t->log, "%s:cancelled", bridge_task_get_name (task));
      bridge_task_uncancel (task);
    }
  g_error_free (error);
}

/* Puts the item named by its task's name ("p<id>") and logs "<name>+" or
 * "<name>:<reason>". */
static void
putter_func (BridgeTask *task,
             gpointer    user_data)
{
  QueueTest *t = user_data;
  GError *error = NULL;
  guint id = (guint) g_ascii_strtoull (bridge_task_get_name (task) + 1, NULL, 10);

  t->arrived++;
  if (bridge_queue_put (t->queue, ITEM (id), &error))
    {
      sync_log (t->log, "%s+", bridge_task_get_name (task));
      return;
    }

  if (g_error_matches (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_SHUT_DOWN))
    sync_log (t->log, "%s:shutdown", bridge_task_get_name (task));
  else
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      sync_log (t->log, "%s:cancelled", bridge_task_get_name (task));
      bridge_task_uncancel (task);
    }
  g_error_free (error);
}

static GPtrArray *
spawn_named (QueueTest      *t,
             const char     *prefix,
             guint           first_id,
             guint           n,
             BridgeTaskFunc  func)
{
  GPtrArray *tasks = g_ptr_array_new ();
  guint first = t->arrived;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s%u", prefix, first_id + i);
      g_ptr_array_add (tasks, sync_spawn (name, func, t));
    }
  sync_yield_until (t->arrived == first + n);
  return tasks;
}

static void
join_all (GPtrArray *tasks)
{
  for (guint i = 0; i < tasks->len; i++)
    sync_join (g_ptr_array_index (tasks, i));
  g_ptr_array_unref (tasks);
}

static guint
get_id (BridgeQueue *queue)
{
  g_autoptr(GError) error = NULL;
  gpointer item = NULL;

  g_assert_true (bridge_queue_get_nowait (queue, &item, &error));
  g_assert_no_error (error);
  return ITEM_ID (item);
}

static int
compare_ids (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  /* Items 0..9 share a priority per tens digit: id / 10. */
  guint pa = ITEM_ID (a) / 10;
  guint pb = ITEM_ID (b) / 10;

  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/* ---- order ------------------------------------------------------------------------ */

static void
test_fifo (void)
{
  g_autoptr(BridgeQueue) queue = bridge_queue_new (0);

  g_assert_true (bridge_queue_get_mode (queue) == BRIDGE_QUEUE_FIFO);
  for (guint i = 0; i < 5; i++)
    g_assert_true (bridge_queue_put_nowait (queue, ITEM (i), NULL));
  g_assert_cmpuint (bridge_queue_get_size (queue), ==, 5);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpuint (get_id (queue), ==, i);
  g_assert_true (bridge_queue_is_empty (queue));
}

static void
test_lifo (void)
{
  g_autoptr(BridgeQueue) queue = bridge_queue_new_full (BRIDGE_QUEUE_LIFO, 0, NULL, NULL, NULL);

  for (guint i = 0; i < 5; i++)
    g_assert_true (bridge_queue_put_nowait (queue, ITEM (i), NULL));
  for (guint i = 5; i > 0; i--)
    g_assert_cmpuint (get_id (queue), ==, i - 1);
}

/* Smallest first; equal priorities come out in insertion order. */
static void
test_priority (void)
{
  g_autoptr(BridgeQueue) queue = bridge_queue_new_full (BRIDGE_QUEUE_PRIORITY, 0, compare_ids, NULL, NULL);
  const guint in[] = { 31, 5, 20, 39, 1, 21, 7, 30, 3 };
  const guint out[] = { 5, 1, 7, 3, 20, 21, 31, 39, 30 };

  for (guint i = 0; i < G_N_ELEMENTS (in); i++)
    g_assert_true (bridge_queue_put_nowait (queue, ITEM (in[i]), NULL));
  for (guint i = 0; i < G_N_ELEMENTS (out); i++)
    g_assert_cmpuint (get_id (queue), ==, out[i]);
}

/* Random nowait traffic against a model, for all modes, through ring
 * wrap-around and growth and heap reordering. */
static int
compare_values (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  guint va = ITEM_ID (a) % 97;
  guint vb = ITEM_ID (b) % 97;

  return va < vb ? -1 : va > vb ? 1 : 0;
}

static void
test_model (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (77);

  for (BridgeQueueMode mode = BRIDGE_QUEUE_FIFO; mode <= BRIDGE_QUEUE_PRIORITY; mode++)
    {
      g_autoptr(BridgeQueue) queue =
        bridge_queue_new_full (mode, 0, mode == BRIDGE_QUEUE_PRIORITY ? compare_values : NULL, NULL, NULL);
      g_autoptr(GArray) model = g_array_new (FALSE, FALSE, sizeof (guint));
      guint next = 0;

      for (guint step = 0; step < 20000; step++)
        {
          /* Drift up, then down, so the size sweeps through many ranges. */
          gboolean put = g_rand_int_range (rand, 0, 100) < ((step / 2000) % 2 == 0 ? 60 : 40);

          if (put || model->len == 0)
            {
              g_assert_true (bridge_queue_put_nowait (queue, ITEM (next), NULL));
              g_array_append_val (model, next);
              next++;
            }
          else
            {
              guint pick = 0;
              guint id = get_id (queue);

              if (mode == BRIDGE_QUEUE_FIFO)
                pick = 0;
              else if (mode == BRIDGE_QUEUE_LIFO)
                pick = model->len - 1;
              else
                for (guint i = 1; i < model->len; i++)
                  if (g_array_index (model, guint, i) % 97 < g_array_index (model, guint, pick) % 97)
                    pick = i;

              g_assert_cmpuint (id, ==, g_array_index (model, guint, pick));
              g_array_remove_index (model, pick);
            }
          g_assert_cmpuint (bridge_queue_get_size (queue), ==, model->len);
        }
    }
}

/* NULL is an item like any other. */
static void
test_null_items (void)
{
  g_autoptr(BridgeQueue) queue = bridge_queue_new (0);
  gpointer item = GUINT_TO_POINTER (1);

  g_assert_true (bridge_queue_put_nowait (queue, NULL, NULL));
  g_assert_cmpuint (bridge_queue_get_size (queue), ==, 1);
  g_assert_true (bridge_queue_get_nowait (queue, &item, NULL));
  g_assert_null (item);
}

/* ---- nowait errors and the fast paths ----------------------------------------------- */

static void
test_nowait_errors (void)
{
  g_autoptr(BridgeQueue) queue = bridge_queue_new (2);
  g_autoptr(GError) error = NULL;
  gpointer item = NULL;

  g_assert_cmpuint (bridge_queue_get_maxsize (queue), ==, 2);
  g_assert_false (bridge_queue_get_nowait (queue, &item, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_EMPTY);
  g_clear_error (&error);

  g_assert_true (bridge_queue_put_nowait (queue, ITEM (0), NULL));
  g_assert_false (bridge_queue_is_full (queue));
  g_assert_true (bridge_queue_put_nowait (queue, ITEM (1), NULL));
  g_assert_true (bridge_queue_is_full (queue));
  g_assert_false (bridge_queue_put_nowait (queue, ITEM (2), &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_FULL);
  g_assert_cmpuint (bridge_queue_get_size (queue), ==, 2);
}

static void
test_outside_task (void)
{
  g_autoptr(BridgeQueue) queue = bridge_queue_new (0);
  g_autoptr(GError) error = NULL;
  gpointer item = NULL;

  g_assert_false (bridge_queue_put (queue, ITEM (0), &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);
  g_assert_true (bridge_queue_is_empty (queue));

  g_assert_true (bridge_queue_put_nowait (queue, ITEM (0), NULL));
  g_assert_false (bridge_queue_get (queue, &item, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);
  g_assert_false (bridge_queue_join (queue, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_cmpuint (bridge_queue_get_size (queue), ==, 1);
}

static void
fast_path_main (BridgeTask *task,
                gpointer    user_data)
{
  g_autoptr(BridgeQueue) queue = bridge_queue_new (2);
  SyncProbe probe;
  gpointer item = NULL;

  sync_probe_arm (&probe);
  g_assert_true (bridge_queue_put (queue, ITEM (0), NULL));
  g_assert_true (bridge_queue_put (queue, ITEM (1), NULL));
  g_assert_true (bridge_queue_get (queue, &item, NULL));
  g_assert_cmpuint (ITEM_ID (item), ==, 0);
  g_assert_true (bridge_queue_get (queue, &item, NULL));
  g_assert_cmpuint (ITEM_ID (item), ==, 1);
  g_assert_false (sync_probe_suspended (&probe));
}

static void
test_fast_path (void)
{
  sync_run (fast_path_main, NULL);
}

/* ---- waiting ---------------------------------------------------------------------------- */

/* get() waits for an item; getters are served in arrival order. */
static void
getters_main (BridgeTask *task,
              gpointer    user_data)
{
  QueueTest t = { 0 };
  GPtrArray *getters;

  queue_test_init (&t, bridge_queue_new (0));
  getters = spawn_named (&t, "g", 0, 3, getter_func);
  sync_yield (3);
  g_assert_cmpstr (t.log->str, ==, "");

  for (guint i = 0; i < 3; i++)
    g_assert_true (bridge_queue_put_nowait (t.queue, ITEM (10 + i), NULL));
  join_all (getters);
  g_assert_cmpstr (t.log->str, ==, "g0=10;g1=11;g2=12;");
  queue_test_clear (&t);
}

static void
test_getters (void)
{
  sync_run (getters_main, NULL);
}

/* A bounded queue makes putters wait for space, in arrival order. */
static void
backpressure_main (BridgeTask *task,
                   gpointer    user_data)
{
  QueueTest t = { 0 };
  GPtrArray *putters;

  queue_test_init (&t, bridge_queue_new (2));
  putters = spawn_named (&t, "p", 0, 4, putter_func);
  g_assert_cmpstr (t.log->str, ==, "p0+;p1+;");
  g_assert_true (bridge_queue_is_full (t.queue));

  g_assert_cmpuint (get_id (t.queue), ==, 0);
  sync_yield_until (t.log->len > strlen ("p0+;p1+;"));
  sync_yield (3);
  g_assert_cmpstr (t.log->str, ==, "p0+;p1+;p2+;");

  g_assert_cmpuint (get_id (t.queue), ==, 1);
  g_assert_cmpuint (get_id (t.queue), ==, 2);
  join_all (putters);
  g_assert_cmpstr (t.log->str, ==, "p0+;p1+;p2+;p3+;");
  g_assert_cmpuint (get_id (t.queue), ==, 3);
  queue_test_clear (&t);
}

static void
test_backpressure (void)
{
  sync_run (backpressure_main, NULL);
}

/* ---- cancellation ----------------------------------------------------------------------- */

/* A getter cancelled while parked takes nothing; the next item goes to the
 * next getter. */
static void
cancel_getter_parked_main (BridgeTask *task,
                           gpointer    user_data)
{
  QueueTest t = { 0 };
  GPtrArray *getters;

  queue_test_init (&t, bridge_queue_new (0));
  getters = spawn_named (&t, "g", 0, 2, getter_func);
  g_assert_true (bridge_task_cancel (g_ptr_array_index (getters, 0), NULL));
  sync_yield_until (t.log->len > 0);

  g_assert_true (bridge_queue_put_nowait (t.queue, ITEM (7), NULL));
  join_all (getters);
  g_assert_cmpstr (t.log->str, ==, "g0:cancelled;g1=7;");
  g_assert_true (bridge_queue_is_empty (t.queue));
  queue_test_clear (&t);
}

static void
test_cancel_getter_parked (void)
{
  sync_run (cancel_getter_parked_main, NULL);
}

/* The race: put() wakes the first getter, which is cancelled before it runs.
 * The item must not be lost: the next getter is woken for it. */
static void
cancel_getter_woken_main (BridgeTask *task,
                          gpointer    user_data)
{
  QueueTest t = { 0 };
  GPtrArray *getters;

  queue_test_init (&t, bridge_queue_new (0));
  getters = spawn_named (&t, "g", 0, 2, getter_func);

  g_assert_true (bridge_queue_put_nowait (t.queue, ITEM (7), NULL));
  g_assert_true (bridge_task_cancel (g_ptr_array_index (getters, 0), NULL));
  join_all (getters);
  g_assert_cmpstr (t.log->str, ==, "g0:cancelled;g1=7;");
  g_assert_true (bridge_queue_is_empty (t.queue));
  queue_test_clear (&t);
}

static void
test_cancel_getter_woken (void)
{
  sync_run (cancel_getter_woken_main, NULL);
}

/* The same race for putters: the space freed for p2 goes to p3 when p2 is
 * cancelled, and p2's item never enters the queue. */
static void
cancel_putter_woken_main (BridgeTask *task,
                          gpointer    user_data)
{
  QueueTest t = { 0 };
  GPtrArray *putters;

  queue_test_init (&t, bridge_queue_new (2));
  putters = spawn_named (&t, "p", 0, 4, putter_func);
  g_assert_cmpstr (t.log->str, ==, "p0+;p1+;");

  g_assert_cmpuint (get_id (t.queue), ==, 0);
  g_assert_true (bridge_task_cancel (g_ptr_array_index (putters, 2), NULL));
  join_all (putters);
  g_assert_cmpstr (t.log->str, ==, "p0+;p1+;p2:cancelled;p3+;");
  g_assert_cmpuint (get_id (t.queue), ==, 1);
  g_assert_cmpuint (get_id (t.queue), ==, 3);
  g_assert_true (bridge_queue_is_empty (t.queue));
  queue_test_clear (&t);
}

static void
test_cancel_putter_woken (void)
{
  sync_run (cancel_putter_woken_main, NULL);
}

/* ---- task_done / join ------------------------------------------------------------------- */

static void
joiner_func (BridgeTask *task,
             gpointer    user_data)
{
  QueueTest *t = user_data;
  g_autoptr(GError) error = NULL;

  t->arrived++;
  g_assert_true (bridge_queue_join (t->queue, &error));
  g_assert_no_error (error);
  sync_log (t->log, "%s", bridge_task_get_name (task));
}

static void
join_main (BridgeTask *task,
           gpointer    user_data)
{
  QueueTest t = { 0 };
  GPtrArray *joiners;
  g_autoptr(GError) error = NULL;
  SyncProbe probe;

  queue_test_init (&t, bridge_queue_new (0));

  /* Nothing outstanding: join returns at once. */
  sync_probe_arm (&probe);
  g_assert_true (bridge_queue_join (t.queue, NULL));
  g_assert_false (sync_probe_suspended (&probe));

  g_assert_true (bridge_queue_put_nowait (t.queue, ITEM (0), NULL));
  g_assert_true (bridge_queue_put_nowait (t.queue, ITEM (1), NULL));
  joiners = spawn_named (&t, "j", 0, 2, joiner_func);

  /* Getting is not enough: each item must be marked done. */
  get_id (t.queue);
  get_id (t.queue);
  sync_yield (3);
  g_assert_cmpstr (t.log->str, ==, "");
  g_assert_true (bridge_queue_task_done (t.queue, NULL));
  sync_yield (3);
  g_assert_cmpstr (t.log->str, ==, "");
  g_assert_true (bridge_queue_task_done (t.queue, NULL));
  join_all (joiners);
  g_assert_cmpstr (t.log->str, ==, "j0;j1;");

  g_assert_false (bridge_queue_task_done (t.queue, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_VALUE);
  queue_test_clear (&t);
}

static void
test_join (void)
{
  sync_run (join_main, NULL);
}

/* ---- shutdown ---------------------------------------------------------------------------- */

typedef struct
{
  guint destroyed;
} DestroyCount;

static void
count_destroy (gpointer item)
{
  DestroyCount *count = item;

  count->destroyed++;
}

/* A plain shutdown refuses puts (also waiting ones), lets getters drain
 * what is left, then fails them. */
static void
shutdown_main (BridgeTask *task,
               gpointer    user_data)
{
  QueueTest t = { 0 };
  GPtrArray *putters;
  GPtrArray *getters;
  g_autoptr(GError) error = NULL;
  gpointer item = NULL;

  queue_test_init (&t, bridge_queue_new (2));
  putters = spawn_named (&t, "p", 0, 3, putter_func);
  g_assert_cmpstr (t.log->str, ==, "p0+;p1+;");

  bridge_queue_shutdown (t.queue, FALSE);
  g_assert_true (bridge_queue_is_shut_down (t.queue));
  join_all (putters);
  g_assert_cmpstr (t.log->str, ==, "p0+;p1+;p2:shutdown;");

  g_assert_false (bridge_queue_put_nowait (t.queue, ITEM (9), &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_SHUT_DOWN);
  g_clear_error (&error);
  g_assert_false (bridge_queue_put (t.queue, ITEM (9), &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_SHUT_DOWN);
  g_clear_error (&error);

  g_string_truncate (t.log, 0);
  getters = spawn_named (&t, "g", 0, 3, getter_func);
  join_all (getters);
  g_assert_cmpstr (t.log->str, ==, "g0=0;g1=1;g2:shutdown;");

  g_assert_false (bridge_queue_get_nowait (t.queue, &item, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_SHUT_DOWN);
  queue_test_clear (&t);
}

static void
test_shutdown (void)
{
  sync_run (shutdown_main, NULL);
}

/* Waiting getters fail as soon as an empty queue is shut down. */
static void
shutdown_getters_main (BridgeTask *task,
                       gpointer    user_data)
{
  QueueTest t = { 0 };
  GPtrArray *getters;

  queue_test_init (&t, bridge_queue_new (0));
  getters = spawn_named (&t, "g", 0, 2, getter_func);
  bridge_queue_shutdown (t.queue, FALSE);
  join_all (getters);
  g_assert_cmpstr (t.log->str, ==, "g0:shutdown;g1:shutdown;");
  queue_test_clear (&t);
}

static void
test_shutdown_getters (void)
{
  sync_run (shutdown_getters_main, NULL);
}

/* An immediate shutdown drops the items (through the destroy function),
 * counts them as done so join() returns, and fails getters at once. */
static void
shutdown_immediate_main (BridgeTask *task,
                         gpointer    user_data)
{
  QueueTest t = { 0 };
  DestroyCount count = { 0 };
  GPtrArray *joiners;
  g_autoptr(GError) error = NULL;
  gpointer item = NULL;

  queue_test_init (&t, bridge_queue_new_full (BRIDGE_QUEUE_FIFO, 0, NULL, NULL, count_destroy));
  for (guint i = 0; i < 3; i++)
    g_assert_true (bridge_queue_put_nowait (t.queue, &count, NULL));
  joiners = spawn_named (&t, "j", 0, 1, joiner_func);

  bridge_queue_shutdown (t.queue, TRUE);
  g_assert_cmpuint (count.destroyed, ==, 3);
  g_assert_true (bridge_queue_is_empty (t.queue));
  join_all (joiners);
  g_assert_cmpstr (t.log->str, ==, "j0;");

  g_assert_false (bridge_queue_get_nowait (t.queue, &item, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_SHUT_DOWN);
  g_clear_error (&error);

  /* Every item counted as done already. */
  g_assert_false (bridge_queue_task_done (t.queue, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_VALUE);
  queue_test_clear (&t);
  g_assert_cmpuint (count.destroyed, ==, 3);
}

static void
test_shutdown_immediate (void)
{
  sync_run (shutdown_immediate_main, NULL);
}

/* Items left when the last reference goes are destroyed; items handed out
 * are not. */
static void
test_unref_drops_items (void)
{
  DestroyCount count = { 0 };
  BridgeQueue *queue = bridge_queue_new_full (BRIDGE_QUEUE_LIFO, 0, NULL, NULL, count_destroy);
  gpointer item = NULL;

  for (guint i = 0; i < 4; i++)
    g_assert_true (bridge_queue_put_nowait (queue, &count, NULL));
  g_assert_true (bridge_queue_get_nowait (queue, &item, NULL));
  g_assert_true (item == &count);
  g_assert_cmpuint (count.destroyed, ==, 0);
  bridge_queue_unref (queue);
  g_assert_cmpuint (count.destroyed, ==, 3);
}

/* ---- stress ------------------------------------------------------------------------------- */

#define STRESS_ITEMS     100000
#define STRESS_PRODUCERS 4
#define STRESS_CONSUMERS 4

typedef struct
{
  BridgeQueue *queue;
  guint8      *received;          /* per item: how many times delivered */
  guint        next_item;         /* shared by the producers */
  guint        delivered;
  guint        cancels_seen;
  guint        started;
} Stress;

static void
stress_producer (BridgeTask *task,
                 gpointer    user_data)
{
  Stress *s = user_data;

  s->started++;
  while (s->next_item < STRESS_ITEMS)
    {
      guint id = s->next_item++;

      /* A cancelled put did not queue the item: retry the same one. */
      for (;;)
        {
          GError *error = NULL;

          if (bridge_queue_put (s->queue, ITEM (id), &error))
            break;
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
          g_error_free (error);
          s->cancels_seen++;
          bridge_task_uncancel (task);
        }
    }
}

static void
stress_consumer (BridgeTask *task,
                 gpointer    user_data)
{
  Stress *s = user_data;

  s->started++;
  for (;;)
    {
      GError *error = NULL;
      gpointer item = NULL;

      if (bridge_queue_get (s->queue, &item, &error))
        {
          guint id = ITEM_ID (item);

          g_assert_cmpuint (id, <, STRESS_ITEMS);
          s->received[id]++;
          s->delivered++;
          g_assert_true (bridge_queue_task_done (s->queue, NULL));
          continue;
        }

      if (g_error_matches (error, BRIDGE_ERROR, BRIDGE_ERROR_QUEUE_SHUT_DOWN))
        {
          g_error_free (error);
          return;
        }
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_error_free (error);
      s->cancels_seen++;
      bridge_task_uncancel (task);
    }
}

static void
stress_main (BridgeTask *task,
             gpointer    user_data)
{
  Stress s = { 0 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (31337);
  BridgeTask *workers[STRESS_PRODUCERS + STRESS_CONSUMERS];
  guint n_requests = 0;
  guint n_races = 0;

  s.queue = bridge_queue_new (16);
  s.received = g_new0 (guint8, STRESS_ITEMS);

  for (guint i = 0; i < G_N_ELEMENTS (workers); i++)
    workers[i] = sync_spawn (NULL, i < STRESS_PRODUCERS ? stress_producer : stress_consumer, &s);
  sync_yield_until (s.started == G_N_ELEMENTS (workers));

  /* Cancel random workers (parked, or woken and about to run) until every
   * item has been delivered. */
  while (s.delivered < STRESS_ITEMS)
    {
      if (g_rand_int_range (rand, 0, 4) == 0)
        {
          BridgeTask *victim = workers[g_rand_int_range (rand, 0, G_N_ELEMENTS (workers))];
          BridgeFuture *awaiting = bridge_task_get_awaiting (victim);

          /* Woken (its waiter is resolved) but not yet run: the race. */
          if (awaiting != NULL && bridge_future_is_done (awaiting))
            n_races++;
          if (bridge_task_cancel (victim, NULL))
            n_requests++;
        }
      sync_yield (1);
    }

  /* Producers are done; consumers leave once the queue is shut down. */
  g_assert_true (bridge_queue_join (s.queue, NULL));
  bridge_queue_shutdown (s.queue, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (workers); i++)
    {
      g_autoptr(GError) error = NULL;

      /* A request that came after a worker's last await cancels it. */
      if (!bridge_await (BRIDGE_FUTURE (workers[i]), &error))
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      bridge_task_unref (workers[i]);
    }

  for (guint i = 0; i < STRESS_ITEMS; i++)
    if (s.received[i] != 1)
      g_error ("item %u delivered %u times", i, s.received[i]);
  g_assert_cmpuint (s.delivered, ==, STRESS_ITEMS);
  g_assert_true (bridge_queue_is_empty (s.queue));
  g_assert_cmpuint (n_requests, >, 1000);
  g_assert_cmpuint (s.cancels_seen, >, 1000);
  g_assert_cmpuint (n_races, >, 100);
  g_test_message ("%u cancellation requests (%u of woken waiters), %u seen by workers",
                  n_requests, n_races, s.cancels_seen);

  g_free (s.received);
  bridge_queue_unref (s.queue);
}

static void
test_stress_random_cancel (void)
{
  sync_run (stress_main, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/libbridge/queue/order/fifo", test_fifo);
  g_test_add_func ("/libbridge/queue/order/lifo", test_lifo);
  g_test_add_func ("/libbridge/queue/order/priority", test_priority);
  g_test_add_func ("/libbridge/queue/order/model", test_model);
  g_test_add_func ("/libbridge/queue/null-items", test_null_items);
  g_test_add_func ("/libbridge/queue/nowait-errors", test_nowait_errors);
  g_test_add_func ("/libbridge/queue/outside-task", test_outside_task);
  g_test_add_func ("/libbridge/queue/fast-path", test_fast_path);
  g_test_add_func ("/libbridge/queue/getters", test_getters);
  g_test_add_func ("/libbridge/queue/backpressure", test_backpressure);
  g_test_add_func ("/libbridge/queue/cancel/getter-parked", test_cancel_getter_parked);
  g_test_add_func ("/libbridge/queue/cancel/getter-woken", test_cancel_getter_woken);
  g_test_add_func ("/libbridge/queue/cancel/putter-woken", test_cancel_putter_woken);
  g_test_add_func ("/libbridge/queue/join", test_join);
  g_test_add_func ("/libbridge/queue/shutdown/plain", test_shutdown);
  g_test_add_func ("/libbridge/queue/shutdown/getters", test_shutdown_getters);
  g_test_add_func ("/libbridge/queue/shutdown/immediate", test_shutdown_immediate);
  g_test_add_func ("/libbridge/queue/unref-drops-items", test_unref_drops_items);
  g_test_add_func ("/libbridge/queue/stress-random-cancel", test_stress_random_cancel);

  return g_test_run ();
}
