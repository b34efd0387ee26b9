/* test-loop.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libbridge.h>

#include "bridge-handle-private.h"
#include "test-util.h"

/* ---- call_soon ------------------------------------------------------------- */

#define N_FIFO 10000

typedef struct
{
  GArray *order;
  guint   index;
} FifoItem;

static void
fifo_cb (gpointer user_data)
{
  FifoItem *item = user_data;

  g_array_append_val (item->order, item->index);
}

static void
test_call_soon_fifo (LoopFixture   *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GArray) order = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree FifoItem *items = g_new0 (FifoItem, N_FIFO);

  for (guint i = 0; i < N_FIFO; i++)
    {
      items[i].order = order;
      items[i].index = i;
      g_assert_nonnull (bridge_loop_call_soon (fixture->loop, fifo_cb, &items[i], NULL));
    }

  /* Nothing runs inside call_soon(). */
  g_assert_cmpuint (order->len, ==, 0);

  test_run_until (fixture->context, order->len == N_FIFO, TEST_TIMEOUT_SECONDS);

  for (guint i = 0; i < N_FIFO; i++)
    g_assert_cmpuint (g_array_index (order, guint, i), ==, i);
}

/* The ready queue is a ring that doubles when full. Here it grows while
 * its items wrap around the end of the ring, at sizes that take both ways
 * of growing (a copy for small rings, mremap() for large ones): the first
 * batch moves the ring's start far from zero, then one callback queues
 * more than the ring holds. Everything must still run in order. */
typedef struct
{
  BridgeLoop *loop;
  FifoItem   *items;
  guint       first;
  guint       n;
} FifoBatch;

static void
fifo_batch_cb (gpointer user_data)
{
  FifoBatch *batch = user_data;

  for (guint i = batch->first; i < batch->first + batch->n; i++)
    bridge_loop_call_soon (batch->loop, fifo_cb, &batch->items[i], NULL);
}

static void
test_call_soon_fifo_across_growth (LoopFixture   *fixture,
                                   gconstpointer  user_data)
{
  const guint sizes[] = { 300, 5000, 9000, 40000, 100000 };
  guint total = 0;
  g_autoptr(GArray) order = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree FifoItem *items = NULL;
  FifoBatch batches[G_N_ELEMENTS (sizes)];

  for (guint b = 0; b < G_N_ELEMENTS (sizes); b++)
    total += sizes[b];
  items = g_new0 (FifoItem, total);
  for (guint i = 0; i < total; i++)
    {
      items[i].order = order;
      items[i].index = i;
    }

  /* Each batch is queued once the previous one has run, so the ring's
   * start lies wherever the last batch left it. */
  for (guint b = 0, first = 0; b < G_N_ELEMENTS (sizes); first += sizes[b], b++)
    {
      batches[b] = (FifoBatch) { fixture->loop, items, first, sizes[b] };
      bridge_loop_call_soon (fixture->loop, fifo_batch_cb, &batches[b], NULL);
      test_run_until (fixture->context, order->len == first + sizes[b], TEST_TIMEOUT_SECONDS);
    }

  for (guint i = 0; i < total; i++)
    g_assert_cmpuint (g_array_index (order, guint, i), ==, i);
}

typedef struct
{
  BridgeLoop *loop;
  GString    *log;
} LogFixture;

typedef struct
{
  LogFixture *log;
  const char *tag;
  const char *then;     /* scheduled with call_soon when this one runs */
  double      when;     /* for timers: not to run before this */
} LogEntry;

static void
log_cb (gpointer user_data)
{
  LogEntry *entry = user_data;

  if (entry->when > 0)
    g_assert_cmpfloat (bridge_loop_time (entry->log->loop), >=, entry->when - 1e-6);

  if (entry->log->log->len > 0)
    g_string_append_c (entry->log->log, ' ');
  g_string_append (entry->log->log, entry->tag);

  if (entry->then != NULL)
    {
      LogEntry *next = g_new0 (LogEntry, 1);

      next->log = entry->log;
      next->tag = entry->then;
      bridge_loop_call_soon (entry->log->loop, log_cb, next, g_free);
    }
}

static LogEntry *
log_entry_new (LogFixture *log,
               const char *tag,
               const char *then)
{
  LogEntry *entry = g_new0 (LogEntry, 1);

  entry->log = log;
  entry->tag = tag;
  entry->then = then;
  return entry;
}

static void
test_call_soon_next_iteration (LoopFixture   *fixture,
                               gconstpointer  user_data)
{
  LogFixture log = { fixture->loop, g_string_new (NULL) };

  /* A and B each schedule a callback while the loop runs the batch A B C:
   * those run in the next iteration, after C, never in the middle. */
  bridge_loop_call_soon (fixture->loop, log_cb, log_entry_new (&log, "A", "A2"), g_free);
  bridge_loop_call_soon (fixture->loop, log_cb, log_entry_new (&log, "B", "B2"), g_free);
  bridge_loop_call_soon (fixture->loop, log_cb, log_entry_new (&log, "C", NULL), g_free);

  test_run_until (fixture->context, g_str_has_suffix (log.log->str, "B2"), TEST_TIMEOUT_SECONDS);
  g_assert_cmpstr (log.log->str, ==, "A B C A2 B2");

  g_string_free (log.log, TRUE);
}

typedef struct
{
  BridgeLoop *loop;
  guint       spins;
  guint       after_ran;
  gboolean    keep_spinning;
} StopData;

static void
spin_cb (gpointer user_data)
{
  StopData *data = user_data;

  data->spins++;
  if (data->keep_spinning)
    bridge_loop_call_soon (data->loop, spin_cb, data, NULL);
}

static void
after_cb (gpointer user_data)
{
  StopData *data = user_data;

  data->after_ran++;
}

static void
stopper_cb (gpointer user_data)
{
  StopData *data = user_data;

  bridge_loop_stop (data->loop);
  bridge_loop_call_soon (data->loop, after_cb, data, NULL);
}

static void
stop_only_cb (gpointer user_data)
{
  StopData *data = user_data;

  bridge_loop_stop (data->loop);
}

static void
test_stop_runs_current_batch (LoopFixture   *fixture,
                              gconstpointer  user_data)
{
  StopData data = { fixture->loop, 0, 0, TRUE };
  g_autoptr(GError) error = NULL;

  /* asyncio's stop(): the current batch finishes, callbacks it scheduled
   * wait for the next run. A callback that reschedules itself forever cannot
   * keep run_forever() from returning, because what it schedules belongs to
   * the next iteration. */
  bridge_loop_call_soon (fixture->loop, spin_cb, &data, NULL);
  bridge_loop_call_soon (fixture->loop, stopper_cb, &data, NULL);

  g_assert_true (bridge_loop_run_forever (fixture->loop, &error));
  g_assert_no_error (error);
  g_assert_false (bridge_loop_is_running (fixture->loop));
  g_assert_cmpuint (data.spins, ==, 1);
  g_assert_cmpuint (data.after_ran, ==, 0);

  /* The next run picks up exactly where the last one stopped. */
  bridge_loop_call_soon (fixture->loop, stop_only_cb, &data, NULL);
  g_assert_true (bridge_loop_run_forever (fixture->loop, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (data.spins, ==, 2);
  g_assert_cmpuint (data.after_ran, ==, 1);

  data.keep_spinning = FALSE;
  test_run_until (fixture->context, data.spins == 3, TEST_TIMEOUT_SECONDS);
}

static void
test_dispatch_bounded (LoopFixture   *fixture,
                       gconstpointer  user_data)
{
  StopData data = { fixture->loop, 0, 0, TRUE };

  /* A callback that always reschedules itself: one main-context iteration
   * still returns (the dispatch has a time budget), and it ran several loop
   * iterations in that one dispatch (no poll() between them). */
  bridge_loop_call_soon (fixture->loop, spin_cb, &data, NULL);
  g_main_context_iteration (fixture->context, FALSE);
  g_assert_cmpuint (data.spins, >=, 2);

  data.keep_spinning = FALSE;
  data.spins = 0;
  test_run_until (fixture->context, data.spins == 1, TEST_TIMEOUT_SECONDS);
}

#define SLOW_ITEMS      200
#define SLOW_ITEM_USEC  300

static void
slow_item_cb (gpointer user_data)
{
  guint *ran = user_data;
  gint64 until = g_get_monotonic_time () + SLOW_ITEM_USEC;

  /* Work that takes a while (a task cleaning up), not a wait. */
  while (g_get_monotonic_time () < until)
    ;
  (*ran)++;
}

static void
test_dispatch_bounded_slow_items (LoopFixture   *fixture,
                                  gconstpointer  user_data)
{
  guint ran = 0;

  /* Two hundred items ready in one iteration, each taking 0.3 ms: one
   * dispatch must not run 60 ms of them, nor anything near the 64 that a
   * fast item's clock stride would allow; a few more than the minimum pass
   * before the clock is read again. */
  for (guint i = 0; i < SLOW_ITEMS; i++)
    bridge_loop_call_soon (fixture->loop, slow_item_cb, &ran, NULL);
  g_main_context_iteration (fixture->context, FALSE);
  g_test_message ("%u of %u slow items in the first dispatch", ran, SLOW_ITEMS);
  g_assert_cmpuint (ran, >=, 1);
  g_assert_cmpuint (ran, <=, 24);

  /* The rest in the dispatches that follow, in order. */
  test_run_until (fixture->context, ran == SLOW_ITEMS, TEST_TIMEOUT_SECONDS);
}

/* ---- timers ------------------------------------------------------------------- */

static void
schedule_at (LogFixture *log,
             double      when,
             const char *tag)
{
  LogEntry *entry = log_entry_new (log, tag, NULL);
  BridgeHandle *handle;

  entry->when = when;
  handle = bridge_loop_call_at (log->loop, when, log_cb, entry, g_free);
  g_assert_nonnull (handle);
  g_assert_cmpfloat_with_epsilon (bridge_handle_get_when (handle), when, 1e-5);
}

static void
test_call_later_order (LoopFixture   *fixture,
                       gconstpointer  user_data)
{
  LogFixture log = { fixture->loop, g_string_new (NULL) };
  double base = bridge_loop_time (fixture->loop) + 0.03;

  /* By due time first, and in scheduling order among equal due times. */
  schedule_at (&log, base + 0.04, "e");
  schedule_at (&log, base, "a1");
  schedule_at (&log, base + 0.02, "c");
  schedule_at (&log, base, "a2");
  schedule_at (&log, base + 0.01, "b");
  schedule_at (&log, base, "a3");
  schedule_at (&log, base + 0.02, "d");

  test_run_until (fixture->context, g_str_has_suffix (log.log->str, "e"), TEST_TIMEOUT_SECONDS);
  g_assert_cmpstr (log.log->str, ==, "a1 a2 a3 b c d e");
  g_assert_cmpfloat (bridge_loop_time (fixture->loop), >=, base + 0.04 - 1e-6);

  g_string_free (log.log, TRUE);
}

static void
test_call_later_zero (LoopFixture   *fixture,
                      gconstpointer  user_data)
{
  LogFixture log = { fixture->loop, g_string_new (NULL) };

  /* As in asyncio, a timer that is due joins the ready queue at the start of
   * the next iteration, behind what is already there: call_later(0) does
   * not overtake a call_soon() made after it. A negative delay is 0. */
  bridge_loop_call_later (fixture->loop, 0, log_cb, log_entry_new (&log, "later0", NULL), g_free);
  bridge_loop_call_later (fixture->loop, -5, log_cb, log_entry_new (&log, "later-neg", NULL), g_free);
  bridge_loop_call_soon (fixture->loop, log_cb, log_entry_new (&log, "soon", NULL), g_free);

  test_run_until (fixture->context, g_str_has_suffix (log.log->str, "neg"), TEST_TIMEOUT_SECONDS);
  g_assert_cmpstr (log.log->str, ==, "soon later0 later-neg");

  g_string_free (log.log, TRUE);
}

/* ---- handles ------------------------------------------------------------------- */

static void
must_not_run_cb (gpointer user_data)
{
  g_error ("a cancelled callback ran");
}

/* call_later() may read the time more cheaply than bridge_loop_time() does,
 * but a timer must never be due before its delay has passed on the loop's
 * clock, nor later than a moment after, and timers with equal delays keep
 * the order they were scheduled in. 100,000 calls, with busy stretches of
 * varying length between them. */
static void
test_call_later_never_before_the_clock (LoopFixture   *fixture,
                                        gconstpointer  user_data)
{
  double previous = 0;

  for (guint i = 0; i < 100000; i++)
    {
      double before = bridge_loop_time (fixture->loop);
      BridgeHandle *handle = bridge_loop_call_later (fixture->loop, 0, must_not_run_cb, NULL, NULL);
      double after = bridge_loop_time (fixture->loop);
      double when = bridge_handle_get_when (handle);

      bridge_handle_cancel (handle);
      g_assert_cmpfloat (when, >=, before);
      g_assert_cmpfloat (when, <=, after + 0.0001);
      g_assert_cmpfloat (when, >=, previous);
      previous = when;

      for (volatile guint spin = 0; spin < (i % 97) * 50; spin++)
        ;
    }
}

static void
test_handle_cancel (LoopFixture   *fixture,
                    gconstpointer  user_data)
{
  guint destroyed = 0;
  guint ran = 0;
  guint sentinel = 0;
  BridgeHandle *soon, *later, *kept;

  soon = bridge_loop_call_soon (fixture->loop, must_not_run_cb, &destroyed, test_count_destroy);
  later = bridge_handle_ref (bridge_loop_call_later (fixture->loop, 0.01, must_not_run_cb,
                                                     &destroyed, test_count_destroy));
  kept = bridge_handle_ref (bridge_loop_call_soon (fixture->loop, test_count_cb, &ran, NULL));

  g_assert_false (bridge_handle_is_cancelled (soon));
  bridge_handle_cancel (soon);
  bridge_handle_cancel (later);
  /* The data is released at cancel time, not when the loop gets to it. */
  g_assert_cmpuint (destroyed, ==, 2);
  g_assert_true (bridge_handle_is_cancelled (later));

  /* Cancelling twice changes nothing. */
  bridge_handle_cancel (later);
  g_assert_cmpuint (destroyed, ==, 2);

  /* Run past the cancelled timer's due time. */
  bridge_loop_call_later (fixture->loop, 0.05, test_count_cb, &sentinel, NULL);
  test_run_until (fixture->context, sentinel == 1, TEST_TIMEOUT_SECONDS);
  g_assert_cmpuint (ran, ==, 1);
  g_assert_cmpuint (destroyed, ==, 2);

  /* Cancelling a handle that already ran does nothing. */
  bridge_handle_cancel (kept);
  g_assert_false (bridge_handle_is_cancelled (kept));
  g_assert_cmpuint (ran, ==, 1);

  bridge_handle_unref (kept);
  bridge_handle_unref (later);
}

typedef struct
{
  GArray *fired;     /* the indices of the timers, in the order they ran */
} RandomTimers;

typedef struct
{
  RandomTimers *state;
  guint         index;
} RandomTimer;

static void
random_timer_cb (gpointer user_data)
{
  RandomTimer *timer = user_data;

  g_array_append_val (timer->state->fired, timer->index);
}

static int
compare_scheduled (gconstpointer a,
                   gconstpointer b,
                   gpointer      user_data)
{
  const double *when = user_data;
  guint i = *(const guint *) a, j = *(const guint *) b;

  /* By due time, then in the order they were scheduled. */
  if (when[i] != when[j])
    return when[i] < when[j] ? -1 : 1;
  return i < j ? -1 : (i > j);
}

/* Schedules a timer at each of the @n times in @when, cancels a random
 * third of them, and checks that the others run in due-time order and,
 * among equals, in the order they were scheduled. */
static void
check_random_timers (LoopFixture  *fixture,
                     const double *when,
                     guint         n)
{
  RandomTimers state = { g_array_new (FALSE, FALSE, sizeof (guint)) };
  g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GPtrArray) handles = g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_handle_unref);

  for (guint i = 0; i < n; i++)
    {
      RandomTimer *timer = g_new (RandomTimer, 1);

      timer->state = &state;
      timer->index = i;
      g_ptr_array_add (handles, bridge_handle_ref (bridge_loop_call_at (fixture->loop, when[i],
                                                                        random_timer_cb, timer,
                                                                        g_free)));
    }

  for (guint i = 0; i < n; i++)
    {
      if (g_test_rand_int_range (0, 3) == 0)
        bridge_handle_cancel (g_ptr_array_index (handles, i));
      else
        g_array_append_val (expected, i);
    }
  g_array_sort_with_data (expected, compare_scheduled, (gpointer) when);

  test_run_until (fixture->context, state.fired->len == expected->len, TEST_TIMEOUT_SECONDS);
  g_assert_cmpuint (state.fired->len, ==, expected->len);
  for (guint i = 0; i < expected->len; i++)
    g_assert_cmpuint (g_array_index (state.fired, guint, i), ==, g_array_index (expected, guint, i));

  g_array_unref (state.fired);
}

/* The heap against a plain sort: 5,000 timers at random times drawn from
 * only 50 distinct values (so most share their due time with others), a
 * random third of them cancelled. */
static void
test_call_later_random_order (LoopFixture   *fixture,
                              gconstpointer  user_data)
{
  const guint n = 5000;
  g_autofree double *when = g_new (double, n);
  double base = bridge_loop_time (fixture->loop) + 0.01;

  for (guint i = 0; i < n; i++)
    when[i] = base + g_test_rand_int_range (0, 50) * 0.0002;
  check_random_timers (fixture, when, n);
}

/* Many timers due at once, as when the loop's thread was busy for a while:
 * 20,000 timers, two thirds of them already due (at times drawn from 50
 * values, so most share their due time with others) and the rest due later,
 * a random third cancelled. With @long_ago, half of the due ones were due
 * that many seconds earlier than the others. */
static void
check_many_due_at_once (LoopFixture *fixture,
                        double       long_ago)
{
  const guint n = 20000;
  g_autofree double *when = g_new (double, n);
  double now = bridge_loop_time (fixture->loop);

  for (guint i = 0; i < n; i++)
    {
      double base = g_test_rand_int_range (0, 3) < 2 ? now - 0.02 : now + 0.02;

      if (base < now && long_ago > 0 && g_test_rand_bit ())
        base -= long_ago;
      when[i] = base + g_test_rand_int_range (0, 50) * 0.0002;
    }
  check_random_timers (fixture, when, n);
}

static void
test_call_at_many_due_at_once (LoopFixture   *fixture,
                               gconstpointer  user_data)
{
  check_many_due_at_once (fixture, 0);
}

/* The same with due times 30 years apart: more than fits beside the
 * sequence numbers in the one 64-bit key that such a burst is usually
 * sorted by, so they are sorted by each in turn. */
static void
test_call_at_many_due_decades_apart (LoopFixture   *fixture,
                                     gconstpointer  user_data)
{
  check_many_due_at_once (fixture, 30 * 365.25 * 24 * 3600);
}

static void
test_handle_cancel_many_timers (LoopFixture   *fixture,
                                gconstpointer  user_data)
{
  LogFixture log = { fixture->loop, g_string_new (NULL) };
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autoptr(GPtrArray) handles = g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_handle_unref);
  g_autoptr(GPtrArray) tags = g_ptr_array_new_with_free_func (g_free);
  double base = bridge_loop_time (fixture->loop) + 0.02;
  const guint n = 1000;

  /* Enough cancelled timers to make the heap drop them in bulk: the
   * survivors still run in due-time order, the cancelled never. Scheduled in
   * reverse so the heap has real work to do. */
  for (guint i = n; i > 0; i--)
    {
      char *tag = g_strdup_printf ("%u", i - 1);
      LogEntry *entry = log_entry_new (&log, tag, NULL);

      g_ptr_array_add (tags, tag);
      entry->when = base + (i - 1) * 0.00005;
      g_ptr_array_add (handles, bridge_handle_ref (bridge_loop_call_at (fixture->loop, entry->when,
                                                                        log_cb, entry, g_free)));
    }

  for (guint i = 0; i < handles->len; i++)
    {
      /* handles[i] is timer n - 1 - i; cancel every timer not divisible by 3. */
      if ((n - 1 - i) % 3 != 0)
        bridge_handle_cancel (g_ptr_array_index (handles, i));
    }

  for (guint i = 0; i < n; i += 3)
    g_string_append_printf (expected, "%s%u", i == 0 ? "" : " ", i);

  test_run_until (fixture->context, g_str_has_suffix (log.log->str, " 999"), TEST_TIMEOUT_SECONDS);
  g_assert_cmpstr (log.log->str, ==, expected->str);

  g_string_free (log.log, TRUE);
}

static void
test_handle_cancelled_timers_released (LoopFixture   *fixture,
                                       gconstpointer  user_data)
{
  BridgeHandle *handles[200];
  BridgeHandle *live;
  guint sentinel = 0;

  /* A program that keeps starting long timeouts and cancelling them early
   * (every wait_for() that succeeds does) must not grow: as in asyncio, the
   * loop lets go of cancelled timers once they are most of its heap, even
   * while a live timer due earlier sits on top of them. */
  live = bridge_handle_ref (bridge_loop_call_later (fixture->loop, 3000, must_not_run_cb, NULL, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (handles); i++)
    handles[i] = bridge_handle_ref (bridge_loop_call_later (fixture->loop, 3600 + i,
                                                            must_not_run_cb, NULL, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (handles); i++)
    bridge_handle_cancel (handles[i]);

  bridge_loop_call_soon (fixture->loop, test_count_cb, &sentinel, NULL);
  test_run_until (fixture->context, sentinel == 1, TEST_TIMEOUT_SECONDS);

  /* Only our own references are left. */
  for (guint i = 0; i < G_N_ELEMENTS (handles); i++)
    {
      g_assert_cmpint (g_atomic_int_get (&handles[i]->ref_count), ==, 1);
      bridge_handle_unref (handles[i]);
    }
  g_assert_cmpint (g_atomic_int_get (&live->ref_count), ==, 2);
  bridge_handle_cancel (live);
  bridge_handle_unref (live);
}

/* ---- running ------------------------------------------------------------------ */

typedef struct
{
  BridgeLoop   *loop;
  BridgeFuture *future;
  guint         checked;
} NestData;

static void
nested_run_cb (gpointer user_data)
{
  NestData *data = user_data;
  g_autoptr(BridgeLoop) other = bridge_loop_new (NULL);
  g_autoptr(BridgeFuture) other_future = bridge_future_new_for_loop (other);
  GError *error = NULL;

  g_assert_true (bridge_loop_is_running (data->loop));

  g_assert_false (bridge_loop_run_until_complete (data->loop, data->future, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_false (bridge_loop_run_forever (data->loop, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  /* Another loop cannot be run from inside this one either. */
  g_assert_false (bridge_loop_run_until_complete (other, other_future, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_false (bridge_loop_close (data->loop, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);
  g_assert_false (bridge_loop_is_closed (data->loop));

  g_assert_true (bridge_future_cancel (other_future, NULL));
  g_assert_true (bridge_loop_close (other, NULL));

  data->checked++;
  bridge_future_set_int64 (data->future, 42, NULL);
}

static void
nested_run_task (BridgeTask *task,
                 gpointer    user_data)
{
  NestData *data = user_data;
  GError *error = NULL;

  g_assert_false (bridge_loop_run_forever (data->loop, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  data->checked++;
}

static void
test_run_nested_refused (LoopFixture   *fixture,
                         gconstpointer  user_data)
{
  NestData data = { fixture->loop, bridge_future_new_for_loop (fixture->loop), 0 };
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(GError) error = NULL;

  bridge_loop_call_soon (fixture->loop, nested_run_cb, &data, NULL);
  g_assert_true (bridge_loop_run_until_complete (fixture->loop, data.future, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bridge_future_get_int64 (data.future, NULL), ==, 42);
  g_assert_cmpuint (data.checked, ==, 1);
  g_assert_false (bridge_loop_is_running (fixture->loop));

  /* From inside a task as well. */
  task = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT, nested_run_task, &data, NULL);
  g_assert_true (bridge_loop_run_until_complete (fixture->loop, BRIDGE_FUTURE (task), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (data.checked, ==, 2);

  bridge_future_unref (data.future);
}

static void
test_run_stopped_early (LoopFixture   *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  StopData data = { fixture->loop, 0, 0, FALSE };
  g_autoptr(GError) error = NULL;

  bridge_loop_call_soon (fixture->loop, stop_only_cb, &data, NULL);
  g_assert_false (bridge_loop_run_until_complete (fixture->loop, future, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_assert_false (bridge_future_is_done (future));
  g_assert_false (bridge_loop_is_running (fixture->loop));
}

static void
test_run_forever_stop (LoopFixture   *fixture,
                       gconstpointer  user_data)
{
  StopData data = { fixture->loop, 0, 0, FALSE };
  g_autoptr(GError) error = NULL;
  double start = bridge_loop_time (fixture->loop);

  bridge_loop_call_later (fixture->loop, 0.02, stop_only_cb, &data, NULL);
  g_assert_true (bridge_loop_run_forever (fixture->loop, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (bridge_loop_time (fixture->loop) - start, >=, 0.02 - 1e-6);
}

/* ---- closed loops ------------------------------------------------------------- */

static void
never_task (BridgeTask *task,
            gpointer    user_data)
{
  g_error ("a task spawned on a closed loop ran");
}

static void
test_closed_refused (LoopFixture   *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(GError) error = NULL;
  const GError *task_error;
  guint destroyed = 0;

  g_assert_true (bridge_loop_close (fixture->loop, &error));
  g_assert_no_error (error);
  g_assert_true (bridge_loop_is_closed (fixture->loop));
  /* Closing twice is harmless. */
  g_assert_true (bridge_loop_close (fixture->loop, &error));
  g_assert_no_error (error);

  g_assert_false (bridge_loop_run_forever (fixture->loop, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_false (bridge_loop_run_until_complete (fixture->loop, future, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);

  if (g_test_undefined ())
    {
      g_test_expect_message ("Bridge", G_LOG_LEVEL_CRITICAL, "*bridge_loop_call_soon*Event loop is closed*");
      g_assert_null (bridge_loop_call_soon (fixture->loop, must_not_run_cb, NULL, NULL));
      g_test_assert_expected_messages ();

      g_test_expect_message ("Bridge", G_LOG_LEVEL_CRITICAL, "*Event loop is closed*");
      g_assert_null (bridge_loop_call_later (fixture->loop, 0.1, must_not_run_cb, NULL, NULL));
      g_test_assert_expected_messages ();

      g_test_expect_message ("Bridge", G_LOG_LEVEL_CRITICAL, "*Event loop is closed*");
      g_assert_null (bridge_loop_call_at (fixture->loop, 0, must_not_run_cb, NULL, NULL));
      g_test_assert_expected_messages ();

      g_test_expect_message ("Bridge", G_LOG_LEVEL_CRITICAL, "*Event loop is closed*");
      g_assert_null (bridge_loop_call_soon_threadsafe (fixture->loop, must_not_run_cb, NULL, NULL));
      g_test_assert_expected_messages ();
    }

  /* Spawning gives a task that already failed, and its body never runs. */
  task = bridge_spawn_full (fixture->loop, "late", BRIDGE_STACK_SIZE_DEFAULT, never_task,
                            &destroyed, test_count_destroy);
  g_assert_nonnull (task);
  g_assert_true (bridge_future_is_done (BRIDGE_FUTURE (task)));
  g_assert_false (bridge_future_is_cancelled (BRIDGE_FUTURE (task)));
  g_assert_cmpint (bridge_task_get_state (task), ==, BRIDGE_TASK_STATE_DONE);
  task_error = bridge_future_get_error (BRIDGE_FUTURE (task));
  g_assert_error (task_error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_pointer (&task, bridge_task_unref);
  /* The task's data is released with it. */
  g_assert_cmpuint (destroyed, ==, 1);
}

static void
test_close_drops_queued_work (LoopFixture   *fixture,
                              gconstpointer  user_data)
{
  guint destroyed = 0;
  BridgeHandle *threadsafe;
  g_autoptr(GError) error = NULL;

  bridge_loop_call_soon (fixture->loop, must_not_run_cb, &destroyed, test_count_destroy);
  bridge_loop_call_later (fixture->loop, 0.001, must_not_run_cb, &destroyed, test_count_destroy);
  bridge_loop_call_at (fixture->loop, 0, must_not_run_cb, &destroyed, test_count_destroy);
  threadsafe = bridge_loop_call_soon_threadsafe (fixture->loop, must_not_run_cb,
                                                 &destroyed, test_count_destroy);

  g_assert_true (bridge_loop_close (fixture->loop, &error));
  g_assert_no_error (error);
  /* Nothing ran; everything queued was released exactly once. */
  g_assert_cmpuint (destroyed, ==, 4);
  bridge_handle_unref (threadsafe);
  g_assert_cmpuint (destroyed, ==, 4);

  /* Iterating the context now runs nothing. */
  while (g_main_context_iteration (fixture->context, FALSE))
    ;
}

/* ---- debug mode ------------------------------------------------------------------ */

static void
slow_callback (gpointer user_data)
{
  guint *ran = user_data;

  /* The slow work being measured, not a wait. */
  g_usleep (30 * 1000);
  (*ran)++;
}

static void
test_debug_slow_callback (LoopFixture   *fixture,
                          gconstpointer  user_data)
{
  guint ran = 0;

  bridge_loop_set_debug (fixture->loop, TRUE);
  g_assert_true (bridge_loop_get_debug (fixture->loop));
  g_assert_cmpfloat_with_epsilon (bridge_loop_get_slow_callback_duration (fixture->loop), 0.1, 1e-9);
  bridge_loop_set_slow_callback_duration (fixture->loop, 0.01);
  g_assert_cmpfloat_with_epsilon (bridge_loop_get_slow_callback_duration (fixture->loop), 0.01, 1e-9);

  g_test_expect_message ("Bridge", G_LOG_LEVEL_WARNING, "Executing <Handle * took *seconds");
  bridge_loop_call_soon (fixture->loop, slow_callback, &ran, NULL);
  test_run_until (fixture->context, ran == 1, TEST_TIMEOUT_SECONDS);
  g_test_assert_expected_messages ();

  /* Fast callbacks are not reported (an unexpected warning fails the test). */
  bridge_loop_set_slow_callback_duration (fixture->loop, 10.0);
  bridge_loop_call_soon (fixture->loop, test_count_cb, &ran, NULL);
  test_run_until (fixture->context, ran == 2, TEST_TIMEOUT_SECONDS);

  /* Without debug mode nothing is measured. */
  bridge_loop_set_debug (fixture->loop, FALSE);
  bridge_loop_set_slow_callback_duration (fixture->loop, 0.001);
  bridge_loop_call_soon (fixture->loop, slow_callback, &ran, NULL);
  test_run_until (fixture->context, ran == 3, TEST_TIMEOUT_SECONDS);
}

static void
slow_task (BridgeTask *task,
           gpointer    user_data)
{
  GError *error = NULL;

  /* A fast first step, then a slow one after the yield. */
  g_assert_true (bridge_yield (&error));
  g_assert_no_error (error);
  g_usleep (30 * 1000);
}

static void
test_debug_slow_task (LoopFixture   *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(BridgeTask) task = NULL;

  bridge_loop_set_debug (fixture->loop, TRUE);
  bridge_loop_set_slow_callback_duration (fixture->loop, 0.01);

  /* One report, naming the task; the ready-queue entry that resumed it is
   * not reported a second time. */
  g_test_expect_message ("Bridge", G_LOG_LEVEL_WARNING, "Executing <Task name='slowpoke'> took *seconds");
  task = bridge_spawn_full (fixture->loop, "slowpoke", BRIDGE_STACK_SIZE_DEFAULT, slow_task, NULL, NULL);
  test_run_until (fixture->context, bridge_future_is_done (BRIDGE_FUTURE (task)), TEST_TIMEOUT_SECONDS);
  g_test_assert_expected_messages ();
}

static void
test_debug_env (void)
{
  g_autoptr(BridgeLoop) on = NULL;
  g_autoptr(BridgeLoop) off = NULL;
  g_autofree char *saved = g_strdup (g_getenv ("BRIDGE_DEBUG"));

  g_setenv ("BRIDGE_DEBUG", "1", TRUE);
  on = bridge_loop_new (NULL);
  g_setenv ("BRIDGE_DEBUG", "0", TRUE);
  off = bridge_loop_new (NULL);
  if (saved != NULL)
    g_setenv ("BRIDGE_DEBUG", saved, TRUE);
  else
    g_unsetenv ("BRIDGE_DEBUG");

  g_assert_true (bridge_loop_get_debug (on));
  g_assert_false (bridge_loop_get_debug (off));

  g_assert_true (bridge_loop_close (on, NULL));
  g_assert_true (bridge_loop_close (off, NULL));
}

/* ---- exception handler ------------------------------------------------------------ */

typedef struct
{
  guint         calls;
  char         *message;
  GError       *error;
  BridgeFuture *future;
  guint         destroyed;
} HandlerData;

static void
record_handler (BridgeLoop   *loop,
                const char   *message,
                const GError *error,
                BridgeFuture *future,
                gpointer      user_data)
{
  HandlerData *data = user_data;

  data->calls++;
  g_free (data->message);
  data->message = g_strdup (message);
  g_clear_error (&data->error);
  data->error = error != NULL ? g_error_copy (error) : NULL;
  data->future = future;
}

static void
handler_destroy (gpointer user_data)
{
  HandlerData *data = user_data;

  data->destroyed++;
}

static void
test_exception_handler (LoopFixture   *fixture,
                        gconstpointer  user_data)
{
  HandlerData data = { 0 };
  BridgeFuture *future = bridge_future_new_for_loop (fixture->loop);

  bridge_loop_set_exception_handler (fixture->loop, record_handler, &data, handler_destroy);

  bridge_loop_call_exception_handler (fixture->loop, "something odd", NULL, NULL);
  g_assert_cmpuint (data.calls, ==, 1);
  g_assert_cmpstr (data.message, ==, "something odd");
  g_assert_null (data.error);
  g_assert_null (data.future);

  /* A failed future freed with its error unread goes to the handler. */
  g_assert_true (bridge_future_set_error (future, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone"), NULL));
  bridge_future_unref (future);
  g_assert_cmpuint (data.calls, ==, 2);
  g_assert_cmpstr (data.message, ==, "Future exception was never retrieved");
  g_assert_error (data.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_true (data.future == future);

  /* Replacing the handler releases the old data; NULL restores the default,
   * which logs a warning. */
  bridge_loop_set_exception_handler (fixture->loop, NULL, NULL, NULL);
  g_assert_cmpuint (data.destroyed, ==, 1);

  g_test_expect_message ("Bridge", G_LOG_LEVEL_WARNING, "something else*");
  bridge_loop_call_exception_handler (fixture->loop, "something else", NULL, NULL);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (data.calls, ==, 2);

  g_free (data.message);
  g_clear_error (&data.error);
}

/* ---- default loop, time ----------------------------------------------------------- */

static void
default_loop_cb (gpointer user_data)
{
  LoopFixture *fixture = user_data;

  /* Inside a callback the running loop is the default. */
  g_assert_true (bridge_loop_get_default () == fixture->loop);
  fixture->context = NULL;
}

static void
test_default_loop (LoopFixture   *fixture,
                   gconstpointer  user_data)
{
  BridgeLoop *global = bridge_loop_get_default ();
  g_autoptr(GMainContext) pushed = g_main_context_new ();
  g_autoptr(BridgeLoop) same = NULL;
  GMainContext *context = fixture->context;
  BridgeLoop *pushed_loop;

  g_assert_true (BRIDGE_IS_LOOP (global));
  g_assert_true (bridge_loop_get_default () == global);
  g_assert_true (bridge_loop_get_context (global) == g_main_context_default ());

  /* The thread-default context picks the loop. */
  g_main_context_push_thread_default (pushed);
  pushed_loop = bridge_loop_get_default ();
  g_assert_true (bridge_loop_get_context (pushed_loop) == pushed);
  same = bridge_loop_new (pushed);
  g_assert_true (same == pushed_loop);
  g_main_context_pop_thread_default (pushed);
  g_assert_true (bridge_loop_get_default () == global);
  g_assert_true (bridge_loop_close (same, NULL));

  g_clear_object (&same);

  /* One loop per context. */
  same = bridge_loop_new (context);
  g_assert_true (same == fixture->loop);
  g_clear_object (&same);

  bridge_loop_call_soon (fixture->loop, default_loop_cb, fixture, NULL);
  test_run_until (context, fixture->context == NULL, TEST_TIMEOUT_SECONDS);
  fixture->context = context;
}

static void
test_time (LoopFixture   *fixture,
           gconstpointer  user_data)
{
  double before = g_get_monotonic_time () / (double) G_USEC_PER_SEC;
  double t1 = bridge_loop_time (fixture->loop);
  double t2 = bridge_loop_time (fixture->loop);
  double after = g_get_monotonic_time () / (double) G_USEC_PER_SEC;

  g_assert_cmpfloat (t1, >=, before - 1e-6);
  g_assert_cmpfloat (t2, >=, t1);
  g_assert_cmpfloat (t2, <=, after + 1e-6);
}

/* ---- tasks listed by the loop --------------------------------------------------- */

static void
park_on_future_task (BridgeTask *task,
                     gpointer    user_data)
{
  BridgeFuture *future = user_data;
  GError *error = NULL;

  g_assert_true (bridge_await (future, &error));
  g_assert_no_error (error);
}

static gboolean
all_parked (BridgeTask **tasks,
            guint        n)
{
  for (guint i = 0; i < n; i++)
    if (bridge_task_get_state (tasks[i]) != BRIDGE_TASK_STATE_PARKED)
      return FALSE;
  return TRUE;
}

static guint
count_tasks (BridgeLoop *loop)
{
  g_autoptr(GPtrArray) listed = bridge_loop_list_tasks (loop);

  return listed->len;
}

static void
test_list_tasks (LoopFixture   *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(BridgeFuture) future = bridge_future_new_for_loop (fixture->loop);
  g_autoptr(GPtrArray) listed = NULL;
  BridgeTask *tasks[3];

  listed = bridge_loop_list_tasks (fixture->loop);
  g_assert_cmpuint (listed->len, ==, 0);
  g_clear_pointer (&listed, g_ptr_array_unref);

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    tasks[i] = bridge_spawn_full (fixture->loop, NULL, BRIDGE_STACK_SIZE_DEFAULT,
                                  park_on_future_task, future, NULL);

  /* Scheduled tasks are listed before they ever run. */
  listed = bridge_loop_list_tasks (fixture->loop);
  g_assert_cmpuint (listed->len, ==, 3);
  g_clear_pointer (&listed, g_ptr_array_unref);

  test_run_until (fixture->context, all_parked (tasks, 3), TEST_TIMEOUT_SECONDS);
  listed = bridge_loop_list_tasks (fixture->loop);
  g_assert_cmpuint (listed->len, ==, 3);
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    g_assert_true (g_ptr_array_find (listed, tasks[i], NULL));
  g_clear_pointer (&listed, g_ptr_array_unref);

  /* The loop keeps the tasks alive on its own. */
  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    bridge_task_unref (tasks[i]);
  listed = bridge_loop_list_tasks (fixture->loop);
  g_assert_cmpuint (listed->len, ==, 3);
  g_clear_pointer (&listed, g_ptr_array_unref);

  bridge_future_set_boolean (future, TRUE, NULL);
  test_run_until (fixture->context, count_tasks (fixture->loop) == 0, TEST_TIMEOUT_SECONDS);
}

/* ---- bridge_run ----------------------------------------------------------------- */

typedef struct
{
  BridgeTask *child;
  gboolean    child_cleaned_up;
  gboolean    child_saw_cancel;
  gboolean    main_ran;
} RunData;

static void
run_main_ok (BridgeTask *task,
             gpointer    user_data)
{
  RunData *data = user_data;
  GError *error = NULL;

  data->main_ran = TRUE;
  g_assert_true (bridge_task_get_current () == task);
  g_assert_cmpstr (bridge_task_get_name (task), ==, "main");
  g_assert_true (bridge_sleep (0.001, &error));
  g_assert_no_error (error);
  bridge_task_return_int64 (task, 7);
}

static void
run_main_fail (BridgeTask *task,
               gpointer    user_data)
{
  bridge_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "no %s", "way");
}

static void
run_child (BridgeTask *task,
           gpointer    user_data)
{
  RunData *data = user_data;
  GError *error = NULL;

  if (!bridge_sleep (3600, &error))
    data->child_saw_cancel = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  data->child_cleaned_up = TRUE;
}

static void
run_main_with_leftover (BridgeTask *task,
                        gpointer    user_data)
{
  RunData *data = user_data;
  GError *error = NULL;

  data->child = bridge_spawn (run_child, data, NULL);
  /* Let the child start and park. */
  g_assert_true (bridge_yield (&error));
  g_assert_true (bridge_yield (&error));
  g_assert_cmpint (bridge_task_get_state (data->child), ==, BRIDGE_TASK_STATE_PARKED);
  data->main_ran = TRUE;
}

static void
run_main_nested (BridgeTask *task,
                 gpointer    user_data)
{
  RunData *data = user_data;
  GError *error = NULL;

  g_assert_false (bridge_run (run_main_ok, data, &error));
  g_assert_error (error, BRIDGE_ERROR, BRIDGE_ERROR_INVALID_STATE);
  g_clear_error (&error);
  g_assert_false (data->main_ran);
}

static void
test_bridge_run (void)
{
  RunData data = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_run (run_main_ok, &data, &error));
  g_assert_no_error (error);
  g_assert_true (data.main_ran);
  g_assert_null (bridge_task_get_current ());

  g_assert_false (bridge_run (run_main_fail, &data, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpstr (error->message, ==, "no way");
  g_clear_error (&error);

  /* Not from inside a running loop. */
  data.main_ran = FALSE;
  g_assert_true (bridge_run (run_main_nested, &data, &error));
  g_assert_no_error (error);
}

static void
test_bridge_run_leftovers (void)
{
  RunData data = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_run (run_main_with_leftover, &data, &error));
  g_assert_no_error (error);
  g_assert_true (data.main_ran);

  /* The child was cancelled at its await, ran its cleanup, and ended
   * cancelled: asyncio.run() cancels the tasks left behind. */
  g_assert_true (data.child_saw_cancel);
  g_assert_true (data.child_cleaned_up);
  g_assert_true (bridge_future_is_cancelled (BRIDGE_FUTURE (data.child)));
  g_assert_true (bridge_loop_is_closed (bridge_future_get_loop (BRIDGE_FUTURE (data.child))));
  bridge_task_unref (data.child);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  LOOP_TEST ("/libbridge/loop/call-soon/fifo", test_call_soon_fifo);
  LOOP_TEST ("/libbridge/loop/call-soon/fifo-across-growth", test_call_soon_fifo_across_growth);
  LOOP_TEST ("/libbridge/loop/call-soon/next-iteration", test_call_soon_next_iteration);
  LOOP_TEST ("/libbridge/loop/stop/current-batch", test_stop_runs_current_batch);
  LOOP_TEST ("/libbridge/loop/dispatch/bounded", test_dispatch_bounded);
  LOOP_TEST ("/libbridge/loop/dispatch/bounded-slow-items", test_dispatch_bounded_slow_items);
  LOOP_TEST ("/libbridge/loop/call-later/order", test_call_later_order);
  LOOP_TEST ("/libbridge/loop/call-later/zero-delay", test_call_later_zero);
  LOOP_TEST ("/libbridge/loop/call-later/never-before-the-clock", test_call_later_never_before_the_clock);
  LOOP_TEST ("/libbridge/loop/call-later/random-order", test_call_later_random_order);
  LOOP_TEST ("/libbridge/loop/handle/cancel", test_handle_cancel);
  LOOP_TEST ("/libbridge/loop/call-at/many-due-at-once", test_call_at_many_due_at_once);
  LOOP_TEST ("/libbridge/loop/call-at/many-due-decades-apart", test_call_at_many_due_decades_apart);
  LOOP_TEST ("/libbridge/loop/handle/cancel-many-timers", test_handle_cancel_many_timers);
  LOOP_TEST ("/libbridge/loop/handle/cancelled-timers-released", test_handle_cancelled_timers_released);
  LOOP_TEST ("/libbridge/loop/run/nested-refused", test_run_nested_refused);
  LOOP_TEST ("/libbridge/loop/run/stopped-early", test_run_stopped_early);
  LOOP_TEST ("/libbridge/loop/run/forever-stop", test_run_forever_stop);
  LOOP_TEST ("/libbridge/loop/closed/refused", test_closed_refused);
  LOOP_TEST ("/libbridge/loop/close/drops-queued-work", test_close_drops_queued_work);
  LOOP_TEST ("/libbridge/loop/debug/slow-callback", test_debug_slow_callback);
  LOOP_TEST ("/libbridge/loop/debug/slow-task", test_debug_slow_task);
  g_test_add_func ("/libbridge/loop/debug/env", test_debug_env);
  LOOP_TEST ("/libbridge/loop/exception-handler", test_exception_handler);
  LOOP_TEST ("/libbridge/loop/default", test_default_loop);
  LOOP_TEST ("/libbridge/loop/time", test_time);
  LOOP_TEST ("/libbridge/loop/list-tasks", test_list_tasks);
  g_test_add_func ("/libbridge/loop/bridge-run/result", test_bridge_run);
  g_test_add_func ("/libbridge/loop/bridge-run/cancels-leftovers", test_bridge_run_leftovers);

  return g_test_run ();
}
