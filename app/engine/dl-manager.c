/* dl-manager.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-manager"

#include "config.h"

#include <glib/gi18n.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "dl-download-private.h"
#include "dl-download-task-private.h"
#include "dl-file-name.h"
#include "dl-http-private.h"
#include "dl-manager-private.h"
#include "dl-metered-pause-private.h"
#include "dl-url-password.h"
#include "dl-warm-up-private.h"

/**
 * DlManager:
 *
 * The list of downloads (a [iface@Gio.ListModel] of [class@Dl.Download])
 * and the limits they run under. Every download that is queued or running
 * has its own task (dl-download-task.c); the limits are semaphores the
 * tasks take in turn: first their host's (so a busy host never holds a global
 * slot while it waits), then the global one. Both are first come, first
 * served.
 *
 * Each limit is two semaphores of the same size. A ticket lets a download
 * send its request and receive the body; a slot lets it download: from
 * the first byte it writes to the end of its file (synced and renamed). A
 * download gives its ticket back when the body is in, and its slot when
 * its file is done. So while one download syncs its file, the next one
 * already sends its request over the connection that download left, and
 * starts downloading the moment its slot is free: the round trip to the
 * server no longer adds up with the sync. There are never more downloads
 * running than the limit says, nor more transfers.
 *
 * The limits can change while downloads run. Raising one releases extra
 * slots at once; lowering one takes slots out of circulation as they come
 * back (or as a waiter takes a free one), so running downloads are never
 * interrupted.
 */

/* A semaphore whose capacity can change while slots are out. */
typedef struct
{
  BridgeSemaphore *semaphore;
  guint            limit;   /* slots in circulation */
  guint            debt;    /* slots to retire as they come back */
  guint            waiting; /* downloads waiting for a slot */
} DlLimit;

struct _DlManager
{
  GObject            parent_instance;

  /* Owned */
  DlStore           *store;
  SoupSession       *session;
  GTlsDatabase      *tls_database;
  BridgeLoop        *loop;
  GPtrArray         *downloads;     /* the list model's items */
  GHashTable        *running;       /* DlDownload → itself, those with a task */
  GHashTable        *hosts;         /* host → DlLimit: its slots */
  GHashTable        *host_tickets;  /* host → DlLimit: its tickets */
  DlLimit           *global;
  DlLimit           *global_tickets;
  char              *output_dir;
  GSource           *tick;
  GSource           *trim;          /* frees the task buffers once idle a while */
  GSource           *removal;       /* takes removed downloads out of the list */
  guint              n_removing;    /* removed downloads still in the list */
  GPtrArray         *leaving;       /* out of the list, released a budget's worth at a time */
  GQueue             stopping;      /* StopRequest: tasks to cancel, STOP_BATCH per iteration */
  GSource           *stop_source;
  DlFolders         *folders;       /* the output folders open for running downloads */
  DlRateLimit       *rate_limit;    /* shared by all downloads */
  DlProxyResolver   *proxy_resolver; /* wraps the one set by hand, or the desktop's */
  gboolean           no_proxies;     /* connect directly, resolving nothing */
  GHashTable        *preconnected;  /* "scheme://host:port" → preconnections made */
  DlCredentialProvider *credential_provider;  /* asked on a 401, or NULL */
  DlMeteredPause    *metered_pause;

  guint              session_max_per_host;
  guint              session_max_conns;
  guint              n_active;
  guint              max_per_host;
  DlManagerSettings  settings;
};

typedef struct
{
  DlDownload *download;
  BridgeTask *task;       /* the task to stop: the download may have another by then */
} StopRequest;

static void
stop_request_free (StopRequest *request)
{
  g_object_unref (request->download);
  bridge_task_unref (request->task);
  g_free (request);
}

enum {
  PROP_0,
  PROP_ITEM_TYPE,
  PROP_N_ITEMS,
  PROP_N_RUNNING,
  PROP_N_ACTIVE,
  PROP_OUTPUT_DIR,
  PROP_MAX_CONCURRENT,
  PROP_MAX_PER_HOST,
  PROP_MAX_RETRIES,
  PROP_IDLE_TIMEOUT,
  PROP_CONNECT_TIMEOUT,
  PROP_RETRY_DELAY,
  PROP_MAX_RETRY_DELAY,
  PROP_MAX_RETRY_AFTER,
  PROP_MAX_FILE_SIZE,
  PROP_HASH_FILES,
  PROP_MAX_TIME,
  PROP_RATE_LIMIT,
  PROP_NETWORK_MONITOR,
  PROP_PAUSE_ON_METERED,
  PROP_CONNECTIONS,
  PROP_MIN_SPLIT_SIZE,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

/* Progress notifications are flushed from one timer for all downloads: at
 * most ten per second each, and one wake-up per tick however many run. */
#define TICK_INTERVAL_MS 100

/* A change of the list costs whoever shows it work of its own. After the
 * first removal of a burst (Remove Finished on a thousand rows), the others
 * leave in the iterations that follow, a run of neighbours per change, for
 * at most this long in each. */
#define REMOVAL_BUDGET_USEC 1500
/* Downloads let go of between two looks at the clock. */
#define RELEASE_STRIDE 16

/* A task's cancellation costs the loop thread work in the iterations after
 * it: each operation the task waits for ends through a callback of its own,
 * all of them in the one iteration that follows, and the task then cleans
 * up. Cancel on a few hundred downloads at once is done this many per
 * iteration, so that no iteration grows long (see _dl_manager_stop_task()). */
#define STOP_BATCH 16

/* The buffers the tasks keep for reuse are freed after this long without a
 * running download. */
#define TRIM_DELAY_SECONDS 10

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DlManager, dl_manager, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

/* ---- limits -------------------------------------------------------------------- */

static DlLimit *
dl_limit_new (guint limit)
{
  DlLimit *self = g_new0 (DlLimit, 1);

  self->semaphore = bridge_semaphore_new (limit, FALSE);
  self->limit = limit;
  return self;
}

static void
dl_limit_free (DlLimit *self)
{
  g_clear_pointer (&self->semaphore, bridge_semaphore_unref);
  g_free (self);
}

static gboolean
dl_limit_acquire (DlLimit  *self,
                  GError  **error)
{
  for (;;)
    {
      if (!bridge_semaphore_acquire (self->semaphore, error))
        return FALSE;
      if (self->debt == 0)
        return TRUE;
      /* The limit went down while this slot was free: retire it and wait
       * for another. */
      self->debt--;
    }
}

static void
dl_limit_release (DlLimit *self)
{
  if (self->debt > 0)
    self->debt--;
  else
    bridge_semaphore_release (self->semaphore, NULL);
}

static void
dl_limit_set (DlLimit *self,
              guint    limit)
{
  if (limit > self->limit)
    {
      guint more = limit - self->limit;
      guint forgiven = MIN (more, self->debt);

      self->debt -= forgiven;
      for (guint i = forgiven; i < more; i++)
        bridge_semaphore_release (self->semaphore, NULL);
    }
  else
    {
      self->debt += self->limit - limit;
    }
  self->limit = limit;
}

/* @host's limit in @table (its slots or its tickets). */
static DlLimit *
host_limit (DlManager  *self,
            GHashTable *table,
            const char *host)
{
  DlLimit *limit = g_hash_table_lookup (table, host);

  if (limit == NULL)
    {
      limit = dl_limit_new (self->max_per_host);
      g_hash_table_insert (table, g_strdup (host), limit);
    }
  return limit;
}

/* Waits for one of @host's limit in @hosts, then one of @global; on
 * failure nothing is held. Tickets and slots both go this way. */
static gboolean
acquire_host_then_global (DlManager   *self,
                          GHashTable  *hosts,
                          DlLimit     *global,
                          const char  *host,
                          GError     **error)
{
  DlLimit *host_part = host_limit (self, hosts, host);
  gboolean ok;

  host_part->waiting++;
  ok = dl_limit_acquire (host_part, error);
  host_part->waiting--;
  if (!ok)
    return FALSE;
  if (!dl_limit_acquire (global, error))
    {
      dl_limit_release (host_part);
      return FALSE;
    }
  return TRUE;
}

static void
release_host_and_global (DlManager  *self,
                         GHashTable *hosts,
                         DlLimit    *global,
                         const char *host)
{
  dl_limit_release (global);
  dl_limit_release (host_limit (self, hosts, host));
}

/**
 * _dl_manager_acquire_ticket:
 * @self: a #DlManager
 * @download: the download whose task is calling
 * @error: return location for %G_IO_ERROR_CANCELLED
 *
 * Waits, in the calling task, for a ticket of the download's host and then
 * a global one: the right to send a request and receive a body (see the
 * top of this file). On failure nothing is held.
 */
gboolean
_dl_manager_acquire_ticket (DlManager   *self,
                            DlDownload  *download,
                            GError     **error)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), FALSE);
  g_return_val_if_fail (!download->holds_ticket, FALSE);

  if (!acquire_host_then_global (self, self->host_tickets, self->global_tickets,
                                 download->host, error))
    return FALSE;

  download->holds_ticket = TRUE;
  return TRUE;
}

void
_dl_manager_release_ticket (DlManager  *self,
                            DlDownload *download)
{
  g_return_if_fail (DL_IS_MANAGER (self));

  if (!download->holds_ticket)
    return;

  download->holds_ticket = FALSE;
  release_host_and_global (self, self->host_tickets, self->global_tickets, download->host);
}

/**
 * _dl_manager_acquire_slot:
 * @self: a #DlManager
 * @download: the download whose task is calling
 * @error: return location for %G_IO_ERROR_CANCELLED
 *
 * Waits, in the calling task, for a slot of the download's host and then a
 * global one. On failure nothing is held.
 */
gboolean
_dl_manager_acquire_slot (DlManager   *self,
                          DlDownload  *download,
                          GError     **error)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), FALSE);
  g_return_val_if_fail (!download->holds_slot, FALSE);

  if (!acquire_host_then_global (self, self->hosts, self->global, download->host, error))
    return FALSE;

  download->holds_slot = TRUE;
  self->n_active++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ACTIVE]);
  return TRUE;
}

void
_dl_manager_release_slot (DlManager  *self,
                          DlDownload *download)
{
  g_return_if_fail (DL_IS_MANAGER (self));

  if (!download->holds_slot)
    return;

  download->holds_slot = FALSE;
  release_host_and_global (self, self->hosts, self->global, download->host);
  self->n_active--;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ACTIVE]);
}

/**
 * _dl_manager_try_acquire_connection:
 * @self: a #DlManager
 * @download: a download that holds its slot and wants one more connection
 *
 * Takes one of the host's slots for another connection of @download, if
 * one is free now (never waits: the download receives over what it has).
 * The per-host limit so bounds the connections a server sees.
 *
 * Returns: whether the connection may open
 */
gboolean
_dl_manager_try_acquire_connection (DlManager  *self,
                                    DlDownload *download)
{
  DlLimit *limit;

  g_return_val_if_fail (DL_IS_MANAGER (self), FALSE);

  limit = host_limit (self, self->hosts, download->host);
  if (limit->debt > 0 || limit->waiting > 0 || bridge_semaphore_is_locked (limit->semaphore))
    return FALSE;
  return dl_limit_acquire (limit, NULL);
}

/**
 * _dl_manager_is_host_wanted:
 * @self: a #DlManager
 * @download: a download fetching in parts
 *
 * Returns: whether another download waits for a slot of @download's host:
 *   an extra connection then makes way for it once its range is done
 */
gboolean
_dl_manager_is_host_wanted (DlManager  *self,
                            DlDownload *download)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), FALSE);

  return host_limit (self, self->hosts, download->host)->waiting > 0;
}

void
_dl_manager_release_connection (DlManager  *self,
                                DlDownload *download)
{
  g_return_if_fail (DL_IS_MANAGER (self));

  dl_limit_release (host_limit (self, self->hosts, download->host));
}

/* ---- session ------------------------------------------------------------------- */

/* libsoup's per-host connection limit is fixed when the session is made, so
 * a higher per-host limit needs a new session; running downloads keep the
 * old one until their current request ends. */
static void
ensure_session (DlManager *self)
{
  guint per_host = MAX (self->max_per_host, 2);
  guint total = MAX (MAX (self->global->limit * 2, 32), per_host);

  if (self->session != NULL &&
      self->session_max_per_host >= per_host &&
      self->session_max_conns >= total)
    return;

  g_clear_object (&self->session);
  g_hash_table_remove_all (self->preconnected);
  self->session = soup_session_new_with_options ("max-conns-per-host", (int) per_host,
                                                 "max-conns", (int) total,
                                                 "user-agent", "bridge-downloader/" PACKAGE_VERSION " ",
                                                 NULL);
  self->session_max_per_host = per_host;
  self->session_max_conns = total;
  if (self->tls_database != NULL)
    soup_session_set_tls_database (self->session, self->tls_database);
  /* NULL in libsoup's terms is no proxy at all: the connections then
   * never ask GIO for its default resolver. */
  if (self->no_proxies)
    soup_session_set_proxy_resolver (self->session, NULL);
  else
    {
      if (self->proxy_resolver == NULL)
        self->proxy_resolver = _dl_proxy_resolver_new (NULL);
      soup_session_set_proxy_resolver (self->session, G_PROXY_RESOLVER (self->proxy_resolver));
    }

  /* Bytes on disk must be the bytes on the wire: decoding would change the
   * length, break Range requests and the checksum. */
  soup_session_remove_feature_by_type (self->session, SOUP_TYPE_CONTENT_DECODER);
}

/**
 * _dl_manager_preconnect:
 * @self: a #DlManager
 * @uri: where a request is about to go
 *
 * libsoup opens a new connection to a host only once the one it is
 * opening has connected (that one could turn out to be an HTTP/2
 * connection, to share): twenty downloads starting together would connect
 * one after the other, a round trip each. A preconnection does not wait
 * for others, and a request sent right after it takes it over. So the
 * first requests to a host, as many as may run at once, each get one; the
 * later ones reuse the connections kept alive.
 */
void
_dl_manager_preconnect (DlManager *self,
                        GUri      *uri)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *key = NULL;
  guint n;

  g_return_if_fail (DL_IS_MANAGER (self));

  key = g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (uri), g_uri_get_host (uri),
                         g_uri_get_port (uri));
  n = GPOINTER_TO_UINT (g_hash_table_lookup (self->preconnected, key));
  if (n >= self->max_per_host)
    return;
  g_hash_table_insert (self->preconnected, g_steal_pointer (&key), GUINT_TO_POINTER (n + 1));

  msg = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  soup_session_preconnect_async (self->session, msg, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

/* ---- ticking ------------------------------------------------------------------- */

static gboolean
tick_cb (gpointer user_data)
{
  DlManager *self = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->running);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    _dl_download_tick (key, now);

  return G_SOURCE_CONTINUE;
}

static gboolean
trim_cb (gpointer user_data)
{
  DlManager *self = user_data;

  _dl_disk_trim_buffers ();
  g_clear_pointer (&self->trim, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
update_tick (DlManager *self)
{
  if (g_hash_table_size (self->running) > 0 && self->trim != NULL)
    {
      g_source_destroy (self->trim);
      g_clear_pointer (&self->trim, g_source_unref);
    }
  else if (g_hash_table_size (self->running) == 0 && self->trim == NULL)
    {
      self->trim = g_timeout_source_new_seconds (TRIM_DELAY_SECONDS);
      g_source_set_callback (self->trim, trim_cb, self, NULL);
      g_source_set_static_name (self->trim, "[dl] trim buffers");
      g_source_attach (self->trim, bridge_loop_get_context (self->loop));
    }

  if (g_hash_table_size (self->running) > 0 && self->tick == NULL)
    {
      self->tick = g_timeout_source_new (TICK_INTERVAL_MS);
      g_source_set_callback (self->tick, tick_cb, self, NULL);
      g_source_set_static_name (self->tick, "[dl] progress tick");
      g_source_attach (self->tick, bridge_loop_get_context (self->loop));
    }
  else if (g_hash_table_size (self->running) == 0 && self->tick != NULL)
    {
      g_source_destroy (self->tick);
      g_clear_pointer (&self->tick, g_source_unref);
    }
}

/* The output folders open for running downloads (see dl-disk.c). */
DlFolders *
_dl_manager_get_folders (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), NULL);

  return self->folders;
}

/* ---- GListModel ------------------------------------------------------------------ */

static GType
list_model_get_item_type (GListModel *model)
{
  return DL_TYPE_DOWNLOAD;
}

static guint
list_model_get_n_items (GListModel *model)
{
  DlManager *self = (DlManager *) model;

  return self->downloads->len;
}

static gpointer
list_model_get_item (GListModel *model,
                     guint       position)
{
  DlManager *self = (DlManager *) model;

  if (position >= self->downloads->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->downloads, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = list_model_get_item_type;
  iface->get_n_items = list_model_get_n_items;
  iface->get_item = list_model_get_item;
}

static void
append_downloads (DlManager *self,
                  GPtrArray *added)
{
  guint position = self->downloads->len;

  if (added->len == 0)
    return;

  for (guint i = 0; i < added->len; i++)
    g_ptr_array_add (self->downloads, g_object_ref (g_ptr_array_index (added, i)));

  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, added->len);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* ---- GObject --------------------------------------------------------------------- */

static void
dl_manager_dispose (GObject *object)
{
  DlManager *self = (DlManager *) object;

  /* Tasks hold a reference to the manager, so none is running by now. */
  g_assert (g_hash_table_size (self->running) == 0);

  for (guint i = 0; i < self->downloads->len; i++)
    _dl_download_detach (g_ptr_array_index (self->downloads, i));
  g_ptr_array_set_size (self->downloads, 0);

  if (self->tick != NULL)
    {
      g_source_destroy (self->tick);
      g_clear_pointer (&self->tick, g_source_unref);
    }
  if (self->trim != NULL)
    {
      g_source_destroy (self->trim);
      g_clear_pointer (&self->trim, g_source_unref);
    }
  if (self->removal != NULL)
    {
      g_source_destroy (self->removal);
      g_clear_pointer (&self->removal, g_source_unref);
    }
  self->n_removing = 0;
  g_clear_pointer (&self->leaving, g_ptr_array_unref);
  if (self->stop_source != NULL)
    {
      g_source_destroy (self->stop_source);
      g_clear_pointer (&self->stop_source, g_source_unref);
    }
  g_queue_clear_full (&self->stopping, (GDestroyNotify) stop_request_free);

  /* Lets go of the monitor (the system's is shared). */
  _dl_metered_pause_set_monitor (self->metered_pause, NULL);

  g_clear_object (&self->session);
  g_clear_object (&self->tls_database);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (dl_manager_parent_class)->dispose (object);
}

static void
dl_manager_finalize (GObject *object)
{
  DlManager *self = (DlManager *) object;

  g_clear_pointer (&self->downloads, g_ptr_array_unref);
  g_clear_pointer (&self->running, g_hash_table_unref);
  g_clear_pointer (&self->hosts, g_hash_table_unref);
  g_clear_pointer (&self->host_tickets, g_hash_table_unref);
  g_clear_pointer (&self->folders, _dl_folders_free);
  g_clear_pointer (&self->rate_limit, _dl_rate_limit_unref);
  g_clear_pointer (&self->metered_pause, _dl_metered_pause_free);
  g_clear_object (&self->proxy_resolver);
  g_clear_pointer (&self->preconnected, g_hash_table_unref);
  g_clear_pointer (&self->global, dl_limit_free);
  g_clear_pointer (&self->global_tickets, dl_limit_free);
  g_clear_pointer (&self->output_dir, g_free);
  g_clear_object (&self->credential_provider);
  g_clear_object (&self->loop);

  G_OBJECT_CLASS (dl_manager_parent_class)->finalize (object);
}

static void
dl_manager_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  DlManager *self = DL_MANAGER (object);

  switch (prop_id)
    {
    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, DL_TYPE_DOWNLOAD);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->downloads->len);
      break;
    case PROP_N_RUNNING:
      g_value_set_uint (value, g_hash_table_size (self->running));
      break;
    case PROP_N_ACTIVE:
      g_value_set_uint (value, self->n_active);
      break;
    case PROP_OUTPUT_DIR:
      g_value_set_string (value, self->output_dir);
      break;
    case PROP_MAX_CONCURRENT:
      g_value_set_uint (value, self->global->limit);
      break;
    case PROP_MAX_PER_HOST:
      g_value_set_uint (value, self->max_per_host);
      break;
    case PROP_MAX_RETRIES:
      g_value_set_uint (value, self->settings.max_retries);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_double (value, self->settings.idle_timeout);
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_double (value, self->settings.connect_timeout);
      break;
    case PROP_RETRY_DELAY:
      g_value_set_double (value, self->settings.retry_delay);
      break;
    case PROP_MAX_RETRY_DELAY:
      g_value_set_double (value, self->settings.max_retry_delay);
      break;
    case PROP_MAX_RETRY_AFTER:
      g_value_set_double (value, self->settings.max_retry_after);
      break;
    case PROP_MAX_FILE_SIZE:
      g_value_set_int64 (value, self->settings.max_file_size);
      break;
    case PROP_HASH_FILES:
      g_value_set_boolean (value, self->settings.hash_files);
      break;
    case PROP_CONNECTIONS:
      g_value_set_uint (value, self->settings.connections);
      break;
    case PROP_MIN_SPLIT_SIZE:
      g_value_set_int64 (value, self->settings.min_split_size);
      break;
    case PROP_MAX_TIME:
      g_value_set_double (value, self->settings.max_time);
      break;
    case PROP_RATE_LIMIT:
      g_value_set_uint64 (value, dl_manager_get_rate_limit (self));
      break;
    case PROP_NETWORK_MONITOR:
      g_value_set_object (value, dl_manager_get_network_monitor (self));
      break;
    case PROP_PAUSE_ON_METERED:
      g_value_set_boolean (value, dl_manager_get_pause_on_metered (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dl_manager_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  DlManager *self = DL_MANAGER (object);

  switch (prop_id)
    {
    case PROP_OUTPUT_DIR:
      dl_manager_set_output_dir (self, g_value_get_string (value));
      break;
    case PROP_MAX_CONCURRENT:
      dl_manager_set_max_concurrent (self, g_value_get_uint (value));
      break;
    case PROP_MAX_PER_HOST:
      dl_manager_set_max_per_host (self, g_value_get_uint (value));
      break;
    case PROP_MAX_RETRIES:
      dl_manager_set_max_retries (self, g_value_get_uint (value));
      break;
    case PROP_IDLE_TIMEOUT:
      dl_manager_set_idle_timeout (self, g_value_get_double (value));
      break;
    case PROP_CONNECT_TIMEOUT:
      dl_manager_set_connect_timeout (self, g_value_get_double (value));
      break;
    case PROP_RETRY_DELAY:
      dl_manager_set_retry_delay (self, g_value_get_double (value));
      break;
    case PROP_MAX_RETRY_DELAY:
      dl_manager_set_max_retry_delay (self, g_value_get_double (value));
      break;
    case PROP_MAX_RETRY_AFTER:
      dl_manager_set_max_retry_after (self, g_value_get_double (value));
      break;
    case PROP_MAX_FILE_SIZE:
      dl_manager_set_max_file_size (self, g_value_get_int64 (value));
      break;
    case PROP_HASH_FILES:
      dl_manager_set_hash_files (self, g_value_get_boolean (value));
      break;
    case PROP_CONNECTIONS:
      dl_manager_set_connections (self, g_value_get_uint (value));
      break;
    case PROP_MIN_SPLIT_SIZE:
      dl_manager_set_min_split_size (self, g_value_get_int64 (value));
      break;
    case PROP_MAX_TIME:
      dl_manager_set_max_time (self, g_value_get_double (value));
      break;
    case PROP_RATE_LIMIT:
      dl_manager_set_rate_limit (self, g_value_get_uint64 (value));
      break;
    case PROP_NETWORK_MONITOR:
      dl_manager_set_network_monitor (self, g_value_get_object (value));
      break;
    case PROP_PAUSE_ON_METERED:
      dl_manager_set_pause_on_metered (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dl_manager_class_init (DlManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = dl_manager_dispose;
  object_class->finalize = dl_manager_finalize;
  object_class->get_property = dl_manager_get_property;
  object_class->set_property = dl_manager_set_property;

  properties[PROP_ITEM_TYPE] =
    g_param_spec_gtype ("item-type", NULL, NULL, DL_TYPE_DOWNLOAD, ro);

  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0, ro);

  /**
   * DlManager:n-running:
   *
   * Downloads with a task: queued, running, retrying or verifying.
   */
  properties[PROP_N_RUNNING] =
    g_param_spec_uint ("n-running", NULL, NULL, 0, G_MAXUINT, 0, ro);

  /**
   * DlManager:n-active:
   *
   * Downloads holding a slot of #DlManager:max-concurrent right now.
   */
  properties[PROP_N_ACTIVE] =
    g_param_spec_uint ("n-active", NULL, NULL, 0, G_MAXUINT, 0, ro);

  /**
   * DlManager:output-dir:
   *
   * Where new downloads go unless dl_manager_add_full() says otherwise. The
   * XDG download folder by default.
   */
  properties[PROP_OUTPUT_DIR] =
    g_param_spec_string ("output-dir", NULL, NULL, NULL, rw);

  properties[PROP_MAX_CONCURRENT] =
    g_param_spec_uint ("max-concurrent", NULL, NULL,
                       1, 1024, DL_MANAGER_DEFAULT_MAX_CONCURRENT, rw);

  properties[PROP_MAX_PER_HOST] =
    g_param_spec_uint ("max-per-host", NULL, NULL,
                       1, 1024, DL_MANAGER_DEFAULT_MAX_PER_HOST, rw);

  /**
   * DlManager:max-retries:
   *
   * Failed attempts in a row (without receiving a byte) before a download
   * gives up. An attempt that made progress resets the count.
   */
  properties[PROP_MAX_RETRIES] =
    g_param_spec_uint ("max-retries", NULL, NULL,
                       0, 1000, DL_MANAGER_DEFAULT_MAX_RETRIES, rw);

  /**
   * DlManager:idle-timeout:
   *
   * Seconds without a byte before an attempt fails (and is retried).
   */
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_double ("idle-timeout", NULL, NULL,
                         0.001, 86400, DL_MANAGER_DEFAULT_IDLE_TIMEOUT, rw);

  /**
   * DlManager:connect-timeout:
   *
   * Seconds to get the response headers (DNS, TCP, TLS and the server's
   * answer) before an attempt fails (and is retried).
   */
  properties[PROP_CONNECT_TIMEOUT] =
    g_param_spec_double ("connect-timeout", NULL, NULL,
                         0.001, 86400, DL_MANAGER_DEFAULT_CONNECT_TIMEOUT, rw);

  /**
   * DlManager:retry-delay:
   *
   * The first backoff delay in seconds; it doubles with each failure (with
   * jitter) up to #DlManager:max-retry-delay. A server's Retry-After wins.
   */
  properties[PROP_RETRY_DELAY] =
    g_param_spec_double ("retry-delay", NULL, NULL,
                         0, 3600, DL_MANAGER_DEFAULT_RETRY_DELAY, rw);

  properties[PROP_MAX_RETRY_DELAY] =
    g_param_spec_double ("max-retry-delay", NULL, NULL,
                         0, 86400, DL_MANAGER_DEFAULT_MAX_RETRY_DELAY, rw);

  /**
   * DlManager:max-retry-after:
   *
   * The longest wait, in seconds, that a server's Retry-After gets: a
   * server asking for an hour (or a year) is asked again after this long.
   */
  properties[PROP_MAX_RETRY_AFTER] =
    g_param_spec_double ("max-retry-after", NULL, NULL,
                         0, 86400, DL_MANAGER_DEFAULT_MAX_RETRY_AFTER, rw);

  /**
   * DlManager:max-file-size:
   *
   * The largest file, in bytes, a download may save; 0 for no limit. A
   * download announced larger fails before it starts; one without a
   * length fails once it gets past the limit. Read when a download starts.
   */
  properties[PROP_MAX_FILE_SIZE] =
    g_param_spec_int64 ("max-file-size", NULL, NULL,
                        0, G_MAXINT64, 0, rw);

  /**
   * DlManager:hash-files:
   *
   * Whether every download computes its file's SHA-256 before the rename,
   * from the descriptor it wrote through (dl_download_get_file_sha256()).
   * Costs a read of the file. Read when a download finishes.
   */
  properties[PROP_HASH_FILES] =
    g_param_spec_boolean ("hash-files", NULL, NULL, FALSE, rw);

  /**
   * DlManager:connections:
   *
   * The most connections one download receives over at once, each
   * fetching a range of the file, when the server grants ranges and the
   * file is larger than #DlManager:min-split-size; 1 fetches every file
   * over one connection. Each connection counts against
   * #DlManager:max-per-host. Read when a download starts receiving.
   */
  properties[PROP_CONNECTIONS] =
    g_param_spec_uint ("connections", NULL, NULL, 1, DL_MANAGER_MAX_CONNECTIONS,
                       DL_MANAGER_DEFAULT_CONNECTIONS, rw);

  /**
   * DlManager:min-split-size:
   *
   * No range a connection fetches is split off smaller than this many
   * bytes, and no file this size or smaller is fetched in parts.
   */
  properties[PROP_MIN_SPLIT_SIZE] =
    g_param_spec_int64 ("min-split-size", NULL, NULL, 1, G_MAXINT64,
                        DL_MANAGER_DEFAULT_MIN_SPLIT_SIZE, rw);

  /**
   * DlManager:max-time:
   *
   * The most seconds one run of a download may take, from its start (or
   * resume) to its end, retries and their waits included; 0 for no limit.
   * A download that runs out of time fails with %G_IO_ERROR_TIMED_OUT and
   * keeps what it has, so a retry resumes it. Read when a download starts.
   */
  properties[PROP_MAX_TIME] =
    g_param_spec_double ("max-time", NULL, NULL,
                         0, 365 * 86400.0, DL_MANAGER_DEFAULT_MAX_TIME, rw);

  /**
   * DlManager:rate-limit:
   *
   * The most bytes per second all downloads together receive; 0 for no
   * limit. It holds for the running downloads at once when it changes,
   * next to each download's own #DlDownload:rate-limit.
   */
  properties[PROP_RATE_LIMIT] =
    g_param_spec_uint64 ("rate-limit", NULL, NULL, 0, G_MAXUINT64, 0, rw);

  /**
   * DlManager:network-monitor:
   *
   * What tells whether the network is metered, for
   * #DlManager:pause-on-metered: g_network_monitor_get_default() unless
   * another one is set (tests set their own). %NULL until needed.
   */
  properties[PROP_NETWORK_MONITOR] =
    g_param_spec_object ("network-monitor", NULL, NULL, G_TYPE_NETWORK_MONITOR, rw);

  /**
   * DlManager:pause-on-metered:
   *
   * Whether downloads pause while #GNetworkMonitor:network-metered is true
   * (see #DlDownload:metered-paused), and go on when it turns false.
   * Downloads with #DlDownload:allow-metered run anyway. Off by default.
   */
  properties[PROP_PAUSE_ON_METERED] =
    g_param_spec_boolean ("pause-on-metered", NULL, NULL, FALSE, rw);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

/**
 * dl_manager_warm_up:
 * @n_downloads_at_once: how many downloads the process will run at once,
 *   or 0 if it cannot say
 * @default_proxy_resolver: whether its downloads may go through a proxy
 *   (GIO's connections then load its default resolver, whichever resolver
 *   names their proxy); %FALSE when every manager connects directly
 *   (dl_manager_disable_proxies()), so that the default resolver is never
 *   loaded unless a download asks for it after all
 *
 * Starts, once per process, making what the first downloads need in the
 * background: the proxy resolver and disk threads for that many downloads
 * (see dl-warm-up.c). The first manager made starts it too (for an unknown
 * number); a program that knows early on that it will download (the CLI,
 * once its options are read) calls this first, so that the proxy resolver
 * loads while it opens the history and queues the downloads.
 */
void
dl_manager_warm_up (guint    n_downloads_at_once,
                    gboolean default_proxy_resolver)
{
  _dl_warm_up_start (n_downloads_at_once, default_proxy_resolver);
}

/**
 * _dl_manager_wait_for_proxy_resolver:
 * @error: return location for a cancellation
 *
 * In a task, before its first connection: waits until the default proxy
 * resolver exists (see _dl_warm_up_wait_for_proxy_resolver()), unless
 * @self connects through no proxy.
 *
 * Returns: %FALSE if the task was cancelled
 */
gboolean
_dl_manager_wait_for_proxy_resolver (DlManager  *self,
                                     GError    **error)
{
  /* GIO's connections ask for the default resolver whenever they may go
   * through a proxy, even one that another resolver names. */
  if (self->no_proxies)
    return TRUE;
  return _dl_warm_up_wait_for_proxy_resolver (error);
}

static void
dl_manager_init (DlManager *self)
{
  const char *download_dir = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);

  self->loop = g_object_ref (bridge_loop_get_default ());
  self->downloads = g_ptr_array_new_with_free_func (g_object_unref);
  self->running = g_hash_table_new (NULL, NULL);
  self->hosts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) dl_limit_free);
  self->host_tickets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) dl_limit_free);
  self->folders = _dl_folders_new ();
  self->rate_limit = _dl_rate_limit_new (0);
  self->metered_pause = _dl_metered_pause_new (self);
  self->preconnected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->global = dl_limit_new (DL_MANAGER_DEFAULT_MAX_CONCURRENT);
  self->global_tickets = dl_limit_new (DL_MANAGER_DEFAULT_MAX_CONCURRENT);
  self->max_per_host = DL_MANAGER_DEFAULT_MAX_PER_HOST;
  self->settings.max_retries = DL_MANAGER_DEFAULT_MAX_RETRIES;
  self->settings.connections = DL_MANAGER_DEFAULT_CONNECTIONS;
  self->settings.min_split_size = DL_MANAGER_DEFAULT_MIN_SPLIT_SIZE;
  self->settings.idle_timeout = DL_MANAGER_DEFAULT_IDLE_TIMEOUT;
  self->settings.connect_timeout = DL_MANAGER_DEFAULT_CONNECT_TIMEOUT;
  self->settings.retry_delay = DL_MANAGER_DEFAULT_RETRY_DELAY;
  self->settings.max_retry_delay = DL_MANAGER_DEFAULT_MAX_RETRY_DELAY;
  self->settings.max_retry_after = DL_MANAGER_DEFAULT_MAX_RETRY_AFTER;

  if (download_dir != NULL)
    self->output_dir = g_strdup (download_dir);
  else
    self->output_dir = g_build_filename (g_get_home_dir (), "Downloads", NULL);

  ensure_session (self);
  dl_manager_warm_up (0, TRUE);
}

/* ---- private API ------------------------------------------------------------------ */

void
_dl_manager_get_settings (DlManager         *self,
                          DlManagerSettings *settings)
{
  g_return_if_fail (DL_IS_MANAGER (self));

  *settings = self->settings;
}

/* Takes removed downloads out of the list, from the end (a removal moves
 * only what comes after it), a run of neighbours per change, until
 * @deadline. One change for a run: those who show the list (a sorted,
 * filtered copy of it) pay for each change about as much as for the whole
 * list, so a thousand single changes cost a thousand times one. */
static void
take_out_removed (DlManager *self,
                  gint64     deadline)
{
  guint i = self->downloads->len;

  while (i > 0 && self->n_removing > 0)
    {
      g_autoptr(GPtrArray) run = NULL;
      guint end;

      while (i > 0 && !((DlDownload *) g_ptr_array_index (self->downloads, i - 1))->removed)
        i--;
      end = i;
      while (i > 0 && ((DlDownload *) g_ptr_array_index (self->downloads, i - 1))->removed)
        i--;
      if (end == i)
        break;

      /* Held until the change is out, and after it until release_leaving()
       * gets to them: the list's free function drops the list's own
       * references, and letting go of a thousand downloads (their signal
       * handlers, their texts) takes as long again as the change. */
      run = g_ptr_array_new_full (end - i, g_object_unref);
      for (guint j = i; j < end; j++)
        g_ptr_array_add (run, g_object_ref (g_ptr_array_index (self->downloads, j)));
      g_ptr_array_remove_range (self->downloads, i, end - i);
      self->n_removing -= run->len;
      g_list_model_items_changed (G_LIST_MODEL (self), i, run->len, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
      if (self->leaving == NULL)
        self->leaving = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint j = 0; j < run->len; j++)
        _dl_download_detach (g_ptr_array_index (run, j));
      g_ptr_array_extend_and_steal (self->leaving, g_steal_pointer (&run));

      if (g_get_monotonic_time () >= deadline)
        break;
    }
}

/* Lets go of the downloads taken out of the list, from the last, until
 * @deadline (looked at every RELEASE_STRIDE). */
static void
release_leaving (DlManager *self,
                 gint64     deadline)
{
  while (self->leaving != NULL && self->leaving->len > 0)
    {
      guint n = MIN (self->leaving->len, RELEASE_STRIDE);

      g_ptr_array_remove_range (self->leaving, self->leaving->len - n, n);
      if (g_get_monotonic_time () >= deadline)
        return;
    }
  g_clear_pointer (&self->leaving, g_ptr_array_unref);
}

static gboolean
removal_cb (gpointer user_data)
{
  DlManager *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 deadline = now + REMOVAL_BUDGET_USEC;

  /* The list first: that is what the user is waiting to see. */
  take_out_removed (self, deadline);
  if (self->n_removing == 0 && g_get_monotonic_time () < deadline)
    release_leaving (self, deadline);
  if (self->n_removing > 0 || self->leaving != NULL)
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&self->removal, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* Once the iteration that removed downloads is over, those left in the list
 * go out, a budget's worth per iteration. After the frame is drawn: the rows
 * go while the window stays smooth. */
static void
ensure_removal_source (DlManager *self)
{
  if (self->removal != NULL)
    return;

  self->removal = g_idle_source_new ();
  g_source_set_priority (self->removal, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_callback (self->removal, removal_cb, self, NULL);
  g_source_set_static_name (self->removal, "[dl] take out removed downloads");
  g_source_attach (self->removal, bridge_loop_get_context (self->loop));
}

void
_dl_manager_forget (DlManager  *self,
                    DlDownload *download)
{
  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (download->task == NULL || dl_download_is_finished (download));

  if (download->removed)
    return;
  download->removed = TRUE;

  /* Queued: Remove Finished takes a thousand rows out at once, and the
   * loop thread waits for none of them. */
  if (self->store != NULL && download->id != 0)
    dl_store_queue_remove (self->store, download->id);

  /* One removal leaves at once. Those that follow it in the same burst
   * leave together once the burst is over: taken out one by one, each would
   * cost the views of the list a pass over the whole of it. */
  self->n_removing++;
  if (self->removal == NULL)
    take_out_removed (self, g_get_monotonic_time () + REMOVAL_BUDGET_USEC);
  ensure_removal_source (self);
}

static void
stop_now (DlDownload *download)
{
  bridge_task_cancel (download->task,
                      download->stop_reason == DL_STOP_REMOVE ? "Removed" : "Cancelled");
}

static gboolean
stop_source_cb (gpointer user_data)
{
  DlManager *self = user_data;

  for (guint i = 0; i < STOP_BATCH && !g_queue_is_empty (&self->stopping); i++)
    {
      StopRequest *request = g_queue_pop_head (&self->stopping);

      /* Ended by itself since, or started again: nothing to stop. */
      if (request->download->task == request->task && !dl_download_is_finished (request->download))
        stop_now (request->download);
      stop_request_free (request);
    }
  if (!g_queue_is_empty (&self->stopping))
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&self->stop_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

/**
 * _dl_manager_stop_task:
 * @self: the download's manager
 * @download: a download whose task runs, its stop_reason set (cancel or remove)
 *
 * Cancels the task of @download: the first of a burst at once, those that
 * follow it in the same iteration STOP_BATCH per iteration after it.
 */
void
_dl_manager_stop_task (DlManager  *self,
                       DlDownload *download)
{
  StopRequest *request;

  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (download->task != NULL);

  if (self->stop_source == NULL)
    {
      stop_now (download);
      self->stop_source = g_idle_source_new ();
      g_source_set_priority (self->stop_source, G_PRIORITY_DEFAULT);
      g_source_set_callback (self->stop_source, stop_source_cb, self, NULL);
      g_source_set_static_name (self->stop_source, "[dl] stop cancelled tasks");
      g_source_attach (self->stop_source, bridge_loop_get_context (self->loop));
      return;
    }

  request = g_new (StopRequest, 1);
  request->download = g_object_ref (download);
  request->task = bridge_task_ref (download->task);
  g_queue_push_tail (&self->stopping, request);
}

static void
task_data_free (gpointer data)
{
  DlTaskData *td = data;

  g_clear_object (&td->download);
  g_clear_object (&td->manager);
  g_free (td);
}

static void
task_done_cb (BridgeFuture *future,
              gpointer      user_data)
{
  DlTaskData *td = user_data;
  DlManager *self = td->manager;
  DlDownload *download = td->download;
  const GError *error = bridge_future_get_error (future);
  DlStopReason reason = download->stop_reason;

  download->stop_reason = DL_STOP_NONE;
  if (download->task == (BridgeTask *) future)
    _dl_download_set_task (download, NULL);

  /* The task handles its own errors; anything reaching here is a bug. */
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_critical ("Download task for %s ended with: %s", download->url, error->message);

  _dl_manager_release_slot (self, download);
  g_hash_table_remove (self->running, download);
  update_tick (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_RUNNING]);

  if (reason == DL_STOP_REMOVE)
    _dl_manager_forget (self, download);
  else if (reason == DL_STOP_METERED)
    _dl_metered_pause_stopped (self->metered_pause, download);
}

/**
 * _dl_manager_start:
 * @self: a #DlManager
 * @download: a download without a task
 *
 * Queues the download: spawns its task, which waits for a slot.
 */
void
_dl_manager_start (DlManager  *self,
                   DlDownload *download)
{
  g_autofree char *id = NULL;
  g_autofree char *name = NULL;
  DlTaskData *td;

  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (download->task == NULL);

  if (_dl_metered_pause_holds (self->metered_pause, download))
    {
      _dl_metered_pause_hold (self->metered_pause, download);
      return;
    }

  download->stop_reason = DL_STOP_NONE;
  _dl_download_set_state (download, DL_DOWNLOAD_STATE_QUEUED);
  _dl_download_save (download);

  td = g_new0 (DlTaskData, 1);
  td->manager = g_object_ref (self);
  td->download = g_object_ref (download);

  id = g_strdup_printf ("%" G_GINT64_FORMAT, download->id);
  /* Translators: a task's name in the Task Inspector: "download 12 example.com" */
  name = g_strdup_printf (_("download %s %s"), id, download->host);
  _dl_download_set_task (download, bridge_spawn_full (self->loop, name, BRIDGE_STACK_SIZE_DEFAULT,
                                                      _dl_download_task_run, td, task_data_free));
  /* The callback holds both too: the manager cannot go away before it has
   * taken the task off its books. */
  td = g_new0 (DlTaskData, 1);
  td->manager = g_object_ref (self);
  td->download = g_object_ref (download);
  bridge_future_add_done_callback (BRIDGE_FUTURE (download->task), task_done_cb,
                                   td, task_data_free);

  g_hash_table_add (self->running, download);
  update_tick (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_RUNNING]);
}

/* ---- public API ------------------------------------------------------------------ */

/**
 * dl_manager_new:
 * @store: (nullable): where downloads are recorded, or %NULL to keep
 *   nothing (tests, one-off runs)
 *
 * Creates a manager on the thread-default main context's loop. Call
 * dl_manager_load() to bring back the stored downloads.
 *
 * Returns: (transfer full): a new #DlManager
 */
DlManager *
dl_manager_new (DlStore *store)
{
  DlManager *self;

  g_return_val_if_fail (store == NULL || DL_IS_STORE (store), NULL);

  self = g_object_new (DL_TYPE_MANAGER, NULL);
  if (store != NULL)
    self->store = g_object_ref (store);
  return self;
}

/**
 * dl_manager_load:
 * @self: a #DlManager
 * @resume_interrupted: whether downloads that were running when the program
 *   stopped start again at once (else they come back paused)
 * @error: return location for a #GError
 *
 * Adds the stored downloads to the list, oldest first. Those that were
 * queued or running when the program stopped (quit, crash, power cut) are
 * resumable from the offset last recorded, which is never more than what
 * was synced to disk.
 *
 * Returns: %TRUE on success
 */
gboolean
dl_manager_load (DlManager  *self,
                 gboolean    resume_interrupted,
                 GError    **error)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) added = NULL;
  g_autoptr(GPtrArray) interrupted_downloads = NULL;

  g_return_val_if_fail (DL_IS_MANAGER (self), FALSE);

  if (self->store == NULL)
    return TRUE;

  records = dl_store_list (self->store, error);
  if (records == NULL)
    return FALSE;

  added = g_ptr_array_new_with_free_func (g_object_unref);
  interrupted_downloads = g_ptr_array_new ();
  for (guint i = 0; i < records->len; i++)
    {
      DlStoreRecord *record = g_ptr_array_index (records, i);
      gboolean interrupted = dl_download_state_is_active (record->state);
      DlDownload *download;

      if (dl_manager_lookup (self, record->id) != NULL)
        continue;

      if (interrupted)
        {
          /* Anything after the synced offset may be garbage: the task
           * truncates the partial file there when it resumes. */
          record->bytes_received = record->resume_offset;
          record->state = DL_DOWNLOAD_STATE_PAUSED;
        }

      download = _dl_download_new (self, record);
      g_ptr_array_add (added, download);
      if (interrupted)
        g_ptr_array_add (interrupted_downloads, download);
    }

  append_downloads (self, added);

  for (guint i = 0; i < interrupted_downloads->len && resume_interrupted; i++)
    _dl_manager_start (self, g_ptr_array_index (interrupted_downloads, i));

  return TRUE;
}

static char *
normalize_sha256 (const char  *sha256,
                  GError     **error)
{
  if (sha256 == NULL || *sha256 == '\0')
    return NULL;

  if (strlen (sha256) != 64 || strspn (sha256, "0123456789abcdefABCDEF") != 64)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a SHA-256 checksum (64 hexadecimal digits)", sha256);
      return NULL;
    }
  return g_ascii_strdown (sha256, -1);
}

static gboolean
check_url (const char  *url,
           GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *scheme;

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a valid URL: %s", url, local_error->message);
      return FALSE;
    }

  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "Unsupported URL scheme “%s” in “%s”: only http and https are downloaded",
                   scheme, url);
      return FALSE;
    }

  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” has no host name", url);
      return FALSE;
    }

  return TRUE;
}

/**
 * dl_manager_add:
 * @self: a #DlManager
 * @url: an http or https URL
 * @sha256: (nullable): the expected SHA-256 in hex, or %NULL
 * @error: return location for a #GError
 *
 * Queues a download into #DlManager:output-dir. See dl_manager_add_full().
 *
 * Returns: (transfer none): the download, or %NULL with @error set
 */
DlDownload *
dl_manager_add (DlManager   *self,
                const char  *url,
                const char  *sha256,
                GError     **error)
{
  return dl_manager_add_full (self, url, NULL, sha256, error);
}

/**
 * dl_manager_add_full:
 * @self: a #DlManager
 * @url: an http or https URL
 * @output_dir: (nullable): the folder, or %NULL for #DlManager:output-dir
 * @sha256: (nullable): the expected SHA-256 in hex, or %NULL
 * @error: return location for a #GError
 *
 * Queues a download and appends it to the list. A URL that is not http or
 * https, or a malformed checksum, is refused here
 * (%G_IO_ERROR_NOT_SUPPORTED, %G_IO_ERROR_INVALID_ARGUMENT); everything that
 * can go wrong later (a missing folder included) is the download's own
 * error.
 *
 * Returns: (transfer none): the download, or %NULL with @error set
 */
DlDownload *
dl_manager_add_full (DlManager   *self,
                     const char  *url,
                     const char  *output_dir,
                     const char  *sha256,
                     GError     **error)
{
  return dl_manager_add_with_options (self, url, output_dir, sha256, NULL, error);
}

/**
 * dl_manager_add_with_options:
 * @self: a #DlManager
 * @url: an http or https URL
 * @output_dir: (nullable): as for dl_manager_add_full()
 * @sha256: (nullable): as for dl_manager_add_full()
 * @options: (nullable): headers and cookies its requests send, stored
 *   with it (see dl_download_set_request_options())
 * @error: return location for a #GError
 *
 * As dl_manager_add_full(), with request options.
 *
 * Returns: (transfer none): the download, or %NULL with @error set
 */
DlDownload *
dl_manager_add_with_options (DlManager         *self,
                             const char        *url,
                             const char        *output_dir,
                             const char        *sha256,
                             DlRequestOptions  *options,
                             GError           **error)
{
  g_autoptr(DlStoreRecord) record = NULL;
  g_autoptr(GPtrArray) added = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *checksum = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *shown_url = NULL;
  DlDownload *download;

  g_return_val_if_fail (DL_IS_MANAGER (self), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  if (!check_url (url, error))
    return NULL;

  checksum = normalize_sha256 (sha256, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  dir = g_canonicalize_filename (output_dir != NULL ? output_dir : self->output_dir, NULL);

  /* The history gets the URL without its password (see
   * dl_download_set_request_url()). */
  shown_url = dl_url_without_password (url);
  record = dl_store_record_new (shown_url, dir);
  record->sha256 = g_steal_pointer (&checksum);
  if (options != NULL && !dl_request_options_is_empty (options))
    {
      record->request_headers = dl_request_options_dup_stored_headers (options);
      record->cookies = g_strdup (dl_request_options_get_cookies_text (options));
      record->cookies_file = g_strdup (dl_request_options_get_cookies_file (options));
    }

  /* Queued when an id is at hand (it usually is): adding many downloads
   * then never waits for SQLite. Without one, the loop thread leaves the
   * insert to the download's first save, which does not wait either. */
  if (self->store != NULL && !dl_store_queue_insert (self->store, record) &&
      dl_store_can_wait () && !dl_store_insert (self->store, record, error))
    return NULL;

  download = _dl_download_new (self, record);
  dl_download_set_request_url (download, url);
  /* The options themselves, credential headers included (the record has
   * none of those). */
  if (options != NULL && !dl_request_options_is_empty (options))
    {
      g_clear_pointer (&download->request_options, dl_request_options_unref);
      download->request_options = dl_request_options_ref (options);
    }
  added = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (added, download);
  append_downloads (self, added);

  _dl_manager_start (self, download);
  return download;
}

/**
 * dl_manager_lookup:
 * @self: a #DlManager
 * @id: a download id
 *
 * Returns: (transfer none) (nullable): the download with that id
 */
DlDownload *
dl_manager_lookup (DlManager *self,
                   gint64     id)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), NULL);

  for (guint i = 0; i < self->downloads->len; i++)
    {
      DlDownload *download = g_ptr_array_index (self->downloads, i);

      if (download->id == id && id != 0 && !download->removed)
        return download;
    }
  return NULL;
}

/**
 * dl_manager_find_unfinished:
 * @self: a #DlManager
 * @url: a URL
 * @output_dir: (nullable): the folder, or %NULL for #DlManager:output-dir
 *
 * Finds a download of @url into @output_dir that has not completed (queued,
 * running, paused or failed), so that adding the same URL again (re-running
 * a command after an interruption) can resume it instead of starting over.
 *
 * Returns: (transfer none) (nullable): the download
 */
DlDownload *
dl_manager_find_unfinished (DlManager  *self,
                            const char *url,
                            const char *output_dir)
{
  g_autofree char *dir = NULL;
  g_autofree char *shown_url = NULL;

  g_return_val_if_fail (DL_IS_MANAGER (self), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  dir = g_canonicalize_filename (output_dir != NULL ? output_dir : self->output_dir, NULL);
  shown_url = dl_url_without_password (url);

  for (guint i = 0; i < self->downloads->len; i++)
    {
      DlDownload *download = g_ptr_array_index (self->downloads, i);

      if (!download->removed &&
          download->state != DL_DOWNLOAD_STATE_DONE &&
          download->state != DL_DOWNLOAD_STATE_CANCELLED &&
          g_str_equal (download->url, shown_url) &&
          g_str_equal (download->output_dir, dir))
        return download;
    }
  return NULL;
}

/**
 * dl_manager_shutdown:
 * @self: a #DlManager
 *
 * Stops every task the way a crash would leave things, only cleanly: each
 * syncs its partial file and records its offset, and keeps its stored state,
 * so the next dl_manager_load() resumes it. Keep iterating the main context
 * until #DlManager:n-running is 0.
 */
void
dl_manager_shutdown (DlManager *self)
{
  GHashTableIter iter;
  gpointer key;

  g_return_if_fail (DL_IS_MANAGER (self));

  g_hash_table_iter_init (&iter, self->running);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      DlDownload *download = key;

      if (download->task != NULL && download->stop_reason == DL_STOP_NONE)
        {
          download->stop_reason = DL_STOP_SHUTDOWN;
          bridge_task_cancel (download->task, "Shutting down");
        }
    }
}

DlStore *
dl_manager_get_store (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), NULL);

  return self->store;
}

/**
 * dl_manager_get_session:
 * @self: a #DlManager
 *
 * Returns: (transfer none): the session new requests use
 */
SoupSession *
dl_manager_get_session (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), NULL);

  return self->session;
}

/**
 * dl_manager_set_credential_provider:
 * @self: a #DlManager
 * @provider: (nullable): where credentials come from when a server asks for
 *   some the download was not given, or %NULL for nowhere
 *
 * Without a provider, a download whose server answers 401 uses only the
 * credentials of its URL (or dl_download_set_credentials()), and fails
 * when there are none or they are refused.
 */
void
dl_manager_set_credential_provider (DlManager            *self,
                                    DlCredentialProvider *provider)
{
  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (provider == NULL || DL_IS_CREDENTIAL_PROVIDER (provider));

  g_set_object (&self->credential_provider, provider);
}

/* The session's proxy resolver, which knows the proxies' credentials. */
DlProxyResolver *
_dl_manager_get_proxy_resolver (DlManager *self)
{
  return self->proxy_resolver;
}

DlCredentialProvider *
_dl_manager_get_credential_provider (DlManager *self)
{
  return self->credential_provider;
}

/**
 * dl_manager_set_tls_database:
 * @self: a #DlManager
 * @database: (nullable): the certificates to trust, or %NULL for the
 *   system's
 *
 * For tests and private servers: trust these certificate authorities
 * instead of the system's. Certificates are always verified.
 */
void
dl_manager_set_tls_database (DlManager    *self,
                             GTlsDatabase *database)
{
  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (database == NULL || G_IS_TLS_DATABASE (database));

  g_set_object (&self->tls_database, database);
  if (database != NULL)
    soup_session_set_tls_database (self->session, database);
  else
    {
      g_autoptr(GTlsDatabase) system = g_tls_backend_get_default_database (g_tls_backend_get_default ());

      soup_session_set_tls_database (self->session, system);
    }
}

guint
dl_manager_get_n_running (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), 0);

  return g_hash_table_size (self->running);
}

guint
dl_manager_get_n_active (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), 0);

  return self->n_active;
}

const char *
dl_manager_get_output_dir (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), NULL);

  return self->output_dir;
}

void
dl_manager_set_output_dir (DlManager  *self,
                           const char *output_dir)
{
  g_autofree char *dir = NULL;

  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (output_dir != NULL);

  dir = g_canonicalize_filename (output_dir, NULL);
  if (g_strcmp0 (dir, self->output_dir) == 0)
    return;

  g_free (self->output_dir);
  self->output_dir = g_steal_pointer (&dir);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OUTPUT_DIR]);
}

guint
dl_manager_get_max_concurrent (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), 0);

  return self->global->limit;
}

void
dl_manager_set_max_concurrent (DlManager *self,
                               guint      max_concurrent)
{
  g_return_if_fail (DL_IS_MANAGER (self));

  max_concurrent = CLAMP (max_concurrent, 1, 1024);
  if (max_concurrent == self->global->limit)
    return;

  dl_limit_set (self->global, max_concurrent);
  dl_limit_set (self->global_tickets, max_concurrent);
  ensure_session (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CONCURRENT]);
}

guint
dl_manager_get_max_per_host (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), 0);

  return self->max_per_host;
}

void
dl_manager_set_max_per_host (DlManager *self,
                             guint      max_per_host)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (DL_IS_MANAGER (self));

  max_per_host = CLAMP (max_per_host, 1, 1024);
  if (max_per_host == self->max_per_host)
    return;

  self->max_per_host = max_per_host;
  g_hash_table_iter_init (&iter, self->hosts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    dl_limit_set (value, max_per_host);
  g_hash_table_iter_init (&iter, self->host_tickets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    dl_limit_set (value, max_per_host);

  ensure_session (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_PER_HOST]);
}

guint
dl_manager_get_max_retries (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), 0);

  return self->settings.max_retries;
}

void
dl_manager_set_max_retries (DlManager *self,
                            guint      max_retries)
{
  g_return_if_fail (DL_IS_MANAGER (self));

  if (max_retries == self->settings.max_retries)
    return;

  self->settings.max_retries = max_retries;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_RETRIES]);
}

static void
set_seconds (DlManager *self,
             double    *field,
             double     value,
             guint      prop)
{
  if (*field == value)
    return;

  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

double
dl_manager_get_idle_timeout (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), 0);

  return self->settings.idle_timeout;
}

void
dl_manager_set_idle_timeout (DlManager *self,
                             double     seconds)
{
  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (seconds > 0);

  set_seconds (self, &self->settings.idle_timeout, seconds, PROP_IDLE_TIMEOUT);
}

double
dl_manager_get_connect_timeout (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), 0);

  return self->settings.connect_timeout;
}

void
dl_manager_set_connect_timeout (DlManager *self,
                                double     seconds)
{
  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (seconds > 0);

  set_seconds (self, &self->settings.connect_timeout, seconds, PROP_CONNECT_TIMEOUT);
}

double
dl_manager_get_retry_delay (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), 0);

  return self->settings.retry_delay;
}

void
dl_manager_set_retry_delay (DlManager *self,
                            double     seconds)
{
  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (seconds >= 0);

  set_seconds (self, &self->settings.retry_delay, seconds, PROP_RETRY_DELAY);
}

double
dl_manager_get_max_time (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), 0);

  return self->settings.max_time;
}

void
dl_manager_set_max_time (DlManager *self,
                         double     seconds)
{
  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (seconds >= 0);

  set_seconds (self, &self->settings.max_time, seconds, PROP_MAX_TIME);
}

guint64
dl_manager_get_rate_limit (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), 0);

  return _dl_rate_limit_get (self->rate_limit);
}

void
dl_manager_set_rate_limit (DlManager *self,
                           guint64    bytes_per_second)
{
  g_return_if_fail (DL_IS_MANAGER (self));

  if (_dl_rate_limit_get (self->rate_limit) == bytes_per_second)
    return;
  _dl_rate_limit_set (self->rate_limit, bytes_per_second, g_get_monotonic_time ());
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE_LIMIT]);
}

/* The limit all downloads share (borrowed). */
DlRateLimit *
_dl_manager_get_rate_limit (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), NULL);

  return self->rate_limit;
}

guint
dl_manager_get_connections (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), 1);

  return self->settings.connections;
}

void
dl_manager_set_connections (DlManager *self,
                            guint      connections)
{
  g_return_if_fail (DL_IS_MANAGER (self));

  connections = CLAMP (connections, 1, DL_MANAGER_MAX_CONNECTIONS);
  if (self->settings.connections == connections)
    return;
  self->settings.connections = connections;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTIONS]);
}

gint64
dl_manager_get_min_split_size (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), DL_MANAGER_DEFAULT_MIN_SPLIT_SIZE);

  return self->settings.min_split_size;
}

void
dl_manager_set_min_split_size (DlManager *self,
                               gint64     min_split_size)
{
  g_return_if_fail (DL_IS_MANAGER (self));

  min_split_size = MAX (min_split_size, 1);
  if (self->settings.min_split_size == min_split_size)
    return;
  self->settings.min_split_size = min_split_size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MIN_SPLIT_SIZE]);
}

gboolean
dl_manager_get_hash_files (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), FALSE);

  return self->settings.hash_files;
}

void
dl_manager_set_hash_files (DlManager *self,
                           gboolean   hash_files)
{
  g_return_if_fail (DL_IS_MANAGER (self));

  hash_files = !!hash_files;
  if (self->settings.hash_files == hash_files)
    return;
  self->settings.hash_files = hash_files;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HASH_FILES]);
}

gint64
dl_manager_get_max_file_size (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), 0);

  return self->settings.max_file_size;
}

void
dl_manager_set_max_file_size (DlManager *self,
                              gint64     bytes)
{
  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (bytes >= 0);

  if (self->settings.max_file_size == bytes)
    return;
  self->settings.max_file_size = bytes;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_FILE_SIZE]);
}

double
dl_manager_get_max_retry_after (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), 0);

  return self->settings.max_retry_after;
}

void
dl_manager_set_max_retry_after (DlManager *self,
                                double     seconds)
{
  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (seconds >= 0);

  set_seconds (self, &self->settings.max_retry_after, seconds, PROP_MAX_RETRY_AFTER);
}

double
dl_manager_get_max_retry_delay (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), 0);

  return self->settings.max_retry_delay;
}

void
dl_manager_set_max_retry_delay (DlManager *self,
                                double     seconds)
{
  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (seconds >= 0);

  set_seconds (self, &self->settings.max_retry_delay, seconds, PROP_MAX_RETRY_DELAY);
}

/**
 * dl_manager_get_network_monitor:
 * @self: a #DlManager
 *
 * Returns: (transfer none) (nullable): the monitor that says whether the
 *   network is metered, %NULL until #DlManager:pause-on-metered is first on
 */
GNetworkMonitor *
dl_manager_get_network_monitor (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), NULL);

  return _dl_metered_pause_get_monitor (self->metered_pause);
}

/**
 * dl_manager_set_network_monitor:
 * @self: a #DlManager
 * @monitor: (nullable): the monitor to follow, or %NULL for the system's
 *   once needed
 */
void
dl_manager_set_network_monitor (DlManager       *self,
                                GNetworkMonitor *monitor)
{
  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (monitor == NULL || G_IS_NETWORK_MONITOR (monitor));

  if (_dl_metered_pause_get_monitor (self->metered_pause) == monitor)
    return;
  _dl_metered_pause_set_monitor (self->metered_pause, monitor);
  if (monitor == NULL && _dl_metered_pause_get_enabled (self->metered_pause))
    _dl_metered_pause_set_enabled (self->metered_pause, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK_MONITOR]);
}

gboolean
dl_manager_get_pause_on_metered (DlManager *self)
{
  g_return_val_if_fail (DL_IS_MANAGER (self), FALSE);

  return _dl_metered_pause_get_enabled (self->metered_pause);
}

/**
 * dl_manager_set_pause_on_metered:
 * @self: a #DlManager
 * @pause_on_metered: whether downloads pause while the network is metered
 *
 * Takes effect at once, on running and queued downloads.
 */
void
dl_manager_set_pause_on_metered (DlManager *self,
                                 gboolean   pause_on_metered)
{
  GNetworkMonitor *before;

  g_return_if_fail (DL_IS_MANAGER (self));

  pause_on_metered = !!pause_on_metered;
  if (_dl_metered_pause_get_enabled (self->metered_pause) == pause_on_metered)
    return;
  before = _dl_metered_pause_get_monitor (self->metered_pause);
  _dl_metered_pause_set_enabled (self->metered_pause, pause_on_metered);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSE_ON_METERED]);
  if (_dl_metered_pause_get_monitor (self->metered_pause) != before)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK_MONITOR]);
}

/**
 * _dl_manager_metered_changed:
 * @self: a #DlManager
 *
 * Something that decides which downloads may run on a metered network
 * changed (a download's #DlDownload:allow-metered): apply it.
 */
void
_dl_manager_metered_changed (DlManager *self)
{
  g_return_if_fail (DL_IS_MANAGER (self));

  _dl_metered_pause_update (self->metered_pause);
}

/* The session's resolver is its connections' own: a new session. */
static void
replace_proxy_resolver (DlManager      *self,
                        GProxyResolver *resolver,
                        gboolean        no_proxies)
{
  g_clear_object (&self->proxy_resolver);
  if (!no_proxies)
    self->proxy_resolver = _dl_proxy_resolver_new (resolver);
  self->no_proxies = no_proxies;
  g_clear_object (&self->session);
  g_hash_table_remove_all (self->preconnected);
  ensure_session (self);
}

/**
 * dl_manager_keep_folder_open:
 * @self: a #DlManager
 * @path: an output folder
 * @fd: (transfer full): a descriptor of it, from dl_file_name_open_dir()
 *
 * Keeps the output folder @path open while @self lives, as @fd: the
 * downloads into it write there, and none waits for a disk thread to open
 * it first (the first download of a process would: a round trip that
 * holds up its first request). A program that opened the folder before
 * its loop ran (the CLI checks it then) hands it over this way. If the
 * path is renamed or replaced meanwhile, the downloads still go to the
 * folder @fd is.
 */
void
dl_manager_keep_folder_open (DlManager  *self,
                             const char *path,
                             int         fd)
{
  g_autofree char *canonical = NULL;

  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (path != NULL);
  g_return_if_fail (fd >= 0);

  /* Keyed as the downloads' own output folders are. */
  canonical = g_canonicalize_filename (path, NULL);
  _dl_folders_keep_open (self->folders, canonical, fd);
}

/**
 * dl_manager_set_proxy:
 * @self: a #DlManager
 * @url: (nullable): a proxy, http://HOST:PORT or socks5://HOST:PORT, for
 *   every request; %NULL for the desktop's proxy settings
 * @error: return location for a #GError
 *
 * Sends the requests that start from now on through @url.
 *
 * Returns: %FALSE with @error set when @url is not a proxy URL
 */
gboolean
dl_manager_set_proxy (DlManager   *self,
                      const char  *url,
                      GError     **error)
{
  g_autoptr(GProxyResolver) resolver = NULL;

  g_return_val_if_fail (DL_IS_MANAGER (self), FALSE);

  if (url != NULL)
    {
      resolver = _dl_http_new_proxy_resolver (url, error);
      if (resolver == NULL)
        return FALSE;
    }

  replace_proxy_resolver (self, resolver, FALSE);
  return TRUE;
}

/**
 * dl_manager_set_proxy_resolver:
 * @self: a #DlManager
 * @resolver: (nullable): what names the proxy of each request, or %NULL
 *   for the desktop's proxy settings
 *
 * Sends the requests that start from now on through the proxies @resolver
 * names.
 */
void
dl_manager_set_proxy_resolver (DlManager      *self,
                               GProxyResolver *resolver)
{
  g_return_if_fail (DL_IS_MANAGER (self));
  g_return_if_fail (resolver == NULL || G_IS_PROXY_RESOLVER (resolver));

  replace_proxy_resolver (self, resolver, FALSE);
}

/**
 * dl_manager_disable_proxies:
 * @self: a #DlManager
 *
 * Connects directly, through no proxy, for the requests that start from
 * now on; dl_manager_set_proxy() and dl_manager_set_proxy_resolver() undo
 * this. The connections then never load GIO's default proxy resolver
 * (which any connection that may use a proxy does, even with a resolver of
 * its own).
 */
void
dl_manager_disable_proxies (DlManager *self)
{
  g_return_if_fail (DL_IS_MANAGER (self));

  replace_proxy_resolver (self, NULL, TRUE);
}

/**
 * dl_manager_normalize_proxy:
 * @url: a proxy URL, as curl's --proxy takes it
 * @error: return location for a #GError
 *
 * Returns: (transfer full): @url as GIO's proxy resolvers name a proxy
 *   (scheme, host and port), or %NULL with @error set saying why it is not
 *   a proxy that dl_manager_set_proxy() takes
 */
char *
dl_manager_normalize_proxy (const char  *url,
                            GError     **error)
{
  g_return_val_if_fail (url != NULL, NULL);

  return _dl_http_normalize_proxy_url (url, error);
}

/**
 * dl_manager_check_proxy:
 * @url: a proxy URL
 * @error: return location for a #GError
 *
 * Returns: whether dl_manager_set_proxy() takes @url; %FALSE with @error
 *   set saying why not
 */
gboolean
dl_manager_check_proxy (const char  *url,
                        GError     **error)
{
  g_autoptr(GProxyResolver) resolver = NULL;

  g_return_val_if_fail (url != NULL, FALSE);

  resolver = _dl_http_new_proxy_resolver (url, error);
  return resolver != NULL;
}
