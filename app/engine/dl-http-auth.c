/* dl-http-auth.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-http-auth"

#include "config.h"

#include <string.h>

#include "dl-credentials.h"
#include "dl-download-private.h"
#include "dl-http-auth-private.h"
#include "dl-manager-private.h"

/* HTTP authentication (Basic and Digest, through libsoup's SoupAuth) for
 * one attempt of a download.
 *
 * The download's own credentials (from its URL's user info, or given with
 * dl_download_set_credentials()) go to its own origin only: the scheme,
 * host and port of its URL. A redirect elsewhere never receives them; the
 * request is sent without user info, so libsoup does not apply them on its
 * own either. Anything else comes from the manager's credential provider,
 * asked from the download's task when a 401 arrives, and used for the host
 * and realm it was asked about.
 *
 * libsoup asks for credentials through SoupMessage::authenticate, outside
 * the task. The handler answers at once with what is known; when nothing
 * is, libsoup completes the request with the 401, and the task asks the
 * provider (which may show a dialog), then sends the request again.
 * Credentials that are refused are not given again: the download fails
 * with "Authentication failed" instead of asking in a loop. */

/* Rounds with the provider in one attempt: a person may mistype twice. A
 * provider that answers wrong credentials without asking stops here. */
#define MAX_PROVIDER_ROUNDS 3

struct _DlHttpAuth
{
  DlManager       *manager;          /* borrowed */
  DlDownload      *download;         /* borrowed */

  GUri            *origin;           /* the download's URL, without user info */
  char            *own_user;         /* the download's credentials, or NULL */
  char            *own_password;
  char            *user_hint;        /* a user name without a password */
  gboolean         own_refused;

  char            *given_user;       /* the provider's, for given_for */
  char            *given_password;
  DlAuthChallenge *given_for;
  gboolean         given_reported;
  guint            rounds;

  /* The message in flight, and what its authenticate signal said. */
  SoupMessage     *msg;
  gulong           handler_id;
  gboolean         supplied;         /* credentials were given for it */
  gboolean         supplied_own;
  char            *seen_host;
  char            *seen_realm;
  char            *seen_scheme;

  /* The same for an HTTP proxy's challenge (407). */
  gboolean         proxy_supplied;
  char            *proxy_seen;       /* the proxy's HOST:PORT */
};

/* The authority of @uri as a URL writes it: host, and ":PORT" unless it is
 * the scheme's default (IPv6 addresses in brackets). */
static char *
authority_of (GUri *uri)
{
  const char *host = g_uri_get_host (uri);
  int port = g_uri_get_port (uri);
  int default_port = g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
  gboolean ipv6 = host != NULL && strchr (host, ':') != NULL;

  if (port < 0 || port == default_port)
    return g_strdup_printf (ipv6 ? "[%s]" : "%s", host != NULL ? host : "");
  return g_strdup_printf (ipv6 ? "[%s]:%d" : "%s:%d", host != NULL ? host : "", port);
}

static int
port_of (GUri *uri)
{
  int port = g_uri_get_port (uri);

  if (port >= 0)
    return port;
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

/* Same scheme, host and port. */
static gboolean
same_origin (GUri *a,
             GUri *b)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0 &&
         g_ascii_strcasecmp (g_uri_get_host (a) ? g_uri_get_host (a) : "",
                             g_uri_get_host (b) ? g_uri_get_host (b) : "") == 0 &&
         port_of (a) == port_of (b);
}

static void
clear_given (DlHttpAuth *self)
{
  g_clear_pointer (&self->given_user, g_free);
  g_clear_pointer (&self->given_password, dl_password_free);
  g_clear_pointer (&self->given_for, dl_auth_challenge_free);
  self->given_reported = FALSE;
}

static void
forget_message (DlHttpAuth *self)
{
  if (self->msg != NULL)
    {
      g_clear_signal_handler (&self->handler_id, self->msg);
      g_clear_object (&self->msg);
    }
  self->supplied = FALSE;
  self->supplied_own = FALSE;
  self->proxy_supplied = FALSE;
  g_clear_pointer (&self->proxy_seen, g_free);
  g_clear_pointer (&self->seen_host, g_free);
  g_clear_pointer (&self->seen_realm, g_free);
  g_clear_pointer (&self->seen_scheme, g_free);
}

DlHttpAuth *
_dl_http_auth_new (DlManager  *manager,
                   DlDownload *download)
{
  DlHttpAuth *self = g_new0 (DlHttpAuth, 1);

  self->manager = manager;
  self->download = download;
  return self;
}

void
_dl_http_auth_free (DlHttpAuth *self)
{
  if (self == NULL)
    return;
  forget_message (self);
  clear_given (self);
  g_clear_pointer (&self->origin, g_uri_unref);
  g_clear_pointer (&self->own_user, g_free);
  g_clear_pointer (&self->own_password, dl_password_free);
  g_clear_pointer (&self->user_hint, g_free);
  g_free (self);
}

/* The URL to request: the download's, without user info. The credentials
 * of its user info, or else those given to the download, become its own. */
GUri *
_dl_http_auth_get_uri (DlHttpAuth  *self,
                       GError     **error)
{
  DlDownload *download = self->download;
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (self->origin == NULL, NULL);

  uri = g_uri_parse (download->request_url != NULL ? download->request_url : download->url,
                     SOUP_HTTP_URI_FLAGS, error);
  if (uri == NULL)
    return NULL;

  if (g_uri_get_user (uri) != NULL && g_uri_get_password (uri) != NULL)
    {
      self->own_user = g_strdup (g_uri_get_user (uri));
      self->own_password = g_strdup (g_uri_get_password (uri));
    }
  else if (download->auth_user != NULL)
    {
      self->own_user = g_strdup (download->auth_user);
      self->own_password = g_strdup (download->auth_password);
    }
  else if (g_uri_get_user (uri) != NULL && *g_uri_get_user (uri) != '\0')
    self->user_hint = g_strdup (g_uri_get_user (uri));

  self->origin = soup_uri_copy (uri, SOUP_URI_USER, NULL, SOUP_URI_PASSWORD, NULL,
                                SOUP_URI_NONE);
  return g_uri_ref (self->origin);
}

/* A proxy's challenge is answered with the credentials of the proxy's
 * address (see dl-proxy-resolver.c), once: asked again, they were
 * refused, and the 407 goes through to the task. */
static gboolean
authenticate_proxy (DlHttpAuth *self,
                    SoupAuth   *auth)
{
  DlProxyResolver *resolver = _dl_manager_get_proxy_resolver (self->manager);
  g_autofree char *user = NULL;
  char *password = NULL;

  g_free (self->proxy_seen);
  self->proxy_seen = g_strdup (soup_auth_get_authority (auth));
  if (self->proxy_supplied || resolver == NULL ||
      !_dl_proxy_resolver_dup_credentials (resolver, self->proxy_seen, &user, &password))
    return FALSE;

  soup_auth_authenticate (auth, user, password);
  dl_password_free (password);
  self->proxy_supplied = TRUE;
  return TRUE;
}

static gboolean
authenticate_cb (SoupMessage *msg,
                 SoupAuth    *auth,
                 gboolean     retrying,
                 gpointer     user_data)
{
  DlHttpAuth *self = user_data;
  GUri *uri = soup_message_get_uri (msg);
  const char *user = NULL;
  const char *password = NULL;
  gboolean own = FALSE;

  if (soup_auth_is_for_proxy (auth))
    return authenticate_proxy (self, auth);

  g_free (self->seen_host);
  self->seen_host = authority_of (uri);
  g_free (self->seen_realm);
  self->seen_realm = g_strdup (soup_auth_get_realm (auth));
  g_free (self->seen_scheme);
  self->seen_scheme = g_strdup (soup_auth_get_scheme_name (auth));

  /* Given once for this request and refused: libsoup is asking again.
   * Saying nothing lets the 401 through to the task. */
  if (self->supplied)
    return FALSE;

  if (self->own_user != NULL && !self->own_refused && same_origin (uri, self->origin))
    {
      user = self->own_user;
      password = self->own_password;
      own = TRUE;
    }
  else if (self->given_for != NULL &&
           g_str_equal (self->given_for->host, self->seen_host) &&
           g_strcmp0 (self->given_for->realm, self->seen_realm != NULL ? self->seen_realm : "") == 0)
    {
      user = self->given_user;
      password = self->given_password;
    }

  if (user == NULL)
    return FALSE;

  soup_auth_authenticate (auth, user, password);
  self->supplied = TRUE;
  self->supplied_own = own;
  return TRUE;
}

/* Before @msg is sent. */
void
_dl_http_auth_prepare (DlHttpAuth  *self,
                       SoupMessage *msg)
{
  forget_message (self);
  self->msg = g_object_ref (msg);
  self->handler_id = g_signal_connect (msg, "authenticate", G_CALLBACK (authenticate_cb), self);
}

static void
set_failed (DlHttpAuth  *self,
            gboolean     refused,
            GError     **error)
{
  if (refused)
    g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_AUTH,
                 "Authentication failed: %s refused the user name or password",
                 self->seen_host);
  else
    g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_AUTH,
                 "Authentication failed: %s asks for a user name and password, and none "
                 "were given", self->seen_host);
}

/* Asks the provider for credentials for what the last 401 said. */
static DlHttpAuthVerdict
ask_provider (DlHttpAuth            *self,
              DlCredentialProvider  *provider,
              const DlAuthChallenge *challenge,
              BridgeTimeout         *scope,
              double                 timeout,
              GError               **error)
{
  BridgeTask *task = bridge_task_get_current ();
  BridgeFuture *future = bridge_async_result_future_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  char *user = NULL;
  char *password = NULL;

  /* A person may take their time: the request's deadline waits, and
   * starts again with the new request. */
  bridge_timeout_reschedule (scope, BRIDGE_TIMEOUT_NEVER);
  dl_credential_provider_lookup_async (provider, self->download, challenge,
                                       bridge_task_get_cancellable (task),
                                       bridge_async_ready, future);
  result = bridge_await_async_result (future, error);
  if (result == NULL)
    return DL_HTTP_AUTH_FAILED;
  bridge_timeout_reschedule (scope, bridge_loop_time (bridge_future_get_loop (BRIDGE_FUTURE (task)))
                                    + timeout);

  if (!dl_credential_provider_lookup_finish (provider, result, &user, &password, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        set_failed (self, challenge->retrying, error);
      return DL_HTTP_AUTH_FAILED;
    }

  clear_given (self);
  self->given_user = user;
  self->given_password = password;
  self->given_for = dl_auth_challenge_copy (challenge);
  return DL_HTTP_AUTH_RESEND;
}

/* After the response to @msg arrived (its headers): a 401 that asks for
 * credentials gets them (or fails the download); any other status tells
 * that credentials from the provider were accepted. @scope is the
 * request's deadline, @timeout the time it allows. */
DlHttpAuthVerdict
_dl_http_auth_check (DlHttpAuth     *self,
                     SoupMessage    *msg,
                     BridgeTimeout  *scope,
                     double          timeout,
                     GError        **error)
{
  DlCredentialProvider *provider = _dl_manager_get_credential_provider (self->manager);
  g_autoptr(DlAuthChallenge) challenge = NULL;
  const char *refused_user = NULL;

  g_return_val_if_fail (msg == self->msg, DL_HTTP_AUTH_PASS);

  /* Nobody to ask about a proxy: its credentials are in its address. */
  if (soup_message_get_status (msg) == SOUP_STATUS_PROXY_UNAUTHORIZED)
    {
      const char *proxy = self->proxy_seen != NULL ? self->proxy_seen : "the proxy";

      if (self->proxy_supplied)
        g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_AUTH,
                     "Proxy authentication failed: %s refused the user name or password",
                     proxy);
      else
        g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_AUTH,
                     "Proxy authentication failed: %s asks for a user name and password, "
                     "and its address has none (http://USER:PASSWORD@HOST:PORT)", proxy);
      return DL_HTTP_AUTH_FAILED;
    }

  if (soup_message_get_status (msg) != SOUP_STATUS_UNAUTHORIZED)
    {
      if (self->supplied && !self->supplied_own && !self->given_reported && provider != NULL)
        {
          self->given_reported = TRUE;
          dl_credential_provider_report (provider, self->given_for, self->given_user, TRUE);
        }
      return DL_HTTP_AUTH_PASS;
    }

  /* No challenge libsoup could answer (no WWW-Authenticate, or a scheme
   * it does not know): an HTTP error as any other. */
  if (self->seen_host == NULL)
    return DL_HTTP_AUTH_PASS;

  if (self->supplied)
    {
      if (self->supplied_own)
        {
          self->own_refused = TRUE;
          refused_user = self->own_user;
        }
      else
        {
          refused_user = self->given_user;
          if (provider != NULL)
            dl_credential_provider_report (provider, self->given_for, self->given_user, FALSE);
        }
    }

  if (provider == NULL || self->rounds >= MAX_PROVIDER_ROUNDS)
    {
      set_failed (self, self->supplied || self->rounds > 0, error);
      return DL_HTTP_AUTH_FAILED;
    }

  self->rounds++;
  challenge = dl_auth_challenge_new (self->seen_host, self->seen_realm, self->seen_scheme,
                                     refused_user != NULL ? refused_user : self->user_hint,
                                     self->supplied);
  return ask_provider (self, provider, challenge, scope, timeout, error);
}
