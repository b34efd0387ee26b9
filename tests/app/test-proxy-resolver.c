/* test-proxy-resolver.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "dl-proxy-resolver-private.h"

/* The manager's proxy resolver hands libsoup HTTP proxies without their
 * credentials and keeps those for the proxy's 407. */

static char **
lookup (DlProxyResolver *resolver,
        const char      *uri)
{
  g_autoptr(GError) error = NULL;
  char **proxies = g_proxy_resolver_lookup (G_PROXY_RESOLVER (resolver), uri, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (proxies);
  return proxies;
}

static void
test_http_credentials_kept_apart (void)
{
  g_autoptr(GProxyResolver) base =
    g_simple_proxy_resolver_new ("http://alice:p%40ss%3Aword@127.0.0.1:3128", NULL);
  g_autoptr(DlProxyResolver) resolver = _dl_proxy_resolver_new (base);
  g_auto(GStrv) proxies = lookup (resolver, "http://127.0.0.1:1/f.bin");
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;

  g_assert_cmpstr (proxies[0], ==, "http://127.0.0.1:3128");
  g_assert_true (_dl_proxy_resolver_dup_credentials (resolver, "127.0.0.1:3128",
                                                     &user, &password));
  g_assert_cmpstr (user, ==, "alice");
  g_assert_cmpstr (password, ==, "p@ss:word");
}

static void
store_result_cb (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_async_lookup_kept_apart (void)
{
  g_autoptr(GProxyResolver) base = g_simple_proxy_resolver_new ("http://bob:pw@[::1]:8080", NULL);
  g_autoptr(DlProxyResolver) resolver = _dl_proxy_resolver_new (base);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) proxies = NULL;
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;

  g_proxy_resolver_lookup_async (G_PROXY_RESOLVER (resolver), "http://[::1]:1/", NULL,
                                 store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  proxies = g_proxy_resolver_lookup_finish (G_PROXY_RESOLVER (resolver), result, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (proxies[0], ==, "http://[::1]:8080");
  g_assert_true (_dl_proxy_resolver_dup_credentials (resolver, "::1:8080", &user, &password));
  g_assert_cmpstr (user, ==, "bob");
  g_assert_cmpstr (password, ==, "pw");
}

/* GIO's SOCKS client reads them from the address itself. */
static void
test_socks_credentials_left_in (void)
{
  g_autoptr(GProxyResolver) base =
    g_simple_proxy_resolver_new ("socks5://alice:pw@127.0.0.1:1080", NULL);
  g_autoptr(DlProxyResolver) resolver = _dl_proxy_resolver_new (base);
  g_auto(GStrv) proxies = lookup (resolver, "http://127.0.0.1:1/f.bin");
  char *user = NULL;
  char *password = NULL;

  g_assert_cmpstr (proxies[0], ==, "socks5://alice:pw@127.0.0.1:1080");
  g_assert_false (_dl_proxy_resolver_dup_credentials (resolver, "127.0.0.1:1080",
                                                      &user, &password));
}

static void
test_no_proxy_unchanged (void)
{
  g_autoptr(GProxyResolver) base = g_simple_proxy_resolver_new (NULL, NULL);
  g_autoptr(DlProxyResolver) resolver = _dl_proxy_resolver_new (base);
  g_auto(GStrv) proxies = lookup (resolver, "http://127.0.0.1:1/f.bin");

  g_assert_cmpstr (proxies[0], ==, "direct://");
  g_assert_null (proxies[1]);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/downloader/proxy-resolver/http-credentials-kept-apart",
                   test_http_credentials_kept_apart);
  g_test_add_func ("/downloader/proxy-resolver/async-lookup-kept-apart",
                   test_async_lookup_kept_apart);
  g_test_add_func ("/downloader/proxy-resolver/socks-credentials-left-in",
                   test_socks_credentials_left_in);
  g_test_add_func ("/downloader/proxy-resolver/no-proxy-unchanged", test_no_proxy_unchanged);

  return g_test_run ();
}
