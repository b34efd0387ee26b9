/* dl-warm-up.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-warm-up"

#include "config.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <libbridge.h>
#include <libsoup/soup.h>

#include "dl-disk-private.h"
#include "dl-warm-up-private.h"

/* The first downloads of a process wait for two things that take
 * milliseconds to make, and that no download should make on the loop
 * thread:
 *
 * - the default proxy resolver: GIO loads its modules and reads the
 *   desktop's proxy settings when it is first asked for, and every
 *   connection asks (the first request cannot go out before it exists);
 * - the disk threads (see _dl_disk_warm_up()).
 *
 * One thread makes them, the resolver first: the first request waits for
 * it, while the disk threads are needed only once responses arrive, so
 * they do not compete with the resolver and the first request for the
 * processors. */

/* Disk threads for a process that does not say how many downloads it runs
 * at once: about as many as twenty downloads keep busy (a write, a sync,
 * perhaps a rename or a folder sync each, most of them waiting for the
 * disk). */
#define DISK_THREADS_DEFAULT 32

/* Disk threads per download running at once, in fifths, and at least. */
#define DISK_THREADS_PER_DOWNLOAD_FIFTHS 8
#define DISK_THREADS_MIN                 2

static guint   disk_threads;      /* set before the warm-up thread starts */

static GMutex  proxy_lock;
static gboolean proxy_wanted;     /* its making started, under proxy_lock */
static gboolean proxy_ready;      /* under proxy_lock */
static GSList *proxy_waiters;     /* BridgeFuture, under proxy_lock */

static void
proxy_waiter_wake (gpointer data)
{
  BridgeFuture *waiter = data;

  /* Done already if its task was cancelled meanwhile. */
  if (!bridge_future_is_done (waiter))
    bridge_future_set_boolean (waiter, TRUE, NULL);
}

/* On the thread that made it: the resolver exists; wakes the tasks waiting for
 * it, each on its own loop. */
static void
proxy_resolver_made (void)
{
  GSList *waiters;

  g_mutex_lock (&proxy_lock);
  proxy_ready = TRUE;
  waiters = g_steal_pointer (&proxy_waiters);
  g_mutex_unlock (&proxy_lock);

  for (GSList *l = waiters; l != NULL; l = l->next)
    {
      BridgeFuture *waiter = l->data;
      BridgeHandle *handle = bridge_loop_call_soon_threadsafe (bridge_future_get_loop (waiter),
                                                               proxy_waiter_wake, waiter,
                                                               (GDestroyNotify) bridge_future_unref);

      /* NULL only when that loop is closed: nobody waits there any more. */
      if (handle != NULL)
        bridge_handle_unref (handle);
      else
        bridge_future_unref (waiter);
    }
  g_slist_free (waiters);
}

static void
lookup_done_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  gboolean *done = user_data;
  g_auto(GStrv) proxies = NULL;

  proxies = g_proxy_resolver_lookup_finish (G_PROXY_RESOLVER (source_object), result, NULL);
  *done = TRUE;
}

/* A first lookup, made the way a connection makes its own: it sets up the
 * rest (libproxy reads its configuration) and starts the thread of GIO's
 * that runs lookups, two things the first connection would otherwise wait
 * for. Nobody waits for it: with a proxy auto-configuration it may take
 * long, and the connections' own lookups do not block the loop. */
static void
first_lookup (GProxyResolver *resolver)
{
  GMainContext *context = g_main_context_new ();
  gboolean done = FALSE;

  g_main_context_push_thread_default (context);
  g_proxy_resolver_lookup_async (resolver, "http://localhost/", NULL, lookup_done_cb, &done);
  while (!done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
}

/* Makes the default resolver and sets up its lookups (on a warm-up
 * thread). */
static void
make_proxy_resolver (void)
{
  GProxyResolver *resolver = g_proxy_resolver_get_default ();

  proxy_resolver_made ();
  first_lookup (resolver);
}

static gpointer
proxy_warm_up_thread (gpointer data)
{
  make_proxy_resolver ();
  return NULL;
}

static gpointer
warm_up_thread (gpointer data)
{
  gboolean with_proxy_resolver = GPOINTER_TO_INT (data);

  if (with_proxy_resolver)
    make_proxy_resolver ();

  /* The first request is on its way by now: the disk threads are made
   * while its response comes, not while the resolver loads or the request
   * is sent (the processors are few). */
  _dl_disk_warm_up (disk_threads);
  return NULL;
}

/* GLib 2.74 can deadlock when two threads meet types for the first time at
 * once: a thread initializing a class holds GType's class lock while it
 * waits for a type that the other thread is registering, and registering
 * that type (its interfaces) needs the class lock. The warm-up thread
 * registers GIO's address, socket and task types (for GSettings, D-Bus and
 * the lookups) while the loop's thread initializes libsoup's classes,
 * whose properties name some of them (it happened: SoupSession's class
 * waiting for GInetSocketAddress, which the warm-up thread was
 * registering). Those types are registered, and libsoup's classes
 * initialized, on the calling thread before the warm-up thread starts. */
static void
ensure_shared_types (void)
{
  g_type_ensure (G_TYPE_CANCELLABLE);
  g_type_ensure (G_TYPE_TASK);
  g_type_ensure (G_TYPE_SOCKET_CONNECTABLE);
  g_type_ensure (G_TYPE_SOCKET_ADDRESS);
  g_type_ensure (G_TYPE_INET_ADDRESS);
  g_type_ensure (G_TYPE_INET_SOCKET_ADDRESS);
  g_type_ensure (G_TYPE_UNIX_SOCKET_ADDRESS);
  g_type_ensure (G_TYPE_PROXY_ADDRESS);
  g_type_ensure (G_TYPE_NETWORK_ADDRESS);
  g_type_ensure (G_TYPE_PROXY_RESOLVER);
  g_type_ensure (G_TYPE_SOCKET);
  g_type_ensure (G_TYPE_SOCKET_CLIENT);
  g_type_ensure (G_TYPE_SOCKET_CONNECTION);
  g_type_class_unref (g_type_class_ref (SOUP_TYPE_SESSION));
  g_type_class_unref (g_type_class_ref (SOUP_TYPE_MESSAGE));
}

/**
 * _dl_warm_up_start:
 * @n_downloads_at_once: how many downloads the process will run at once,
 *   or 0 if it cannot say
 * @with_proxy_resolver: whether to make GIO's default proxy resolver too
 *
 * Starts the warm-up, once per process; later calls do nothing. A command
 * that fetches one file needs a couple of disk threads, not the dozens
 * that twenty downloads keep busy: making those would only compete with
 * its request for the processors. A process whose downloads all connect
 * through no proxy never needs the default resolver, whose modules
 * (libproxy and the C++ runtime it links, GSettings and D-Bus for the
 * desktop's settings) take longer to load than the rest of the start: it
 * is made only if a download asks for it after all.
 */
void
_dl_warm_up_start (guint    n_downloads_at_once,
                   gboolean with_proxy_resolver)
{
  static gsize started;

  if (g_once_init_enter (&started))
    {
      ensure_shared_types ();
      if (n_downloads_at_once == 0)
        disk_threads = DISK_THREADS_DEFAULT;
      else
        disk_threads = CLAMP (n_downloads_at_once * DISK_THREADS_PER_DOWNLOAD_FIFTHS / 5,
                              DISK_THREADS_MIN, DISK_THREADS_DEFAULT);
      if (with_proxy_resolver)
        {
          g_mutex_lock (&proxy_lock);
          proxy_wanted = TRUE;
          g_mutex_unlock (&proxy_lock);
        }
      g_thread_unref (g_thread_new ("dl-warm-up", warm_up_thread,
                                    GINT_TO_POINTER (with_proxy_resolver)));
      g_once_init_leave (&started, 1);
    }
}

/**
 * _dl_warm_up_wait_for_proxy_resolver:
 * @error: return location for a cancellation
 *
 * In a task, before its first connection: waits until the default proxy
 * resolver exists, starting the warm-up if nobody did, and the resolver's
 * making if the warm-up left it out. Made on the loop thread (by the first
 * connection) or waited for there (in a g_once while the warm-up thread
 * makes it), it would stall the loop for milliseconds; this only holds up
 * the task, which the thread that makes it wakes as soon as the resolver
 * is there.
 *
 * Returns: %FALSE if the task was cancelled
 */
gboolean
_dl_warm_up_wait_for_proxy_resolver (GError **error)
{
  g_autoptr(BridgeFuture) waiter = NULL;
  gboolean make_it = FALSE;

  /* Registers the types the resolver's thread meets before it starts. */
  _dl_warm_up_start (0, TRUE);

  g_mutex_lock (&proxy_lock);
  if (!proxy_ready)
    {
      waiter = bridge_future_new ();
      proxy_waiters = g_slist_prepend (proxy_waiters, bridge_future_ref (waiter));
      make_it = !proxy_wanted;
      proxy_wanted = TRUE;
    }
  g_mutex_unlock (&proxy_lock);

  if (waiter == NULL)
    return TRUE;

  if (make_it)
    g_thread_unref (g_thread_new ("dl-proxy-warm-up", proxy_warm_up_thread, NULL));
  return bridge_await (waiter, error);
}
