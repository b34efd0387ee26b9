/* dl-http.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-http"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <libbridge.h>

#include "dl-http-private.h"
#include "dl-download.h"
#include "dl-url-password.h"

/* The HTTP side of a download, without its state: the request for a
 * range, the checks on each redirect hop, what a response's headers say
 * about retrying, reading the body into the disk's buffers and closing the
 * response. */

#define MAX_REDIRECTS 20

/* Seconds to wait before retrying, from @msg's Retry-After (delay or
 * date), at most @max (a server may not make a download wait an hour, let
 * alone a year), or -1 without one. */
double
_dl_http_parse_retry_after (SoupMessage *msg,
                            double       max)
{
  const char *value = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                    "Retry-After");
  g_autofree char *text = NULL;
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) now = NULL;
  double seconds;

  if (value == NULL)
    return -1;

  text = g_strstrip (g_strdup (value));
  if (*text != '\0' && strspn (text, "0123456789") == strlen (text))
    {
      seconds = g_ascii_strtod (text, NULL);
    }
  else
    {
      when = soup_date_time_new_from_http_string (text);
      if (when == NULL)
        return -1;
      now = g_date_time_new_now_utc ();
      seconds = g_date_time_difference (when, now) / (double) G_USEC_PER_SEC;
    }

  return CLAMP (seconds, 0, max);
}

gboolean
_dl_http_is_redirect (guint status)
{
  return status == SOUP_STATUS_MOVED_PERMANENTLY ||
         status == SOUP_STATUS_FOUND ||
         status == SOUP_STATUS_SEE_OTHER ||
         status == SOUP_STATUS_TEMPORARY_REDIRECT ||
         status == SOUP_STATUS_PERMANENT_REDIRECT;
}

SoupMessage *
_dl_http_new_request (GUri       *uri,
                      gint64      offset,
                      const char *etag,
                      const char *last_modified)
{
  SoupMessage *msg = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  /* Redirects are followed by hand, to check every hop. */
  /* The metrics count the body's bytes on the wire, which the check of a
   * chunked body needs (see dl-chunked-check.c). */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT | SOUP_MESSAGE_COLLECT_METRICS);

  /* Ask for the bytes as stored: a compressed transfer would not match the
   * length, the checksum or byte ranges. */
  soup_message_headers_replace (headers, "Accept-Encoding", "identity");

  if (offset > 0)
    {
      soup_message_headers_set_range (headers, offset, -1);

      /* If-Range makes a server whose file changed send the new file whole
       * (200) instead of its tail. A weak ETag is not allowed there. */
      if (etag != NULL && !g_str_has_prefix (etag, "W/"))
        soup_message_headers_replace (headers, "If-Range", etag);
      else if (last_modified != NULL)
        soup_message_headers_replace (headers, "If-Range", last_modified);
    }

  return msg;
}

/* Checks the redirect @msg got from @uri, and returns where it leads, or
 * NULL with @error set: only to http or https (never from https down to
 * http), never twice to one place, at most MAX_REDIRECTS hops. */
GUri *
_dl_http_follow_redirect (SoupMessage  *msg,
                          GUri         *uri,
                          GHashTable   *visited,
                          guint         hops,
                          GError      **error)
{
  const char *location = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                       "Location");
  guint status = soup_message_get_status (msg);
  g_autoptr(GUri) next = NULL;
  g_autofree char *next_string = NULL;

  if (location != NULL)
    next = g_uri_parse_relative (uri, location, SOUP_HTTP_URI_FLAGS, NULL);

  if (next == NULL)
    {
      g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_REDIRECT,
                   "Redirect (HTTP %u) without a valid Location", status);
      return NULL;
    }
  if (g_ascii_strcasecmp (g_uri_get_scheme (next), "http") != 0 &&
      g_ascii_strcasecmp (g_uri_get_scheme (next), "https") != 0)
    {
      g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_INSECURE_REDIRECT,
                   "Refusing a redirect to the scheme “%s”", g_uri_get_scheme (next));
      return NULL;
    }
  if (g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 &&
      g_ascii_strcasecmp (g_uri_get_scheme (next), "http") == 0)
    {
      g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_INSECURE_REDIRECT,
                   "Refusing a redirect from https to insecure http (%s)", location);
      return NULL;
    }

  next_string = g_uri_to_string (next);
  if (g_hash_table_contains (visited, next_string))
    {
      g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_REDIRECT,
                   "Redirect loop: %s was already visited", next_string);
      return NULL;
    }
  if (hops + 1 > MAX_REDIRECTS)
    {
      g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_REDIRECT,
                   "Too many redirects (more than %d)", MAX_REDIRECTS);
      return NULL;
    }
  return g_steal_pointer (&next);
}

/* Fails with the status of @msg, and its reason phrase. */
void
_dl_http_set_error (GError      **error,
                    SoupMessage  *msg)
{
  const char *reason = soup_message_get_reason_phrase (msg);
  guint status = soup_message_get_status (msg);

  if (reason == NULL || *reason == '\0')
    reason = soup_status_get_phrase (status);
  g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_HTTP,
               "HTTP %u %s", status, reason != NULL ? reason : "");
}

/* ---- the proxy ---------------------------------------------------------------------- */

/* @url as GIO's proxy resolvers name a proxy: http://HOST:PORT or
 * socks5://HOST:PORT, as curl's --proxy takes it (a bare HOST:PORT is an
 * http proxy, socks5h is socks5, a missing port the scheme's usual one).
 * NULL with @error set when @url is not such a proxy. */
char *
_dl_http_normalize_proxy_url (const char  *url,
                              GError     **error)
{
  static const char * const schemes[] = { "http", "socks5", "socks5h", "socks4a", "socks4", NULL };
  g_autofree char *with_scheme = NULL;
  g_autofree char *scheme = NULL;
  g_autoptr(GUri) uri = NULL;

  if (strstr (url, "://") == NULL)
    url = with_scheme = g_strconcat ("http://", url, NULL);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_uri_get_path (uri)[0] != '\0' && !g_str_equal (g_uri_get_path (uri), "/")) ||
      g_uri_get_query (uri) != NULL)
    {
      /* Quoted without the password its user info may have. */
      g_autofree char *shown = dl_url_without_password (url);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   /* Translators: keep http://HOST:PORT and socks5://HOST:PORT */
                   _("“%s” is not a proxy URL (http://HOST:PORT or socks5://HOST:PORT)"), shown);
      return NULL;
    }

  scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  if (!g_strv_contains (schemes, scheme))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("the proxy scheme “%s” is not supported (http or socks5)"), scheme);
      return NULL;
    }

  /* GIO names socks5h (names resolved by the proxy) socks5 already. */
  if (g_str_equal (scheme, "socks5h"))
    {
      g_free (scheme);
      scheme = g_strdup ("socks5");
    }

  return g_uri_join (G_URI_FLAGS_NONE, scheme, g_uri_get_userinfo (uri), g_uri_get_host (uri),
                     g_uri_get_port (uri) > 0 ? g_uri_get_port (uri)
                                              : g_str_equal (scheme, "http") ? 80 : 1080,
                     "", NULL, NULL);
}

/* A resolver that sends every request through @url (see
 * _dl_http_normalize_proxy_url()), instead of the desktop's proxy
 * settings. Loopback addresses too: a proxy given by hand is meant for
 * everything. NULL with @error set when @url is not a proxy. */
GProxyResolver *
_dl_http_new_proxy_resolver (const char  *url,
                             GError     **error)
{
  g_autofree char *proxy = _dl_http_normalize_proxy_url (url, error);
  const char *ignore_none[] = { NULL };

  if (proxy == NULL)
    return NULL;
  return g_simple_proxy_resolver_new (proxy, (char **) ignore_none);
}

/* ---- the body ---------------------------------------------------------------------- */

/* A read in flight holds its buffer: GIO may still fill it after the task
 * was cancelled and moved on. */
typedef struct
{
  BridgeFuture *future;
  DlBuffer     *buffer;
} ReadOp;

static void
read_ready_cb (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  ReadOp *op = user_data;

  bridge_async_ready (source_object, result, op->future);
  _dl_buffer_unref (op->buffer);
  g_free (op);
}

/* Reads up to @count bytes from @stream into @buffer, after what it holds:
 * straight into the memory that is written to disk, without the copy of a
 * GBytes per read. Returns the number of bytes read, 0 at the end, -1 with
 * @error set.
 *
 * (Reading libsoup's pollable stream without waiting when data is there
 * was tried: it was no faster, and it made the loop's longest iterations
 * longer, each task doing more per turn.) */
gssize
_dl_http_read_into (GInputStream  *stream,
                    DlBuffer      *buffer,
                    gsize          count,
                    GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  BridgeFuture *future = bridge_async_result_future_new ();
  ReadOp *op = g_new (ReadOp, 1);

  op->future = future;
  op->buffer = _dl_buffer_ref (buffer);
  g_input_stream_read_async (stream, buffer->data + buffer->len, count, G_PRIORITY_DEFAULT,
                             bridge_task_get_cancellable (bridge_task_get_current ()),
                             read_ready_cb, op);

  result = bridge_await_async_result (future, error);
  if (result == NULL)
    return -1;
  return g_input_stream_read_finish (stream, result, error);
}

/* Closes the response once the body is in. Closed now rather than when the
 * attempt returns, the response lets go of its connection at once instead
 * of after the sync. Read to its end first: libsoup only keeps a
 * connection whose response was read through. A failure only means the
 * connection is not reused. @url is for messages. */
void
_dl_http_close_response (GInputStream *stream,
                         gboolean      at_eof,
                         const char   *url)
{
  g_autoptr(GBytes) more = NULL;
  g_autoptr(GError) error = NULL;

  if (!at_eof)
    /* More than one byte: at the end of a chunked body libsoup 3.2 reads
     * the trailer line into the caller's buffer, and fails (a critical,
     * then a read that never completes) when that cannot hold a CRLF. */
    more = bridge_input_stream_read_bytes (stream, 256, G_PRIORITY_DEFAULT, &error);
  if (error == NULL)
    bridge_input_stream_close (stream, G_PRIORITY_DEFAULT, &error);
  if (error != NULL)
    g_debug ("%s: closing the response: %s", url, error->message);
}
