/* dl-cli-proxy.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "dl-cli-proxy.h"
#include "dl-manager.h"

/* The command line takes its proxy where command-line downloaders (curl,
 * wget, aria2c) take it, from the environment, not from the desktop's
 * settings as the app does: a command runs as well from a script, a
 * container or an ssh session, where the environment is what the user
 * set. It also spares the command GIO's default resolver, whose modules
 * (libproxy and the C++ runtime, GSettings and D-Bus for the desktop's
 * settings) take longer to load than everything else before the first
 * request.
 *
 * - http_proxy names the proxy of http:// URLs. Only in lower case: a web
 *   server hands a CGI program a request's "Proxy:" header as HTTP_PROXY,
 *   so curl ignores that name too.
 * - https_proxy (or HTTPS_PROXY) names the proxy of https:// URLs.
 * - all_proxy (or ALL_PROXY) names the proxy of both when their own is
 *   not set.
 * - no_proxy (or NO_PROXY) lists, comma-separated, the hosts reached
 *   directly: a name (its subdomains too), an address, or a range such as
 *   10.0.0.0/8; "*" alone means every host.
 *
 * The lower-case name wins when both are set; an empty value is no value.
 * --proxy overrides them all (dl-cli.c). */

/* The value of the first of @names that is set and not empty. */
static const char *
first_set (const char * const *names,
           const char        **name_out)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *value = g_getenv (names[i]);

      if (value != NULL && value[0] != '\0')
        {
          *name_out = names[i];
          return value;
        }
    }
  return NULL;
}

/* The proxy that one of @names sets, as GIO names it; NULL with nothing
 * set, or with @error set when the value is not a proxy (named after the
 * variable). */
static char *
proxy_from (const char * const  *names,
            GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *name = NULL;
  const char *value = first_set (names, &name);
  char *proxy;

  if (value == NULL)
    return NULL;

  proxy = dl_manager_normalize_proxy (value, &local_error);
  if (proxy == NULL)
    /* Translators: "http_proxy: “…” is not a proxy URL"; the first %s is
     * the name of an environment variable */
    g_set_error (error, local_error->domain, local_error->code, _("%s: %s"), name,
                 local_error->message);
  return proxy;
}

/* The hosts of a no_proxy value, as GSimpleProxyResolver's ignore-hosts
 * takes them (it matches a name's subdomains and address ranges, as
 * curl's no_proxy does). */
static GStrv
ignore_hosts_from (const char *value)
{
  g_autoptr(GStrvBuilder) hosts = g_strv_builder_new ();
  g_auto(GStrv) entries = g_strsplit (value != NULL ? value : "", ",", -1);

  for (guint i = 0; entries[i] != NULL; i++)
    {
      char *entry = g_strstrip (entries[i]);

      if (entry[0] != '\0')
        g_strv_builder_add (hosts, entry);
    }
  return g_strv_builder_end (hosts);
}

/**
 * dl_cli_proxy_from_environment:
 * @resolver: (out) (transfer full): a resolver that names the proxies the
 *   environment sets (see above), or %NULL when it sets none: the
 *   downloads then connect directly
 * @error: return location for a #GError
 *
 * Returns: %FALSE with @error set, naming the variable, when a value is
 *   not a proxy
 */
gboolean
dl_cli_proxy_from_environment (GProxyResolver **resolver,
                               GError         **error)
{
  static const char * const http_names[] = { "http_proxy", NULL };
  static const char * const https_names[] = { "https_proxy", "HTTPS_PROXY", NULL };
  static const char * const all_names[] = { "all_proxy", "ALL_PROXY", NULL };
  static const char * const no_names[] = { "no_proxy", "NO_PROXY", NULL };
  g_autoptr(GError) local_error = NULL;
  g_autofree char *http = NULL;
  g_autofree char *https = NULL;
  g_autofree char *all = NULL;
  g_autofree char *no_proxy = NULL;
  g_auto(GStrv) ignore_hosts = NULL;
  const char *no_proxy_name = NULL;
  GSimpleProxyResolver *simple;

  *resolver = NULL;
  if ((http = proxy_from (http_names, &local_error), local_error != NULL) ||
      (https = proxy_from (https_names, &local_error), local_error != NULL) ||
      (all = proxy_from (all_names, &local_error), local_error != NULL))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  no_proxy = g_strdup (first_set (no_names, &no_proxy_name));
  /* No proxy, or every host reached directly. */
  if ((http == NULL && https == NULL && all == NULL) ||
      (no_proxy != NULL && g_str_equal (g_strstrip (no_proxy), "*")))
    return TRUE;

  ignore_hosts = ignore_hosts_from (no_proxy);
  simple = G_SIMPLE_PROXY_RESOLVER (g_simple_proxy_resolver_new (all, ignore_hosts));
  if (http != NULL)
    g_simple_proxy_resolver_set_uri_proxy (simple, "http", http);
  if (https != NULL)
    g_simple_proxy_resolver_set_uri_proxy (simple, "https", https);
  *resolver = G_PROXY_RESOLVER (simple);
  return TRUE;
}
