/* dl-proxy-resolver.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-proxy-resolver"

#include "config.h"

#include <string.h>

#include "dl-proxy-resolver-private.h"

/* Proxy addresses for the manager's session, from another resolver (the
 * one given with dl_manager_set_proxy(), or the desktop's settings), with
 * the user name and password of an HTTP proxy taken out of its address.
 *
 * libsoup answers an HTTP proxy's 407 with the credentials in the proxy's
 * address on its own, and in doing so replaces the request's URL with the
 * proxy's address: the request that follows asks the proxy for its own
 * front page, and its answer would be saved as the file. So HTTP proxies
 * reach libsoup without user info, and the download's authenticate
 * handler gives their credentials, looked up here by the proxy's
 * authority (HOST:PORT, as SoupAuth names it). SOCKS proxies keep theirs:
 * GIO's SOCKS client reads them from the address. */

struct _DlProxyResolver
{
  GObject         parent_instance;

  GProxyResolver *base;          /* NULL: the default resolver, when first asked */
  GMutex          lock;
  GHashTable     *credentials;   /* authority → "user\0password", under lock */
};

static void dl_proxy_resolver_iface_init (GProxyResolverInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DlProxyResolver, _dl_proxy_resolver, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_PROXY_RESOLVER,
                                                      dl_proxy_resolver_iface_init))

/* A stored entry is "user\0password\0": wiped before it is freed. */
static void
credentials_free (gpointer data)
{
  char *block = data;
  gsize user_len = strlen (block);

  explicit_bzero (block, user_len + 1 + strlen (block + user_len + 1));
  g_free (block);
}

static GProxyResolver *
get_base (DlProxyResolver *self)
{
  return self->base != NULL ? self->base : g_proxy_resolver_get_default ();
}

/* The proxy's HOST:PORT as SoupAuth's authority writes it: the host bare,
 * even an IPv6 address, and the port always. */
static char *
authority_of (GUri *uri)
{
  int port = g_uri_get_port (uri);

  return g_strdup_printf ("%s:%d", g_uri_get_host (uri), port > 0 ? port : 80);
}

/* Takes the credentials out of each HTTP proxy in @proxies (in place). */
static void
keep_credentials_apart (DlProxyResolver  *self,
                        char            **proxies)
{
  for (guint i = 0; proxies != NULL && proxies[i] != NULL; i++)
    {
      g_autoptr(GUri) uri = g_uri_parse (proxies[i], G_URI_FLAGS_ENCODED | G_URI_FLAGS_HAS_PASSWORD,
                                     NULL);
      g_autofree char *user = NULL;
      g_autofree char *password = NULL;
      g_autoptr(GUri) bare = NULL;
      gsize user_len, password_len;
      char *block;

      if (uri == NULL || g_uri_get_user (uri) == NULL || g_uri_get_host (uri) == NULL ||
          g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0)
        continue;

      user = g_uri_unescape_string (g_uri_get_user (uri), NULL);
      password = g_uri_get_password (uri) != NULL
                 ? g_uri_unescape_string (g_uri_get_password (uri), NULL) : g_strdup ("");
      if (user == NULL || password == NULL)
        continue;

      user_len = strlen (user);
      password_len = strlen (password);
      block = g_malloc (user_len + 1 + password_len + 1);
      memcpy (block, user, user_len + 1);
      memcpy (block + user_len + 1, password, password_len + 1);
      explicit_bzero (password, password_len);

      g_mutex_lock (&self->lock);
      g_hash_table_replace (self->credentials, authority_of (uri), block);
      g_mutex_unlock (&self->lock);

      bare = g_uri_build (G_URI_FLAGS_ENCODED, g_uri_get_scheme (uri), NULL,
                          g_uri_get_host (uri), g_uri_get_port (uri),
                          g_uri_get_path (uri), NULL, NULL);
      g_free (proxies[i]);
      proxies[i] = g_uri_to_string (bare);
    }
}

static gboolean
dl_proxy_resolver_is_supported (GProxyResolver *resolver)
{
  return g_proxy_resolver_is_supported (get_base (DL_PROXY_RESOLVER (resolver)));
}

static char **
dl_proxy_resolver_lookup (GProxyResolver  *resolver,
                          const char      *uri,
                          GCancellable    *cancellable,
                          GError         **error)
{
  DlProxyResolver *self = DL_PROXY_RESOLVER (resolver);
  char **proxies = g_proxy_resolver_lookup (get_base (self), uri, cancellable, error);

  keep_credentials_apart (self, proxies);
  return proxies;
}

static void
base_lookup_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char **proxies = g_proxy_resolver_lookup_finish (G_PROXY_RESOLVER (source_object), result,
                                                   &error);

  if (proxies == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  keep_credentials_apart (g_task_get_source_object (task), proxies);
  g_task_return_pointer (task, proxies, (GDestroyNotify) g_strfreev);
}

static void
dl_proxy_resolver_lookup_async (GProxyResolver      *resolver,
                                const char          *uri,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  DlProxyResolver *self = DL_PROXY_RESOLVER (resolver);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, dl_proxy_resolver_lookup_async);
  g_proxy_resolver_lookup_async (get_base (self), uri, cancellable, base_lookup_cb, task);
}

static char **
dl_proxy_resolver_lookup_finish (GProxyResolver  *resolver,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, resolver), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
dl_proxy_resolver_iface_init (GProxyResolverInterface *iface)
{
  iface->is_supported = dl_proxy_resolver_is_supported;
  iface->lookup = dl_proxy_resolver_lookup;
  iface->lookup_async = dl_proxy_resolver_lookup_async;
  iface->lookup_finish = dl_proxy_resolver_lookup_finish;
}

static void
dl_proxy_resolver_finalize (GObject *object)
{
  DlProxyResolver *self = DL_PROXY_RESOLVER (object);

  g_clear_object (&self->base);
  g_hash_table_unref (self->credentials);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (_dl_proxy_resolver_parent_class)->finalize (object);
}

static void
_dl_proxy_resolver_class_init (DlProxyResolverClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dl_proxy_resolver_finalize;
}

static void
_dl_proxy_resolver_init (DlProxyResolver *self)
{
  g_mutex_init (&self->lock);
  self->credentials = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, credentials_free);
}

/* A resolver that answers as @base does (the default resolver, looked up
 * when first needed, if @base is %NULL). */
DlProxyResolver *
_dl_proxy_resolver_new (GProxyResolver *base)
{
  DlProxyResolver *self = g_object_new (DL_TYPE_PROXY_RESOLVER, NULL);

  if (base != NULL)
    self->base = g_object_ref (base);
  return self;
}

/* The credentials of the HTTP proxy at @authority (HOST:PORT), from the
 * address a lookup gave for it. */
gboolean
_dl_proxy_resolver_dup_credentials (DlProxyResolver  *self,
                                    const char       *authority,
                                    char            **user,
                                    char            **password)
{
  const char *block;

  g_return_val_if_fail (DL_IS_PROXY_RESOLVER (self), FALSE);

  g_mutex_lock (&self->lock);
  block = authority != NULL ? g_hash_table_lookup (self->credentials, authority) : NULL;
  if (block != NULL)
    {
      *user = g_strdup (block);
      *password = g_strdup (block + strlen (block) + 1);
    }
  g_mutex_unlock (&self->lock);
  return block != NULL;
}
