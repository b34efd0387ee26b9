/* dl-keyring.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-keyring"

#include "config.h"

#include <glib/gi18n.h>
#include <libbridge.h>
#include <libsecret/secret.h>

#include "dl-credentials.h"
#include "dl-keyring.h"

/* One keyring item per server, protection space and user: the attributes
 * are the host (with its port when not the default), the realm the server
 * names and the user name; the secret is the password. No GTK here: the
 * keyring is reached over D-Bus (or the portal), and each call waits for
 * it from the current task, so the window keeps drawing meanwhile. */

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    "io.github.libbridge.Downloader.Credentials", SECRET_SCHEMA_NONE,
    {
      { "host", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "realm", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };

  return &schema;
}

static GCancellable *
current_cancellable (void)
{
  BridgeTask *task = bridge_task_get_current ();

  return task != NULL ? bridge_task_get_cancellable (task) : NULL;
}

/**
 * dl_keyring_store:
 * @host: the server, as in a URL ("example.org", "127.0.0.1:8080")
 * @realm: the realm it named
 * @user: the user name
 * @password: the password
 * @error: for the keyring's error
 *
 * Keeps @password for @user at @host and @realm, replacing what was kept
 * for them. Call from a task.
 *
 * Returns: whether it was stored
 */
gboolean
dl_keyring_store (const char  *host,
                  const char  *realm,
                  const char  *user,
                  const char  *password,
                  GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  BridgeFuture *future;
  /* Translators: the keyring item's name, as a password manager lists it;
   * %s are a user name and a server, as in alice@example.org */
  g_autofree char *label = g_strdup_printf (_("Downloader: %s@%s"), user, host);

  g_return_val_if_fail (host != NULL && realm != NULL && user != NULL && password != NULL, FALSE);

  /* Not libsecret's replace: gnome-keyring 42 exits when asked to
   * replace an item. Taking the old one out first works everywhere. */
  if (!dl_keyring_clear (host, realm, user, error))
    return FALSE;

  future = bridge_async_result_future_new ();
  secret_password_store (get_schema (), SECRET_COLLECTION_DEFAULT, label, password,
                         current_cancellable (), bridge_async_ready, future,
                         "host", host, "realm", realm, "user", user, NULL);
  result = bridge_await_async_result (future, error);
  return result != NULL && secret_password_store_finish (result, error);
}

/**
 * dl_keyring_lookup:
 * @host: the server
 * @realm: the realm
 * @user: (out): the user name kept for them
 * @password: (out): its password, to free with dl_password_free()
 * @error: for the keyring's error
 *
 * Finds what dl_keyring_store() kept for @host and @realm (the most
 * recently stored, if several users were). Call from a task.
 *
 * Returns: %TRUE when found; %FALSE when nothing is kept (@error unset)
 *   or on an error
 */
gboolean
dl_keyring_lookup (const char  *host,
                   const char  *realm,
                   char       **user,
                   char       **password,
                   GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) lookup_result = NULL;
  GList *items;
  GHashTable *attributes;
  BridgeFuture *future;
  g_autofree char *found_user = NULL;
  guint64 newest = 0;

  g_return_val_if_fail (host != NULL && realm != NULL, FALSE);
  g_return_val_if_fail (user != NULL && password != NULL, FALSE);

  *user = NULL;
  *password = NULL;

  /* The user name is an attribute, not the secret: find the items first,
   * then fetch one password. */
  future = bridge_async_result_future_new ();
  secret_password_search (get_schema (), SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK,
                          current_cancellable (), bridge_async_ready, future,
                          "host", host, "realm", realm, NULL);
  result = bridge_await_async_result (future, error);
  if (result == NULL)
    return FALSE;
  items = secret_password_search_finish (result, error);
  for (GList *l = items; l != NULL; l = l->next)
    {
      guint64 modified = secret_retrievable_get_modified (l->data);

      if (found_user != NULL && modified < newest)
        continue;
      attributes = secret_retrievable_get_attributes (l->data);
      g_free (found_user);
      found_user = g_strdup (g_hash_table_lookup (attributes, "user"));
      newest = modified;
      g_hash_table_unref (attributes);
    }
  g_list_free_full (items, g_object_unref);
  if (found_user == NULL)
    return FALSE;

  future = bridge_async_result_future_new ();
  secret_password_lookup (get_schema (), current_cancellable (), bridge_async_ready, future,
                          "host", host, "realm", realm, "user", found_user, NULL);
  lookup_result = bridge_await_async_result (future, error);
  if (lookup_result == NULL)
    return FALSE;
  *password = secret_password_lookup_finish (lookup_result, error);
  if (*password == NULL)
    return FALSE;
  *user = g_steal_pointer (&found_user);
  return TRUE;
}

/**
 * dl_keyring_clear:
 * @host: the server
 * @realm: the realm
 * @user: (nullable): the user name, or %NULL for every user
 * @error: for the keyring's error
 *
 * Forgets what dl_keyring_store() kept for them. Call from a task.
 *
 * Returns: %FALSE on an error (not when there was nothing to forget)
 */
gboolean
dl_keyring_clear (const char  *host,
                  const char  *realm,
                  const char  *user,
                  GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(GError) local_error = NULL;
  BridgeFuture *future;

  g_return_val_if_fail (host != NULL && realm != NULL, FALSE);

  attributes = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (attributes, (gpointer) "host", (gpointer) host);
  g_hash_table_insert (attributes, (gpointer) "realm", (gpointer) realm);
  if (user != NULL)
    g_hash_table_insert (attributes, (gpointer) "user", (gpointer) user);

  future = bridge_async_result_future_new ();
  secret_password_clearv (get_schema (), attributes, current_cancellable (),
                          bridge_async_ready, future);
  result = bridge_await_async_result (future, error);
  if (result == NULL)
    return FALSE;
  /* FALSE without an error: there was nothing to forget. */
  if (!secret_password_clear_finish (result, &local_error) && local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}
