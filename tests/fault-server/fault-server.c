/* fault-server.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A SoupServer on 127.0.0.1 that misbehaves on request. Any path works; the
 * path only names the file (clients take the last segment as the default
 * file name). Behaviour is chosen by query parameters, all combinable:
 *
 *   size=N           body length in bytes (default 1024); N may end in k, m, g
 *                    or t (binary multiples), as may every byte count below
 *   seed=S           body seed (default 0). Byte i of the body is a fixed
 *                    function of (S, i), see fault_server_fill_body(), so a
 *                    client can check every byte (or the SHA-256)
 *   type=MIME        Content-Type (default application/octet-stream)
 *   cd=VALUE         raw Content-Disposition value (percent-encode it)
 *   rate=N           send at most N body bytes per second, in timed chunks
 *   delay=SECONDS    wait before sending the response headers (fractions ok)
 *   drop_after=N     close the connection after N body bytes (Content-Length
 *                    still promises the whole body)
 *   hang_after=N     send N body bytes (at most the body), then stall with the
 *                    connection open until the client goes away
 *   lie_length=N     send Content-Length: N but the real body (shorter or
 *                    longer), then close the connection
 *   faults=M         drop_after, hang_after, lie_length, delay, chunked_cut and
 *                    chunked_garbage only apply to the first M requests of the
 *                    key (default: to all; after them the chunked body is whole)
 *   status=A,B,C     status of the 1st, 2nd, 3rd… request of the key; the last
 *                    repeats. Any 2xx serves the resource; other codes get a
 *                    short text body
 *   key=K            names the sequence that status= and faults= count; without
 *                    it the path and query of the request are the key.
 *                    fault_server_get_request_count() counts requests by key
 *   retry_after=V    Retry-After on non-2xx answers: seconds, an HTTP-date
 *                    (percent-encoded), or +N for an HTTP-date N s from now
 *   no_range=1       ignore Range: always 200 with the whole body, and no
 *                    Accept-Ranges header
 *   etag_change=1    ETag and Last-Modified change on every request, so an
 *                    If-Range never matches (the reply is then 200, whole body)
 *   gzip=1           Content-Encoding: gzip; the body is the gzip of the
 *                    generated body (at most 256 MiB), Content-Length and
 *                    ranges count compressed bytes
 *   redirect=N       N 302 redirects (to the same URL with redirect=N-1, the
 *                    other parameters kept) before the resource
 *   redirect_status=C  use status C (301, 302, 303, 307, 308) for redirects
 *   redirect_loop=1  redirect to the same URL forever
 *   redirect_to=URL  redirect to URL (any scheme)
 *   chunked=1        Transfer-Encoding: chunked (16 KiB chunks) instead of
 *                    Content-Length, with the terminating 0 chunk
 *   chunked_cut=N    chunked, but the connection closes after N body bytes,
 *                    at a chunk boundary, with no terminating 0 chunk
 *   chunked_garbage=K  chunked; after chunked_cut bytes (default half the
 *                    body) comes a malformed chunk: K is zz (not hex), neg
 *                    (-10), huge (ffffffffffffffff) or nocrlf (chunk data not
 *                    followed by CRLF); then 16 more body bytes, a 0 chunk
 *                    and the close
 *   range_etag_change=1  a Range request gets 206 from another version of the
 *                    file (seed+1, another ETag and Last-Modified) whatever
 *                    If-Range says: a changed file on a server that ignores
 *                    If-Range. Requests without Range get the original
 *   range_fault=K    the range_fault_at-th request of the key (default the
 *                    3rd), if it has a Range, gets: ignore (200 with the whole
 *                    body), 416 (Range Not Satisfiable), or lie (206 whose
 *                    Content-Range says one byte later than the bytes sent)
 *   range_fault_at=N which request range_fault applies to (1 for the first)
 *   no_etag=1        no ETag header (Last-Modified only)
 *   part_name=1      Content-Disposition names the file after the last path
 *                    segment plus ".part"
 *   reason=TEXT      reason phrase of the status line (percent-encode it; any
 *                    bytes but CR and LF), e.g. terminal escape sequences
 *   endless=1        200 without Content-Length: the body never ends (the
 *                    connection's close would end it), Range is ignored
 *   header_size=N    an X-Padding header of N bytes on the resource (libsoup
 *                    refuses response headers over 64 KiB: "Header too big")
 *   auth=basic|digest  the resource needs credentials, user= and password=
 *                    (default alice, Pa55w0rd), see fault-server-auth.c
 *   forbid_auth=1    403 to any request with an Authorization header
 *
 * Always: ETag (strong, from seed, size and encoding) and Last-Modified (from
 * the seed); Range "bytes=A-", "bytes=A-B" and "bytes=-N" give 206 with
 * Content-Range, an unsatisfiable range gives 416, several ranges or a bad
 * Range header are ignored (200); If-Range with a different ETag or date gives
 * 200 with the whole body (RFC 9110 §13.1.5). HEAD gives the GET headers.
 *
 * Bodies are streamed in chunks as the socket drains, never built in memory
 * (except gzip). Clean responses go through SoupServer with keep-alive;
 * responses with drop_after, hang_after or lie_length take the connection
 * over from libsoup (soup_server_message_steal_connection) and write the
 * response by hand, since libsoup will neither send more than Content-Length
 * nor stop before it.
 */

#include "config.h"

#include "fault-server.h"
#include "fault-server-auth.h"

#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>
#include <libsoup/soup.h>

#define FULL_CHUNK (1024 * 1024)  /* chunk when not rate limited */
#define WIRE_CHUNK (16 * 1024)      /* chunk of a chunked body */
#define GARBAGE_DATA 16             /* body bytes sent inside a malformed chunk */
#define QUEUED_CHUNKS 1             /* refilled from wrote-chunk, before libsoup asks */
#define RATE_TICK_PER_SECOND 20     /* a rate-limited chunk every 50 ms */
#define GZIP_MAX_SIZE (256 * 1024 * 1024)
#define GZIP_CACHE_MAX (512 * 1024 * 1024)
#define LAST_MODIFIED_BASE G_GINT64_CONSTANT (1577836800)  /* 2020-01-01 UTC */

static const char help_text[] =
  "Query parameters (combinable, on any path; the last path segment names the file):\n"
  "  size=N           body length in bytes (default 1024); k, m, g, t suffixes\n"
  "                   (binary) work here and in every byte count below\n"
  "  seed=S           body seed (default 0); byte i is a fixed function of (S, i):\n"
  "                     x = S*0xD1B54A32D192ED03 + (i>>3)*0x9E3779B97F4A7C15 + 1\n"
  "                     x ^= x>>32; x *= 0xD6E8FEB86659FD93;\n"
  "                     x ^= x>>32; x *= 0xD6E8FEB86659FD93; x ^= x>>32\n"
  "                     byte = (x >> 8*(i&7)) & 0xff          (all mod 2^64)\n"
  "  type=MIME        Content-Type (default application/octet-stream)\n"
  "  cd=VALUE         raw Content-Disposition value (percent-encoded)\n"
  "  rate=N           at most N body bytes per second, in timed chunks\n"
  "  delay=SECONDS    wait before sending the response headers\n"
  "  drop_after=N     close the connection after N body bytes\n"
  "  hang_after=N     send N body bytes, then stall with the connection open\n"
  "  lie_length=N     Content-Length: N while sending the real body, then close\n"
  "  faults=M         drop_after/hang_after/lie_length/delay/chunked_cut/\n"
  "                   chunked_garbage only for the first M requests of the key\n"
  "                   (default: all)\n"
  "  status=A,B,C     status of the n-th request of the key; the last repeats;\n"
  "                   2xx serves the resource, others a short text body\n"
  "  key=K            sequence name for status= and faults= (default: the\n"
  "                   request's path and query)\n"
  "  retry_after=V    Retry-After on non-2xx: seconds, an HTTP-date, or +N for\n"
  "                   an HTTP-date N seconds from now\n"
  "  no_range=1       ignore Range (always 200, whole body, no Accept-Ranges)\n"
  "  etag_change=1    new ETag/Last-Modified per request (If-Range never matches)\n"
  "  gzip=1           Content-Encoding: gzip (body at most 256 MiB)\n"
  "  redirect=N       N redirects (redirect=N-1, other parameters kept) first\n"
  "  redirect_status=C  301, 302 (default), 303, 307 or 308 for redirects\n"
  "  redirect_loop=1  redirect to the same URL forever\n"
  "  redirect_to=URL  redirect to URL (any scheme)\n"
  "  chunked=1        Transfer-Encoding: chunked, 16 KiB chunks, 0 chunk at the end\n"
  "  chunked_cut=N    chunked, closed after N bytes at a chunk boundary, no 0 chunk\n"
  "  chunked_garbage=K  chunked, a malformed chunk after chunked_cut bytes (default\n"
  "                   half): K = zz, neg (-10), huge (ffffffffffffffff), nocrlf\n"
  "  range_etag_change=1  Range gets 206 from another version (seed+1, other ETag\n"
  "                   and Last-Modified), If-Range ignored\n"
  "  range_fault=K    the range_fault_at-th request (default 3rd) of the key, if\n"
  "                   it has Range: ignore (200, whole body), 416, or lie\n"
  "                   (Content-Range one byte off the bytes sent)\n"
  "  range_fault_at=N which request range_fault applies to (1: the first)\n"
  "  no_etag=1        no ETag header (Last-Modified only)\n"
  "  part_name=1      Content-Disposition filename = last path segment + .part\n"
  "  reason=TEXT      reason phrase of the status line (any bytes but CR, LF)\n"
  "  endless=1        200 without length, a body that never ends\n"
  "  header_size=N    an X-Padding header of N bytes\n"
  "  auth=basic|digest  needs credentials user= and password= (default alice,\n"
  "                   Pa55w0rd), realm \"Fault Server\"\n"
  "  forbid_auth=1    403 to a request that carries an Authorization header\n"
  "Always: ETag, Last-Modified, Range (bytes=A-, A-B, -N) with 206/416,\n"
  "If-Range (mismatch gives 200 with the whole body), HEAD.\n";

struct _FaultServer
{
  /* Guards the counters and the socket list, which the API reads from
   * whatever thread the test runs in. */
  GMutex lock;
  GHashTable *key_requests;   /* key → count of every request with key=K */
  GHashTable *key_served;     /* sequence key → requests that reached the resource */
  guint total_requests;
  guint etag_generation;
  GPtrArray *sockets;         /* GSocket of every connection not yet seen closed */
  guint max_open;             /* the most connections open at once */

  /* Only touched in the server's thread. */
  GList *jobs;
  GList *raw_conns;
  GHashTable *gzip_cache;     /* "seed/size" → GBytes */
  gsize gzip_cache_bytes;

  SoupServer *server;
  GSocket *listener;
  GMainContext *context;
  char *uri;
  guint port;

  /* Parameters, and the thread when the server runs in its own. */
  guint want_port;
  char *cert_file;
  char *key_file;
  GThread *thread;
  GMainLoop *loop;
  GCond cond;
  gboolean started;
  GError *start_error;
};

/* ------------------------------------------------------------------------ */
/* The body                                                                  */

static inline guint64
body_word (guint64 seed,
           guint64 word)
{
  guint64 x;

  x = seed * G_GUINT64_CONSTANT (0xD1B54A32D192ED03)
      + word * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15) + 1;
  x ^= x >> 32;
  x *= G_GUINT64_CONSTANT (0xD6E8FEB86659FD93);
  x ^= x >> 32;
  x *= G_GUINT64_CONSTANT (0xD6E8FEB86659FD93);
  x ^= x >> 32;
  return x;
}

void
fault_server_fill_body (guint64  seed,
                        guint64  offset,
                        guint8  *buf,
                        gsize    len)
{
  guint64 word = offset >> 3;
  guint k = offset & 7;

  if (k != 0 && len > 0)
    {
      guint64 x = body_word (seed, word);

      while (k < 8 && len > 0)
        {
          *buf++ = (guint8) (x >> (8 * k));
          k++;
          len--;
        }
      word++;
    }

  while (len >= 8)
    {
      guint64 v = GUINT64_TO_LE (body_word (seed, word));

      memcpy (buf, &v, 8);
      buf += 8;
      len -= 8;
      word++;
    }

  if (len > 0)
    {
      guint64 x = body_word (seed, word);

      for (k = 0; k < len; k++)
        buf[k] = (guint8) (x >> (8 * k));
    }
}

char *
fault_server_body_sha256 (guint64 seed,
                          guint64 size)
{
  GChecksum *checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize bufsize = 1024 * 1024;
  guint8 *buf = g_malloc (bufsize);
  guint64 offset = 0;
  char *result;

  while (offset < size)
    {
      gsize n = (gsize) MIN (size - offset, (guint64) bufsize);

      fault_server_fill_body (seed, offset, buf, n);
      g_checksum_update (checksum, buf, n);
      offset += n;
    }

  result = g_strdup (g_checksum_get_string (checksum));
  g_checksum_free (checksum);
  g_free (buf);
  return result;
}

const char *
fault_server_get_test_cert_file (void)
{
  return FAULT_SERVER_SOURCE_DIR G_DIR_SEPARATOR_S "test-cert.pem";
}

const char *
fault_server_get_test_key_file (void)
{
  return FAULT_SERVER_SOURCE_DIR G_DIR_SEPARATOR_S "test-key.pem";
}

const char *
fault_server_get_help (void)
{
  return help_text;
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static GSource *
add_timeout (FaultServer *self,
             gint64       usec,
             GSourceFunc  func,
             gpointer     data)
{
  GSource *source;
  guint ms = (guint) MIN ((usec + 999) / 1000, (gint64) G_MAXUINT);

  /* Explicit context: in thread mode g_timeout_add() would land on the
   * global default context, which nobody iterates there. */
  source = g_timeout_source_new (ms);
  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, self->context);
  return source;
}

static GSource *
add_idle (FaultServer *self,
          GSourceFunc  func,
          gpointer     data)
{
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, self->context);
  return source;
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_source_unref (*source);
      *source = NULL;
    }
}

/* A byte count: digits with an optional binary k/m/g/t suffix. */
static gboolean
parse_bytes (const char  *name,
             const char  *text,
             guint64     *out,
             GError     **error)
{
  guint64 value = 0, mult = 1;
  const char *p = text;

  if (!g_ascii_isdigit (*p))
    goto bad;
  while (g_ascii_isdigit (*p))
    {
      guint digit = (guint) (*p - '0');

      if (value > (G_MAXUINT64 - digit) / 10)
        goto bad;
      value = value * 10 + digit;
      p++;
    }
  switch (g_ascii_tolower (*p))
    {
    case '\0': break;
    case 'k': mult = G_GUINT64_CONSTANT (1) << 10; p++; break;
    case 'm': mult = G_GUINT64_CONSTANT (1) << 20; p++; break;
    case 'g': mult = G_GUINT64_CONSTANT (1) << 30; p++; break;
    case 't': mult = G_GUINT64_CONSTANT (1) << 40; p++; break;
    default: goto bad;
    }
  if (*p != '\0' || (value != 0 && mult > G_MAXUINT64 / value))
    goto bad;
  *out = value * mult;
  return TRUE;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "bad value for %s: “%s”", name, text);
  return FALSE;
}

static gboolean
parse_flag (const char *text)
{
  return text != NULL && *text != '\0' && strcmp (text, "0") != 0
         && g_ascii_strcasecmp (text, "false") != 0
         && g_ascii_strcasecmp (text, "no") != 0;
}

static gboolean
has_line_break (const char *text)
{
  return text != NULL && strpbrk (text, "\r\n") != NULL;
}

/* ------------------------------------------------------------------------ */
/* Parameters                                                                */

typedef struct
{
  guint64 size;
  guint64 seed;
  guint64 rate;
  gint64 drop_after;      /* -1 when not given, for these four */
  gint64 hang_after;
  gint64 lie_length;
  gint64 faults;
  gint64 delay_usec;
  gboolean no_range;
  gboolean etag_change;
  gboolean gzip;
  gboolean redirect_loop;
  gboolean chunked;       /* any of the chunked modes */
  gint64 chunked_cut;     /* -1 when not given */
  char *chunked_garbage;
  gboolean range_etag_change;
  char *range_fault;
  guint64 range_fault_at;
  gboolean no_etag;
  gboolean part_name;
  gboolean endless;
  guint64 header_size;
  char *reason;
  guint64 redirect;
  guint redirect_status;
  char *redirect_to;
  char *cd;
  char *type;
  char *key;
  char *retry_after;
  GArray *statuses;       /* guint */
} Params;

static void
params_clear (Params *p)
{
  g_clear_pointer (&p->redirect_to, g_free);
  g_clear_pointer (&p->cd, g_free);
  g_clear_pointer (&p->type, g_free);
  g_clear_pointer (&p->key, g_free);
  g_clear_pointer (&p->retry_after, g_free);
  g_clear_pointer (&p->chunked_garbage, g_free);
  g_clear_pointer (&p->range_fault, g_free);
  g_clear_pointer (&p->reason, g_free);
  g_clear_pointer (&p->statuses, g_array_unref);
}

static gboolean
parse_optional_bytes (GHashTable  *query,
                      const char  *name,
                      gint64      *out,
                      GError     **error)
{
  const char *text = query ? g_hash_table_lookup (query, name) : NULL;
  guint64 value;

  *out = -1;
  if (text == NULL)
    return TRUE;
  if (!parse_bytes (name, text, &value, error))
    return FALSE;
  *out = (gint64) MIN (value, (guint64) G_MAXINT64);
  return TRUE;
}

static gboolean
params_parse (Params      *p,
              GHashTable  *query,
              GError     **error)
{
  const char *text;

  memset (p, 0, sizeof *p);
  p->size = 1024;
  p->redirect_status = SOUP_STATUS_FOUND;

#define LOOKUP(name) (query ? (const char *) g_hash_table_lookup (query, name) : NULL)

  if ((text = LOOKUP ("size")) && !parse_bytes ("size", text, &p->size, error))
    return FALSE;
  if ((text = LOOKUP ("seed")) && !parse_bytes ("seed", text, &p->seed, error))
    return FALSE;
  if ((text = LOOKUP ("rate")) && !parse_bytes ("rate", text, &p->rate, error))
    return FALSE;
  if ((text = LOOKUP ("redirect")) && !parse_bytes ("redirect", text, &p->redirect, error))
    return FALSE;
  if ((text = LOOKUP ("header_size")) &&
      (!parse_bytes ("header_size", text, &p->header_size, error) || p->header_size > 16 * 1024 * 1024))
    {
      g_clear_error (error);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "header_size must be at most 16m");
      return FALSE;
    }
  if (!parse_optional_bytes (query, "drop_after", &p->drop_after, error) ||
      !parse_optional_bytes (query, "hang_after", &p->hang_after, error) ||
      !parse_optional_bytes (query, "lie_length", &p->lie_length, error) ||
      !parse_optional_bytes (query, "faults", &p->faults, error) ||
      !parse_optional_bytes (query, "chunked_cut", &p->chunked_cut, error))
    return FALSE;

  p->delay_usec = 0;
  if ((text = LOOKUP ("delay")))
    {
      char *end = NULL;
      double seconds = g_ascii_strtod (text, &end);

      if (end == text || *end != '\0' || !(seconds >= 0 && seconds <= 86400))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "bad value for delay: “%s”", text);
          return FALSE;
        }
      p->delay_usec = (gint64) (seconds * G_USEC_PER_SEC);
    }

  if ((text = LOOKUP ("redirect_status")))
    {
      guint64 code;

      if (!parse_bytes ("redirect_status", text, &code, error))
        return FALSE;
      if (code != 301 && code != 302 && code != 303 && code != 307 && code != 308)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "redirect_status must be 301, 302, 303, 307 or 308");
          return FALSE;
        }
      p->redirect_status = (guint) code;
    }

  if ((text = LOOKUP ("status")))
    {
      char **parts = g_strsplit (text, ",", -1);
      guint i;

      p->statuses = g_array_new (FALSE, FALSE, sizeof (guint));
      for (i = 0; parts[i] != NULL; i++)
        {
          guint64 code;
          guint code32;

          if (!parse_bytes ("status", g_strstrip (parts[i]), &code, error) ||
              code < 200 || code > 599)
            {
              g_clear_error (error);
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "bad status list “%s” (codes 200 to 599)", text);
              g_strfreev (parts);
              return FALSE;
            }
          code32 = (guint) code;
          g_array_append_val (p->statuses, code32);
        }
      g_strfreev (parts);
      if (p->statuses->len == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "empty status list");
          return FALSE;
        }
    }

  p->no_range = parse_flag (LOOKUP ("no_range"));
  p->etag_change = parse_flag (LOOKUP ("etag_change"));
  p->gzip = parse_flag (LOOKUP ("gzip"));
  p->redirect_loop = parse_flag (LOOKUP ("redirect_loop"));
  p->redirect_to = g_strdup (LOOKUP ("redirect_to"));
  p->cd = g_strdup (LOOKUP ("cd"));
  p->type = g_strdup (LOOKUP ("type"));
  p->key = g_strdup (LOOKUP ("key"));
  p->retry_after = g_strdup (LOOKUP ("retry_after"));
  p->chunked_garbage = g_strdup (LOOKUP ("chunked_garbage"));
  p->range_etag_change = parse_flag (LOOKUP ("range_etag_change"));
  p->range_fault = g_strdup (LOOKUP ("range_fault"));
  p->range_fault_at = 3;
  if ((text = LOOKUP ("range_fault_at")) &&
      !parse_bytes ("range_fault_at", text, &p->range_fault_at, error))
    return FALSE;
  if (p->range_fault != NULL &&
      !g_strv_contains ((const char * const[]) { "ignore", "416", "lie", NULL }, p->range_fault))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "range_fault must be ignore, 416 or lie");
      return FALSE;
    }
  p->no_etag = parse_flag (LOOKUP ("no_etag"));
  p->part_name = parse_flag (LOOKUP ("part_name"));
  p->endless = parse_flag (LOOKUP ("endless"));
  p->reason = g_strdup (LOOKUP ("reason"));
  p->chunked = parse_flag (LOOKUP ("chunked")) || p->chunked_cut >= 0 ||
               p->chunked_garbage != NULL;

#undef LOOKUP

  if (p->chunked_garbage != NULL &&
      !g_strv_contains ((const char * const[]) { "zz", "neg", "huge", "nocrlf", NULL },
                        p->chunked_garbage))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "chunked_garbage must be zz, neg, huge or nocrlf");
      return FALSE;
    }
  if (p->chunked && (p->gzip || p->endless))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "the chunked modes go with neither gzip nor endless");
      return FALSE;
    }

  /* These go into header values verbatim: refuse header injection. */
  if (has_line_break (p->redirect_to) || has_line_break (p->cd) ||
      has_line_break (p->type) || has_line_break (p->retry_after) ||
      has_line_break (p->reason))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "header values must not contain line breaks");
      return FALSE;
    }
  if (p->gzip && p->size > GZIP_MAX_SIZE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "gzip bodies are limited to %d bytes", GZIP_MAX_SIZE);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Chunk producer, shared by the libsoup and the hand-written paths          */

typedef struct
{
  guint64 seed;
  GBytes *source;     /* the encoded (gzip) body, or NULL: generate */
  guint64 pos;        /* next offset to hand out */
  guint64 end;        /* stop before this offset */
  guint64 rate;       /* bytes per second, 0: unlimited */
  gint64 t0;          /* monotonic time the drip started */
  guint64 sent;       /* bytes handed out since t0 */
} Producer;

static void
producer_init (Producer *prod,
               guint64   seed,
               GBytes   *source,
               guint64   start,
               guint64   end,
               guint64   rate)
{
  prod->seed = seed;
  prod->source = source ? g_bytes_ref (source) : NULL;
  prod->pos = start;
  prod->end = end;
  prod->rate = rate;
  prod->t0 = g_get_monotonic_time ();
  prod->sent = 0;
}

static void
producer_clear (Producer *prod)
{
  g_clear_pointer (&prod->source, g_bytes_unref);
}

static gboolean
producer_done (Producer *prod)
{
  return prod->pos >= prod->end;
}

/* Full-size chunk buffers are recycled: fresh megabytes from malloc are
 * fresh pages, and faulting them in costs more than filling them. */
#define CHUNK_POOL_MAX 16

G_LOCK_DEFINE_STATIC (chunk_pool);
static GSList *chunk_pool;
static guint chunk_pool_len;

/* Every chunk buffer carries its size in a 16-byte header in front, so
 * chunk_free() knows which ones go back to the pool. */
#define CHUNK_HEADER 16

static guint8 *
chunk_alloc (gsize n)
{
  guint8 *data = NULL;

  if (n == FULL_CHUNK)
    {
      G_LOCK (chunk_pool);
      if (chunk_pool != NULL)
        {
          data = chunk_pool->data;
          chunk_pool = g_slist_delete_link (chunk_pool, chunk_pool);
          chunk_pool_len--;
        }
      G_UNLOCK (chunk_pool);
    }
  if (data == NULL)
    data = g_malloc (n + CHUNK_HEADER);
  *(gsize *) data = n;
  return data + CHUNK_HEADER;
}

static void
chunk_free (gpointer user_data)
{
  guint8 *data = (guint8 *) user_data - CHUNK_HEADER;

  if (*(gsize *) data == FULL_CHUNK)
    {
      G_LOCK (chunk_pool);
      if (chunk_pool_len < CHUNK_POOL_MAX)
        {
          chunk_pool = g_slist_prepend (chunk_pool, data);
          chunk_pool_len++;
          data = NULL;
        }
      G_UNLOCK (chunk_pool);
    }
  g_free (data);
}

/* The next chunk, or NULL: done, or (with *wait_usec > 0) not yet due. A
 * rate-limited chunk is handed out only when sending it keeps the total at
 * or below rate × elapsed time, so a body of S bytes takes at least S/rate. */
static GBytes *
producer_next (Producer *prod,
               gsize     max_chunk,
               gint64   *wait_usec)
{
  guint64 n;

  *wait_usec = 0;
  if (producer_done (prod))
    return NULL;

  n = MIN (prod->end - prod->pos, (guint64) max_chunk);
  if (prod->rate > 0)
    {
      guint64 tick = MAX (prod->rate / RATE_TICK_PER_SECOND, 1);
      guint64 total;
      gint64 due, now;

      n = MIN (n, tick);
      total = prod->sent + n;
      /* Split the division so total * 10^6 cannot overflow. */
      due = prod->t0 + (gint64) ((total / prod->rate) * G_USEC_PER_SEC
                                 + ((total % prod->rate) * G_USEC_PER_SEC) / prod->rate);
      now = g_get_monotonic_time ();
      if (now < due)
        {
          *wait_usec = due - now;
          return NULL;
        }
    }

  prod->sent += n;
  prod->pos += n;
  if (prod->source != NULL)
    return g_bytes_new_from_bytes (prod->source, (gsize) (prod->pos - n), (gsize) n);
  else
    {
      guint8 *data = chunk_alloc ((gsize) n);

      fault_server_fill_body (prod->seed, prod->pos - n, data, (gsize) n);
      return g_bytes_new_with_free_func (data, (gsize) n, chunk_free, data);
    }
}

/* ------------------------------------------------------------------------ */
/* gzip bodies                                                               */

static GBytes *
gzip_body (FaultServer  *self,
           guint64       seed,
           guint64       size,
           GError      **error)
{
  char *cache_key = g_strdup_printf ("%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, seed, size);
  GBytes *cached = g_hash_table_lookup (self->gzip_cache, cache_key);
  GZlibCompressor *compressor;
  GByteArray *out;
  guint8 *in;
  gsize in_size = 256 * 1024;
  guint64 offset = 0;
  gsize in_len = 0, in_pos = 0;
  gboolean ok = TRUE;
  GBytes *result;

  if (cached != NULL)
    {
      g_free (cache_key);
      return g_bytes_ref (cached);
    }

  /* Level 1: the generated body is incompressible anyway, so spend no
   * time trying. */
  compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 1);
  out = g_byte_array_sized_new ((guint) MIN (size + size / 100 + 1024, (guint64) G_MAXUINT));
  in = g_malloc (in_size);

  for (;;)
    {
      guint8 outbuf[64 * 1024];
      gsize bytes_read = 0, bytes_written = 0;
      GConverterResult res;
      GConverterFlags flags = G_CONVERTER_NO_FLAGS;

      if (in_pos == in_len && offset < size)
        {
          in_len = (gsize) MIN (size - offset, (guint64) in_size);
          fault_server_fill_body (seed, offset, in, in_len);
          offset += in_len;
          in_pos = 0;
        }
      if (offset >= size)
        flags = G_CONVERTER_INPUT_AT_END;

      res = g_converter_convert (G_CONVERTER (compressor), in + in_pos, in_len - in_pos,
                                 outbuf, sizeof outbuf, flags,
                                 &bytes_read, &bytes_written, error);
      if (res == G_CONVERTER_ERROR)
        {
          ok = FALSE;
          break;
        }
      in_pos += bytes_read;
      g_byte_array_append (out, outbuf, (guint) bytes_written);
      if (res == G_CONVERTER_FINISHED)
        break;
    }

  g_free (in);
  g_object_unref (compressor);
  if (!ok)
    {
      g_byte_array_unref (out);
      g_free (cache_key);
      return NULL;
    }

  result = g_byte_array_free_to_bytes (out);
  /* Keep recent ones: a retrying client asks for the same body again. */
  if (self->gzip_cache_bytes + g_bytes_get_size (result) > GZIP_CACHE_MAX)
    {
      g_hash_table_remove_all (self->gzip_cache);
      self->gzip_cache_bytes = 0;
    }
  self->gzip_cache_bytes += g_bytes_get_size (result);
  g_hash_table_insert (self->gzip_cache, cache_key, g_bytes_ref (result));
  return result;
}

/* ------------------------------------------------------------------------ */
/* Hand-written responses on a stolen connection                             */

typedef enum
{
  END_CLOSE,    /* close after the body */
  END_HANG,     /* keep the connection open until the client leaves */
} EndAction;

typedef struct
{
  FaultServer *self;
  GIOStream *stream;
  GSocket *socket;
  GCancellable *cancellable;
  Producer prod;
  EndAction end_action;
  gboolean chunked;   /* frame each piece of the body as a chunk */
  GBytes *head;       /* status line and headers */
  GBytes *tail;       /* written after the body, before the end action */
  GBytes *writing;    /* kept alive while written */
  GSource *timer;
  guint8 *read_buf;
  gboolean closed;
} RawConn;

#define RAW_READ_SIZE 4096

static void raw_conn_pump (RawConn *rc);

static void
raw_conn_close (RawConn *rc)
{
  if (rc->closed)
    return;
  rc->closed = TRUE;
  clear_source (&rc->timer);
  g_cancellable_cancel (rc->cancellable);
  /* FIN after whatever was written, never RST: an RST could discard the
   * bytes the client is owed. No TLS close_notify either: an abrupt end is
   * the point. The descriptor itself is closed in raw_conn_free(), once no
   * operation is pending on it. */
  if (rc->socket != NULL)
    g_socket_shutdown (rc->socket, TRUE, TRUE, NULL);
}

static void
raw_conn_free (RawConn *rc)
{
  FaultServer *self = rc->self;

  raw_conn_close (rc);
  if (rc->socket != NULL)
    g_socket_close (rc->socket, NULL);
  self->raw_conns = g_list_remove (self->raw_conns, rc);
  producer_clear (&rc->prod);
  g_clear_pointer (&rc->head, g_bytes_unref);
  g_clear_pointer (&rc->tail, g_bytes_unref);
  g_clear_pointer (&rc->writing, g_bytes_unref);
  g_clear_object (&rc->cancellable);
  g_clear_object (&rc->stream);
  g_clear_object (&rc->socket);
  g_free (rc->read_buf);
  g_free (rc);
}

static void
raw_conn_read_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  RawConn *rc = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  /* EOF, an error or cancellation all mean the hang is over. */
  if (n <= 0 || rc->closed)
    {
      raw_conn_free (rc);
      return;
    }
  g_input_stream_read_async (G_INPUT_STREAM (source), rc->read_buf, RAW_READ_SIZE,
                             G_PRIORITY_DEFAULT, rc->cancellable, raw_conn_read_cb, rc);
}

static void
raw_conn_write_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  RawConn *rc = user_data;
  gboolean ok = g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);

  g_clear_pointer (&rc->writing, g_bytes_unref);
  if (!ok || rc->closed)
    {
      /* The client went away (or we are shutting down). */
      raw_conn_free (rc);
      return;
    }
  raw_conn_pump (rc);
}

static gboolean
raw_conn_timer_cb (gpointer user_data)
{
  RawConn *rc = user_data;

  g_clear_pointer (&rc->timer, g_source_unref);
  raw_conn_pump (rc);
  return G_SOURCE_REMOVE;
}

static void
raw_conn_write (RawConn *rc,
                GBytes  *bytes)
{
  gsize len;
  gconstpointer data = g_bytes_get_data (bytes, &len);

  rc->writing = bytes;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (rc->stream),
                                   data, len, G_PRIORITY_DEFAULT, rc->cancellable,
                                   raw_conn_write_cb, rc);
}

static void
raw_conn_pump (RawConn *rc)
{
  GBytes *chunk;
  gint64 wait_usec;

  if (rc->head != NULL)
    {
      raw_conn_write (rc, g_steal_pointer (&rc->head));
      return;
    }

  chunk = producer_next (&rc->prod, rc->chunked ? WIRE_CHUNK : FULL_CHUNK, &wait_usec);
  if (chunk != NULL && rc->chunked)
    {
      gsize len;
      gconstpointer data = g_bytes_get_data (chunk, &len);
      GString *framed = g_string_sized_new (len + 16);

      g_string_append_printf (framed, "%" G_GSIZE_MODIFIER "x\r\n", len);
      g_string_append_len (framed, data, (gssize) len);
      g_string_append (framed, "\r\n");
      g_bytes_unref (chunk);
      chunk = g_string_free_to_bytes (framed);
    }
  if (chunk != NULL)
    {
      raw_conn_write (rc, chunk);
      return;
    }
  if (wait_usec > 0)
    {
      rc->timer = add_timeout (rc->self, wait_usec, raw_conn_timer_cb, rc);
      return;
    }
  if (rc->tail != NULL)
    {
      raw_conn_write (rc, g_steal_pointer (&rc->tail));
      return;
    }

  switch (rc->end_action)
    {
    case END_HANG:
      /* Stall, but notice when the client gives up so the connection count
       * drops and nothing leaks. */
      rc->read_buf = g_malloc (RAW_READ_SIZE);
      g_input_stream_read_async (g_io_stream_get_input_stream (rc->stream),
                                 rc->read_buf, RAW_READ_SIZE, G_PRIORITY_DEFAULT,
                                 rc->cancellable, raw_conn_read_cb, rc);
      break;
    case END_CLOSE:
    default:
      raw_conn_free (rc);
      break;
    }
}

/* ------------------------------------------------------------------------ */
/* Per-request state                                                         */

typedef enum
{
  KIND_REDIRECT,
  KIND_STATUS,
  KIND_RESOURCE,
} JobKind;

typedef struct
{
  FaultServer *self;
  SoupServerMessage *msg;   /* owns the job; NULL once finished */
  Params p;
  JobKind kind;
  guint status;
  gboolean faults_active;
  guint index;              /* of this request among its key's, from 0 */
  gboolean head;
  char *location;           /* for redirects */

  GSource *delay_source;
  GSource *rate_source;
  GSource *steal_source;
  gulong wrote_chunk_id;
  gulong finished_id;

  Producer prod;
  guint queued;
  gboolean completed;

  /* For the hand-written path. */
  EndAction end_action;
  guint64 claimed_length;
  gboolean chunked;         /* Transfer-Encoding: chunked */
  gboolean no_length;       /* neither Content-Length nor chunked: until close */
  GBytes *tail;
} Job;

static void
job_detach (Job *job)
{
  FaultServer *self = job->self;

  clear_source (&job->delay_source);
  clear_source (&job->rate_source);
  clear_source (&job->steal_source);
  if (job->msg != NULL)
    {
      if (job->wrote_chunk_id != 0)
        g_signal_handler_disconnect (job->msg, job->wrote_chunk_id);
      if (job->finished_id != 0)
        g_signal_handler_disconnect (job->msg, job->finished_id);
      job->wrote_chunk_id = job->finished_id = 0;
      job->msg = NULL;
    }
  self->jobs = g_list_remove (self->jobs, job);
}

static void
job_free (gpointer data)
{
  Job *job = data;

  /* The message is being finalized: do not touch it. */
  job->msg = NULL;
  job_detach (job);
  params_clear (&job->p);
  producer_clear (&job->prod);
  g_clear_pointer (&job->tail, g_bytes_unref);
  g_free (job->location);
  g_free (job);
}

static void
job_finished_cb (SoupServerMessage *msg,
                 gpointer           user_data)
{
  job_detach (user_data);
}

static const char *
msg_method (SoupServerMessage *msg)
{
  return soup_server_message_get_method (msg);
}

/* ------------------------------------------------------------------------ */
/* Streaming through libsoup                                                 */

static gboolean job_rate_cb (gpointer user_data);

/* Queues chunks until QUEUED_CHUNKS are pending. Returns whether it
 * appended anything. */
static gboolean
job_refill (Job *job)
{
  SoupMessageBody *body = soup_server_message_get_response_body (job->msg);
  gboolean appended = FALSE;

  while (job->queued < QUEUED_CHUNKS)
    {
      gint64 wait_usec;
      GBytes *chunk = producer_next (&job->prod, FULL_CHUNK, &wait_usec);

      if (chunk == NULL)
        {
          if (wait_usec > 0 && job->queued == 0 && job->rate_source == NULL)
            {
              /* libsoup will find nothing to write and pause itself; the
               * timer appends and unpauses. */
              job->rate_source = add_timeout (job->self, wait_usec, job_rate_cb, job);
            }
          else if (wait_usec == 0 && !job->completed)
            {
              job->completed = TRUE;
              soup_message_body_complete (body);
            }
          break;
        }
      soup_message_body_append_bytes (body, chunk);
      g_bytes_unref (chunk);
      job->queued++;
      appended = TRUE;
    }
  return appended;
}

static gboolean
job_rate_cb (gpointer user_data)
{
  Job *job = user_data;

  g_clear_pointer (&job->rate_source, g_source_unref);
  if (job->msg != NULL && job_refill (job))
    soup_server_message_unpause (job->msg);
  return G_SOURCE_REMOVE;
}

static void
job_wrote_chunk_cb (SoupServerMessage *msg,
                    gpointer           user_data)
{
  Job *job = user_data;

  /* Refilling here, inside the write loop, keeps libsoup writing without
   * a pause/unpause round trip through the main loop. */
  if (job->queued > 0)
    job->queued--;
  job_refill (job);
}

/* ------------------------------------------------------------------------ */
/* Taking the connection over                                                */

static gboolean
job_steal_cb (gpointer user_data)
{
  Job *job = user_data;
  FaultServer *self = job->self;
  SoupServerMessage *msg = job->msg;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageHeadersIter iter;
  const char *name, *value;
  GString *head = g_string_new (NULL);
  RawConn *rc;
  GSocket *socket;

  g_clear_pointer (&job->steal_source, g_source_unref);

  g_string_append_printf (head, "HTTP/1.1 %u %s\r\n", job->status,
                          job->p.reason != NULL ? job->p.reason
                                                : soup_status_get_phrase (job->status));
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      if (g_ascii_strcasecmp (name, "Content-Length") == 0 ||
          g_ascii_strcasecmp (name, "Connection") == 0 ||
          g_ascii_strcasecmp (name, "Transfer-Encoding") == 0)
        continue;
      g_string_append_printf (head, "%s: %s\r\n", name, value);
    }
  /* No "Connection: close", although we will close: libsoup's client then
   * reads up to the close and ignores Content-Length, which would hide the
   * very lie being tested. */
  if (job->chunked)
    g_string_append (head, "Transfer-Encoding: chunked\r\n\r\n");
  else if (job->no_length)
    g_string_append (head, "Connection: close\r\n\r\n");
  else
    g_string_append_printf (head, "Content-Length: %" G_GUINT64_FORMAT "\r\n\r\n",
                            job->claimed_length);

  rc = g_new0 (RawConn, 1);
  rc->self = self;
  rc->cancellable = g_cancellable_new ();
  rc->end_action = job->end_action;
  rc->chunked = job->chunked;
  rc->tail = g_steal_pointer (&job->tail);
  rc->head = g_string_free_to_bytes (head);
  /* Move the producer: the job dies with the message during the steal. */
  rc->prod = job->prod;
  memset (&job->prod, 0, sizeof job->prod);
  rc->prod.t0 = g_get_monotonic_time ();

  socket = soup_server_message_get_socket (msg);
  rc->socket = socket ? g_object_ref (socket) : NULL;
  rc->stream = soup_server_message_steal_connection (msg);
  /* From here on msg and job may be gone. */

  if (rc->stream == NULL || rc->socket == NULL)
    {
      self->raw_conns = g_list_prepend (self->raw_conns, rc);
      raw_conn_free (rc);
      return G_SOURCE_REMOVE;
    }

  self->raw_conns = g_list_prepend (self->raw_conns, rc);
  raw_conn_pump (rc);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------ */
/* Answers                                                                   */

static void
set_text_response (SoupServerMessage *msg,
                   guint              status,
                   const char        *reason,
                   const char        *text)
{
  char *body = g_strdup_printf ("%u %s\n%s%s", status, soup_status_get_phrase (status),
                                text ? text : "", text ? "\n" : "");

  soup_server_message_set_status (msg, status, reason);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8",
                                    SOUP_MEMORY_TAKE, body, strlen (body));
}

static char *
http_date (gint64 unix_seconds)
{
  GDateTime *dt = g_date_time_new_from_unix_utc (unix_seconds);
  char *text = soup_date_time_to_string (dt, SOUP_DATE_HTTP);

  g_date_time_unref (dt);
  return text;
}

static void
respond_status (Job *job)
{
  SoupServerMessage *msg = job->msg;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  set_text_response (msg, job->status, job->p.reason, NULL);
  if (job->p.retry_after != NULL)
    {
      if (job->p.retry_after[0] == '+')
        {
          guint64 seconds;
          char *date;

          if (!parse_bytes ("retry_after", job->p.retry_after + 1, &seconds, NULL))
            seconds = 0;
          date = http_date (g_get_real_time () / G_USEC_PER_SEC
                            + (gint64) MIN (seconds, (guint64) G_MAXINT32));
          soup_message_headers_replace (headers, "Retry-After", date);
          g_free (date);
        }
      else
        soup_message_headers_replace (headers, "Retry-After", job->p.retry_after);
    }
}

/* Parses one "bytes=" range. Returns FALSE when the header is to be ignored
 * (bad syntax, other unit, several ranges); *unsatisfiable is set when it
 * is valid but selects nothing of a @total byte body. */
static gboolean
parse_range (const char *header,
             guint64     total,
             guint64    *start,
             guint64    *end,
             gboolean   *unsatisfiable)
{
  const char *p = header;
  guint64 a = 0, b = 0;
  gboolean have_a = FALSE, have_b = FALSE;

  *unsatisfiable = FALSE;
  while (*p == ' ' || *p == '\t')
    p++;
  if (g_ascii_strncasecmp (p, "bytes", 5) != 0)
    return FALSE;
  p += 5;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p++ != '=')
    return FALSE;
  while (*p == ' ' || *p == '\t')
    p++;
  if (strchr (p, ',') != NULL)
    return FALSE;

  while (g_ascii_isdigit (*p))
    {
      if (a > (G_MAXUINT64 - 9) / 10)
        return FALSE;
      a = a * 10 + (guint64) (*p++ - '0');
      have_a = TRUE;
    }
  if (*p++ != '-')
    return FALSE;
  while (g_ascii_isdigit (*p))
    {
      if (b > (G_MAXUINT64 - 9) / 10)
        return FALSE;
      b = b * 10 + (guint64) (*p++ - '0');
      have_b = TRUE;
    }
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p != '\0' || (!have_a && !have_b))
    return FALSE;

  if (!have_a)
    {
      /* Suffix range: the last b bytes. */
      if (b == 0 || total == 0)
        {
          *unsatisfiable = TRUE;
          return TRUE;
        }
      *start = total > b ? total - b : 0;
      *end = total;
      return TRUE;
    }
  if (have_b && b < a)
    return FALSE;
  if (a >= total)
    {
      *unsatisfiable = TRUE;
      return TRUE;
    }
  *start = a;
  *end = have_b ? MIN (b + 1, total) : total;
  return TRUE;
}

static gboolean
if_range_matches (const char *if_range,
                  const char *etag,
                  gint64      last_modified)
{
  GDateTime *dt;
  gboolean match;

  while (*if_range == ' ')
    if_range++;
  /* Weak validators never match (strong comparison, RFC 9110 §13.1.5). */
  if (g_str_has_prefix (if_range, "W/"))
    return FALSE;
  if (if_range[0] == '"')
    return strcmp (if_range, etag) == 0;

  dt = soup_date_time_new_from_http_string (if_range);
  if (dt == NULL)
    return FALSE;
  match = g_date_time_to_unix (dt) == last_modified;
  g_date_time_unref (dt);
  return match;
}

static void
respond_resource (Job *job)
{
  FaultServer *self = job->self;
  SoupServerMessage *msg = job->msg;
  SoupMessageHeaders *req_headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  GBytes *encoded = NULL;
  guint64 total, start, end;
  guint generation = 0;
  gint64 last_modified;
  char *etag, *date;
  const char *range;
  const char *range_fault;
  gboolean partial = FALSE;
  gboolean other_version;
  guint64 body_seed = job->p.seed;
  gboolean raw;

  if (job->p.gzip)
    {
      GError *error = NULL;

      encoded = gzip_body (self, job->p.seed, job->p.size, &error);
      if (encoded == NULL)
        {
          set_text_response (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL, error->message);
          g_error_free (error);
          return;
        }
      total = g_bytes_get_size (encoded);
    }
  else
    total = job->p.size;

  if (job->p.etag_change)
    {
      g_mutex_lock (&self->lock);
      generation = ++self->etag_generation;
      g_mutex_unlock (&self->lock);
    }
  if (generation != 0)
    etag = g_strdup_printf ("\"fs-%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x%s-g%u\"",
                            job->p.seed, job->p.size, job->p.gzip ? "-gz" : "", generation);
  else
    etag = g_strdup_printf ("\"fs-%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x%s\"",
                            job->p.seed, job->p.size, job->p.gzip ? "-gz" : "");
  last_modified = LAST_MODIFIED_BASE + (gint64) (job->p.seed % 100000000) + generation;

  /* The file changed since the client's first request, and this server
   * serves ranges of the new version whatever If-Range says. */
  range = soup_message_headers_get_one (req_headers, "Range");
  other_version = job->p.range_etag_change && range != NULL && !job->head &&
                  !job->p.no_range && !job->p.gzip && !job->p.endless;
  if (other_version)
    {
      body_seed = job->p.seed + 1;
      g_free (etag);
      etag = g_strdup_printf ("\"fs-%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x-changed\"",
                              job->p.seed, job->p.size);
      last_modified += 86400;
    }

  date = http_date (last_modified);
  if (!job->p.no_etag)
    soup_message_headers_replace (headers, "ETag", etag);
  soup_message_headers_replace (headers, "Last-Modified", date);
  g_free (date);

  soup_message_headers_replace (headers, "Content-Type",
                                job->p.type ? job->p.type : "application/octet-stream");
  if (job->p.cd != NULL)
    soup_message_headers_replace (headers, "Content-Disposition", job->p.cd);
  else if (job->p.part_name)
    {
      const char *path = g_uri_get_path (soup_server_message_get_uri (msg));
      const char *slash = strrchr (path, '/');
      char *cd = g_strdup_printf ("attachment; filename=\"%s.part\"",
                                  slash != NULL && slash[1] != '\0' ? slash + 1 : "file");

      soup_message_headers_replace (headers, "Content-Disposition", cd);
      g_free (cd);
    }
  if (job->p.gzip)
    soup_message_headers_replace (headers, "Content-Encoding", "gzip");
  if (job->p.header_size > 0)
    {
      char *padding = g_malloc (job->p.header_size + 1);

      memset (padding, 'p', job->p.header_size);
      padding[job->p.header_size] = '\0';
      soup_message_headers_replace (headers, "X-Padding", padding);
      g_free (padding);
    }
  if (!job->p.no_range && !job->p.endless)
    soup_message_headers_replace (headers, "Accept-Ranges", "bytes");

  start = 0;
  end = total;
  range_fault = range != NULL && job->p.range_fault != NULL &&
                job->index + 1 == job->p.range_fault_at ? job->p.range_fault : NULL;
  if (g_strcmp0 (range_fault, "ignore") == 0)
    range = NULL;
  if (g_strcmp0 (range_fault, "416") == 0)
    {
      char *content_range = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, total);

      set_text_response (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, NULL, NULL);
      soup_message_headers_replace (headers, "Content-Range", content_range);
      g_free (content_range);
      g_free (etag);
      g_clear_pointer (&encoded, g_bytes_unref);
      return;
    }
  if (range != NULL && !job->head && !job->p.no_range && !job->p.endless)
    {
      const char *if_range = soup_message_headers_get_one (req_headers, "If-Range");
      gboolean unsatisfiable;
      guint64 a, b;

      if ((if_range == NULL || other_version ||
           if_range_matches (if_range, etag, last_modified)) &&
          parse_range (range, total, &a, &b, &unsatisfiable))
        {
          if (unsatisfiable)
            {
              char *content_range = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, total);

              set_text_response (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, NULL, NULL);
              soup_message_headers_replace (headers, "Content-Range", content_range);
              g_free (content_range);
              g_free (etag);
              g_clear_pointer (&encoded, g_bytes_unref);
              return;
            }
          start = a;
          end = b;
          partial = TRUE;
        }
    }
  g_free (etag);

  if (partial)
    {
      /* A lie: the bytes sent are not the ones the header names. */
      guint64 shift = g_strcmp0 (range_fault, "lie") == 0 && end < total ? 1 : 0;

      job->status = SOUP_STATUS_PARTIAL_CONTENT;
      soup_message_headers_set_content_range (headers, (goffset) (start + shift),
                                              (goffset) (end - 1 + shift), (goffset) total);
    }
  else
    job->status = SOUP_STATUS_OK;
  soup_server_message_set_status (msg, job->status, job->p.reason);

  if (job->head && (job->p.endless || job->p.chunked))
    {
      soup_message_headers_set_encoding (headers, job->p.chunked ? SOUP_ENCODING_CHUNKED
                                                                 : SOUP_ENCODING_EOF);
      g_clear_pointer (&encoded, g_bytes_unref);
      return;
    }
  if (job->head)
    {
      soup_message_headers_set_content_length (headers,
                                               job->faults_active && job->p.lie_length >= 0
                                               ? (goffset) job->p.lie_length
                                               : (goffset) (end - start));
      g_clear_pointer (&encoded, g_bytes_unref);
      return;
    }

  raw = job->faults_active &&
        (job->p.drop_after >= 0 || job->p.hang_after >= 0 || job->p.lie_length >= 0);
  job->end_action = END_CLOSE;
  job->claimed_length = end - start;
  if (job->p.endless)
    {
      /* Framed by the close that never comes. */
      raw = TRUE;
      job->no_length = TRUE;
      end = G_MAXUINT64;
    }
  else if (job->p.chunked)
    {
      guint64 length = end - start;

      raw = TRUE;
      job->chunked = TRUE;
      if (job->p.chunked_garbage != NULL && job->faults_active)
        {
          guint64 good = job->p.chunked_cut >= 0 ? MIN ((guint64) job->p.chunked_cut, length)
                                                 : length / 2;
          guint8 data[GARBAGE_DATA];
          GString *tail = g_string_new (NULL);
          const char *kind = job->p.chunked_garbage;

          end = start + good;
          fault_server_fill_body (body_seed, end, data, sizeof data);
          if (strcmp (kind, "nocrlf") == 0)
            {
              g_string_append_printf (tail, "%x\r\n", (guint) sizeof data);
              g_string_append_len (tail, (const char *) data, sizeof data);
              /* The next size line follows the data directly. */
              g_string_append_printf (tail, "%x\r\n", (guint) sizeof data);
              g_string_append_len (tail, (const char *) data, sizeof data);
              g_string_append (tail, "\r\n");
            }
          else
            {
              g_string_append (tail, strcmp (kind, "zz") == 0 ? "zz\r\n"
                                     : strcmp (kind, "neg") == 0 ? "-10\r\n"
                                     : "ffffffffffffffff\r\n");
              g_string_append_len (tail, (const char *) data, sizeof data);
              g_string_append (tail, "\r\n");
            }
          g_string_append (tail, "0\r\n\r\n");
          job->tail = g_string_free_to_bytes (tail);
        }
      else if (job->p.chunked_cut >= 0 && job->faults_active)
        end = start + MIN ((guint64) job->p.chunked_cut, length);
      else
        job->tail = g_bytes_new_static ("0\r\n\r\n", 5);
    }
  else if (raw)
    {
      guint64 limit = end - start;

      if (job->p.lie_length >= 0)
        job->claimed_length = (guint64) job->p.lie_length;
      if (job->p.drop_after >= 0)
        limit = MIN (limit, (guint64) job->p.drop_after);
      if (job->p.hang_after >= 0)
        {
          job->end_action = END_HANG;
          if ((guint64) job->p.hang_after < limit)
            limit = (guint64) job->p.hang_after;
        }
      end = start + limit;
    }

  producer_init (&job->prod, body_seed, encoded, start, end, job->p.rate);
  g_clear_pointer (&encoded, g_bytes_unref);

  if (raw)
    {
      /* Leave libsoup's stack first: steal from an idle, with the message
       * paused so libsoup writes nothing meanwhile. */
      soup_server_message_pause (msg);
      job->steal_source = add_idle (self, job_steal_cb, job);
      return;
    }

  soup_message_headers_set_content_length (headers, (goffset) (end - start));
  /* Without accumulate, written chunks are dropped: memory stays at a few
   * chunks whatever the size. It also keeps libsoup's own Range handling
   * out of the way. */
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  job->wrote_chunk_id = g_signal_connect (msg, "wrote-chunk",
                                          G_CALLBACK (job_wrote_chunk_cb), job);
  job_refill (job);
}

static void
respond (Job *job)
{
  switch (job->kind)
    {
    case KIND_REDIRECT:
      soup_server_message_set_redirect (job->msg, job->p.redirect_status, job->location);
      break;
    case KIND_STATUS:
      respond_status (job);
      break;
    case KIND_RESOURCE:
    default:
      respond_resource (job);
      break;
    }
}

static gboolean
job_delay_cb (gpointer user_data)
{
  Job *job = user_data;
  SoupServerMessage *msg = job->msg;

  g_clear_pointer (&job->delay_source, g_source_unref);
  respond (job);
  /* respond() may have paused again to steal the connection: then the
   * steal idle runs first and this unpause is harmless. */
  if (job->steal_source == NULL)
    soup_server_message_unpause (msg);
  return G_SOURCE_REMOVE;
}

/* The URL for the next hop of a redirect chain: same scheme, host, path and
 * query, with redirect=N counted down (and dropped at zero). */
static char *
build_location (SoupServerMessage *msg,
                const Params      *p)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (uri);
  GString *new_query = g_string_new (NULL);
  GUri *target;
  char *result;

  if (query != NULL)
    {
      char **parts = g_strsplit (query, "&", -1);
      guint i;

      for (i = 0; parts[i] != NULL; i++)
        {
          if (parts[i][0] == '\0')
            continue;
          if (p->redirect > 0 && !p->redirect_loop &&
              (strcmp (parts[i], "redirect") == 0 || g_str_has_prefix (parts[i], "redirect=")))
            {
              if (p->redirect <= 1)
                continue;
              if (new_query->len > 0)
                g_string_append_c (new_query, '&');
              g_string_append_printf (new_query, "redirect=%" G_GUINT64_FORMAT, p->redirect - 1);
              continue;
            }
          if (new_query->len > 0)
            g_string_append_c (new_query, '&');
          g_string_append (new_query, parts[i]);
        }
      g_strfreev (parts);
    }

  target = g_uri_build (G_URI_FLAGS_ENCODED, g_uri_get_scheme (uri), NULL,
                        g_uri_get_host (uri), g_uri_get_port (uri), g_uri_get_path (uri),
                        new_query->len > 0 ? new_query->str : NULL, NULL);
  result = g_uri_to_string (target);
  g_uri_unref (target);
  g_string_free (new_query, TRUE);
  return result;
}

static void
track_socket (FaultServer       *self,
              SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  gboolean known = FALSE;
  guint i;

  if (socket == NULL)
    return;
  g_mutex_lock (&self->lock);
  /* Prune as we go, so a long-running server does not collect every
   * connection it ever had. */
  for (i = self->sockets->len; i > 0; i--)
    {
      GSocket *other = g_ptr_array_index (self->sockets, i - 1);

      if (other == socket)
        known = TRUE;
      else if (g_socket_is_closed (other))
        g_ptr_array_remove_index_fast (self->sockets, i - 1);
    }
  if (!known)
    g_ptr_array_add (self->sockets, g_object_ref (socket));
  self->max_open = MAX (self->max_open, self->sockets->len);
  g_mutex_unlock (&self->lock);
}

/* libsoup 3.2 leaks a connection that the client closes while no request
 * is in progress on it (fixed in 3.3): nothing polls or closes the socket
 * any more, and it sits in CLOSE_WAIT for as long as the server runs. So
 * whenever a connection has no request in progress we watch it ourselves,
 * and close it once the client has gone. The state lives on the GSocket. */
typedef struct
{
  FaultServer *self;
  GSource *watch;
  gboolean busy;        /* request headers received, response not finished */
} ConnState;

#define CONN_STATE_KEY "fault-server-conn-state"

static void
conn_state_free (gpointer data)
{
  ConnState *cs = data;

  clear_source (&cs->watch);
  g_free (cs);
}

static gboolean
close_abandoned_cb (gpointer user_data)
{
  GSocket *socket = user_data;
  ConnState *cs = g_object_get_data (G_OBJECT (socket), CONN_STATE_KEY);

  /* An idle, so libsoup's own handler for the same EOF ran first: if it
   * closed the connection, or a request has started, leave it alone. */
  if (!g_socket_is_closed (socket) && (cs == NULL || !cs->busy))
    {
      g_socket_shutdown (socket, TRUE, TRUE, NULL);
      g_socket_close (socket, NULL);
    }
  return G_SOURCE_REMOVE;
}

static gboolean conn_watch_idle_cb (gpointer user_data);

static gboolean
conn_watch_cb (GSocket      *socket,
               GIOCondition  condition,
               gpointer      user_data)
{
  ConnState *cs = user_data;
  GSource *idle;

  /* Checked first: once closed, the descriptor number may already belong
   * to another connection. */
  if (g_socket_is_closed (socket) || cs->busy)
    {
      g_clear_pointer (&cs->watch, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  if (!(condition & (G_IO_HUP | G_IO_ERR)))
    {
      guint8 byte;

      /* 0 is the client's FIN; data is the next request, for libsoup. Never
       * block: the socket may be in blocking mode, and a TLS handshake in a
       * worker thread may take the bytes first. */
      if (recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT) != 0)
        {
          /* Look again later rather than spin on bytes that are libsoup's
           * to read. */
          GSource *retry = g_timeout_source_new (200);

          g_clear_pointer (&cs->watch, g_source_unref);
          g_source_set_callback (retry, conn_watch_idle_cb, g_object_ref (socket), g_object_unref);
          g_source_attach (retry, cs->self->context);
          g_source_unref (retry);
          return G_SOURCE_REMOVE;
        }
    }

  g_clear_pointer (&cs->watch, g_source_unref);
  idle = g_idle_source_new ();
  g_source_set_callback (idle, close_abandoned_cb, g_object_ref (socket), g_object_unref);
  g_source_attach (idle, cs->self->context);
  g_source_unref (idle);
  return G_SOURCE_REMOVE;
}

static void
conn_watch (GSocket *socket)
{
  ConnState *cs = g_object_get_data (G_OBJECT (socket), CONN_STATE_KEY);

  if (cs == NULL || cs->busy || cs->watch != NULL || g_socket_is_closed (socket))
    return;
  cs->watch = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (cs->watch, (GSourceFunc) (void (*) (void)) conn_watch_cb, cs, NULL);
  g_source_attach (cs->watch, cs->self->context);
}

static gboolean
conn_watch_idle_cb (gpointer user_data)
{
  /* After libsoup finished with the message: it may have closed the
   * connection, or started reading the next request. */
  conn_watch (user_data);
  return G_SOURCE_REMOVE;
}

static void
msg_got_headers_cb (SoupServerMessage *msg,
                    gpointer           user_data)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  ConnState *cs = socket ? g_object_get_data (G_OBJECT (socket), CONN_STATE_KEY) : NULL;

  /* A request is being served: libsoup watches the socket from here. */
  if (cs != NULL)
    {
      cs->busy = TRUE;
      clear_source (&cs->watch);
    }
}

/* A request an auth domain answered with 401 never reached
 * handle_request(): count it all the same, under its key if it has one. */
static void
count_unauthorized (FaultServer       *self,
                    SoupServerMessage *msg)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
  GHashTable *params;
  const char *key;

  if (soup_server_message_get_status (msg) != SOUP_STATUS_UNAUTHORIZED ||
      g_object_get_data (G_OBJECT (msg), "fault-server-job") != NULL)
    return;

  params = query != NULL ? soup_form_decode (query) : NULL;
  key = params != NULL ? g_hash_table_lookup (params, "key") : NULL;
  g_mutex_lock (&self->lock);
  self->total_requests++;
  if (key != NULL)
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->key_requests, key));

      g_hash_table_insert (self->key_requests, g_strdup (key), GUINT_TO_POINTER (n + 1));
    }
  g_mutex_unlock (&self->lock);
  g_clear_pointer (&params, g_hash_table_unref);
}

static void
msg_finished_cb (SoupServerMessage *msg,
                 gpointer           user_data)
{
  FaultServer *self = user_data;
  GSocket *socket = soup_server_message_get_socket (msg);
  ConnState *cs = socket ? g_object_get_data (G_OBJECT (socket), CONN_STATE_KEY) : NULL;
  GSource *idle;

  count_unauthorized (self, msg);
  if (cs == NULL)
    return;
  cs->busy = FALSE;
  idle = g_idle_source_new ();
  g_source_set_callback (idle, conn_watch_idle_cb, g_object_ref (socket), g_object_unref);
  g_source_attach (idle, self->context);
  g_source_unref (idle);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  FaultServer *self = user_data;
  GSocket *socket = soup_server_message_get_socket (msg);
  ConnState *cs;

  /* libsoup starts a message per request (and one as a connection is
   * accepted): the place to see every connection. */
  track_socket (self, msg);
  if (socket == NULL)
    return;

  cs = g_object_get_data (G_OBJECT (socket), CONN_STATE_KEY);
  if (cs == NULL)
    {
      cs = g_new0 (ConnState, 1);
      cs->self = self;
      g_object_set_data_full (G_OBJECT (socket), CONN_STATE_KEY, cs, conn_state_free);
    }
  g_signal_connect (msg, "got-headers", G_CALLBACK (msg_got_headers_cb), NULL);
  g_signal_connect (msg, "finished", G_CALLBACK (msg_finished_cb), self);
  conn_watch (socket);
}

static void
handle_request (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  FaultServer *self = user_data;
  const char *method = msg_method (msg);
  GError *error = NULL;
  Params p;
  Job *job;
  guint index = 0;
  char *seq_key;

  if (g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0)
    {
      g_mutex_lock (&self->lock);
      self->total_requests++;
      g_mutex_unlock (&self->lock);
      set_text_response (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL, "only GET and HEAD");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", "GET, HEAD");
      return;
    }

  if (fault_server_auth_forbids_credentials (msg, query))
    {
      g_mutex_lock (&self->lock);
      self->total_requests++;
      g_mutex_unlock (&self->lock);
      set_text_response (msg, SOUP_STATUS_FORBIDDEN, NULL, "credentials sent to the wrong host");
      return;
    }

  if (!params_parse (&p, query, &error))
    {
      g_mutex_lock (&self->lock);
      self->total_requests++;
      g_mutex_unlock (&self->lock);
      set_text_response (msg, SOUP_STATUS_BAD_REQUEST, NULL, error->message);
      g_error_free (error);
      params_clear (&p);
      return;
    }

  job = g_new0 (Job, 1);
  job->self = self;
  job->msg = msg;
  job->p = p;
  job->head = g_strcmp0 (method, "HEAD") == 0;

  if (p.key != NULL)
    seq_key = g_strdup (p.key);
  else
    {
      GUri *uri = soup_server_message_get_uri (msg);

      seq_key = g_strdup_printf ("%s?%s", g_uri_get_path (uri),
                                 g_uri_get_query (uri) ? g_uri_get_query (uri) : "");
    }

  if (p.redirect_loop || p.redirect_to != NULL || p.redirect > 0)
    job->kind = KIND_REDIRECT;
  else
    job->kind = KIND_RESOURCE;

  g_mutex_lock (&self->lock);
  self->total_requests++;
  if (p.key != NULL)
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->key_requests, p.key));

      g_hash_table_insert (self->key_requests, g_strdup (p.key), GUINT_TO_POINTER (n + 1));
    }
  /* Redirect hops do not use up the status sequence: it describes the
   * resource at the end of the chain. */
  if (job->kind != KIND_REDIRECT)
    {
      index = GPOINTER_TO_UINT (g_hash_table_lookup (self->key_served, seq_key));
      g_hash_table_insert (self->key_served, g_strdup (seq_key), GUINT_TO_POINTER (index + 1));
    }
  g_mutex_unlock (&self->lock);
  g_free (seq_key);

  job->faults_active = p.faults < 0 || (gint64) index < p.faults;
  job->index = index;
  if (job->kind == KIND_REDIRECT)
    {
      job->faults_active = TRUE;
      if (p.redirect_to != NULL && !p.redirect_loop)
        job->location = g_strdup (p.redirect_to);
      else
        job->location = build_location (msg, &p);
    }
  else if (p.statuses != NULL)
    {
      job->status = g_array_index (p.statuses, guint, MIN (index, p.statuses->len - 1));
      if (!SOUP_STATUS_IS_SUCCESSFUL (job->status))
        job->kind = KIND_STATUS;
    }

  g_object_set_data_full (G_OBJECT (msg), "fault-server-job", job, job_free);
  job->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (job_finished_cb), job);
  self->jobs = g_list_prepend (self->jobs, job);

  if (p.delay_usec > 0 && job->faults_active)
    {
      soup_server_message_pause (msg);
      job->delay_source = add_timeout (self, p.delay_usec, job_delay_cb, job);
      return;
    }

  respond (job);
}

/* ------------------------------------------------------------------------ */
/* Server life cycle                                                         */

static gboolean
server_start (FaultServer  *self,
              GError      **error)
{
  GTlsCertificate *cert = NULL;
  GInetAddress *loopback;
  GSocketAddress *address;
  GSocketAddress *local;
  SoupServerListenOptions options = 0;

  if (self->cert_file != NULL)
    {
      if (self->key_file != NULL)
        cert = g_tls_certificate_new_from_files (self->cert_file, self->key_file, error);
      else
        cert = g_tls_certificate_new_from_file (self->cert_file, error);
      if (cert == NULL)
        return FALSE;
      options |= SOUP_SERVER_LISTEN_HTTPS;
    }

  self->server = soup_server_new ("server-header", "bridge-fault-server ",
                                  "raw-paths", TRUE,
                                  "tls-certificate", cert,
                                  NULL);
  g_clear_object (&cert);
  soup_server_add_handler (self->server, NULL, handle_request, self, NULL);
  fault_server_auth_install (self->server);
  g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), self);

  /* Our own listening socket: libsoup's has a small backlog, and 200
   * clients connecting at once would see SYNs dropped and 1 s retries. */
  self->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, error);
  if (self->listener == NULL)
    return FALSE;
  g_socket_set_listen_backlog (self->listener, 1024);
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, (guint16) self->want_port);
  g_object_unref (loopback);
  if (!g_socket_bind (self->listener, address, TRUE, error))
    {
      g_object_unref (address);
      return FALSE;
    }
  g_object_unref (address);
  if (!g_socket_listen (self->listener, error))
    return FALSE;
  if (!soup_server_listen_socket (self->server, self->listener, options, error))
    return FALSE;

  local = g_socket_get_local_address (self->listener, error);
  if (local == NULL)
    return FALSE;
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_object_unref (local);
  self->uri = g_strdup_printf ("%s://127.0.0.1:%u/",
                               self->cert_file ? "https" : "http", self->port);
  return TRUE;
}

static gboolean
deadline_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

static void
server_stop (FaultServer *self)
{
  gboolean expired = FALSE;
  GSource *deadline;
  GList *l;
  guint i;

  /* Stop what would keep messages alive: delayed answers, drips, hangs. */
  for (l = self->raw_conns; l != NULL; l = l->next)
    raw_conn_close (l->data);
  for (l = self->jobs; l != NULL; l = l->next)
    {
      Job *job = l->data;

      clear_source (&job->rate_source);
      clear_source (&job->steal_source);
      if (job->delay_source != NULL)
        {
          /* libsoup only finishes a message on disconnect once it has a
           * status: give the delayed ones one. */
          clear_source (&job->delay_source);
          set_text_response (job->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL, "shutting down");
          soup_server_message_unpause (job->msg);
        }
    }

  /* Our idle-connection watches hold their sockets. */
  g_mutex_lock (&self->lock);
  for (i = 0; i < self->sockets->len; i++)
    {
      ConnState *cs = g_object_get_data (g_ptr_array_index (self->sockets, i), CONN_STATE_KEY);

      if (cs != NULL)
        {
          cs->busy = TRUE;
          clear_source (&cs->watch);
        }
    }
  g_mutex_unlock (&self->lock);

  if (self->server != NULL)
    {
      soup_server_disconnect (self->server);
      g_signal_handlers_disconnect_by_data (self->server, self);
    }

  /* libsoup 3.2 only knows the connections with a message in progress:
   * close the idle ones it has forgotten. */
  g_mutex_lock (&self->lock);
  for (i = 0; i < self->sockets->len; i++)
    {
      GSocket *socket = g_ptr_array_index (self->sockets, i);

      if (!g_socket_is_closed (socket))
        {
          g_socket_shutdown (socket, TRUE, TRUE, NULL);
          g_socket_close (socket, NULL);
        }
    }
  g_mutex_unlock (&self->lock);

  /* Let the cancelled operations and the disconnected messages finish, so
   * that nothing is left holding memory (or a socket) after we return. */
  deadline = add_timeout (self, 2 * G_USEC_PER_SEC, deadline_cb, &expired);
  while ((self->raw_conns != NULL || self->jobs != NULL) && !expired)
    g_main_context_iteration (self->context, TRUE);
  g_source_destroy (deadline);
  g_source_unref (deadline);

  while (self->raw_conns != NULL)
    raw_conn_free (self->raw_conns->data);
  while (self->jobs != NULL)
    job_detach (self->jobs->data);

  g_clear_object (&self->server);
  if (self->listener != NULL)
    g_socket_close (self->listener, NULL);
  g_clear_object (&self->listener);

  /* Drain what the teardown queued (libsoup's own idles), without
   * blocking. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
}

static gboolean
quit_loop_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static gpointer
server_thread (gpointer data)
{
  FaultServer *self = data;
  GError *error = NULL;
  gboolean ok;

  g_main_context_push_thread_default (self->context);
  ok = server_start (self, &error);

  g_mutex_lock (&self->lock);
  self->started = TRUE;
  self->start_error = error;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);

  if (ok)
    g_main_loop_run (self->loop);
  server_stop (self);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static void
fault_server_destroy (FaultServer *self)
{
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->key_requests, g_hash_table_unref);
  g_clear_pointer (&self->key_served, g_hash_table_unref);
  g_clear_pointer (&self->sockets, g_ptr_array_unref);
  g_clear_pointer (&self->gzip_cache, g_hash_table_unref);
  g_clear_error (&self->start_error);
  g_free (self->uri);
  g_free (self->cert_file);
  g_free (self->key_file);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

FaultServer *
fault_server_new_full (guint        port,
                       const char  *cert_file,
                       const char  *key_file,
                       gboolean     in_thread,
                       GError     **error)
{
  FaultServer *self;

  g_return_val_if_fail (port <= 65535, NULL);
  g_return_val_if_fail (key_file == NULL || cert_file != NULL, NULL);

  self = g_new0 (FaultServer, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->key_requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->key_served = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  self->gzip_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_bytes_unref);
  self->want_port = port;
  self->cert_file = g_strdup (cert_file);
  self->key_file = g_strdup (key_file);

  if (!in_thread)
    {
      self->context = g_main_context_ref_thread_default ();
      if (!server_start (self, error))
        {
          server_stop (self);
          fault_server_destroy (self);
          return NULL;
        }
      return self;
    }

  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("fault-server", server_thread, self);

  g_mutex_lock (&self->lock);
  while (!self->started)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  if (self->start_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->start_error));
      g_thread_join (self->thread);
      fault_server_destroy (self);
      return NULL;
    }
  return self;
}

FaultServer *
fault_server_new (gboolean   tls,
                  GError   **error)
{
  return fault_server_new_full (0,
                                tls ? fault_server_get_test_cert_file () : NULL,
                                tls ? fault_server_get_test_key_file () : NULL,
                                FALSE, error);
}

FaultServer *
fault_server_new_in_thread (gboolean   tls,
                            GError   **error)
{
  return fault_server_new_full (0,
                                tls ? fault_server_get_test_cert_file () : NULL,
                                tls ? fault_server_get_test_key_file () : NULL,
                                TRUE, error);
}

const char *
fault_server_get_uri (FaultServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->uri;
}

guint
fault_server_get_port (FaultServer *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->port;
}

guint
fault_server_get_request_count (FaultServer *self,
                                const char  *key)
{
  guint n;

  g_return_val_if_fail (self != NULL, 0);

  g_mutex_lock (&self->lock);
  if (key == NULL)
    n = self->total_requests;
  else
    n = GPOINTER_TO_UINT (g_hash_table_lookup (self->key_requests, key));
  g_mutex_unlock (&self->lock);
  return n;
}

guint
fault_server_get_max_open_connections (FaultServer *self)
{
  guint n;

  g_return_val_if_fail (self != NULL, 0);

  g_mutex_lock (&self->lock);
  n = self->max_open;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
fault_server_get_open_connections (FaultServer *self)
{
  guint i, n;

  g_return_val_if_fail (self != NULL, 0);

  /* libsoup closes the GSocket when it drops a connection, and so do we
   * on a stolen one: a closed socket is a closed connection. */
  g_mutex_lock (&self->lock);
  for (i = self->sockets->len; i > 0; i--)
    if (g_socket_is_closed (g_ptr_array_index (self->sockets, i - 1)))
      g_ptr_array_remove_index_fast (self->sockets, i - 1);
  n = self->sockets->len;
  g_mutex_unlock (&self->lock);
  return n;
}

void
fault_server_free (FaultServer *self)
{
  if (self == NULL)
    return;

  if (self->thread != NULL)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, quit_loop_cb, self->loop, NULL);
      g_source_attach (source, self->context);
      g_source_unref (source);
      g_thread_join (self->thread);
    }
  else
    server_stop (self);

  fault_server_destroy (self);
}
