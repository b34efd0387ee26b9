/* test-rate-limit.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "dl-rate-limit-private.h"

/* The speed limit against a clock of the test's own: readers that take
 * what the limit lets them, as fast as it lets them, over simulated
 * minutes. The rule (what a user sees): over any 10 s the average stays
 * within ±5 % of the limit, and no second gets more than 1.5 times it. */

#define USEC       G_USEC_PER_SEC
#define MOST_READ  (256 * 1024)

typedef struct
{
  gint64 time;
  gsize  bytes;
} Receipt;

/* @n_readers readers share @limit from time 0 to @end as the engine's
 * readers do: each waits until what was read before is paid for (looking
 * again when it wakes, as another reader may have read in the meantime),
 * then reads and pays for what the read brought. Every
 * @short_every-th read brings half of what it asked for (a quarter when
 * @short_every is 1). When @change_at is reached the limit becomes
 * @new_rate. Returns every receipt, in time order, and each reader's total
 * in @totals. */
static GArray *
simulate_short_reads (DlRateLimit *limit,
                      guint        n_readers,
                      gint64       end,
                      gint64       change_at,
                      guint64      new_rate,
                      guint        short_every,
                      guint64     *totals)
{
  GArray *receipts = g_array_new (FALSE, FALSE, sizeof (Receipt));
  g_autofree gint64 *next = g_new0 (gint64, n_readers);
  g_autofree guint64 *since = g_new0 (guint64, n_readers);  /* when each set its time */
  guint64 n_steps = 0;
  gboolean changed = FALSE;

  for (;;)
    {
      guint reader = 0;
      gint64 now;
      Receipt receipt;

      /* Equal times go first come, first served, as the loop's timers do. */
      for (guint i = 1; i < n_readers; i++)
        if (next[i] < next[reader] || (next[i] == next[reader] && since[i] < since[reader]))
          reader = i;
      now = next[reader];
      if (now >= end)
        break;

      if (!changed && now >= change_at)
        {
          _dl_rate_limit_set (limit, new_rate, change_at);
          changed = TRUE;
        }

      {
        gint64 wait = _dl_rate_limit_wait (limit, _dl_rate_limit_get_chunk (limit, MOST_READ), now);

        if (wait > 0)
          {
            next[reader] = now + wait;
            since[reader] = ++n_steps;
            continue;
          }
      }

      /* The read takes a little time of its own, and brings less than it
       * asked for now and then. */
      receipt.time = now;
      receipt.bytes = _dl_rate_limit_get_chunk (limit, MOST_READ);
      if (short_every == 1)
        receipt.bytes /= 4;
      else if (receipts->len % short_every == 3)
        receipt.bytes -= receipt.bytes / 2;
      _dl_rate_limit_charge (limit, receipt.bytes, now);
      g_array_append_val (receipts, receipt);
      totals[reader] += receipt.bytes;
      next[reader] = now + 100;
      since[reader] = ++n_steps;
    }
  return receipts;
}

static GArray *
simulate (DlRateLimit *limit,
          guint        n_readers,
          gint64       end,
          gint64       change_at,
          guint64      new_rate,
          guint64     *totals)
{
  return simulate_short_reads (limit, n_readers, end, change_at, new_rate, 7, totals);
}

static guint64
bytes_between (GArray *receipts,
               gint64  from,
               gint64  to)
{
  guint64 bytes = 0;

  for (guint i = 0; i < receipts->len; i++)
    {
      Receipt *receipt = &g_array_index (receipts, Receipt, i);

      if (receipt->time >= from && receipt->time < to)
        bytes += receipt->bytes;
    }
  return bytes;
}

/* Every 10 s window from @from to @to is within ±5 % of @rate, and every
 * 1 s window at most 1.5 times it (windows start every 100 ms). */
static void
assert_holds (GArray  *receipts,
              guint64  rate,
              gint64   from,
              gint64   to)
{
  for (gint64 start = from; start + 10 * USEC <= to; start += USEC / 10)
    {
      double average = bytes_between (receipts, start, start + 10 * USEC) / 10.0;

      g_assert_cmpfloat (average, >=, rate * 0.95);
      g_assert_cmpfloat (average, <=, rate * 1.05);
    }
  for (gint64 start = from; start + USEC <= to; start += USEC / 10)
    g_assert_cmpfloat (bytes_between (receipts, start, start + USEC), <=, rate * 1.5);
}

static void
test_one_reader (void)
{
  const guint64 rate = 1024 * 1024;
  g_autoptr(DlRateLimit) limit = _dl_rate_limit_new (rate);
  guint64 total = 0;
  g_autoptr(GArray) receipts = simulate (limit, 1, 60 * USEC, G_MAXINT64, 0, &total);

  assert_holds (receipts, rate, 0, 60 * USEC);
}

/* Downloads sharing a limit get it together, and in about equal shares. */
static void
test_shared_fairly (void)
{
  const guint64 rate = 5 * 1024 * 1024;
  const guint n_readers = 8;
  g_autoptr(DlRateLimit) limit = _dl_rate_limit_new (rate);
  guint64 totals[8] = { 0, };
  g_autoptr(GArray) receipts = simulate (limit, n_readers, 60 * USEC, G_MAXINT64, 0, totals);

  assert_holds (receipts, rate, 0, 60 * USEC);
  for (guint i = 0; i < n_readers; i++)
    {
      g_assert_cmpfloat (totals[i], >=, rate * 60.0 / n_readers * 0.9);
      g_assert_cmpfloat (totals[i], <=, rate * 60.0 / n_readers * 1.1);
    }
}

/* A limit low next to one read still holds: reads shrink to fit it. */
static void
test_low_limit (void)
{
  const guint64 rate = 3000;
  g_autoptr(DlRateLimit) limit = _dl_rate_limit_new (rate);
  guint64 totals[2] = { 0, };
  g_autoptr(GArray) receipts = simulate (limit, 2, 120 * USEC, G_MAXINT64, 0, totals);

  g_assert_cmpuint (_dl_rate_limit_get_chunk (limit, MOST_READ), ==, 1024);
  assert_holds (receipts, rate, 0, 120 * USEC);
}

/* A limit changed while downloads run holds from then on, up or down. */
static void
test_changed_while_running (void)
{
  g_autoptr(DlRateLimit) lower = _dl_rate_limit_new (2 * 1024 * 1024);
  g_autoptr(DlRateLimit) higher = _dl_rate_limit_new (512 * 1024);
  guint64 totals[4] = { 0, };
  g_autoptr(GArray) down = simulate (lower, 4, 60 * USEC, 20 * USEC, 256 * 1024, totals);
  g_autoptr(GArray) up = simulate (higher, 4, 60 * USEC, 20 * USEC, 4 * 1024 * 1024, totals);

  assert_holds (down, 2 * 1024 * 1024, 0, 20 * USEC);
  /* The debt from before the change is paid off at the new rate first. */
  assert_holds (down, 256 * 1024, 22 * USEC, 60 * USEC);
  assert_holds (up, 512 * 1024, 0, 20 * USEC);
  assert_holds (up, 4 * 1024 * 1024, 20 * USEC, 60 * USEC);
}

/* Without a limit, nobody waits and reads are whole. */
static void
test_unlimited (void)
{
  g_autoptr(DlRateLimit) limit = _dl_rate_limit_new (0);

  for (guint i = 0; i < 1000; i++)
    {
      g_assert_cmpint (_dl_rate_limit_wait (limit, MOST_READ, i), ==, 0);
      _dl_rate_limit_charge (limit, MOST_READ, i);
    }
  g_assert_cmpuint (_dl_rate_limit_get_chunk (limit, MOST_READ), ==, MOST_READ);

  /* Lifting a limit forgives the debt made under it. */
  _dl_rate_limit_set (limit, 1000, 0);
  _dl_rate_limit_charge (limit, 100000, 0);
  g_assert_cmpint (_dl_rate_limit_wait (limit, 1, 0), >, 90 * USEC);
  _dl_rate_limit_set (limit, 0, 1);
  g_assert_cmpint (_dl_rate_limit_wait (limit, MOST_READ, 2), ==, 0);
}

/* As simulate(), for readers that each wait for @global and for a limit
 * of their own (@own[i], NULL for none) before a read and pay both after it, as a download with
 * its own limit does under the global one: the read asks for what both
 * allow and waits for the later of the two. Reader 0 pauses (a stalled
 * server) from @pause_from for @pause_usec. Each reader's receipts go to
 * @per_reader[i]; all of them are returned. */
static GArray *
simulate_layered (DlRateLimit  *global,
                  DlRateLimit **own,
                  guint         n_readers,
                  gint64        end,
                  gint64        pause_from,
                  gint64        pause_usec,
                  GArray      **per_reader)
{
  GArray *receipts = g_array_new (FALSE, FALSE, sizeof (Receipt));
  g_autofree gint64 *next = g_new0 (gint64, n_readers);
  g_autofree guint64 *since = g_new0 (guint64, n_readers);  /* when each set its time */
  guint64 n_steps = 0;
  gboolean paused = FALSE;

  for (guint i = 0; i < n_readers; i++)
    per_reader[i] = g_array_new (FALSE, FALSE, sizeof (Receipt));

  for (;;)
    {
      guint reader = 0;
      Receipt receipt;
      gint64 wait;

      /* Equal times go first come, first served, as the loop's timers do. */
      for (guint i = 1; i < n_readers; i++)
        if (next[i] < next[reader] || (next[i] == next[reader] && since[i] < since[reader]))
          reader = i;
      if (next[reader] >= end)
        break;

      if (reader == 0 && !paused && next[0] >= pause_from)
        {
          paused = TRUE;
          next[0] += pause_usec;
          continue;
        }

      receipt.bytes = _dl_rate_limit_get_chunk (global, MOST_READ);
      if (own[reader] != NULL)
        receipt.bytes = _dl_rate_limit_get_chunk (own[reader], receipt.bytes);
      wait = _dl_rate_limit_wait (global, receipt.bytes, next[reader]);
      if (own[reader] != NULL)
        wait = MAX (wait, _dl_rate_limit_wait (own[reader], receipt.bytes, next[reader]));
      if (wait > 0)
        {
          next[reader] += wait;
          since[reader] = ++n_steps;
          continue;
        }

      receipt.time = next[reader];
      receipt.bytes = _dl_rate_limit_get_chunk (global, MOST_READ);
      if (own[reader] != NULL)
        receipt.bytes = _dl_rate_limit_get_chunk (own[reader], receipt.bytes);
      _dl_rate_limit_charge (global, receipt.bytes, receipt.time);
      if (own[reader] != NULL)
        _dl_rate_limit_charge (own[reader], receipt.bytes, receipt.time);
      g_array_append_val (receipts, receipt);
      g_array_append_val (per_reader[reader], receipt);
      next[reader] = receipt.time + 100;
      since[reader] = ++n_steps;
    }
  return receipts;
}

/* A download's own limit under the global one: all of them together keep
 * to the global one, and that download never goes over its own, neither
 * over 10 s nor in any second. (Its own limit is a ceiling: under a busy
 * global limit the readers share it read by read, so a download whose own
 * limit makes its reads small gets less than its own limit.) */
static void
test_own_under_global (void)
{
  const guint64 global_rate = 4 * 1024 * 1024;
  const guint64 own_rate = 256 * 1024;
  g_autoptr(DlRateLimit) global = _dl_rate_limit_new (global_rate);
  g_autoptr(DlRateLimit) own = _dl_rate_limit_new (own_rate);
  DlRateLimit *limits[4] = { own, NULL, NULL, NULL };
  GArray *per_reader[4];
  g_autoptr(GArray) receipts = simulate_layered (global, limits, 4, 60 * USEC, G_MAXINT64, 0,
                                                 per_reader);

  assert_holds (receipts, global_rate, 0, 60 * USEC);
  for (gint64 start = 0; start + 10 * USEC <= 60 * USEC; start += USEC / 10)
    g_assert_cmpfloat (bytes_between (per_reader[0], start, start + 10 * USEC) / 10.0, <=,
                       own_rate * 1.05);
  for (gint64 start = 0; start + USEC <= 60 * USEC; start += USEC / 10)
    g_assert_cmpfloat (bytes_between (per_reader[0], start, start + USEC), <=, own_rate * 1.5);
  for (guint i = 0; i < 4; i++)
    g_array_unref (per_reader[i]);
}

/* After a pause (a server that stalled for seconds) the bucket holds no
 * more than its burst: the second after it stays under 1.5 times the
 * limit, and the 10 s windows after it are back within ±5 %. */
static void
test_after_a_pause (void)
{
  const guint64 rate = 1024 * 1024;
  g_autoptr(DlRateLimit) limit = _dl_rate_limit_new (rate);
  DlRateLimit *limits[1] = { limit };
  g_autoptr(DlRateLimit) global = _dl_rate_limit_new (0);
  GArray *per_reader[1];
  g_autoptr(GArray) receipts = simulate_layered (global, limits, 1, 60 * USEC, 20 * USEC,
                                                 5 * USEC, per_reader);

  for (gint64 start = 0; start + USEC <= 60 * USEC; start += USEC / 10)
    g_assert_cmpfloat (bytes_between (receipts, start, start + USEC), <=, rate * 1.5);
  assert_holds (receipts, rate, 0, 20 * USEC);
  assert_holds (receipts, rate, 25 * USEC, 60 * USEC);
  g_array_unref (per_reader[0]);
}

/* Several readers whose reads bring a quarter of what they ask for (a
 * slow server, a small socket buffer) still get the whole limit between
 * them: a reader waits only for bytes that came, never for bytes another
 * reader asked for and did not get. */
static void
test_short_reads_shared (void)
{
  const guint64 rate = 5 * 1024 * 1024;
  g_autoptr(DlRateLimit) limit = _dl_rate_limit_new (rate);
  guint64 totals[4] = { 0, };
  g_autoptr(GArray) receipts = simulate_short_reads (limit, 4, 60 * USEC, G_MAXINT64, 0, 1,
                                                     totals);

  assert_holds (receipts, rate, 0, 60 * USEC);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/downloader/rate-limit/one-reader", test_one_reader);
  g_test_add_func ("/downloader/rate-limit/shared-fairly", test_shared_fairly);
  g_test_add_func ("/downloader/rate-limit/low-limit", test_low_limit);
  g_test_add_func ("/downloader/rate-limit/changed-while-running", test_changed_while_running);
  g_test_add_func ("/downloader/rate-limit/unlimited", test_unlimited);
  g_test_add_func ("/downloader/rate-limit/own-under-global", test_own_under_global);
  g_test_add_func ("/downloader/rate-limit/after-a-pause", test_after_a_pause);
  g_test_add_func ("/downloader/rate-limit/short-reads-shared", test_short_reads_shared);

  return g_test_run ();
}
