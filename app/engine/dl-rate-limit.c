/* dl-rate-limit.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-rate-limit"

#include "config.h"

#include "dl-rate-limit-private.h"

/* A speed limit is a token bucket: it fills at the limit, one token a
 * byte, up to BURST_USEC worth of them. Whoever is about to read waits
 * (with bridge_sleep(), never spinning) until the bucket holds what the
 * read may bring, looking again after the wait, and after the read pays
 * for what it brought; a read that brings more than there were leaves the
 * bucket in debt, which the next reader waits out. Downloads and
 * connections that share a limit share it in turn, and together never
 * read more than the bucket held plus what the limit allowed since, and
 * one read each.
 *
 * A burst is what the limit lets through at once after a quiet moment:
 * small enough that no second sees much more than the limit, large
 * enough that a download does not stop and start many times a second. */
#define BURST_USEC (G_USEC_PER_SEC / 4)

/* A read asks for at most this long of the limit's bytes, so that one read
 * does not make a debt of seconds under a low limit... */
#define CHUNK_USEC (G_USEC_PER_SEC / 20)

/* ...but at least this many bytes, so that a very low limit does not mean
 * a read per handful of bytes. */
#define MIN_CHUNK 1024

struct _DlRateLimit
{
  gatomicrefcount ref_count;
  guint64         rate;       /* bytes per second; 0: no limit */
  double          tokens;     /* bytes that may go now; negative: the debt */
  gint64          updated;    /* monotonic µs @tokens was brought up to date */
};

/**
 * _dl_rate_limit_new:
 * @bytes_per_second: the limit, or 0 for none
 *
 * Returns: (transfer full): a new limit, its bucket full
 */
DlRateLimit *
_dl_rate_limit_new (guint64 bytes_per_second)
{
  DlRateLimit *self = g_new0 (DlRateLimit, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->rate = bytes_per_second;
  self->tokens = (double) bytes_per_second * BURST_USEC / G_USEC_PER_SEC;
  self->updated = -1;
  return self;
}

DlRateLimit *
_dl_rate_limit_ref (DlRateLimit *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
_dl_rate_limit_unref (DlRateLimit *self)
{
  if (g_atomic_ref_count_dec (&self->ref_count))
    g_free (self);
}

static double
burst (DlRateLimit *self)
{
  return (double) self->rate * BURST_USEC / G_USEC_PER_SEC;
}

/* Fills the bucket for the time since it was last brought up to date. */
static void
refill (DlRateLimit *self,
        gint64       now)
{
  if (self->updated >= 0 && now > self->updated)
    self->tokens = MIN (self->tokens + (double) self->rate * (now - self->updated) / G_USEC_PER_SEC,
                        burst (self));
  if (now > self->updated)
    self->updated = now;
}

/**
 * _dl_rate_limit_set:
 * @self: a limit
 * @bytes_per_second: the new limit, or 0 for none
 * @now: g_get_monotonic_time()
 *
 * Changes the limit for those sharing it, from now on. A debt made under
 * the old limit is forgiven when the limit goes up or away (nobody waits
 * for a limit that no longer holds) and kept otherwise.
 */
void
_dl_rate_limit_set (DlRateLimit *self,
                    guint64      bytes_per_second,
                    gint64       now)
{
  g_return_if_fail (self != NULL);

  refill (self, now);
  if (bytes_per_second == 0 || (self->rate != 0 && bytes_per_second > self->rate))
    self->tokens = MAX (self->tokens, 0);
  self->rate = bytes_per_second;
  self->tokens = MIN (self->tokens, burst (self));
}

guint64
_dl_rate_limit_get (DlRateLimit *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->rate;
}

/**
 * _dl_rate_limit_wait:
 * @self: a limit
 * @n_bytes: the most the next read may bring
 * @now: g_get_monotonic_time()
 *
 * How long a reader waits before a read of up to @n_bytes: until the
 * bucket holds them (or, for a read larger than the burst, is full). The
 * reader looks again when it wakes, as another may have read meanwhile,
 * and pays for what the read brought with _dl_rate_limit_charge(). Paying
 * after the read means nobody waits for bytes a read asked for and did
 * not bring: with several readers, taking before a wait and giving back
 * after it would make the others' waits count bytes given back later.
 *
 * Returns: µs to wait; 0 when the read may go now, or without a limit
 */
gint64
_dl_rate_limit_wait (DlRateLimit *self,
                     gsize        n_bytes,
                     gint64       now)
{
  double need;

  g_return_val_if_fail (self != NULL, 0);

  if (self->rate == 0)
    return 0;

  refill (self, now);
  need = MIN ((double) n_bytes, burst (self));
  if (self->tokens >= need)
    return 0;
  return (gint64) ((need - self->tokens) * G_USEC_PER_SEC / (double) self->rate) + 1;
}

/**
 * _dl_rate_limit_charge:
 * @self: a limit
 * @n_bytes: bytes a read brought
 * @now: g_get_monotonic_time()
 *
 * Pays for @n_bytes read; a debt makes the next _dl_rate_limit_wait()
 * wait.
 */
void
_dl_rate_limit_charge (DlRateLimit *self,
                       gsize        n_bytes,
                       gint64       now)
{
  g_return_if_fail (self != NULL);

  if (self->rate == 0)
    return;

  refill (self, now);
  self->tokens -= (double) n_bytes;
}

/**
 * _dl_rate_limit_get_chunk:
 * @self: a limit
 * @most: the most a read would ask for without a limit
 *
 * Returns: how much one read should ask for under this limit: a
 *   twentieth of a second's worth, at least 1 KiB, at most @most
 */
gsize
_dl_rate_limit_get_chunk (DlRateLimit *self,
                          gsize        most)
{
  guint64 chunk;

  g_return_val_if_fail (self != NULL, most);

  if (self->rate == 0)
    return most;
  chunk = MAX (self->rate * CHUNK_USEC / G_USEC_PER_SEC, MIN_CHUNK);
  return (gsize) MIN (chunk, most);
}
