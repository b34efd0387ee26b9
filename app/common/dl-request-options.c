/* dl-request-options.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "dl-request-options"

#include "dl-cookies.h"
#include "dl-request-options.h"

/* What another program asked to send with its downloads (DlAddRequest),
 * applied to the engine's requests as the session queues them, because
 * the engine has no per-download request headers of its own:
 *
 * - cookies go into one jar for the session, and every request carries
 *   those that match its own URL at the time it is sent, as a browser
 *   does: a redirect to another host gets that host's cookies, never the
 *   first one's;
 * - the referer and the extra headers go with requests to exactly the URL
 *   they were given for, not to where it redirects (the engine follows
 *   redirects with new requests).
 *
 * All of it lives as long as the app runs: a download resumed after a
 * restart is sent without it. */

typedef struct
{
  GUri  *uri;
  char  *referer;
  GStrv  headers;
} UrlOptions;

struct _DlRequestOptions
{
  SoupSession *session;
  DlCookies   *cookies;
  GPtrArray   *per_url;         /* of UrlOptions */
  gulong       queued_handler;
};

static void
url_options_free (gpointer data)
{
  UrlOptions *options = data;

  g_uri_unref (options->uri);
  g_free (options->referer);
  g_strfreev (options->headers);
  g_free (options);
}

static UrlOptions *
find_url_options (DlRequestOptions *self,
                  GUri             *uri)
{
  for (guint i = 0; i < self->per_url->len; i++)
    {
      UrlOptions *options = g_ptr_array_index (self->per_url, i);

      if (soup_uri_equal (options->uri, uri))
        return options;
    }
  return NULL;
}

static void
request_queued_cb (SoupSession *session,
                   SoupMessage *msg,
                   gpointer     user_data)
{
  DlRequestOptions *self = user_data;
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  GUri *uri = soup_message_get_uri (msg);
  g_autofree char *cookie = NULL;
  UrlOptions *options;

  cookie = dl_cookies_build_header (self->cookies, uri, g_get_real_time () / G_USEC_PER_SEC);
  if (cookie != NULL)
    soup_message_headers_replace (headers, "Cookie", cookie);

  options = find_url_options (self, uri);
  if (options == NULL)
    return;

  if (options->referer != NULL)
    soup_message_headers_replace (headers, "Referer", options->referer);

  for (guint i = 0; options->headers != NULL && options->headers[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (options->headers[i], ":", 2);

      /* DlAddRequest checked the form and refused the names the engine
       * sets itself. */
      soup_message_headers_append (headers, parts[0], g_strstrip (parts[1]));
    }
}

/**
 * dl_request_options_new:
 * @session: the session of a #DlManager
 *
 * Returns: (transfer full): options that apply to the requests of
 *   @session until freed
 */
DlRequestOptions *
dl_request_options_new (SoupSession *session)
{
  DlRequestOptions *self;

  g_return_val_if_fail (SOUP_IS_SESSION (session), NULL);

  self = g_new0 (DlRequestOptions, 1);
  self->session = g_object_ref (session);
  self->cookies = dl_cookies_new ();
  self->per_url = g_ptr_array_new_with_free_func (url_options_free);
  self->queued_handler = g_signal_connect (session, "request-queued",
                                           G_CALLBACK (request_queued_cb), self);
  return self;
}

void
dl_request_options_free (DlRequestOptions *self)
{
  if (self == NULL)
    return;

  g_clear_signal_handler (&self->queued_handler, self->session);
  g_clear_object (&self->session);
  dl_cookies_free (self->cookies);
  g_ptr_array_unref (self->per_url);
  g_free (self);
}

/**
 * dl_request_options_add:
 * @self: a #DlRequestOptions
 * @request: a checked request
 *
 * From now on, requests to the URLs of @request carry its referer and
 * headers (a later request for the same URL replaces them), and every
 * request carries the cookies of @request that match it.
 */
void
dl_request_options_add (DlRequestOptions *self,
                        DlAddRequest     *request)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (request != NULL);

  if (request->cookies != NULL)
    dl_cookies_add_from_text (self->cookies, request->cookies, -1);

  for (guint i = 0; request->urls[i] != NULL; i++)
    {
      g_autoptr(GUri) uri = g_uri_parse (request->urls[i], SOUP_HTTP_URI_FLAGS, NULL);
      UrlOptions *options;

      if (uri == NULL)
        continue;

      options = find_url_options (self, uri);
      if (options != NULL)
        g_ptr_array_remove_fast (self->per_url, options);

      if (request->referer == NULL && request->headers == NULL)
        continue;

      options = g_new0 (UrlOptions, 1);
      options->uri = g_steal_pointer (&uri);
      options->referer = g_strdup (request->referer);
      options->headers = g_strdupv (request->headers);
      g_ptr_array_add (self->per_url, options);
    }
}
