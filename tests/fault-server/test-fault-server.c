/* test-fault-server.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Every behaviour of the fault server, seen through a plain libsoup client:
 * statuses, headers and body bytes are checked exactly. Waits iterate the
 * main context until a condition holds; the only timers are guards that fail
 * a test instead of letting it hang. */

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "fault-server.h"

#define GUARD_SECONDS 60

/* ------------------------------------------------------------------------ */
/* Waiting                                                                   */

static gboolean
set_true_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the default context until @cond holds. The 10 ms tick wakes the
 * loop for conditions that change in another thread (the threaded server). */
#define WAIT_FOR(cond)                                                      \
  G_STMT_START {                                                            \
    gboolean timed_out_ = FALSE;                                            \
    guint guard_ = g_timeout_add_seconds (GUARD_SECONDS, set_true_cb,       \
                                          &timed_out_);                     \
    guint tick_ = g_timeout_add (10, tick_cb, NULL);                        \
    while (!(cond) && !timed_out_)                                          \
      g_main_context_iteration (NULL, TRUE);                                \
    g_source_remove (tick_);                                                \
    if (!timed_out_)                                                        \
      g_source_remove (guard_);                                             \
    if (!(cond))                                                            \
      g_error ("timed out waiting for %s", #cond);                          \
  } G_STMT_END

/* ------------------------------------------------------------------------ */
/* A fetch with a plain libsoup client                                       */

typedef struct
{
  SoupMessage *msg;
  GInputStream *stream;
  GCancellable *cancellable;
  GByteArray *body;
  GError *error;
  guint8 buf[64 * 1024];
  gsize stop_after;      /* stop reading (and drop the stream) past this */
  gint64 started;
  gint64 elapsed;        /* µs from send to the end of the body */
  gboolean done;
} Fetch;

static void
fetch_free (Fetch *f)
{
  g_clear_object (&f->msg);
  g_clear_object (&f->stream);
  g_clear_object (&f->cancellable);
  g_byte_array_unref (f->body);
  g_clear_error (&f->error);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fetch, fetch_free)

static void fetch_read_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
fetch_finish (Fetch *f)
{
  f->elapsed = g_get_monotonic_time () - f->started;
  /* Dropping an unfinished body stream makes libsoup close the
   * connection, which is what a client giving up does. */
  g_clear_object (&f->stream);
  f->done = TRUE;
}

static void
fetch_read_more (Fetch *f)
{
  g_input_stream_read_async (f->stream, f->buf, sizeof f->buf, G_PRIORITY_DEFAULT,
                             f->cancellable, fetch_read_cb, f);
}

static void
fetch_read_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Fetch *f = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &f->error);

  if (n <= 0)
    {
      fetch_finish (f);
      return;
    }
  g_byte_array_append (f->body, f->buf, (guint) n);
  if (f->stop_after > 0 && f->body->len >= f->stop_after)
    {
      fetch_finish (f);
      return;
    }
  fetch_read_more (f);
}

static void
fetch_send_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Fetch *f = user_data;

  f->stream = soup_session_send_finish (SOUP_SESSION (source), result, &f->error);
  if (f->stream == NULL)
    {
      fetch_finish (f);
      return;
    }
  fetch_read_more (f);
}

static Fetch *
fetch_send (SoupSession *session,
            Fetch       *f)
{
  f->started = g_get_monotonic_time ();
  soup_session_send_async (session, f->msg, G_PRIORITY_DEFAULT, f->cancellable,
                           fetch_send_cb, f);
  return f;
}

/* A fetch of @url with extra request headers (name, value pairs, NULL
 * terminated), not sent yet. */
static Fetch *
fetch_prepare (const char *method,
               const char *url,
               const char *header_name,
               const char *header_value,
               ...)
{
  Fetch *f = g_new0 (Fetch, 1);
  SoupMessageHeaders *headers;
  va_list args;

  f->msg = soup_message_new (method, url);
  g_assert_nonnull (f->msg);
  f->body = g_byte_array_new ();
  f->cancellable = g_cancellable_new ();

  headers = soup_message_get_request_headers (f->msg);
  va_start (args, header_value);
  while (header_name != NULL)
    {
      soup_message_headers_replace (headers, header_name, header_value);
      header_name = va_arg (args, const char *);
      if (header_name != NULL)
        header_value = va_arg (args, const char *);
    }
  va_end (args);
  return f;
}

#define fetch_start(session, method, url, ...)                              \
  fetch_send ((session), fetch_prepare ((method), (url), __VA_ARGS__))

/* GET or HEAD @url with optional extra headers (name, value pairs, NULL
 * terminated), and wait for the whole body (or the error). */
#define fetch(session, method, url, ...)                                    \
  fetch_wait (fetch_start ((session), (method), (url), __VA_ARGS__))

static Fetch *
fetch_wait (Fetch *f)
{
  WAIT_FOR (f->done);
  return f;
}

static guint
fetch_status (Fetch *f)
{
  return soup_message_get_status (f->msg);
}

static const char *
fetch_header (Fetch      *f,
              const char *name)
{
  return soup_message_headers_get_one (soup_message_get_response_headers (f->msg), name);
}

static char *
sha256_of (const guint8 *data,
           gsize         len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
}

/* The body must be bytes [offset, offset + len) of the (seed) body. */
static void
assert_body_slice (Fetch   *f,
                   guint64  seed,
                   guint64  offset,
                   gsize    len)
{
  guint8 *expected = g_malloc (len ? len : 1);

  g_assert_cmpuint (f->body->len, ==, len);
  fault_server_fill_body (seed, offset, expected, len);
  g_assert_true (memcmp (expected, f->body->data, len) == 0);
  g_free (expected);
}

static void
assert_whole_body (Fetch   *f,
                   guint64  seed,
                   guint64  size)
{
  char *expected = fault_server_body_sha256 (seed, size);
  char *got = sha256_of (f->body->data, f->body->len);

  g_assert_cmpuint (f->body->len, ==, size);
  g_assert_cmpstr (got, ==, expected);
  g_free (expected);
  g_free (got);
}

static SoupSession *
new_session (void)
{
  return soup_session_new_with_options ("timeout", 30,
                                        "max-conns", 512,
                                        "max-conns-per-host", 512,
                                        NULL);
}

/* Drops every connection of the client. soup_session_abort() is not enough:
 * a connection opened for a message that then went out on another one can
 * stay open until the session's idle timeout. */
static void
drop_session (SoupSession **session)
{
  soup_session_abort (*session);
  g_clear_object (session);
}

static char *
url_for (FaultServer *server,
         const char  *path_and_query)
{
  return g_strconcat (fault_server_get_uri (server), path_and_query, NULL);
}

static FaultServer *
start_server (gboolean tls)
{
  GError *error = NULL;
  FaultServer *server = fault_server_new (tls, &error);

  g_assert_no_error (error);
  g_assert_nonnull (server);
  return server;
}

/* ------------------------------------------------------------------------ */
/* The body function                                                         */

/* Straight from the documented formula, one byte at a time. */
static guint8
reference_byte (guint64 seed,
                guint64 i)
{
  guint64 x = seed * G_GUINT64_CONSTANT (0xD1B54A32D192ED03)
              + (i >> 3) * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15) + 1;

  x ^= x >> 32;
  x *= G_GUINT64_CONSTANT (0xD6E8FEB86659FD93);
  x ^= x >> 32;
  x *= G_GUINT64_CONSTANT (0xD6E8FEB86659FD93);
  x ^= x >> 32;
  return (guint8) (x >> (8 * (i & 7)));
}

static void
test_body_function (void)
{
  guint8 whole[4096], part[4096];
  guint64 seeds[] = { 0, 1, 42, G_MAXUINT64 };
  guint s, i;
  char *sha, *expected;

  for (s = 0; s < G_N_ELEMENTS (seeds); s++)
    {
      fault_server_fill_body (seeds[s], 0, whole, sizeof whole);
      for (i = 0; i < sizeof whole; i++)
        g_assert_cmpuint (whole[i], ==, reference_byte (seeds[s], i));

      /* Any offset and length give the same bytes. */
      fault_server_fill_body (seeds[s], 13, part, 1);
      fault_server_fill_body (seeds[s], 14, part + 1, 7);
      fault_server_fill_body (seeds[s], 21, part + 8, 1000);
      g_assert_true (memcmp (part, whole + 13, 1008) == 0);
    }

  /* Far offsets work too (a 1 TiB body's last byte). */
  fault_server_fill_body (5, (G_GUINT64_CONSTANT (1) << 40) - 1, part, 1);
  g_assert_cmpuint (part[0], ==, reference_byte (5, (G_GUINT64_CONSTANT (1) << 40) - 1));

  /* Different seeds give different bodies. */
  fault_server_fill_body (1, 0, part, 64);
  fault_server_fill_body (2, 0, whole, 64);
  g_assert_false (memcmp (part, whole, 64) == 0);

  sha = fault_server_body_sha256 (0, 0);
  g_assert_cmpstr (sha, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  g_free (sha);

  fault_server_fill_body (42, 0, whole, 3000);
  expected = sha256_of (whole, 3000);
  sha = fault_server_body_sha256 (42, 3000);
  g_assert_cmpstr (sha, ==, expected);
  g_free (sha);
  g_free (expected);
}

/* ------------------------------------------------------------------------ */
/* Plain serving                                                             */

static void
test_basic_get (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "some/dir/file.bin?size=100000&seed=7");
  g_autofree char *url_default = url_for (server, "plain");
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;

  g_assert_true (g_str_has_prefix (fault_server_get_uri (server), "http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (fault_server_get_uri (server), "/"));

  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_no_error (f->error);
  g_assert_cmpuint (fetch_status (f), ==, 200);
  g_assert_cmpstr (fetch_header (f, "Content-Length"), ==, "100000");
  g_assert_cmpstr (fetch_header (f, "Content-Type"), ==, "application/octet-stream");
  g_assert_cmpstr (fetch_header (f, "Accept-Ranges"), ==, "bytes");
  g_assert_nonnull (fetch_header (f, "ETag"));
  g_assert_true (fetch_header (f, "ETag")[0] == '"');
  g_assert_nonnull (fetch_header (f, "Last-Modified"));
  assert_whole_body (f, 7, 100000);

  /* Defaults: 1024 bytes of seed 0. */
  g = fetch (session, "GET", url_default, NULL, NULL);
  g_assert_no_error (g->error);
  g_assert_cmpuint (fetch_status (g), ==, 200);
  assert_whole_body (g, 0, 1024);

  g_assert_cmpuint (fault_server_get_request_count (server, NULL), ==, 2);
}

static void
test_size_suffix (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "f?size=64k&seed=3");
  g_autofree char *url_m = url_for (server, "f?size=2m");
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;

  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_no_error (f->error);
  assert_whole_body (f, 3, 64 * 1024);

  g = fetch (session, "GET", url_m, NULL, NULL);
  g_assert_no_error (g->error);
  assert_whole_body (g, 0, 2 * 1024 * 1024);
}

static void
test_empty_body (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "empty?size=0");
  g_autoptr(Fetch) f = NULL;

  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_no_error (f->error);
  g_assert_cmpuint (fetch_status (f), ==, 200);
  g_assert_cmpstr (fetch_header (f, "Content-Length"), ==, "0");
  g_assert_cmpuint (f->body->len, ==, 0);
}

static void
test_type (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "page.html?type=text%2Fhtml%3B%20charset%3Dutf-8&size=10");
  g_autoptr(Fetch) f = NULL;

  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_no_error (f->error);
  g_assert_cmpstr (fetch_header (f, "Content-Type"), ==, "text/html; charset=utf-8");
  assert_whole_body (f, 0, 10);
}

static void
test_head (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "h.bin?size=12345&seed=1");
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;

  f = fetch (session, "HEAD", url, NULL, NULL);
  g_assert_no_error (f->error);
  g_assert_cmpuint (fetch_status (f), ==, 200);
  g_assert_cmpstr (fetch_header (f, "Content-Length"), ==, "12345");
  g_assert_nonnull (fetch_header (f, "ETag"));
  g_assert_nonnull (fetch_header (f, "Last-Modified"));
  g_assert_cmpuint (f->body->len, ==, 0);

  /* Same validators as a GET. */
  g = fetch (session, "GET", url, NULL, NULL);
  g_assert_cmpstr (fetch_header (g, "ETag"), ==, fetch_header (f, "ETag"));
  g_assert_cmpstr (fetch_header (g, "Last-Modified"), ==, fetch_header (f, "Last-Modified"));
  assert_whole_body (g, 1, 12345);
}

static void
test_bad_request (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "x?size=lots");
  g_autofree char *url_status = url_for (server, "x?status=99");
  g_autofree char *url_post = url_for (server, "x");
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;
  g_autoptr(Fetch) h = NULL;

  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_cmpuint (fetch_status (f), ==, 400);
  g = fetch (session, "GET", url_status, NULL, NULL);
  g_assert_cmpuint (fetch_status (g), ==, 400);
  h = fetch (session, "POST", url_post, NULL, NULL);
  g_assert_cmpuint (fetch_status (h), ==, 405);
}

/* ------------------------------------------------------------------------ */
/* Status sequences and Retry-After                                          */

static void
test_status_sequence (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "seq.bin?status=503,503,200&key=seq&size=500");
  g_autofree char *other = url_for (server, "seq.bin?status=503,503,200&key=other&size=500");
  guint expected[] = { 503, 503, 200, 200 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(Fetch) f = fetch (session, "GET", url, NULL, NULL);

      g_assert_no_error (f->error);
      g_assert_cmpuint (fetch_status (f), ==, expected[i]);
      if (expected[i] == 200)
        assert_whole_body (f, 0, 500);
      else
        {
          g_assert_true (f->body->len > 0 && f->body->len < 200);
          g_assert_true (g_str_has_prefix ((const char *) f->body->data, "503"));
          g_assert_null (fetch_header (f, "Retry-After"));
        }
    }
  g_assert_cmpuint (fault_server_get_request_count (server, "seq"), ==, 4);

  /* Another key has its own sequence. */
  {
    g_autoptr(Fetch) f = fetch (session, "GET", other, NULL, NULL);

    g_assert_cmpuint (fetch_status (f), ==, 503);
    g_assert_cmpuint (fault_server_get_request_count (server, "other"), ==, 1);
    g_assert_cmpuint (fault_server_get_request_count (server, "seq"), ==, 4);
    g_assert_cmpuint (fault_server_get_request_count (server, "nothing"), ==, 0);
  }
}

static void
test_status_without_key (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "nk?status=404,200");
  g_autofree char *url2 = url_for (server, "nk2?status=404,200");
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;
  g_autoptr(Fetch) h = NULL;

  /* The URL itself is the sequence. */
  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_cmpuint (fetch_status (f), ==, 404);
  g = fetch (session, "GET", url, NULL, NULL);
  g_assert_cmpuint (fetch_status (g), ==, 200);
  h = fetch (session, "GET", url2, NULL, NULL);
  g_assert_cmpuint (fetch_status (h), ==, 404);
}

static void
test_retry_after_seconds (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "r?status=429,200&key=ra&retry_after=7");
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;

  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_cmpuint (fetch_status (f), ==, 429);
  g_assert_cmpstr (fetch_header (f, "Retry-After"), ==, "7");

  /* Only on non-2xx answers. */
  g = fetch (session, "GET", url, NULL, NULL);
  g_assert_cmpuint (fetch_status (g), ==, 200);
  g_assert_null (fetch_header (g, "Retry-After"));
}

static void
test_retry_after_date (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  const char *date = "Wed, 21 Oct 2037 07:28:00 GMT";
  g_autofree char *escaped = g_uri_escape_string (date, NULL, FALSE);
  g_autofree char *query = g_strdup_printf ("r?status=503&retry_after=%s", escaped);
  g_autofree char *url = url_for (server, query);
  g_autofree char *url_rel = url_for (server, "r?status=503&retry_after=%2B30");
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;
  GDateTime *parsed;
  gint64 now, when;

  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_cmpuint (fetch_status (f), ==, 503);
  g_assert_cmpstr (fetch_header (f, "Retry-After"), ==, date);

  /* +N: an HTTP-date N seconds from now. */
  now = g_get_real_time () / G_USEC_PER_SEC;
  g = fetch (session, "GET", url_rel, NULL, NULL);
  g_assert_cmpuint (fetch_status (g), ==, 503);
  parsed = soup_date_time_new_from_http_string (fetch_header (g, "Retry-After"));
  g_assert_nonnull (parsed);
  when = g_date_time_to_unix (parsed);
  g_date_time_unref (parsed);
  g_assert_cmpint (when, >=, now + 29);
  g_assert_cmpint (when, <=, now + 32);
}

/* ------------------------------------------------------------------------ */
/* Ranges                                                                    */

static void
test_range_open (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "r.bin?size=5000&seed=9");
  g_autoptr(Fetch) f = NULL;

  f = fetch (session, "GET", url, "Range", "bytes=1000-", NULL);
  g_assert_no_error (f->error);
  g_assert_cmpuint (fetch_status (f), ==, 206);
  g_assert_cmpstr (fetch_header (f, "Content-Range"), ==, "bytes 1000-4999/5000");
  g_assert_cmpstr (fetch_header (f, "Content-Length"), ==, "4000");
  assert_body_slice (f, 9, 1000, 4000);
}

static void
test_range_closed (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "r.bin?size=5000&seed=9");
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;
  g_autoptr(Fetch) h = NULL;
  g_autoptr(Fetch) m = NULL;

  f = fetch (session, "GET", url, "Range", "bytes=10-19", NULL);
  g_assert_cmpuint (fetch_status (f), ==, 206);
  g_assert_cmpstr (fetch_header (f, "Content-Range"), ==, "bytes 10-19/5000");
  assert_body_slice (f, 9, 10, 10);

  /* An end past the body is clipped. */
  g = fetch (session, "GET", url, "Range", "bytes=4990-99999", NULL);
  g_assert_cmpuint (fetch_status (g), ==, 206);
  g_assert_cmpstr (fetch_header (g, "Content-Range"), ==, "bytes 4990-4999/5000");
  assert_body_slice (g, 9, 4990, 10);

  /* Suffix range. */
  h = fetch (session, "GET", url, "Range", "bytes=-100", NULL);
  g_assert_cmpuint (fetch_status (h), ==, 206);
  g_assert_cmpstr (fetch_header (h, "Content-Range"), ==, "bytes 4900-4999/5000");
  assert_body_slice (h, 9, 4900, 100);

  /* Several ranges are ignored: the whole body. */
  m = fetch (session, "GET", url, "Range", "bytes=0-1,5-6", NULL);
  g_assert_cmpuint (fetch_status (m), ==, 200);
  assert_whole_body (m, 9, 5000);
}

static void
test_range_unsatisfiable (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "r.bin?size=5000");
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;

  f = fetch (session, "GET", url, "Range", "bytes=5000-", NULL);
  g_assert_no_error (f->error);
  g_assert_cmpuint (fetch_status (f), ==, 416);
  g_assert_cmpstr (fetch_header (f, "Content-Range"), ==, "bytes */5000");

  g = fetch (session, "GET", url, "Range", "bytes=-0", NULL);
  g_assert_cmpuint (fetch_status (g), ==, 416);
}

static void
test_if_range_match (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "ir.bin?size=8000&seed=4");
  g_autoptr(Fetch) first = NULL;
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;
  g_autoptr(Fetch) w = NULL;

  first = fetch (session, "HEAD", url, NULL, NULL);
  g_assert_nonnull (fetch_header (first, "ETag"));

  f = fetch (session, "GET", url, "Range", "bytes=3000-",
             "If-Range", fetch_header (first, "ETag"), NULL);
  g_assert_cmpuint (fetch_status (f), ==, 206);
  assert_body_slice (f, 4, 3000, 5000);

  /* A Last-Modified date validates too. */
  g = fetch (session, "GET", url, "Range", "bytes=3000-",
             "If-Range", fetch_header (first, "Last-Modified"), NULL);
  g_assert_cmpuint (fetch_status (g), ==, 206);
  assert_body_slice (g, 4, 3000, 5000);

  /* A weak tag never matches. */
  {
    g_autofree char *weak = g_strconcat ("W/", fetch_header (first, "ETag"), NULL);

    w = fetch (session, "GET", url, "Range", "bytes=3000-", "If-Range", weak, NULL);
    g_assert_cmpuint (fetch_status (w), ==, 200);
    assert_whole_body (w, 4, 8000);
  }
}

static void
test_if_range_mismatch (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "ir.bin?size=8000&seed=4&etag_change=1");
  g_autoptr(Fetch) first = NULL;
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;

  first = fetch (session, "GET", url, NULL, NULL);
  assert_whole_body (first, 4, 8000);

  /* The file "changed": the range is refused, the whole body comes. */
  f = fetch (session, "GET", url, "Range", "bytes=3000-",
             "If-Range", fetch_header (first, "ETag"), NULL);
  g_assert_no_error (f->error);
  g_assert_cmpuint (fetch_status (f), ==, 200);
  g_assert_null (fetch_header (f, "Content-Range"));
  g_assert_cmpstr (fetch_header (f, "ETag"), !=, fetch_header (first, "ETag"));
  g_assert_cmpstr (fetch_header (f, "Last-Modified"), !=, fetch_header (first, "Last-Modified"));
  assert_whole_body (f, 4, 8000);

  g = fetch (session, "GET", url, "Range", "bytes=3000-",
             "If-Range", fetch_header (first, "Last-Modified"), NULL);
  g_assert_cmpuint (fetch_status (g), ==, 200);
  assert_whole_body (g, 4, 8000);
}

static void
test_no_range (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "nr.bin?size=6000&seed=2&no_range=1");
  g_autoptr(Fetch) f = NULL;

  f = fetch (session, "GET", url, "Range", "bytes=1000-", NULL);
  g_assert_no_error (f->error);
  g_assert_cmpuint (fetch_status (f), ==, 200);
  g_assert_null (fetch_header (f, "Content-Range"));
  g_assert_null (fetch_header (f, "Accept-Ranges"));
  assert_whole_body (f, 2, 6000);
}

/* ------------------------------------------------------------------------ */
/* Connection faults                                                         */

static void
test_drop_after (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "d.bin?size=1m&seed=5&drop_after=100000");
  g_autoptr(Fetch) f = NULL;

  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_cmpuint (fetch_status (f), ==, 200);
  g_assert_cmpstr (fetch_header (f, "Content-Length"), ==, "1048576");
  /* libsoup reports the short body as an error; the bytes that did come
   * are exactly the first drop_after ones. */
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT);
  assert_body_slice (f, 5, 0, 100000);

  WAIT_FOR (fault_server_get_open_connections (server) == 0);
}

static void
test_drop_after_range (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "d.bin?size=1m&seed=5&drop_after=1000");
  g_autoptr(Fetch) f = NULL;

  /* drop_after counts bytes of this response, so resuming makes progress. */
  f = fetch (session, "GET", url, "Range", "bytes=5000-", NULL);
  g_assert_cmpuint (fetch_status (f), ==, 206);
  g_assert_cmpstr (fetch_header (f, "Content-Range"), ==, "bytes 5000-1048575/1048576");
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT);
  assert_body_slice (f, 5, 5000, 1000);
}

static void
test_hang_after (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 1, NULL);
  g_autofree char *url = url_for (server, "h.bin?size=1m&seed=6&hang_after=50000");
  g_autoptr(Fetch) f = NULL;

  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_cmpuint (fetch_status (f), ==, 200);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (f->elapsed, >=, G_USEC_PER_SEC - 100000);
  assert_body_slice (f, 6, 0, 50000);

  /* The client closed the connection; the server notices and lets go. */
  drop_session (&session);
  WAIT_FOR (fault_server_get_open_connections (server) == 0);
}

static void
test_lie_length_short (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "ls.bin?size=10000&seed=8&lie_length=4000");
  g_autoptr(Fetch) f = NULL;

  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_no_error (f->error);
  g_assert_cmpuint (fetch_status (f), ==, 200);
  g_assert_cmpstr (fetch_header (f, "Content-Length"), ==, "4000");
  /* The client believes the header: it takes 4000 bytes and is done. */
  assert_body_slice (f, 8, 0, 4000);

  drop_session (&session);
  WAIT_FOR (fault_server_get_open_connections (server) == 0);
}

static void
test_lie_length_long (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "ll.bin?size=4000&seed=8&lie_length=10000");
  g_autoptr(Fetch) f = NULL;

  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_cmpuint (fetch_status (f), ==, 200);
  g_assert_cmpstr (fetch_header (f, "Content-Length"), ==, "10000");
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT);
  assert_body_slice (f, 8, 0, 4000);

  WAIT_FOR (fault_server_get_open_connections (server) == 0);
}

static void
test_faults_limit (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "fl.bin?size=5000&seed=1&drop_after=1000&faults=1&key=fl");
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;

  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT);
  assert_body_slice (f, 1, 0, 1000);

  /* The second request of the key is served cleanly. */
  g = fetch (session, "GET", url, NULL, NULL);
  g_assert_no_error (g->error);
  assert_whole_body (g, 1, 5000);
  g_assert_cmpuint (fault_server_get_request_count (server, "fl"), ==, 2);
}

static void
test_disconnect_mid_body (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "big.bin?size=1g&seed=11");
  g_autofree char *small = url_for (server, "small.bin?size=1000");
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;

  /* Take 2 MiB of a 1 GiB body and walk away. */
  f = fetch_start (session, "GET", url, NULL, NULL);
  f->stop_after = 2 * 1024 * 1024;
  fetch_wait (f);
  g_assert_no_error (f->error);
  g_assert_cmpstr (fetch_header (f, "Content-Length"), ==, "1073741824");
  g_assert_cmpuint (f->body->len, >=, 2 * 1024 * 1024);
  {
    gsize len = f->body->len;

    g_byte_array_set_size (f->body, 2 * 1024 * 1024);
    assert_body_slice (f, 11, 0, 2 * 1024 * 1024);
    g_assert_cmpuint (len, <, 4 * 1024 * 1024);
  }

  drop_session (&session);
  WAIT_FOR (fault_server_get_open_connections (server) == 0);

  /* Still serving. */
  session = new_session ();
  g = fetch (session, "GET", small, NULL, NULL);
  g_assert_no_error (g->error);
  assert_whole_body (g, 0, 1000);
}

/* ------------------------------------------------------------------------ */
/* Timing                                                                    */

static void
test_rate (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "slow.bin?size=64k&rate=256k&seed=12");
  g_autoptr(Fetch) f = NULL;

  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_no_error (f->error);
  assert_whole_body (f, 12, 64 * 1024);
  /* 64 KiB at 256 KiB/s: 0.25 s. */
  g_assert_cmpint (f->elapsed, >=, 200000);
  g_assert_cmpint (f->elapsed, <, 5 * G_USEC_PER_SEC);
}

static void
test_delay (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "late.bin?size=100&delay=0.3");
  g_autoptr(Fetch) f = NULL;

  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_no_error (f->error);
  assert_whole_body (f, 0, 100);
  g_assert_cmpint (f->elapsed, >=, 300000);
}

/* ------------------------------------------------------------------------ */
/* Redirects                                                                 */

static void
count_restart_cb (SoupMessage *msg,
                  gpointer     user_data)
{
  (*(guint *) user_data)++;
}

static void
test_redirect_chain (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "chain/file.bin?redirect=3&size=2000&seed=13&key=rc");
  g_autoptr(Fetch) f = NULL;
  g_autofree char *final = NULL;
  guint restarts = 0;

  f = fetch_start (session, "GET", url, NULL, NULL);
  g_signal_connect (f->msg, "restarted", G_CALLBACK (count_restart_cb), &restarts);
  fetch_wait (f);
  g_assert_no_error (f->error);
  g_assert_cmpuint (fetch_status (f), ==, 200);
  assert_whole_body (f, 13, 2000);
  g_assert_cmpuint (restarts, ==, 3);
  g_assert_cmpuint (fault_server_get_request_count (server, "rc"), ==, 4);

  /* The chain ends on the same path with the other parameters intact. */
  final = g_uri_to_string (soup_message_get_uri (f->msg));
  g_assert_true (g_str_has_suffix (final, "/chain/file.bin?size=2000&seed=13&key=rc"));
}

static void
test_redirect_loop (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "loop?redirect_loop=1&key=loop");
  g_autoptr(Fetch) f = NULL;

  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_error (f->error, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_TOO_MANY_REDIRECTS);
  g_assert_cmpuint (fault_server_get_request_count (server, "loop"), >, 10);
}

static void
test_redirect_to_other_scheme (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "x?redirect_to=ftp%3A%2F%2Fexample.invalid%2Ffile.iso");
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;

  /* libsoup refuses to follow to ftp... */
  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_error (f->error, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_REDIRECT_BAD_URI);

  /* ...and this is what it was offered. */
  g = fetch_prepare ("GET", url, NULL, NULL);
  soup_message_add_flags (g->msg, SOUP_MESSAGE_NO_REDIRECT);
  fetch_wait (fetch_send (session, g));
  g_assert_no_error (g->error);
  g_assert_cmpuint (fetch_status (g), ==, 302);
  g_assert_cmpstr (fetch_header (g, "Location"), ==, "ftp://example.invalid/file.iso");
}

static void
test_redirect_status (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "x?redirect_to=http%3A%2F%2F127.0.0.1%3A1%2F&redirect_status=308");
  g_autoptr(Fetch) f = NULL;

  f = fetch_prepare ("GET", url, NULL, NULL);
  soup_message_add_flags (f->msg, SOUP_MESSAGE_NO_REDIRECT);
  fetch_wait (fetch_send (session, f));
  g_assert_cmpuint (fetch_status (f), ==, 308);
  g_assert_cmpstr (fetch_header (f, "Location"), ==, "http://127.0.0.1:1/");
}

/* ------------------------------------------------------------------------ */
/* Headers with content                                                      */

static void
test_content_disposition (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  const char *values[] = {
    "attachment; filename=\"../../etc/passwd\"",
    "attachment; filename*=UTF-8''%E2%82%AC%20rates.txt",
    "inline; filename=\"a\\\\b\"; filename*=UTF-8''..%2F.hidden",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *escaped = g_uri_escape_string (values[i], NULL, FALSE);
      g_autofree char *query = g_strdup_printf ("dl/file.bin?size=10&cd=%s", escaped);
      g_autofree char *url = url_for (server, query);
      g_autoptr(Fetch) f = fetch (session, "GET", url, NULL, NULL);

      g_assert_no_error (f->error);
      g_assert_cmpstr (fetch_header (f, "Content-Disposition"), ==, values[i]);
      assert_whole_body (f, 0, 10);
    }

  /* Header injection is refused. */
  {
    g_autofree char *url = url_for (server, "x?cd=a%0D%0AX-Evil%3A%201");
    g_autoptr(Fetch) f = fetch (session, "GET", url, NULL, NULL);

    g_assert_cmpuint (fetch_status (f), ==, 400);
    g_assert_null (fetch_header (f, "X-Evil"));
  }
}

static GBytes *
gunzip (const guint8 *data,
        gsize         len)
{
  GZlibDecompressor *decompressor = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  GInputStream *base = g_memory_input_stream_new_from_data (g_memdup2 (data, len), (gssize) len, g_free);
  GInputStream *in = g_converter_input_stream_new (base, G_CONVERTER (decompressor));
  GOutputStream *out = g_memory_output_stream_new_resizable ();
  GError *error = NULL;
  GBytes *result;

  g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
                          G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error);
  g_assert_no_error (error);
  result = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  g_object_unref (out);
  g_object_unref (in);
  g_object_unref (base);
  g_object_unref (decompressor);
  return result;
}

static void
test_gzip (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "z.bin?size=300000&seed=14&gzip=1");
  g_autoptr(Fetch) raw = NULL;
  g_autoptr(Fetch) decoded = NULL;
  g_autoptr(Fetch) range = NULL;
  g_autoptr(GBytes) plain = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *expected = fault_server_body_sha256 (14, 300000);
  g_autofree char *length = NULL;

  /* As sent: Content-Length counts the compressed bytes. */
  raw = fetch_prepare ("GET", url, NULL, NULL);
  soup_message_disable_feature (raw->msg, SOUP_TYPE_CONTENT_DECODER);
  fetch_wait (fetch_send (session, raw));
  g_assert_no_error (raw->error);
  g_assert_cmpuint (fetch_status (raw), ==, 200);
  g_assert_cmpstr (fetch_header (raw, "Content-Encoding"), ==, "gzip");
  length = g_strdup_printf ("%u", raw->body->len);
  g_assert_cmpstr (fetch_header (raw, "Content-Length"), ==, length);
  g_assert_true (raw->body->data[0] == 0x1f && raw->body->data[1] == 0x8b);
  plain = gunzip (raw->body->data, raw->body->len);
  sha = sha256_of (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain));
  g_assert_cmpuint (g_bytes_get_size (plain), ==, 300000);
  g_assert_cmpstr (sha, ==, expected);

  /* Ranges count compressed bytes. */
  range = fetch_prepare ("GET", url, "Range", "bytes=100-", NULL);
  soup_message_disable_feature (range->msg, SOUP_TYPE_CONTENT_DECODER);
  fetch_wait (fetch_send (session, range));
  g_assert_cmpuint (fetch_status (range), ==, 206);
  g_assert_cmpuint (range->body->len, ==, raw->body->len - 100);
  g_assert_true (memcmp (range->body->data, raw->body->data + 100, range->body->len) == 0);

  /* Through libsoup's decoder: the plain body. */
  if (!soup_session_has_feature (session, SOUP_TYPE_CONTENT_DECODER))
    soup_session_add_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
  decoded = fetch (session, "GET", url, NULL, NULL);
  g_assert_no_error (decoded->error);
  assert_whole_body (decoded, 14, 300000);
}

/* ------------------------------------------------------------------------ */
/* TLS                                                                       */

/* LeakSanitizer (GCC 12) crashes at exit while scanning the dynamic TLS
 * blocks that gnutls, loaded by glib-networking, gets from glibc 2.36
 * ("Tracer caught signal 11"). Under ASan the TLS tests are skipped. */
static gboolean
skip_tls_under_asan (void)
{
#if HAVE_ASAN
  g_test_skip ("LeakSanitizer cannot scan gnutls' dynamic TLS on this toolchain");
  return TRUE;
#else
  return FALSE;
#endif
}

static SoupSession *
new_trusting_session (void)
{
  GError *error = NULL;
  GTlsDatabase *db = g_tls_file_database_new (fault_server_get_test_cert_file (), &error);
  SoupSession *session;

  g_assert_no_error (error);
  session = new_session ();
  soup_session_set_tls_database (session, db);
  g_object_unref (db);
  return session;
}

static void
test_tls_trusted (void)
{
  g_autoptr(FaultServer) server = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *url = NULL;
  g_autofree char *drop = NULL;
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;

  if (skip_tls_under_asan ())
    return;
  server = start_server (TRUE);
  session = new_trusting_session ();
  url = url_for (server, "secure.bin?size=70000&seed=15");
  drop = url_for (server, "secure.bin?size=70000&seed=15&drop_after=30000");

  g_assert_true (g_str_has_prefix (fault_server_get_uri (server), "https://127.0.0.1:"));
  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_no_error (f->error);
  g_assert_cmpuint (fetch_status (f), ==, 200);
  assert_whole_body (f, 15, 70000);

  /* Faults work over TLS too. */
  g = fetch (session, "GET", drop, NULL, NULL);
  g_assert_nonnull (g->error);
  assert_body_slice (g, 15, 0, 30000);
}

static void
test_tls_untrusted (void)
{
  g_autoptr(FaultServer) server = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *url = NULL;
  g_autoptr(Fetch) f = NULL;

  if (skip_tls_under_asan ())
    return;
  server = start_server (TRUE);
  session = new_session ();
  url = url_for (server, "secure.bin?key=untrusted");

  /* The system trust store does not know our certificate. */
  f = fetch (session, "GET", url, NULL, NULL);
  g_assert_error (f->error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_cmpuint (fault_server_get_request_count (server, "untrusted"), ==, 0);
}

static void
test_tls_redirect_to_http (void)
{
  g_autoptr(FaultServer) tls_server = NULL;
  g_autoptr(FaultServer) plain_server = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *target = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *query = NULL;
  g_autofree char *url = NULL;
  g_autoptr(Fetch) f = NULL;
  g_autoptr(Fetch) g = NULL;

  if (skip_tls_under_asan ())
    return;
  tls_server = start_server (TRUE);
  plain_server = start_server (FALSE);
  session = new_trusting_session ();
  target = url_for (plain_server, "down.bin?size=500&key=down");
  escaped = g_uri_escape_string (target, NULL, FALSE);
  query = g_strdup_printf ("up?redirect_to=%s", escaped);
  url = url_for (tls_server, query);

  f = fetch_prepare ("GET", url, NULL, NULL);
  soup_message_add_flags (f->msg, SOUP_MESSAGE_NO_REDIRECT);
  fetch_wait (fetch_send (session, f));
  g_assert_no_error (f->error);
  g_assert_cmpuint (fetch_status (f), ==, 302);
  g_assert_cmpstr (fetch_header (f, "Location"), ==, target);
  g_assert_true (g_str_has_prefix (fetch_header (f, "Location"), "http://"));

  /* libsoup itself follows the downgrade: refusing it is the client's job. */
  g = fetch (session, "GET", url, NULL, NULL);
  g_assert_no_error (g->error);
  g_assert_cmpuint (fetch_status (g), ==, 200);
  assert_whole_body (g, 0, 500);
  g_assert_cmpuint (fault_server_get_request_count (plain_server, "down"), ==, 1);
}

/* ------------------------------------------------------------------------ */
/* Load, and the threaded server                                             */

static void
test_concurrent_clients (void)
{
  GError *error = NULL;
  g_autoptr(FaultServer) server = fault_server_new_in_thread (FALSE, &error);
  g_autoptr(SoupSession) session = new_session ();
  Fetch *fetches[200];
  guint i, done;

  g_assert_no_error (error);
  for (i = 0; i < G_N_ELEMENTS (fetches); i++)
    {
      g_autofree char *query = g_strdup_printf ("c/%u.bin?size=256k&seed=%u%s", i, i,
                                                i % 10 == 0 ? "&rate=4m" : "");
      g_autofree char *url = url_for (server, query);

      fetches[i] = fetch_start (session, "GET", url, NULL, NULL);
      /* Some give up half way, as real clients do. */
      if (i % 7 == 3)
        fetches[i]->stop_after = 100000;
    }

  do
    {
      g_main_context_iteration (NULL, TRUE);
      for (i = 0, done = 0; i < G_N_ELEMENTS (fetches); i++)
        done += fetches[i]->done;
    }
  while (done < G_N_ELEMENTS (fetches));

  for (i = 0; i < G_N_ELEMENTS (fetches); i++)
    {
      g_assert_no_error (fetches[i]->error);
      g_assert_cmpuint (fetch_status (fetches[i]), ==, 200);
      if (fetches[i]->stop_after == 0)
        assert_whole_body (fetches[i], i, 256 * 1024);
      fetch_free (fetches[i]);
    }
  g_assert_cmpuint (fault_server_get_request_count (server, NULL), ==, 200);

  drop_session (&session);
  WAIT_FOR (fault_server_get_open_connections (server) == 0);
}

static void
test_in_thread_blocking_client (void)
{
  GError *error = NULL;
  g_autoptr(FaultServer) server = fault_server_new_in_thread (FALSE, &error);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GBytes) body = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *expected = fault_server_body_sha256 (16, 3 * 1024 * 1024);

  g_assert_no_error (error);
  url = url_for (server, "sync.bin?size=3m&seed=16");
  msg = soup_message_new ("GET", url);

  /* A blocking client on this thread: only a server in its own thread
   * can answer it. */
  stream = soup_session_send (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_output_stream_splice (out, stream, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error);
  g_assert_no_error (error);
  body = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  sha = sha256_of (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_assert_cmpstr (sha, ==, expected);
  g_assert_cmpuint (fault_server_get_request_count (server, NULL), ==, 1);
}

static void
test_free_with_hanging_clients (void)
{
  g_autoptr(SoupSession) session = new_session ();
  FaultServer *server = start_server (FALSE);
  g_autofree char *hang = url_for (server, "h?size=1m&hang_after=1000");
  g_autofree char *slow = url_for (server, "s?size=1m&rate=1k");
  g_autofree char *late = url_for (server, "l?delay=100");
  g_autoptr(Fetch) a = NULL;
  g_autoptr(Fetch) b = NULL;
  g_autoptr(Fetch) c = NULL;

  a = fetch_start (session, "GET", hang, NULL, NULL);
  b = fetch_start (session, "GET", slow, NULL, NULL);
  c = fetch_start (session, "GET", late, NULL, NULL);
  WAIT_FOR (fault_server_get_request_count (server, NULL) == 3 &&
            a->body->len >= 1000 && b->body->len > 0);

  /* Freeing a server with stalled responses ends them, promptly. */
  fault_server_free (server);
  WAIT_FOR (a->done && b->done && c->done);
  g_assert_nonnull (a->error);
  g_assert_nonnull (b->error);
  g_assert_true (c->error != NULL || soup_message_get_status (c->msg) == 503);
  /* Promptly: well within the client's 30 s idle timeout. */
  g_assert_cmpint (a->elapsed, <, 10 * G_USEC_PER_SEC);
  g_assert_cmpint (b->elapsed, <, 10 * G_USEC_PER_SEC);
  g_assert_cmpint (c->elapsed, <, 10 * G_USEC_PER_SEC);
}

/* ------------------------------------------------------------------------ */
/* Hostile framing, validators, names and status lines                       */

/* The raw bytes of the response to GET @path_and_query, up to the close (at
 * most @max bytes; then the client closes), from a blocking socket client:
 * the framing itself is what these tests check, which libsoup would hide.
 * The server must run in its own thread. */
static GBytes *
raw_get (FaultServer *server,
         const char  *path_and_query,
         gsize        max)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autofree char *request = NULL;
  GError *error = NULL;
  guint8 buf[16 * 1024];

  g_socket_client_set_timeout (client, GUARD_SECONDS);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) fault_server_get_port (server),
                                          NULL, &error);
  g_assert_no_error (error);
  request = g_strdup_printf ("GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path_and_query);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), request,
                             strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  while (data->len < max)
    {
      gssize n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), buf,
                                      MIN (sizeof buf, max - data->len), NULL, &error);

      g_assert_no_error (error);
      if (n == 0)
        break;
      g_byte_array_append (data, buf, (guint) n);
    }
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

/* Splits a raw response at the blank line; returns the head (NUL
 * terminated) and sets @body to what follows. */
static char *
split_response (GBytes  *response,
                GBytes **body)
{
  gsize len;
  const char *data = g_bytes_get_data (response, &len);
  const char *end = g_strstr_len (data, (gssize) len, "\r\n\r\n");

  g_assert_nonnull (end);
  *body = g_bytes_new_from_bytes (response, (gsize) (end + 4 - data), len - (gsize) (end + 4 - data));
  return g_strndup (data, (gsize) (end + 2 - data));
}

/* Decodes a chunked body strictly. Returns the data; @terminated says
 * whether the 0 chunk and the final CRLF came; @rest points at the first
 * byte that is not valid chunked framing (NULL when all of it was). */
static GByteArray *
dechunk (GBytes      *body,
         gboolean    *terminated,
         const char **rest)
{
  gsize len;
  const char *p = g_bytes_get_data (body, &len);
  const char *end = p + len;
  GByteArray *out = g_byte_array_new ();

  *terminated = FALSE;
  *rest = NULL;
  while (p < end)
    {
      const char *line_end = g_strstr_len (p, end - p, "\r\n");
      guint64 size;
      char *size_text;
      gboolean ok;

      if (line_end == NULL)
        {
          *rest = p;
          break;
        }
      size_text = g_strndup (p, (gsize) (line_end - p));
      ok = g_ascii_string_to_unsigned (size_text, 16, 0, 1 << 30, &size, NULL);
      g_free (size_text);
      if (!ok || (guint64) (end - line_end - 2) < size + 2 ||
          memcmp (line_end + 2 + size, "\r\n", 2) != 0)
        {
          *rest = p;
          break;
        }
      if (size == 0)
        {
          *terminated = TRUE;
          p = line_end + 4;
          break;
        }
      g_byte_array_append (out, (const guint8 *) line_end + 2, (guint) size);
      p = line_end + 2 + size + 2;
    }
  return out;
}

static void
assert_bytes_are_body (const guint8 *data,
                       gsize         len,
                       guint64       seed,
                       guint64       offset)
{
  g_autofree guint8 *expected = g_malloc (len + 1);

  fault_server_fill_body (seed, offset, expected, len);
  g_assert_true (memcmp (expected, data, len) == 0);
}

static void
test_chunked (void)
{
  GError *error = NULL;
  g_autoptr(FaultServer) server = fault_server_new_in_thread (FALSE, &error);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GByteArray) data = NULL;
  g_autofree char *head = NULL;
  const char *rest;
  gboolean terminated;

  g_assert_no_error (error);
  response = raw_get (server, "c.bin?size=100000&seed=3&chunked=1", G_MAXSIZE);
  head = split_response (response, &body);
  g_assert_nonnull (strstr (head, "\r\nTransfer-Encoding: chunked\r\n"));
  g_assert_null (strstr (head, "Content-Length"));
  data = dechunk (body, &terminated, &rest);
  g_assert_true (terminated);
  g_assert_null (rest);
  g_assert_cmpuint (data->len, ==, 100000);
  assert_bytes_are_body (data->data, data->len, 3, 0);
}

static void
test_chunked_cut (void)
{
  GError *error = NULL;
  g_autoptr(FaultServer) server = fault_server_new_in_thread (FALSE, &error);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GByteArray) data = NULL;
  g_autofree char *head = NULL;
  const char *rest;
  gboolean terminated;

  g_assert_no_error (error);
  /* 48 KiB: three whole chunks, then the close. */
  response = raw_get (server, "c.bin?size=100000&seed=3&chunked_cut=48k", G_MAXSIZE);
  head = split_response (response, &body);
  g_assert_nonnull (strstr (head, "\r\nTransfer-Encoding: chunked\r\n"));
  data = dechunk (body, &terminated, &rest);
  g_assert_false (terminated);
  g_assert_null (rest);
  g_assert_cmpuint (data->len, ==, 48 * 1024);
  assert_bytes_are_body (data->data, data->len, 3, 0);

  /* With faults=1, the second request of the key gets the whole body. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GBytes) again = raw_get (server, "c.bin?size=100000&seed=3&chunked_cut=48k&faults=1",
                                         G_MAXSIZE);
      g_autoptr(GBytes) again_body = NULL;
      g_autoptr(GByteArray) again_data = NULL;
      g_autofree char *again_head = split_response (again, &again_body);

      again_data = dechunk (again_body, &terminated, &rest);
      g_assert_true (terminated == (i == 1));
      g_assert_cmpuint (again_data->len, ==, i == 1 ? 100000 : 48 * 1024);
    }
}

static void
test_chunked_garbage (void)
{
  GError *error = NULL;
  g_autoptr(FaultServer) server = fault_server_new_in_thread (FALSE, &error);
  const struct { const char *kind; const char *bad; } cases[] = {
    { "zz", "zz\r\n" },
    { "neg", "-10\r\n" },
    { "huge", "ffffffffffffffff\r\n" },
    { "nocrlf", "10\r\n" },
  };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *query = g_strdup_printf ("g.bin?size=64k&seed=4&chunked_garbage=%s",
                                                cases[i].kind);
      g_autoptr(GBytes) response = raw_get (server, query, G_MAXSIZE);
      g_autoptr(GBytes) body = NULL;
      g_autoptr(GByteArray) data = NULL;
      g_autofree char *head = split_response (response, &body);
      const char *rest;
      gboolean terminated;

      g_test_message ("chunked_garbage=%s", cases[i].kind);
      data = dechunk (body, &terminated, &rest);
      /* Half the body framed well, then the malformed part. */
      g_assert_false (terminated);
      g_assert_cmpuint (data->len, ==, 32 * 1024);
      assert_bytes_are_body (data->data, data->len, 4, 0);
      g_assert_nonnull (rest);
      g_assert_true (g_str_has_prefix (rest, cases[i].bad));
      if (g_str_equal (cases[i].kind, "nocrlf"))
        /* 16 bytes of data, and then a size line instead of CRLF. */
        g_assert_true (g_str_has_prefix (rest + 4 + 16, "10\r\n"));
    }

  {
    g_autoptr(GBytes) response = raw_get (server, "g.bin?chunked_garbage=what", G_MAXSIZE);

    g_assert_true (g_str_has_prefix (g_bytes_get_data (response, NULL), "HTTP/1.1 400"));
  }
}

static void
test_range_etag_change (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "v.bin?size=10000&seed=7&range_etag_change=1");
  g_autoptr(Fetch) whole = NULL;
  g_autoptr(Fetch) tail = NULL;
  g_autoptr(Fetch) again = NULL;
  g_autofree char *etag = NULL;

  whole = fetch (session, "GET", url, NULL, NULL);
  g_assert_cmpuint (fetch_status (whole), ==, 200);
  assert_whole_body (whole, 7, 10000);
  etag = g_strdup (fetch_header (whole, "ETag"));

  /* If-Range names the version the client has; the server ignores it and
   * sends a range of another version. */
  tail = fetch (session, "GET", url, "Range", "bytes=4000-", "If-Range", etag, NULL);
  g_assert_no_error (tail->error);
  g_assert_cmpuint (fetch_status (tail), ==, 206);
  g_assert_cmpstr (fetch_header (tail, "Content-Range"), ==, "bytes 4000-9999/10000");
  g_assert_nonnull (fetch_header (tail, "ETag"));
  g_assert_cmpstr (fetch_header (tail, "ETag"), !=, etag);
  g_assert_cmpstr (fetch_header (tail, "Last-Modified"), !=, fetch_header (whole, "Last-Modified"));
  assert_body_slice (tail, 8, 4000, 6000);

  /* Without Range: the original again. */
  again = fetch (session, "GET", url, NULL, NULL);
  g_assert_cmpstr (fetch_header (again, "ETag"), ==, etag);
  assert_whole_body (again, 7, 10000);
}

/* range_fault=ignore: the range_fault_at-th request of the key gets 200
 * and the whole body; the others their range. */
static void
test_range_fault_ignore (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "f.bin?size=5000&seed=3&key=k"
                                          "&range_fault=ignore&range_fault_at=2");
  g_autoptr(Fetch) first = fetch (session, "GET", url, "Range", "bytes=10-19", NULL);
  g_autoptr(Fetch) second = fetch (session, "GET", url, "Range", "bytes=10-19", NULL);
  g_autoptr(Fetch) third = fetch (session, "GET", url, "Range", "bytes=10-19", NULL);

  g_assert_cmpuint (fetch_status (first), ==, 206);
  g_assert_cmpuint (fetch_status (second), ==, 200);
  assert_whole_body (second, 3, 5000);
  g_assert_cmpuint (fetch_status (third), ==, 206);
  assert_body_slice (third, 3, 10, 10);
}

/* range_fault=416: a satisfiable range refused. */
static void
test_range_fault_416 (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "f.bin?size=5000&key=k"
                                          "&range_fault=416&range_fault_at=1");
  g_autoptr(Fetch) f = fetch (session, "GET", url, "Range", "bytes=10-19", NULL);

  g_assert_cmpuint (fetch_status (f), ==, 416);
  g_assert_cmpstr (fetch_header (f, "Content-Range"), ==, "bytes */5000");
}

/* range_fault=lie: the bytes asked for, under a Content-Range one byte
 * later; a request without Range is not affected. */
static void
test_range_fault_lie (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "f.bin?size=5000&seed=3&key=k"
                                          "&range_fault=lie&range_fault_at=1");
  g_autoptr(Fetch) f = fetch (session, "GET", url, "Range", "bytes=10-19", NULL);

  g_assert_cmpuint (fetch_status (f), ==, 206);
  g_assert_cmpstr (fetch_header (f, "Content-Range"), ==, "bytes 11-20/5000");
  assert_body_slice (f, 3, 10, 10);
}

/* The most connections open at once is counted. */
static void
test_max_open_connections (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "c.bin?size=100");
  g_autoptr(Fetch) f = fetch (session, "GET", url, NULL, NULL);

  g_assert_cmpuint (fetch_status (f), ==, 200);
  g_assert_cmpuint (fault_server_get_max_open_connections (server), ==, 1);
}

static void
test_no_etag (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "n.bin?size=100&no_etag=1");
  g_autoptr(Fetch) f = fetch (session, "GET", url, NULL, NULL);

  g_assert_cmpuint (fetch_status (f), ==, 200);
  g_assert_null (fetch_header (f, "ETag"));
  g_assert_nonnull (fetch_header (f, "Last-Modified"));
}

static void
test_part_name (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = url_for (server, "dir/foo.bin?size=100&part_name=1");
  g_autoptr(Fetch) f = fetch (session, "GET", url, NULL, NULL);

  g_assert_cmpuint (fetch_status (f), ==, 200);
  g_assert_cmpstr (fetch_header (f, "Content-Disposition"), ==,
                   "attachment; filename=\"foo.bin.part\"");
  assert_whole_body (f, 0, 100);
}

static void
test_escape_reason (void)
{
  GError *error = NULL;
  g_autoptr(FaultServer) server = fault_server_new_in_thread (FALSE, &error);
  g_autoptr(GBytes) response = NULL;
  const char *data;

  g_assert_no_error (error);
  /* ESC ] 0 ; pwned BEL (set the window title), ESC [ 2 J (clear). */
  response = raw_get (server, "e.bin?status=503&reason=Bad%1B%5D0%3Bpwned%07%1B%5B2J", G_MAXSIZE);
  data = g_bytes_get_data (response, NULL);
  g_assert_true (g_str_has_prefix (data, "HTTP/1.1 503 Bad\033]0;pwned\a\033[2J\r\n"));

  {
    g_autoptr(GBytes) refused = raw_get (server, "e.bin?status=503&reason=a%0D%0AX-Evil:%201",
                                         G_MAXSIZE);

    g_assert_true (g_str_has_prefix (g_bytes_get_data (refused, NULL), "HTTP/1.1 400"));
  }
}

static void
test_endless (void)
{
  GError *error = NULL;
  g_autoptr(FaultServer) server = fault_server_new_in_thread (FALSE, &error);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *head = NULL;
  gsize len;
  const guint8 *data;

  g_assert_no_error (error);
  /* Far more than size=: the body goes on until the client stops. */
  response = raw_get (server, "forever.bin?size=10&seed=9&endless=1", 8 * 1024 * 1024);
  head = split_response (response, &body);
  g_assert_true (g_str_has_prefix (head, "HTTP/1.1 200 "));
  g_assert_null (strstr (head, "Content-Length"));
  g_assert_null (strstr (head, "Transfer-Encoding"));
  g_assert_null (strstr (head, "Accept-Ranges"));
  data = g_bytes_get_data (body, &len);
  g_assert_cmpuint (len, >, 7 * 1024 * 1024);
  assert_bytes_are_body (data, len, 9, 0);
  WAIT_FOR (fault_server_get_open_connections (server) == 0);
}

/* ------------------------------------------------------------------------ */
/* Authentication                                                            */

static gboolean
authenticate_alice_cb (SoupMessage *msg,
                       SoupAuth    *auth,
                       gboolean     retrying,
                       gpointer     user_data)
{
  if (!retrying)
    soup_auth_authenticate (auth, "alice", "Pa55w0rd");
  return TRUE;
}

/* auth=basic and auth=digest answer 401 with their challenge until the
 * right credentials come (and count those 401s under their key);
 * forbid_auth=1 answers 403 to any request with credentials. */
static void
test_auth (void)
{
  g_autoptr(FaultServer) server = start_server (FALSE);
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *basic = url_for (server, "b.bin?auth=basic&size=300&seed=4&key=basic");
  g_autofree char *digest = url_for (server, "d.bin?auth=digest&size=300&seed=5&key=digest");
  g_autofree char *forbid = url_for (server, "f.bin?forbid_auth=1&size=10");
  const char *good = "Basic YWxpY2U6UGE1NXcwcmQ=";  /* alice:Pa55w0rd */
  g_autoptr(Fetch) none = NULL;
  g_autoptr(Fetch) wrong = NULL;
  g_autoptr(Fetch) right = NULL;
  g_autoptr(Fetch) challenge = NULL;
  g_autoptr(Fetch) answered = NULL;
  g_autoptr(Fetch) with_credentials = NULL;
  g_autoptr(Fetch) without = NULL;

  none = fetch (session, "GET", basic, NULL, NULL);
  g_assert_cmpuint (fetch_status (none), ==, 401);
  g_assert_cmpstr (fetch_header (none, "WWW-Authenticate"), ==, "Basic realm=\"Fault Server\"");
  wrong = fetch (session, "GET", basic, "Authorization", "Basic YWxpY2U6d3Jvbmc=", NULL);
  g_assert_cmpuint (fetch_status (wrong), ==, 401);
  right = fetch (session, "GET", basic, "Authorization", good, NULL);
  g_assert_cmpuint (fetch_status (right), ==, 200);
  assert_whole_body (right, 4, 300);
  g_assert_cmpuint (fault_server_get_request_count (server, "basic"), ==, 3);

  challenge = fetch (session, "GET", digest, NULL, NULL);
  g_assert_cmpuint (fetch_status (challenge), ==, 401);
  g_assert_true (g_str_has_prefix (fetch_header (challenge, "WWW-Authenticate"), "Digest "));
  answered = fetch_prepare ("GET", digest, NULL, NULL);
  g_signal_connect (answered->msg, "authenticate", G_CALLBACK (authenticate_alice_cb), NULL);
  fetch_wait (fetch_send (session, answered));
  g_assert_cmpuint (fetch_status (answered), ==, 200);
  assert_whole_body (answered, 5, 300);

  with_credentials = fetch (session, "GET", forbid, "Authorization", good, NULL);
  g_assert_cmpuint (fetch_status (with_credentials), ==, 403);
  without = fetch (session, "GET", forbid, NULL, NULL);
  g_assert_cmpuint (fetch_status (without), ==, 200);
}

int
main (int   argc,
      char *argv[])
{
  /* The isolated XDG dirs hide the GSettings schemas that GNOME's proxy
   * resolver module reads (and aborts without); we talk to 127.0.0.1 only. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/downloader/fault-server/body-function", test_body_function);
  g_test_add_func ("/downloader/fault-server/basic-get", test_basic_get);
  g_test_add_func ("/downloader/fault-server/size-suffix", test_size_suffix);
  g_test_add_func ("/downloader/fault-server/empty-body", test_empty_body);
  g_test_add_func ("/downloader/fault-server/type", test_type);
  g_test_add_func ("/downloader/fault-server/head", test_head);
  g_test_add_func ("/downloader/fault-server/bad-request", test_bad_request);
  g_test_add_func ("/downloader/fault-server/status/sequence", test_status_sequence);
  g_test_add_func ("/downloader/fault-server/status/without-key", test_status_without_key);
  g_test_add_func ("/downloader/fault-server/retry-after/seconds", test_retry_after_seconds);
  g_test_add_func ("/downloader/fault-server/retry-after/date", test_retry_after_date);
  g_test_add_func ("/downloader/fault-server/range/open", test_range_open);
  g_test_add_func ("/downloader/fault-server/range/closed", test_range_closed);
  g_test_add_func ("/downloader/fault-server/range/unsatisfiable", test_range_unsatisfiable);
  g_test_add_func ("/downloader/fault-server/if-range/match", test_if_range_match);
  g_test_add_func ("/downloader/fault-server/if-range/mismatch", test_if_range_mismatch);
  g_test_add_func ("/downloader/fault-server/no-range", test_no_range);
  g_test_add_func ("/downloader/fault-server/drop-after", test_drop_after);
  g_test_add_func ("/downloader/fault-server/drop-after/range", test_drop_after_range);
  g_test_add_func ("/downloader/fault-server/hang-after", test_hang_after);
  g_test_add_func ("/downloader/fault-server/lie-length/short", test_lie_length_short);
  g_test_add_func ("/downloader/fault-server/lie-length/long", test_lie_length_long);
  g_test_add_func ("/downloader/fault-server/faults-limit", test_faults_limit);
  g_test_add_func ("/downloader/fault-server/disconnect-mid-body", test_disconnect_mid_body);
  g_test_add_func ("/downloader/fault-server/rate", test_rate);
  g_test_add_func ("/downloader/fault-server/delay", test_delay);
  g_test_add_func ("/downloader/fault-server/redirect/chain", test_redirect_chain);
  g_test_add_func ("/downloader/fault-server/redirect/loop", test_redirect_loop);
  g_test_add_func ("/downloader/fault-server/redirect/other-scheme", test_redirect_to_other_scheme);
  g_test_add_func ("/downloader/fault-server/redirect/status", test_redirect_status);
  g_test_add_func ("/downloader/fault-server/content-disposition", test_content_disposition);
  g_test_add_func ("/downloader/fault-server/gzip", test_gzip);
  g_test_add_func ("/downloader/fault-server/tls/trusted", test_tls_trusted);
  g_test_add_func ("/downloader/fault-server/tls/untrusted", test_tls_untrusted);
  g_test_add_func ("/downloader/fault-server/tls/redirect-to-http", test_tls_redirect_to_http);
  g_test_add_func ("/downloader/fault-server/concurrent-clients", test_concurrent_clients);
  g_test_add_func ("/downloader/fault-server/in-thread/blocking-client", test_in_thread_blocking_client);
  g_test_add_func ("/downloader/fault-server/free-with-stalled-clients", test_free_with_hanging_clients);
  g_test_add_func ("/downloader/fault-server/chunked", test_chunked);
  g_test_add_func ("/downloader/fault-server/chunked-cut", test_chunked_cut);
  g_test_add_func ("/downloader/fault-server/chunked-garbage", test_chunked_garbage);
  g_test_add_func ("/downloader/fault-server/range-etag-change", test_range_etag_change);
  g_test_add_func ("/downloader/fault-server/range-fault-ignore", test_range_fault_ignore);
  g_test_add_func ("/downloader/fault-server/range-fault-416", test_range_fault_416);
  g_test_add_func ("/downloader/fault-server/range-fault-lie", test_range_fault_lie);
  g_test_add_func ("/downloader/fault-server/max-open-connections", test_max_open_connections);
  g_test_add_func ("/downloader/fault-server/no-etag", test_no_etag);
  g_test_add_func ("/downloader/fault-server/part-name", test_part_name);
  g_test_add_func ("/downloader/fault-server/escape-reason", test_escape_reason);
  g_test_add_func ("/downloader/fault-server/endless", test_endless);
  g_test_add_func ("/downloader/fault-server/auth", test_auth);

  return g_test_run ();
}
