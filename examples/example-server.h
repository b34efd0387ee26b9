/* example-server.h: a tiny in-process SoupServer for the fetch examples, so
 * they run anywhere without a network.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

/* GET /file/N?size=BYTES&delay=MS answers BYTES bytes after MS milliseconds;
 * the delay uses a main-loop timer, so the server never blocks the loop the
 * example's own tasks run on. */

typedef struct
{
  SoupServerMessage *msg;
  gsize              size;
} DelayedReply;

static gboolean
example_server_reply (gpointer data)
{
  DelayedReply *reply = data;
  char *body = g_malloc (reply->size);

  for (gsize i = 0; i < reply->size; i++)
    body[i] = 'a' + i % 26;
  soup_server_message_set_status (reply->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (reply->msg, "application/octet-stream",
                                    SOUP_MEMORY_TAKE, body, reply->size);
  soup_server_message_unpause (reply->msg);
  g_object_unref (reply->msg);
  g_free (reply);
  return G_SOURCE_REMOVE;
}

static void
example_server_handler (SoupServer        *server,
                        SoupServerMessage *msg,
                        const char        *path,
                        GHashTable        *query,
                        gpointer           user_data)
{
  DelayedReply *reply = g_new0 (DelayedReply, 1);
  const char *size = query != NULL ? g_hash_table_lookup (query, "size") : NULL;
  const char *delay = query != NULL ? g_hash_table_lookup (query, "delay") : NULL;

  reply->msg = g_object_ref (msg);
  reply->size = size != NULL ? g_ascii_strtoull (size, NULL, 10) : 1024;
  soup_server_message_pause (msg);
  g_timeout_add (delay != NULL ? (guint) g_ascii_strtoull (delay, NULL, 10) : 0,
                 example_server_reply, reply);
}

/* Returns the base URI ("http://127.0.0.1:PORT/"); the server lives until exit. */
static char *
example_server_start (void)
{
  SoupServer *server = soup_server_new ("server-header", "libbridge-example", NULL);
  GError *error = NULL;
  GSList *uris;
  char *base;

  soup_server_add_handler (server, "/file", example_server_handler, NULL, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("cannot listen on 127.0.0.1: %s", error->message);
  uris = soup_server_get_uris (server);
  base = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return base;
}
