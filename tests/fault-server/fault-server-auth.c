/* fault-server-auth.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "fault-server-auth.h"

/* The fault server's HTTP authentication, chosen per URL like its faults:
 *
 *   auth=basic       the resource needs Basic credentials: user= and
 *   auth=digest      password= (default alice and Pa55w0rd), realm
 *                    "Fault Server"; anything else gets 401
 *   forbid_auth=1    a request that carries an Authorization header at all
 *                    gets 403: the target of a redirect that must not
 *                    receive the credentials meant for the first host
 *
 * Checked by libsoup's own SoupAuthDomainBasic and SoupAuthDomainDigest,
 * whose filter looks at the query. */

#define DEFAULT_USER "alice"
#define DEFAULT_PASSWORD "Pa55w0rd"

static GHashTable *
query_of (SoupServerMessage *msg)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));

  return query != NULL ? soup_form_decode (query) : NULL;
}

static const char *
lookup (GHashTable *query,
        const char *name,
        const char *fallback)
{
  const char *value = query != NULL ? g_hash_table_lookup (query, name) : NULL;

  return value != NULL ? value : fallback;
}

/* The domain @user_data ("basic" or "digest") covers @msg. */
static gboolean
filter_cb (SoupAuthDomain    *domain,
           SoupServerMessage *msg,
           gpointer           user_data)
{
  GHashTable *query = query_of (msg);
  gboolean covered = g_strcmp0 (lookup (query, "auth", NULL), user_data) == 0;

  g_clear_pointer (&query, g_hash_table_unref);
  return covered;
}

static gboolean
basic_cb (SoupAuthDomain    *domain,
          SoupServerMessage *msg,
          const char        *user,
          const char        *password,
          gpointer           user_data)
{
  GHashTable *query = query_of (msg);
  gboolean ok = g_strcmp0 (user, lookup (query, "user", DEFAULT_USER)) == 0 &&
                g_strcmp0 (password, lookup (query, "password", DEFAULT_PASSWORD)) == 0;

  g_clear_pointer (&query, g_hash_table_unref);
  return ok;
}

static char *
digest_cb (SoupAuthDomain    *domain,
           SoupServerMessage *msg,
           const char        *user,
           gpointer           user_data)
{
  GHashTable *query = query_of (msg);
  char *encoded = NULL;

  if (g_strcmp0 (user, lookup (query, "user", DEFAULT_USER)) == 0)
    encoded = soup_auth_domain_digest_encode_password (user, FAULT_SERVER_AUTH_REALM,
                                                       lookup (query, "password",
                                                               DEFAULT_PASSWORD));
  g_clear_pointer (&query, g_hash_table_unref);
  return encoded;
}

void
fault_server_auth_install (SoupServer *server)
{
  SoupAuthDomain *basic = soup_auth_domain_basic_new ("realm", FAULT_SERVER_AUTH_REALM, NULL);
  SoupAuthDomain *digest = soup_auth_domain_digest_new ("realm", FAULT_SERVER_AUTH_REALM, NULL);

  soup_auth_domain_add_path (basic, "/");
  soup_auth_domain_set_filter (basic, filter_cb, (gpointer) "basic", NULL);
  soup_auth_domain_basic_set_auth_callback (basic, basic_cb, NULL, NULL);
  soup_server_add_auth_domain (server, basic);
  g_object_unref (basic);

  soup_auth_domain_add_path (digest, "/");
  soup_auth_domain_set_filter (digest, filter_cb, (gpointer) "digest", NULL);
  soup_auth_domain_digest_set_auth_callback (digest, digest_cb, NULL, NULL);
  soup_server_add_auth_domain (server, digest);
  g_object_unref (digest);
}

/* With forbid_auth=1, whether @msg carries credentials it must not have. */
gboolean
fault_server_auth_forbids_credentials (SoupServerMessage *msg,
                                       GHashTable        *query)
{
  const char *forbid = query != NULL ? g_hash_table_lookup (query, "forbid_auth") : NULL;

  return g_strcmp0 (forbid, "1") == 0 &&
         soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                       "Authorization") != NULL;
}
