/* dl-store.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libbridge.h>
#include <sqlite3.h>

#include "dl-enums.h"
#include "dl-store.h"

/**
 * DlStore:
 *
 * The crash-safe record of every download: what to fetch, where to, how far
 * it got, and the history of finished ones. One SQLite database in
 * `$XDG_DATA_HOME/bridge-downloader/downloads.sqlite`.
 *
 * ## Durability
 *
 * The database runs in WAL mode with `synchronous=NORMAL`. A committed
 * transaction is in the WAL file (in the kernel's page cache at least) when
 * the call returns, so it survives the program crashing or being killed at
 * any point. On a power cut, the last transactions before the loss may roll
 * back (the WAL is synced at checkpoints, not at every commit), but the
 * database is never corrupted.
 *
 * That is enough for the resumable offset, which is why `FULL` is not used:
 * the engine syncs a partial file's data *before* it records the offset, so
 * every offset ever committed is at most what is durably on disk. Losing the
 * last few commits only means resuming from an older, smaller offset, which
 * is still correct (the resume also clamps to the file's actual size, and
 * `If-Range` catches a file that was restarted since). `FULL` would cost an
 * fsync of the WAL per progress update for nothing.
 *
 * The WAL and its index (the `-wal` and `-shm` files) stay beside the
 * database between runs, the WAL emptied by the last connection to close
 * (after its checkpoint): making them anew and removing them again, each
 * time a program opens and closes the history, cost more than the rest of
 * opening it.
 *
 * ## Threads
 *
 * SQLite is never used on the caller's thread: a writer thread of the
 * store owns the connection, because even a commit without a sync can
 * block (on another process's lock, on the first write to a new WAL, which
 * syncs its header) and the caller is usually a main loop.
 *
 * The frequent writes of running downloads, their progress and state
 * changes, are queued: dl_store_queue_update() and
 * dl_store_queue_progress() only note the write in memory and return. The
 * writer thread commits everything noted since its last commit in one
 * transaction: a state change within 10 ms, a progress update
 * within a quarter of a second (so 200 running downloads cost one commit
 * per interval, not 200). Writes to one download coalesce: only the latest
 * values are written.
 *
 * The other calls (opening and closing included) wait for their result.
 * Called from a libbridge task, they wait like any await, and the loop runs
 * on meanwhile; a cancellation of the task does not interrupt them (their
 * outcome must be known: an insert gives the download its id), it is
 * delivered again at the task's next await. Called from a worker thread, or
 * before a main loop runs, they block the calling thread until the writer
 * thread is done. On a main loop's thread outside a task they would stall
 * the loop: that is a programming error (a critical in debug builds), and
 * the loop thread uses the queued calls and dl_store_insert_async()
 * instead. Each first commits the queued writes, so a read sees them and a
 * direct write is not overtaken by an older queued one.
 *
 * The automatic checkpoint is off. The checkpoint is the one operation
 * that syncs (the WAL, then the database), for milliseconds; a thread of
 * its own runs it, on a connection of its own, once the WAL has grown past
 * a thousand pages, so it never holds up the writer or a caller.
 */

/* A progress update is committed at most this long after it was queued. */
#define FLUSH_INTERVAL_USEC (250 * 1000)

/* A state change waits this long for others to share its transaction. */
#define URGENT_DELAY_USEC (10 * 1000)

/* The WAL is checkpointed once it holds this many pages (SQLite's default
 * for its automatic checkpoint). */
#define CHECKPOINT_FRAMES 1000

/* A queued write: a whole record, or only the offsets of a running
 * download. */
typedef struct
{
  DlStoreRecord *record;
  gint64         bytes_received;
  gint64         resume_offset;
  gboolean       insert;          /* @record is new: dl_store_queue_insert() */
  gboolean       remove;          /* dl_store_queue_remove(): wins over the rest */
  gboolean       held;            /* not to be committed before dl_store_release() */
} PendingWrite;

/* dl_store_queue_insert() gives downloads ids reserved beforehand, this
 * many at a time, so that adding one never waits for SQLite. */
#define RESERVED_IDS 64

/* A call waiting for the writer thread. */
typedef enum
{
  REQUEST_INSERT,
  REQUEST_UPDATE,
  REQUEST_UPDATE_PROGRESS,
  REQUEST_REMOVE,
  REQUEST_LOOKUP,
  REQUEST_LIST,
} RequestOp;

typedef struct
{
  RequestOp       op;
  DlStoreRecord  *record;          /* INSERT, UPDATE: a copy of the caller's */
  gint64          id;              /* UPDATE_PROGRESS, REMOVE, LOOKUP */
  gint64          bytes_received;  /* UPDATE_PROGRESS */
  gint64          resume_offset;   /* UPDATE_PROGRESS */

  /* Set by the writer thread before @done */
  gboolean        done;            /* under @queue_lock */
  GError         *error;
  gint64          out_id;          /* INSERT */
  DlStoreRecord  *out_record;      /* LOOKUP */
  GPtrArray      *out_records;     /* LIST */

  BridgeFuture   *future;          /* completed when done, for a task that waits */

  /* dl_store_insert_async() */
  DlStoreInsertCallback  callback;
  gpointer               user_data;
  GDestroyNotify         destroy;
} Request;

struct _DlStore
{
  GObject       parent_instance;

  char         *path;
  sqlite3      *db;              /* the writer thread's, once open */
  sqlite3      *checkpoint_db;   /* the checkpointer thread's */

  /* Prepared once, reset after each use. */
  sqlite3_stmt *begin;
  sqlite3_stmt *commit;
  sqlite3_stmt *rollback;
  sqlite3_stmt *insert;
  sqlite3_stmt *insert_with_id;
  sqlite3_stmt *get_sequence;
  sqlite3_stmt *set_sequence;
  sqlite3_stmt *new_sequence;
  sqlite3_stmt *update;
  sqlite3_stmt *update_progress;
  sqlite3_stmt *remove;
  sqlite3_stmt *lookup;
  sqlite3_stmt *list;
  sqlite3_stmt *remove_ranges;
  sqlite3_stmt *insert_range;
  sqlite3_stmt *lookup_ranges;
  sqlite3_stmt *list_ranges;
  GError       *writer_error;    /* the writer's statements could not be prepared */

  GThread      *writer;
  GThread      *checkpointer;
  GMutex        queue_lock;      /* everything below */
  GCond         work_cond;       /* the writer waits for work */
  GCond         done_cond;       /* blocked callers wait for the writer */
  GCond         checkpoint_cond; /* the checkpointer waits for work */
  GHashTable   *pending;         /* id → PendingWrite */
  guint         n_held;          /* of those, the held ones */
  GQueue        requests;        /* Request, oldest first */
  gint64        urgent_since;    /* when the oldest queued state change came, or 0 */
  gint64        next_id;         /* ids reserved for queued inserts: [next_id, id_limit) */
  gint64        id_limit;
  gint          reserve_wanted;  /* atomic: the writer reserves more */
  gboolean      checkpoint_wanted;
  gboolean      stopping;
  gboolean      reservation_open; /* the writer commits the first ids' transaction */
  GPtrArray    *snapshot;        /* the downloads as read when opening, for the first list */
  gint          wal_frames;      /* atomic: pages in the WAL after the last commit */
};

G_DEFINE_FINAL_TYPE (DlStore, dl_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (dl-store-error-quark, dl_store_error)

/* "BDld" in PRAGMA application_id tells our database from another program's
 * SQLite file at the same path. */
#define DL_STORE_APPLICATION_ID 0x42446c64

#define SELECT_COLUMNS \
  "id, url, output_dir, file_name, state, bytes_received, resume_offset, " \
  "total_bytes, etag, last_modified, sha256, error_message, attempts, "     \
  "created_at, finished_at, request_headers, cookies, cookies_file, rate_limit"

/* Each entry upgrades the schema from version (index) to (index + 1). Add new
 * migrations at the end; never change what a released one creates. They
 * run in one transaction with the version check (migrate_once()), and say
 * IF NOT EXISTS all the same: a history half created by an older build
 * that ran them outside a transaction is completed, not refused. */
static const char * const migrations[] = {
  /* 0 → 1 */
  "CREATE TABLE IF NOT EXISTS downloads ("
  "  id             INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  url            TEXT    NOT NULL,"
  "  output_dir     TEXT    NOT NULL,"
  "  file_name      TEXT,"
  "  state          TEXT    NOT NULL,"
  "  bytes_received INTEGER NOT NULL DEFAULT 0,"
  "  resume_offset  INTEGER NOT NULL DEFAULT 0,"
  "  total_bytes    INTEGER NOT NULL DEFAULT -1,"
  "  etag           TEXT,"
  "  last_modified  TEXT,"
  "  sha256         TEXT,"
  "  error_message  TEXT,"
  "  attempts       INTEGER NOT NULL DEFAULT 0,"
  "  created_at     INTEGER NOT NULL,"
  "  finished_at    INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX IF NOT EXISTS downloads_state ON downloads (state);",

  /* 1 → 2: what a download sends besides the engine's own request (headers
   * without credentials, a cookies.txt's text, a cookies file's path), and
   * its own speed limit, so that a resume after a restart asks the same. */
  "ALTER TABLE downloads ADD COLUMN request_headers TEXT;"
  "ALTER TABLE downloads ADD COLUMN cookies TEXT;"
  "ALTER TABLE downloads ADD COLUMN cookies_file TEXT;"
  "ALTER TABLE downloads ADD COLUMN rate_limit INTEGER NOT NULL DEFAULT 0;",

  /* 2 → 3: the ranges of a download fetched over several connections */
  "CREATE TABLE IF NOT EXISTS download_ranges ("
  "  download_id    INTEGER NOT NULL,"
  "  range_start    INTEGER NOT NULL,"
  "  range_end      INTEGER NOT NULL,"
  "  durable        INTEGER NOT NULL,"
  "  PRIMARY KEY (download_id, range_start)"
  ") WITHOUT ROWID;"
  "CREATE TRIGGER IF NOT EXISTS downloads_remove_ranges AFTER DELETE ON downloads "
  "BEGIN DELETE FROM download_ranges WHERE download_id = OLD.id; END;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == DL_STORE_SCHEMA_VERSION);

/* ---- records ------------------------------------------------------------------ */

/**
 * dl_store_record_new:
 * @url: the URL
 * @output_dir: the output folder
 *
 * Returns: (transfer full): a queued record, not yet stored
 */
DlStoreRecord *
dl_store_record_new (const char *url,
                     const char *output_dir)
{
  DlStoreRecord *record = g_new0 (DlStoreRecord, 1);

  record->url = g_strdup (url);
  record->output_dir = g_strdup (output_dir);
  record->state = DL_DOWNLOAD_STATE_QUEUED;
  record->total_bytes = -1;
  record->created_at = g_get_real_time ();
  return record;
}

DlStoreRecord *
dl_store_record_copy (const DlStoreRecord *record)
{
  DlStoreRecord *copy;

  g_return_val_if_fail (record != NULL, NULL);

  copy = g_memdup2 (record, sizeof *record);
  copy->url = g_strdup (record->url);
  copy->output_dir = g_strdup (record->output_dir);
  copy->file_name = g_strdup (record->file_name);
  copy->etag = g_strdup (record->etag);
  copy->last_modified = g_strdup (record->last_modified);
  copy->sha256 = g_strdup (record->sha256);
  copy->error_message = g_strdup (record->error_message);
  copy->request_headers = g_strdup (record->request_headers);
  copy->cookies = g_strdup (record->cookies);
  copy->cookies_file = g_strdup (record->cookies_file);
  if (record->ranges != NULL)
    {
      copy->ranges = g_array_sized_new (FALSE, FALSE, sizeof (DlStoreRange), record->ranges->len);
      g_array_append_vals (copy->ranges, record->ranges->data, record->ranges->len);
    }
  return copy;
}

void
dl_store_record_free (DlStoreRecord *record)
{
  if (record == NULL)
    return;

  g_free (record->url);
  g_free (record->output_dir);
  g_free (record->file_name);
  g_free (record->etag);
  g_free (record->last_modified);
  g_free (record->sha256);
  g_free (record->error_message);
  g_free (record->request_headers);
  g_free (record->cookies);
  g_free (record->cookies_file);
  g_clear_pointer (&record->ranges, g_array_unref);
  g_free (record);
}

/* ---- errors -------------------------------------------------------------------- */

static gboolean
set_sqlite_error (DlStore     *self,
                  sqlite3     *db,
                  int          rc,
                  GError     **error,
                  const char  *what)
{
  DlStoreError code;
  const char *detail = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  switch (rc & 0xff)
    {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = DL_STORE_ERROR_CORRUPT;
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = DL_STORE_ERROR_BUSY;
      break;
    default:
      code = DL_STORE_ERROR_FAILED;
      break;
    }

  g_set_error (error, DL_STORE_ERROR, code, "%s “%s”: %s",
               what, self != NULL ? self->path : "?", detail);
  return FALSE;
}

/* ---- GObject ------------------------------------------------------------------- */

static gboolean close_database (DlStore  *self,
                                GError  **error);

static void
dl_store_finalize (GObject *object)
{
  DlStore *self = (DlStore *) object;

  /* Right here: a worker thread could not hold a reference any more. */
  close_database (self, NULL);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_mutex_clear (&self->queue_lock);
  g_cond_clear (&self->work_cond);
  g_cond_clear (&self->done_cond);
  g_cond_clear (&self->checkpoint_cond);

  G_OBJECT_CLASS (dl_store_parent_class)->finalize (object);
}

static void
dl_store_class_init (DlStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dl_store_finalize;
}

static void
pending_write_free (gpointer data)
{
  PendingWrite *write = data;

  g_clear_pointer (&write->record, dl_store_record_free);
  g_free (write);
}

static GHashTable *
pending_table_new (void)
{
  return g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, pending_write_free);
}

static void
dl_store_init (DlStore *self)
{
  g_mutex_init (&self->queue_lock);
  g_cond_init (&self->work_cond);
  g_cond_init (&self->done_cond);
  g_cond_init (&self->checkpoint_cond);
  self->pending = pending_table_new ();
  g_queue_init (&self->requests);
}

/* ---- waiting for other threads ------------------------------------------------------- */

/* Outside a task, a call that waits for the store blocks its thread: fine
 * on a worker thread or before the main loop runs, a stall on the loop's
 * thread while it dispatches. */
static void
check_not_blocking_loop (const char *function)
{
#ifdef DL_ENABLE_DEBUG
  if (!dl_store_can_wait ())
    g_critical ("%s() waits for the download store, and was called on a main loop's "
                "thread outside a task: it would block the loop. Call it from a task, "
                "or use the dl_store_queue_*() calls or dl_store_insert_async()", function);
#endif
}

/**
 * dl_store_can_wait:
 *
 * Whether the calls that wait for the store may be made here: in a task
 * (they await), or on a thread that is not running a main loop's
 * callback (they block it). Elsewhere, use the queued calls and
 * dl_store_insert_async().
 *
 * Returns: %TRUE if waiting for the store is fine on the calling thread
 */
gboolean
dl_store_can_wait (void)
{
  return bridge_task_get_current () != NULL || g_main_depth () == 0;
}

/* Waits for @future, which a thread completes once it is done with
 * something whose outcome must be known. A cancellation of the task stops
 * the waiting only for a moment: the wait goes on, and the task is
 * cancelled again afterwards, so its next await reports it. Only a second
 * cancellation during the wait gives up.
 *
 * Returns: %FALSE if the wait was given up */
static gboolean
await_uninterrupted (BridgeFuture *future)
{
  g_autoptr(BridgeFuture) shield = bridge_shield (future);
  g_autoptr(GError) error = NULL;

  if (bridge_await (shield, &error) || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return TRUE;

  if (!bridge_future_is_done (future))
    bridge_await (future, NULL);
  bridge_task_cancel (bridge_task_get_current (), error->message);
  return bridge_future_is_done (future) && !bridge_future_is_cancelled (future);
}

typedef gboolean (*StoreFunc) (DlStore  *self,
                               GError  **error);

typedef struct
{
  DlStore   *store;
  StoreFunc  func;
} StoreJob;

static void
store_job_free (gpointer data)
{
  StoreJob *job = data;

  g_object_unref (job->store);
  g_free (job);
}

static void
store_job_thread (BridgeFuture *future,
                  gpointer      user_data,
                  GCancellable *cancellable)
{
  StoreJob *job = user_data;
  GError *error = NULL;

  if (job->func (job->store, &error))
    bridge_future_set_boolean (future, TRUE, NULL);
  else
    bridge_future_set_error (future, error, NULL);
}

/* Runs @func, which blocks (opening, closing), on a worker thread when
 * called from a task, so that the loop runs on; else right here. */
static gboolean
run_blocking (DlStore    *self,
              StoreFunc   func,
              const char *function,
              GError    **error)
{
  g_autoptr(BridgeFuture) future = NULL;
  StoreJob *job;

  if (bridge_task_get_current () == NULL)
    {
      check_not_blocking_loop (function);
      return func (self, error);
    }

  job = g_new (StoreJob, 1);
  job->store = g_object_ref (self);
  job->func = func;
  future = bridge_run_in_thread (store_job_thread, job, store_job_free);

  if (!await_uninterrupted (future))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "Cancelled while waiting for the download store");
      return FALSE;
    }
  return bridge_future_get_boolean (future, error);
}

/* ---- opening ------------------------------------------------------------------- */

/**
 * dl_store_get_default_path:
 *
 * Returns: (transfer full): `$XDG_DATA_HOME/bridge-downloader/downloads.sqlite`
 */
char *
dl_store_get_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "bridge-downloader", "downloads.sqlite", NULL);
}

static gboolean
exec_sql (DlStore     *self,
          const char  *sql,
          GError     **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    return set_sqlite_error (self, self->db, rc, error, "Cannot update the download store");
  return TRUE;
}

static gboolean
query_int (DlStore     *self,
           const char  *sql,
           gint64      *out_value,
           GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *out_value = sqlite3_column_int64 (stmt, 0);
      rc = SQLITE_OK;
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_OK && rc != SQLITE_DONE)
    return set_sqlite_error (self, self->db, rc, error, "Cannot read the download store");
  return TRUE;
}

static gboolean
prepare (DlStore       *self,
         const char    *sql,
         sqlite3_stmt **out_stmt,
         GError       **error)
{
  int rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out_stmt, NULL);

  if (rc != SQLITE_OK)
    return set_sqlite_error (self, self->db, rc, error, "Cannot prepare the download store");
  return TRUE;
}

/* How long opening waits for other instances that create or upgrade the
 * same history at the same moment (many first runs of the CLI at once). */
#define SCHEMA_BUSY_TIMEOUT_USEC (60 * G_USEC_PER_SEC)

typedef struct
{
  gint64 application_id;
  gint64 version;
  gint64 n_objects;
} SchemaState;

static gboolean
read_schema_state (DlStore      *self,
                   SchemaState  *state,
                   GError      **error)
{
  return query_int (self, "PRAGMA application_id", &state->application_id, error) &&
         query_int (self, "PRAGMA user_version", &state->version, error) &&
         query_int (self, "SELECT count(*) FROM sqlite_schema", &state->n_objects, error);
}

/* Refuses files that are not ours or are newer than we understand:
 * guessing at another schema could destroy the user's history. */
static gboolean
check_schema_state (DlStore            *self,
                    const SchemaState  *state,
                    GError            **error)
{
  if (state->application_id != 0 && state->application_id != DL_STORE_APPLICATION_ID)
    {
      g_set_error (error, DL_STORE_ERROR, DL_STORE_ERROR_FOREIGN,
                   "“%s” belongs to another program (application id %#" G_GINT64_MODIFIER "x)",
                   self->path, state->application_id);
      return FALSE;
    }

  if (state->application_id == 0 && state->n_objects > 0)
    {
      g_set_error (error, DL_STORE_ERROR, DL_STORE_ERROR_FOREIGN,
                   "“%s” is a database of another program", self->path);
      return FALSE;
    }

  if (state->version > DL_STORE_SCHEMA_VERSION || state->version < 0)
    {
      g_set_error (error, DL_STORE_ERROR, DL_STORE_ERROR_VERSION,
                   "“%s” has schema version %" G_GINT64_FORMAT ", but this version of "
                   "Downloader only knows versions up to %d; it was written by a newer "
                   "version", self->path, state->version, DL_STORE_SCHEMA_VERSION);
      return FALSE;
    }

  return TRUE;
}

/* One try at bringing the schema to DL_STORE_SCHEMA_VERSION. Several
 * instances may open a new history at the same moment, so what the file
 * holds is read again inside the write transaction that upgrades it: the
 * version seen there is the one the upgrade starts from, and an instance
 * that comes second finds the work done. */
static gboolean
migrate_once (DlStore  *self,
              GError  **error)
{
  SchemaState state = { 0, };
  gint64 ignored;
  gboolean ok;

  /* A first look, in one read transaction so the three answers agree. The
   * first real read: a file that is not a database fails here. */
  ok = exec_sql (self, "BEGIN DEFERRED", error) &&
       read_schema_state (self, &state, error) &&
       exec_sql (self, "COMMIT", error);
  if (!ok)
    return FALSE;
  if (!check_schema_state (self, &state, error))
    return FALSE;

  /* WAL before the migrations, which then need no rollback journal (and
   * its syncs) of their own. journal_mode returns the mode it ended up in;
   * a file system without shared memory support stays in rollback mode,
   * which is still atomic. It cannot change inside a transaction. */
  if (!query_int (self, "PRAGMA journal_mode = WAL", &ignored, error))
    return FALSE;

  if (state.version == DL_STORE_SCHEMA_VERSION)
    return TRUE;

  /* Every step in one transaction, so that a crash mid-migration leaves
   * the previous version intact and no other instance sees half of it. */
  if (!exec_sql (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!read_schema_state (self, &state, error) || !check_schema_state (self, &state, error))
    return FALSE;

  for (gint64 version = state.version; version < DL_STORE_SCHEMA_VERSION; version++)
    {
      g_autofree char *sql = NULL;

      sql = g_strdup_printf ("%s"
                             "PRAGMA application_id = %d;"
                             "PRAGMA user_version = %" G_GINT64_FORMAT ";",
                             migrations[version], DL_STORE_APPLICATION_ID, version + 1);
      if (!exec_sql (self, sql, error))
        return FALSE;
    }

  return exec_sql (self, "COMMIT", error);
}

/* Brings the schema to DL_STORE_SCHEMA_VERSION (see migrate_once()). The
 * busy timeout covers most waits for another instance, but SQLite returns
 * SQLITE_BUSY at once where waiting could deadlock (a read transaction that
 * must become a write one, a change of journal mode): then the whole try is
 * rolled back and made again, a little later. */
static gboolean
migrate (DlStore  *self,
         GError  **error)
{
  gint64 deadline = g_get_monotonic_time () + SCHEMA_BUSY_TIMEOUT_USEC;

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;

      if (migrate_once (self, &local_error))
        return TRUE;

      if (!sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      if (!g_error_matches (local_error, DL_STORE_ERROR, DL_STORE_ERROR_BUSY) ||
          g_get_monotonic_time () >= deadline)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_debug ("%s; trying again", local_error->message);
      g_usleep ((gulong) g_random_int_range (2000, 20000));
    }
}

/* ---- statements (the writer thread) ---------------------------------------------- */

/* Runs a statement that returns no rows, then resets it. */
static int
step_done (sqlite3_stmt *stmt)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static void
bind_text_or_null (sqlite3_stmt *stmt,
                   int           column,
                   const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, column, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, column);
}

static const char *
state_to_nick (DlDownloadState state)
{
  GEnumClass *klass = g_type_class_ref (DL_TYPE_DOWNLOAD_STATE);
  GEnumValue *value = g_enum_get_value (klass, state);
  const char *nick = value != NULL ? value->value_nick : "failed";

  g_type_class_unref (klass);
  return nick;
}

static gboolean
state_from_nick (const char      *nick,
                 DlDownloadState *out_state)
{
  GEnumClass *klass = g_type_class_ref (DL_TYPE_DOWNLOAD_STATE);
  GEnumValue *value = nick != NULL ? g_enum_get_value_by_nick (klass, nick) : NULL;

  if (value != NULL)
    *out_state = value->value;
  g_type_class_unref (klass);
  return value != NULL;
}

static void
bind_record (sqlite3_stmt        *stmt,
             const DlStoreRecord *record)
{
  bind_text_or_null (stmt, 1, record->url);
  bind_text_or_null (stmt, 2, record->output_dir);
  bind_text_or_null (stmt, 3, record->file_name);
  sqlite3_bind_text (stmt, 4, state_to_nick (record->state), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, record->bytes_received);
  sqlite3_bind_int64 (stmt, 6, record->resume_offset);
  sqlite3_bind_int64 (stmt, 7, record->total_bytes);
  bind_text_or_null (stmt, 8, record->etag);
  bind_text_or_null (stmt, 9, record->last_modified);
  bind_text_or_null (stmt, 10, record->sha256);
  bind_text_or_null (stmt, 11, record->error_message);
  sqlite3_bind_int64 (stmt, 12, record->attempts);
  sqlite3_bind_int64 (stmt, 13, record->created_at);
  sqlite3_bind_int64 (stmt, 14, record->finished_at);
  bind_text_or_null (stmt, 15, record->request_headers);
  bind_text_or_null (stmt, 16, record->cookies);
  bind_text_or_null (stmt, 17, record->cookies_file);
  sqlite3_bind_int64 (stmt, 18, (gint64) MIN (record->rate_limit, (guint64) G_MAXINT64));
}

static char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  const unsigned char *text = sqlite3_column_text (stmt, column);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

static DlStoreRecord *
read_record (sqlite3_stmt *stmt)
{
  DlStoreRecord *record = g_new0 (DlStoreRecord, 1);
  const char *nick = (const char *) sqlite3_column_text (stmt, 4);

  record->id = sqlite3_column_int64 (stmt, 0);
  record->url = column_text (stmt, 1);
  record->output_dir = column_text (stmt, 2);
  record->file_name = column_text (stmt, 3);
  record->bytes_received = sqlite3_column_int64 (stmt, 5);
  record->resume_offset = sqlite3_column_int64 (stmt, 6);
  record->total_bytes = sqlite3_column_int64 (stmt, 7);
  record->etag = column_text (stmt, 8);
  record->last_modified = column_text (stmt, 9);
  record->sha256 = column_text (stmt, 10);
  record->error_message = column_text (stmt, 11);
  record->attempts = (guint) CLAMP (sqlite3_column_int64 (stmt, 12), 0, G_MAXUINT);
  record->created_at = sqlite3_column_int64 (stmt, 13);
  record->finished_at = sqlite3_column_int64 (stmt, 14);
  record->request_headers = column_text (stmt, 15);
  record->cookies = column_text (stmt, 16);
  record->cookies_file = column_text (stmt, 17);
  record->rate_limit = (guint64) MAX (sqlite3_column_int64 (stmt, 18), 0);

  /* Offsets no download can have (a row edited by hand, or written by a
   * broken build) are not trusted: the partial file cannot be matched to
   * them, so the download starts over from zero. Said at message level: it
   * is news for the user, and no fault of this program's. */
  if (record->resume_offset < 0 || record->bytes_received < 0 || record->total_bytes < -1 ||
      (record->total_bytes >= 0 && (record->resume_offset > record->total_bytes ||
                                    record->bytes_received > record->total_bytes)))
    {
      g_message ("Download %" G_GINT64_FORMAT " in the history has an impossible offset "
                 "(%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " bytes); starting over",
                 record->id, record->resume_offset, record->total_bytes);
      record->resume_offset = 0;
      record->bytes_received = 0;
      record->total_bytes = MAX (record->total_bytes, -1);
    }

  /* A state this build does not know (a newer one wrote it within the same
   * schema) is shown as failed rather than guessed at. */
  if (!state_from_nick (nick, &record->state))
    {
      record->state = DL_DOWNLOAD_STATE_FAILED;
      if (record->error_message == NULL)
        record->error_message = g_strdup_printf ("Unknown stored state “%s”",
                                                 nick != NULL ? nick : "");
    }

  return record;
}


static int read_ranges (sqlite3_stmt *stmt,
                        GHashTable   *by_id);

/* Every stored download with its ranges, oldest first, or NULL with
 * @error set. */
static GPtrArray *
read_all_records (DlStore  *self,
                  GError  **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) dl_store_record_free);
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  int rc;

  while ((rc = sqlite3_step (self->list)) == SQLITE_ROW)
    {
      DlStoreRecord *record = read_record (self->list);

      g_ptr_array_add (records, record);
      g_hash_table_insert (by_id, &record->id, record);
    }
  sqlite3_reset (self->list);
  if (rc == SQLITE_DONE)
    rc = read_ranges (self->list_ranges, by_id) == SQLITE_OK ? SQLITE_DONE : SQLITE_ERROR;
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, self->db, rc, error, "Cannot read the download store");
      return NULL;
    }
  return g_steal_pointer (&records);
}

static gpointer writer_thread       (gpointer     data);
static gpointer checkpointer_thread (gpointer     data);
static int      wal_hook_cb         (gpointer     user_data,
                                     sqlite3     *db,
                                     const char  *name,
                                     int          n_frames);

static gboolean
transaction_begin (DlStore  *self,
                   GError  **error)
{
  int rc = step_done (self->begin);

  if (rc != SQLITE_OK)
    return set_sqlite_error (self, self->db, rc, error, "Cannot write to the download store");
  return TRUE;
}

/* Commits when @rc is SQLITE_OK, rolls back otherwise. */
static gboolean
transaction_end (DlStore  *self,
                 int       rc,
                 GError  **error)
{
  if (rc == SQLITE_OK)
    rc = step_done (self->commit);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (self, self->db, rc, error, "Cannot write to the download store");
      if (!sqlite3_get_autocommit (self->db))
        step_done (self->rollback);
      return FALSE;
    }
  return TRUE;
}

/* Within a transaction: takes the next RESERVED_IDS ids for queued
 * inserts, from *@first on. AUTOINCREMENT never hands out an id at or
 * below the sequence, so moving it past them keeps them ours, also from
 * other processes. Apply them with use_reserved_ids() once committed. */
static int
reserve_ids (DlStore *self,
             gint64  *first)
{
  gint64 last;
  gboolean exists;
  sqlite3_stmt *set;
  int rc;

  rc = sqlite3_step (self->get_sequence);
  if (rc != SQLITE_ROW)
    {
      sqlite3_reset (self->get_sequence);
      return rc;
    }
  last = sqlite3_column_int64 (self->get_sequence, 0);
  exists = sqlite3_column_int64 (self->get_sequence, 1) > 0;
  sqlite3_reset (self->get_sequence);

  set = exists ? self->set_sequence : self->new_sequence;
  sqlite3_bind_int64 (set, 1, last + RESERVED_IDS);
  rc = step_done (set);
  if (rc == SQLITE_OK)
    *first = last + 1;
  return rc;
}

static void
use_reserved_ids (DlStore *self,
                  gint64   first)
{
  if (first == 0)
    return;

  g_mutex_lock (&self->queue_lock);
  self->next_id = first;
  self->id_limit = first + RESERVED_IDS;
  g_atomic_int_set (&self->reserve_wanted, FALSE);
  g_mutex_unlock (&self->queue_lock);
}

/* The statements opening runs (a transaction that reserves ids and reads
 * every download), prepared by open_database(). */
static gboolean
prepare_open_statements (DlStore  *self,
                         GError  **error)
{
  return prepare (self, "BEGIN IMMEDIATE", &self->begin, error) &&
         prepare (self, "COMMIT", &self->commit, error) &&
         prepare (self, "ROLLBACK", &self->rollback, error) &&
         prepare (self,
                  "SELECT max ((SELECT coalesce (max (seq), 0) FROM sqlite_sequence "
                  "WHERE name = 'downloads'), (SELECT coalesce (max (id), 0) FROM downloads)), "
                  "(SELECT count (*) FROM sqlite_sequence WHERE name = 'downloads')",
                  &self->get_sequence, error) &&
         prepare (self, "UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'downloads'",
                  &self->set_sequence, error) &&
         prepare (self, "INSERT INTO sqlite_sequence (name, seq) VALUES ('downloads', ?1)",
                  &self->new_sequence, error) &&
         prepare (self, "SELECT " SELECT_COLUMNS " FROM downloads ORDER BY id",
                  &self->list, error) &&
         prepare (self,
                  "SELECT download_id, range_start, range_end, durable FROM download_ranges "
                  "ORDER BY download_id, range_start",
                  &self->list_ranges, error);
}

/* The rest of the statements, which only the writer thread runs: it
 * prepares them once it has committed the open's transaction, rather than
 * the caller waiting for them while it opens the store (a program that
 * starts, about to add its first downloads). */
static gboolean
prepare_writer_statements (DlStore  *self,
                           GError  **error)
{
  return prepare (self,
                  "INSERT INTO downloads (url, output_dir, file_name, state, bytes_received, "
                  "resume_offset, total_bytes, etag, last_modified, sha256, error_message, "
                  "attempts, created_at, finished_at, request_headers, cookies, cookies_file, "
                  "rate_limit) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
                  "?17, ?18)",
                  &self->insert, error) &&
         prepare (self,
                  "INSERT INTO downloads (url, output_dir, file_name, state, bytes_received, "
                  "resume_offset, total_bytes, etag, last_modified, sha256, error_message, "
                  "attempts, created_at, finished_at, request_headers, cookies, cookies_file, "
                  "rate_limit, id) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
                  "?17, ?18, ?19)",
                  &self->insert_with_id, error) &&
         prepare (self,
                  "UPDATE downloads SET url = ?1, output_dir = ?2, file_name = ?3, state = ?4, "
                  "bytes_received = ?5, resume_offset = ?6, total_bytes = ?7, etag = ?8, "
                  "last_modified = ?9, sha256 = ?10, error_message = ?11, attempts = ?12, "
                  "created_at = ?13, finished_at = ?14, request_headers = ?15, cookies = ?16, "
                  "cookies_file = ?17, rate_limit = ?18 WHERE id = ?19",
                  &self->update, error) &&
         prepare (self,
                  "UPDATE downloads SET bytes_received = ?1, resume_offset = ?2 WHERE id = ?3",
                  &self->update_progress, error) &&
         prepare (self, "DELETE FROM downloads WHERE id = ?1", &self->remove, error) &&
         prepare (self, "SELECT " SELECT_COLUMNS " FROM downloads WHERE id = ?1",
                  &self->lookup, error) &&
         prepare (self, "DELETE FROM download_ranges WHERE download_id = ?1",
                  &self->remove_ranges, error) &&
         prepare (self,
                  "INSERT INTO download_ranges (download_id, range_start, range_end, durable) "
                  "VALUES (?1, ?2, ?3, ?4)",
                  &self->insert_range, error) &&
         prepare (self,
                  "SELECT download_id, range_start, range_end, durable FROM download_ranges "
                  "WHERE download_id = ?1 ORDER BY range_start",
                  &self->lookup_ranges, error);
}

/* The checkpointer thread's own connection. */
static gboolean
open_checkpoint_connection (DlStore  *self,
                            GError  **error)
{
  int rc = sqlite3_open_v2 (self->path, &self->checkpoint_db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                            NULL);

  if (rc != SQLITE_OK)
    return set_sqlite_error (self, self->checkpoint_db, rc, error, "Cannot open the download store");
  sqlite3_busy_timeout (self->checkpoint_db, 2000);
  sqlite3_exec (self->checkpoint_db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL);

  /* A connection opens the WAL with its first read: until then it does
   * not know the database is in WAL mode, and a checkpoint through it does
   * nothing at all. */
  rc = sqlite3_exec (self->checkpoint_db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return set_sqlite_error (self, self->checkpoint_db, rc, error, "Cannot read the download store");
  return TRUE;
}

/* The history holds what downloads send (headers, cookies, a cookies
 * file's path): only its owner may read it. SQLite gives its -wal and -shm
 * files the mode of the database; ones an older build left are made
 * private too. A missing database is created empty, which SQLite takes as
 * a new one. */
static gboolean
make_private (const char  *path,
              GError     **error)
{
  static const char * const suffixes[] = { "", "-wal", "-shm" };
  int fd = g_open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

  if (fd >= 0)
    close (fd);
  else if (errno != EEXIST)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot create “%s”: %s", path, g_strerror (saved_errno));
      return FALSE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
      GStatBuf st;

      if (g_lstat (file, &st) == 0 && S_ISREG (st.st_mode) && (st.st_mode & 0077) != 0 &&
          g_chmod (file, st.st_mode & 0700) != 0)
        g_debug ("Cannot make %s private: %s", file, g_strerror (errno));
    }
  return TRUE;
}

/* Opens the database: everything dl_store_open() does but starting the
 * threads. Runs on a worker thread when the caller is a task. */
static gboolean
open_database (DlStore  *self,
               GError  **error)
{
  g_autofree char *dir = NULL;
  int rc;

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot create the folder “%s”: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  if (!make_private (self->path, error))
    return FALSE;

  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                        NULL);
  if (rc != SQLITE_OK)
    return set_sqlite_error (self, self->db, rc, error, "Cannot open the download store");

  /* Another instance (the CLI next to the app) may be writing: wait a little
   * rather than fail at once. Writes are tiny, so a lock is held briefly. */
  sqlite3_busy_timeout (self->db, 2000);

  /* Checkpoints are the checkpointer thread's. Both settings are per
   * connection and change nothing in the file, so they are safe before we
   * know whose file it is. */
  if (!exec_sql (self, "PRAGMA synchronous = NORMAL", error) ||
      !exec_sql (self, "PRAGMA wal_autocheckpoint = 0", error))
    return FALSE;

  if (!migrate (self, error))
    return FALSE;

  /* Only now that the file is known to be ours: another program's WAL
   * files are left as that program wants them. */
  {
    int persist = 1;

    sqlite3_file_control (self->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  }

  sqlite3_wal_hook (self->db, wal_hook_cb, self);

  if (!prepare_open_statements (self, error))
    return FALSE;

  /* Ids for the first downloads added, so that even the first does not
   * wait for a transaction of its own, and the downloads as they are now,
   * for the first dl_store_list(). The commit is the writer thread's (see
   * commit_reservation()): the first write of a process starts a new WAL,
   * whose header and folder SQLite syncs, for milliseconds that the
   * caller (a program starting up, about to list its history and add
   * downloads) need not wait for. The ids are ours already: until the
   * commit, this connection holds the database's write lock, so no other
   * instance can reserve them. */
  {
    g_autoptr(GError) local_error = NULL;
    gint64 first_id = 0;

    if (!transaction_begin (self, error))
      return FALSE;
    rc = reserve_ids (self, &first_id);
    if (rc != SQLITE_OK)
      {
        transaction_end (self, rc, error);
        return FALSE;
      }
    self->snapshot = read_all_records (self, &local_error);
    if (self->snapshot == NULL)
      {
        step_done (self->rollback);
        g_propagate_error (error, g_steal_pointer (&local_error));
        return FALSE;
      }
    self->reservation_open = TRUE;
    use_reserved_ids (self, first_id);
  }

  return TRUE;
}

/* Stops the threads and closes the database. The last connection to close
 * checkpoints and empties the WAL, which syncs: this runs on a worker
 * thread when the caller is a task. */
static gboolean
close_database (DlStore  *self,
                GError  **error)
{
  g_mutex_lock (&self->queue_lock);
  self->stopping = TRUE;
  g_cond_signal (&self->work_cond);
  g_cond_signal (&self->checkpoint_cond);
  g_mutex_unlock (&self->queue_lock);

  /* The writer commits what is queued before it goes. */
  if (self->writer != NULL)
    g_thread_join (g_steal_pointer (&self->writer));
  if (self->checkpointer != NULL)
    g_thread_join (g_steal_pointer (&self->checkpointer));

  /* Opened, but no writer thread ever committed the first ids. */
  if (self->reservation_open)
    {
      self->reservation_open = FALSE;
      step_done (self->rollback);
    }
  g_clear_pointer (&self->snapshot, g_ptr_array_unref);

  g_clear_pointer (&self->begin, sqlite3_finalize);
  g_clear_pointer (&self->commit, sqlite3_finalize);
  g_clear_pointer (&self->rollback, sqlite3_finalize);
  g_clear_pointer (&self->insert, sqlite3_finalize);
  g_clear_pointer (&self->insert_with_id, sqlite3_finalize);
  g_clear_pointer (&self->get_sequence, sqlite3_finalize);
  g_clear_pointer (&self->set_sequence, sqlite3_finalize);
  g_clear_pointer (&self->new_sequence, sqlite3_finalize);
  g_clear_pointer (&self->update, sqlite3_finalize);
  g_clear_pointer (&self->update_progress, sqlite3_finalize);
  g_clear_pointer (&self->remove, sqlite3_finalize);
  g_clear_pointer (&self->lookup, sqlite3_finalize);
  g_clear_pointer (&self->list, sqlite3_finalize);
  g_clear_pointer (&self->remove_ranges, sqlite3_finalize);
  g_clear_pointer (&self->insert_range, sqlite3_finalize);
  g_clear_pointer (&self->lookup_ranges, sqlite3_finalize);
  g_clear_pointer (&self->list_ranges, sqlite3_finalize);
  g_clear_pointer (&self->checkpoint_db, sqlite3_close_v2);
  /* If this is the last connection, its checkpoint is complete and the
   * WAL, which stays (see open_database()), is cut to nothing, not left at
   * its largest. Only here: during the run, a WAL that restarts is reused
   * as it is. */
  if (self->db != NULL)
    sqlite3_exec (self->db, "PRAGMA journal_size_limit = 0", NULL, NULL, NULL);
  g_clear_pointer (&self->db, sqlite3_close_v2);
  g_clear_error (&self->writer_error);
  return TRUE;
}

/* Replaces the stored ranges of download @id with @ranges (none: removes
 * them). Ranges no download can have are left out. */
static int
write_ranges (DlStore      *self,
              gint64        id,
              const GArray *ranges)
{
  int rc;

  sqlite3_bind_int64 (self->remove_ranges, 1, id);
  rc = step_done (self->remove_ranges);
  for (guint i = 0; rc == SQLITE_OK && i < ranges->len; i++)
    {
      const DlStoreRange *range = &g_array_index (ranges, DlStoreRange, i);

      if (range->start < 0 || range->end <= range->start ||
          range->durable < range->start || range->durable > range->end)
        continue;
      sqlite3_bind_int64 (self->insert_range, 1, id);
      sqlite3_bind_int64 (self->insert_range, 2, range->start);
      sqlite3_bind_int64 (self->insert_range, 3, range->end);
      sqlite3_bind_int64 (self->insert_range, 4, range->durable);
      rc = step_done (self->insert_range);
    }
  return rc;
}

/* Reads the rows of @stmt (download id, start, end, durable) into the
 * ranges of the records in @by_id (id → DlStoreRecord). A range that does
 * not fit its record's size is not trusted: that record gets none, and
 * starts over. */
static int
read_ranges (sqlite3_stmt *stmt,
             GHashTable   *by_id)
{
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      DlStoreRecord *record = g_hash_table_lookup (by_id, &id);
      DlStoreRange range = {
        sqlite3_column_int64 (stmt, 1),
        sqlite3_column_int64 (stmt, 2),
        sqlite3_column_int64 (stmt, 3),
      };

      if (record == NULL)
        continue;
      if (record->ranges == NULL)
        record->ranges = g_array_new (FALSE, FALSE, sizeof (DlStoreRange));
      g_array_append_val (record->ranges, range);
      if (range.start < 0 || range.end <= range.start || range.durable < range.start ||
          range.durable > range.end || record->total_bytes < range.end)
        {
          g_message ("Download %" G_GINT64_FORMAT " in the history has an impossible range; "
                     "starting over", id);
          g_array_set_size (record->ranges, 0);
          record->resume_offset = 0;
          g_hash_table_remove (by_id, &id);
        }
    }
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Commits @batch (id → PendingWrite) in one transaction. */
static void
write_batch (DlStore    *self,
             GHashTable *batch)
{
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer key, value;
  gint64 first_id = 0;
  int rc;

  if (!transaction_begin (self, &error))
    goto out;

  rc = SQLITE_OK;
  g_hash_table_iter_init (&iter, batch);
  while (rc == SQLITE_OK && g_hash_table_iter_next (&iter, &key, &value))
    {
      PendingWrite *write = value;
      gint64 id = *(gint64 *) key;

      /* A download removed meanwhile updates no row, which is fine. */
      if (write->remove)
        {
          /* Never committed: nothing to remove. */
          if (write->insert)
            continue;
          sqlite3_bind_int64 (self->remove, 1, id);
          rc = step_done (self->remove);
        }
      else if (write->insert)
        {
          bind_record (self->insert_with_id, write->record);
          sqlite3_bind_int64 (self->insert_with_id, 19, id);
          rc = step_done (self->insert_with_id);
          if (rc == SQLITE_OK && write->record->ranges != NULL)
            rc = write_ranges (self, id, write->record->ranges);
        }
      else if (write->record != NULL)
        {
          bind_record (self->update, write->record);
          sqlite3_bind_int64 (self->update, 19, id);
          rc = step_done (self->update);
          if (rc == SQLITE_OK && write->record->ranges != NULL)
            rc = write_ranges (self, id, write->record->ranges);
        }
      else
        {
          sqlite3_bind_int64 (self->update_progress, 1, write->bytes_received);
          sqlite3_bind_int64 (self->update_progress, 2, write->resume_offset);
          sqlite3_bind_int64 (self->update_progress, 3, id);
          rc = step_done (self->update_progress);
        }
    }
  if (rc == SQLITE_OK && g_atomic_int_get (&self->reserve_wanted))
    rc = reserve_ids (self, &first_id);
  if (transaction_end (self, rc, &error))
    use_reserved_ids (self, first_id);

out:
  /* The downloads go on: losing their history entries is bad, stopping
   * the transfers for it would be worse. */
  if (error != NULL)
    g_debug ("Cannot record %u downloads: %s", g_hash_table_size (batch), error->message);
}

static void
execute_insert (DlStore *self,
                Request *request)
{
  GError **error = &request->error;
  gint64 first_id = 0;
  int rc;

  if (!transaction_begin (self, error))
    return;
  bind_record (self->insert, request->record);
  rc = step_done (self->insert);
  if (rc == SQLITE_OK)
    request->out_id = sqlite3_last_insert_rowid (self->db);
  if (rc == SQLITE_OK && request->record->ranges != NULL)
    rc = write_ranges (self, request->out_id, request->record->ranges);
  /* The next downloads need not wait: ids for them, in the same
   * transaction. */
  if (rc == SQLITE_OK && g_atomic_int_get (&self->reserve_wanted))
    rc = reserve_ids (self, &first_id);
  if (transaction_end (self, rc, error))
    use_reserved_ids (self, first_id);
  else
    request->out_id = 0;
}

/* Ends a transaction that was to change the row @id: none means it is not
 * there. */
static void
end_row_change (DlStore  *self,
                int       rc,
                gint64    id,
                GError  **error)
{
  if (rc == SQLITE_OK && sqlite3_changes (self->db) == 0)
    {
      step_done (self->rollback);
      g_set_error (error, DL_STORE_ERROR, DL_STORE_ERROR_NOT_FOUND,
                   "No download with id %" G_GINT64_FORMAT " in the store", id);
      return;
    }
  transaction_end (self, rc, error);
}

static void
execute_update (DlStore *self,
                Request *request)
{
  int rc;

  if (!transaction_begin (self, &request->error))
    return;
  bind_record (self->update, request->record);
  sqlite3_bind_int64 (self->update, 19, request->record->id);
  rc = step_done (self->update);
  if (rc == SQLITE_OK && sqlite3_changes (self->db) > 0 && request->record->ranges != NULL)
    {
      rc = write_ranges (self, request->record->id, request->record->ranges);
      transaction_end (self, rc, &request->error);
      return;
    }
  end_row_change (self, rc, request->record->id, &request->error);
}

static void
execute_update_progress (DlStore *self,
                         Request *request)
{
  int rc;

  if (!transaction_begin (self, &request->error))
    return;
  sqlite3_bind_int64 (self->update_progress, 1, request->bytes_received);
  sqlite3_bind_int64 (self->update_progress, 2, request->resume_offset);
  sqlite3_bind_int64 (self->update_progress, 3, request->id);
  rc = step_done (self->update_progress);
  end_row_change (self, rc, request->id, &request->error);
}

static void
execute_lookup (DlStore *self,
                Request *request)
{
  int rc;

  sqlite3_bind_int64 (self->lookup, 1, request->id);
  rc = sqlite3_step (self->lookup);
  if (rc == SQLITE_ROW)
    {
      g_autoptr(GHashTable) by_id = g_hash_table_new (g_int64_hash, g_int64_equal);

      request->out_record = read_record (self->lookup);
      g_hash_table_insert (by_id, &request->out_record->id, request->out_record);
      sqlite3_bind_int64 (self->lookup_ranges, 1, request->id);
      rc = read_ranges (self->lookup_ranges, by_id);
      if (rc != SQLITE_OK)
        {
          set_sqlite_error (self, self->db, rc, &request->error, "Cannot read the download store");
          g_clear_pointer (&request->out_record, dl_store_record_free);
        }
    }
  else if (rc == SQLITE_DONE)
    g_set_error (&request->error, DL_STORE_ERROR, DL_STORE_ERROR_NOT_FOUND,
                 "No download with id %" G_GINT64_FORMAT " in the store", request->id);
  else
    set_sqlite_error (self, self->db, rc, &request->error, "Cannot read the download store");
  sqlite3_reset (self->lookup);
  sqlite3_clear_bindings (self->lookup);
}

static void
execute_list (DlStore *self,
              Request *request)
{
  request->out_records = read_all_records (self, &request->error);
}

/* Runs @request on the writer thread. */
static void
execute_request (DlStore *self,
                 Request *request)
{
  GError **error = &request->error;
  int rc;

  switch (request->op)
    {
    case REQUEST_INSERT:
      execute_insert (self, request);
      break;

    case REQUEST_UPDATE:
      execute_update (self, request);
      break;

    case REQUEST_UPDATE_PROGRESS:
      execute_update_progress (self, request);
      break;

    case REQUEST_REMOVE:
      if (!transaction_begin (self, error))
        break;
      sqlite3_bind_int64 (self->remove, 1, request->id);
      rc = step_done (self->remove);
      transaction_end (self, rc, error);
      break;

    case REQUEST_LOOKUP:
      execute_lookup (self, request);
      break;

    case REQUEST_LIST:
      execute_list (self, request);
      break;

    default:
      g_assert_not_reached ();
    }
}

/* ---- the threads --------------------------------------------------------------------- */

static int
wal_hook_cb (gpointer    user_data,
             sqlite3    *db,
             const char *name,
             int         n_frames)
{
  DlStore *self = user_data;

  /* Runs inside every commit: only note the size. */
  g_atomic_int_set (&self->wal_frames, n_frames);
  return SQLITE_OK;
}

static void
request_clear (Request *request)
{
  if (request->destroy != NULL)
    request->destroy (request->user_data);
  g_clear_pointer (&request->record, dl_store_record_free);
  g_clear_pointer (&request->out_record, dl_store_record_free);
  g_clear_pointer (&request->out_records, g_ptr_array_unref);
  g_clear_pointer (&request->future, bridge_future_unref);
  g_clear_error (&request->error);
}

static void
request_unref (Request *request)
{
  g_atomic_rc_box_release_full (request, (GDestroyNotify) request_clear);
}

static void
request_unref_notify (gpointer data)
{
  request_unref (data);
}

/* On the waiting task's loop thread. */
static void
request_complete_cb (gpointer user_data)
{
  Request *request = user_data;

  /* Already done if the task gave up waiting. */
  if (!bridge_future_is_done (request->future))
    bridge_future_set_boolean (request->future, TRUE, NULL);
}

/* The writer thread is done with @request: wakes its caller and drops the
 * writer's reference. */
static void
request_finished (DlStore *self,
                  Request *request)
{
  BridgeHandle *handle = NULL;

  g_mutex_lock (&self->queue_lock);
  request->done = TRUE;
  g_cond_broadcast (&self->done_cond);
  g_mutex_unlock (&self->queue_lock);

  /* A task's future is completed, and released, on its loop's thread:
   * futures are only ever let go of where they belong. */
  if (request->future != NULL)
    handle = bridge_loop_call_soon_threadsafe (bridge_future_get_loop (request->future),
                                               request_complete_cb, request, request_unref_notify);
  if (handle != NULL)
    bridge_handle_unref (handle);
  else
    request_unref (request);
}

/* With queue_lock held: the queued writes that can be committed now (the
 * held ones stay behind), taken out of the queue. */
static GHashTable *
take_batch_locked (DlStore *self)
{
  GHashTable *batch;
  GHashTableIter iter;
  gpointer key, value;

  if (self->n_held == 0)
    {
      batch = g_steal_pointer (&self->pending);
      self->pending = pending_table_new ();
      return batch;
    }

  batch = pending_table_new ();
  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (((PendingWrite *) value)->held)
        continue;
      g_hash_table_iter_steal (&iter);
      g_hash_table_insert (batch, key, value);
    }
  return batch;
}

/* With queue_lock held, on the writer thread: wakes the checkpointer once
 * the WAL has grown, starting it the first time (most runs of the CLI
 * never need one: closing checkpoints). */
static void
maybe_checkpoint_locked (DlStore *self)
{
  if (g_atomic_int_get (&self->wal_frames) < CHECKPOINT_FRAMES)
    return;

  g_atomic_int_set (&self->wal_frames, 0);
  self->checkpoint_wanted = TRUE;
  if (self->checkpointer == NULL)
    self->checkpointer = g_thread_new ("dl-store-checkpoint", checkpointer_thread, self);
  else
    g_cond_signal (&self->checkpoint_cond);
}

/* The writer thread, first thing: commits the transaction in which
 * open_database() reserved the first ids. Should it fail, the ids were
 * never ours: the ones not handed out yet are dropped. */
static void
commit_reservation (DlStore *self)
{
  g_autoptr(GError) error = NULL;

  if (!self->reservation_open)
    return;
  self->reservation_open = FALSE;

  if (!transaction_end (self, SQLITE_OK, &error))
    {
      g_debug ("Cannot reserve ids in “%s”: %s", self->path, error->message);
      g_mutex_lock (&self->queue_lock);
      self->next_id = self->id_limit = 0;
      g_mutex_unlock (&self->queue_lock);
    }
}

static gpointer
writer_thread (gpointer data)
{
  /* Not a reference: closing joins this thread before anything of the
   * store goes away. */
  DlStore *self = data;
  gint64 last_commit = 0;

  commit_reservation (self);
  if (!prepare_writer_statements (self, &self->writer_error))
    g_debug ("Cannot write to “%s”: %s", self->path, self->writer_error->message);

  g_mutex_lock (&self->queue_lock);

  for (;;)
    {
      g_autoptr(GHashTable) batch = NULL;
      Request *request = g_queue_peek_head (&self->requests);
      gboolean has_pending = g_hash_table_size (self->pending) > self->n_held;

      /* A call sees every write queued before it, held ones included: it
       * waits for their release (from another thread, soon). */
      if (request != NULL && self->n_held > 0)
        {
          g_cond_wait (&self->work_cond, &self->queue_lock);
          continue;
        }

      if (request == NULL && !has_pending)
        {
          if (self->stopping && self->n_held == 0)
            break;
          if (g_atomic_int_get (&self->reserve_wanted))
            {
              /* An empty batch: the transaction only reserves ids. */
              g_mutex_unlock (&self->queue_lock);
              batch = pending_table_new ();
              write_batch (self, batch);
              g_clear_pointer (&batch, g_hash_table_unref);
              g_mutex_lock (&self->queue_lock);
              continue;
            }
          g_cond_wait (&self->work_cond, &self->queue_lock);
          continue;
        }

      /* Queued writes wait for company unless a call waits for them:
       * progress updates go in at most once per interval, state changes
       * after a moment. */
      if (request == NULL && !self->stopping)
        {
          gint64 due = last_commit + FLUSH_INTERVAL_USEC;

          if (self->urgent_since != 0)
            due = MIN (due, self->urgent_since + URGENT_DELAY_USEC);
          if (g_get_monotonic_time () < due)
            {
              g_cond_wait_until (&self->work_cond, &self->queue_lock, due);
              continue;
            }
        }

      g_queue_pop_head (&self->requests);
      if (has_pending)
        batch = take_batch_locked (self);
      self->urgent_since = 0;
      g_mutex_unlock (&self->queue_lock);

      /* Without its statements, every write and call fails with the
       * reason, which never happens with a database that opened. */
      if (G_UNLIKELY (self->writer_error != NULL))
        {
          g_clear_pointer (&batch, g_hash_table_unref);
          if (request != NULL)
            request->error = g_error_copy (self->writer_error);
        }

      /* The queued writes first: a call sees them, and is not overtaken by
       * them. */
      if (batch != NULL)
        {
          write_batch (self, batch);
          last_commit = g_get_monotonic_time ();
        }
      if (request != NULL && request->error == NULL)
        execute_request (self, request);

      if (request != NULL)
        request_finished (self, request);

      g_mutex_lock (&self->queue_lock);
      maybe_checkpoint_locked (self);
    }

  g_mutex_unlock (&self->queue_lock);
  return NULL;
}

static gpointer
checkpointer_thread (gpointer data)
{
  DlStore *self = data;
  g_autoptr(GError) error = NULL;

  /* Without it, the WAL grows until the last connection closes, which
   * checkpoints it. */
  if (!open_checkpoint_connection (self, &error))
    {
      g_debug ("No checkpoints of “%s” before it closes: %s", self->path, error->message);
      return NULL;
    }

  g_mutex_lock (&self->queue_lock);

  for (;;)
    {
      int n_log = 0;
      int n_done = 0;
      int rc;

      while (!self->checkpoint_wanted && !self->stopping)
        g_cond_wait (&self->checkpoint_cond, &self->queue_lock);
      if (self->stopping)
        break;
      self->checkpoint_wanted = FALSE;
      g_mutex_unlock (&self->queue_lock);

      /* PASSIVE: copy what no reader still needs, wait for nobody. Whatever
       * is left is copied by a later checkpoint. */
      rc = sqlite3_wal_checkpoint_v2 (self->checkpoint_db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                      &n_log, &n_done);
      if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
        g_debug ("Cannot checkpoint “%s”: %s", self->path, sqlite3_errmsg (self->checkpoint_db));

      g_mutex_lock (&self->queue_lock);
    }

  g_mutex_unlock (&self->queue_lock);
  return NULL;
}

/* ---- requests ------------------------------------------------------------------------ */

static Request *
request_new (RequestOp op)
{
  Request *request = g_atomic_rc_box_new0 (Request);

  request->op = op;
  return request;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Request, request_unref)

static gboolean
check_open (DlStore  *self,
            GError  **error)
{
  if (self->writer != NULL)
    return TRUE;
  g_set_error (error, DL_STORE_ERROR, DL_STORE_ERROR_FAILED,
               "The download store “%s” is closed", self->path);
  return FALSE;
}

/* Hands @request to the writer thread and waits for it to be done. */
static gboolean
run_request (DlStore    *self,
             Request    *request,
             const char *function,
             GError    **error)
{
  gboolean done;

  check_not_blocking_loop (function);
  if (!check_open (self, error))
    return FALSE;

  if (bridge_task_get_current () != NULL)
    request->future = bridge_future_new ();

  g_mutex_lock (&self->queue_lock);
  g_clear_pointer (&self->snapshot, g_ptr_array_unref);
  g_queue_push_tail (&self->requests, g_atomic_rc_box_acquire (request));
  g_cond_signal (&self->work_cond);
  if (request->future == NULL)
    {
      while (!request->done)
        g_cond_wait (&self->done_cond, &self->queue_lock);
    }
  g_mutex_unlock (&self->queue_lock);

  if (request->future != NULL)
    await_uninterrupted (request->future);

  g_mutex_lock (&self->queue_lock);
  done = request->done;
  g_mutex_unlock (&self->queue_lock);

  if (!done)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "Cancelled while waiting for the download store");
      return FALSE;
    }
  if (request->error != NULL)
    {
      g_propagate_error (error, g_error_copy (request->error));
      return FALSE;
    }
  return TRUE;
}

/* ---- public API ---------------------------------------------------------------- */

/**
 * dl_store_open:
 * @path: (nullable): the database file, or %NULL for
 *   dl_store_get_default_path()
 * @error: return location for a #GError
 *
 * Opens or creates the store, creating its folder if needed. A damaged file
 * fails with %DL_STORE_ERROR_CORRUPT, a newer schema with
 * %DL_STORE_ERROR_VERSION, another program's database with
 * %DL_STORE_ERROR_FOREIGN; the file is left untouched in those cases.
 *
 * Creating a store syncs it a few times, for milliseconds: called from a
 * task, this waits for a worker thread that does the work.
 *
 * Returns: (transfer full): the store, or %NULL with @error set
 */
DlStore *
dl_store_open (const char  *path,
               GError     **error)
{
  g_autoptr(DlStore) self = NULL;

  self = g_object_new (DL_TYPE_STORE, NULL);
  self->path = path != NULL ? g_strdup (path) : dl_store_get_default_path ();

  if (!run_blocking (self, open_database, G_STRFUNC, error))
    return NULL;

  self->writer = g_thread_new ("dl-store-writer", writer_thread, self);

  return g_steal_pointer (&self);
}

/**
 * dl_store_close:
 * @self: a #DlStore
 *
 * Commits the queued writes and closes the database; later calls fail.
 * Finalizing the store closes it too. Called from a task, this waits for a
 * worker thread that does the work (the last connection to a database
 * checkpoints it, which syncs).
 */
void
dl_store_close (DlStore *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (DL_IS_STORE (self));

  if (self->db == NULL && self->writer == NULL)
    return;

  if (!run_blocking (self, close_database, G_STRFUNC, &error))
    g_debug ("Not waiting for the download store to close: %s", error->message);
}

const char *
dl_store_get_path (DlStore *self)
{
  g_return_val_if_fail (DL_IS_STORE (self), NULL);

  return self->path;
}

/**
 * dl_store_insert:
 * @self: a #DlStore
 * @record: the download; its @id is set on success
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the record is stored (committed)
 */
gboolean
dl_store_insert (DlStore        *self,
                 DlStoreRecord  *record,
                 GError        **error)
{
  g_autoptr(Request) request = NULL;

  g_return_val_if_fail (DL_IS_STORE (self), FALSE);
  g_return_val_if_fail (record != NULL && record->url != NULL && record->output_dir != NULL, FALSE);

  request = request_new (REQUEST_INSERT);
  request->record = dl_store_record_copy (record);
  if (!run_request (self, request, G_STRFUNC, error))
    return FALSE;

  record->id = request->out_id;
  return TRUE;
}

static void
insert_done_cb (BridgeFuture *future,
                gpointer      user_data)
{
  Request *request = user_data;

  if (bridge_future_is_cancelled (future) || !request->done)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                     "The download store closed");

      request->callback (0, error, request->user_data);
      return;
    }
  request->callback (request->out_id, request->error, request->user_data);
}

/**
 * dl_store_insert_async:
 * @self: a #DlStore
 * @record: the download (copied)
 * @callback: called on the calling loop's thread once the record is
 *   committed, with its id, or with an error and 0
 * @user_data: for @callback
 * @destroy: (nullable): frees @user_data after @callback ran
 *
 * Like dl_store_insert(), without waiting: for the loop thread outside a
 * task, when dl_store_queue_insert() has no reserved id left.
 */
void
dl_store_insert_async (DlStore               *self,
                       const DlStoreRecord   *record,
                       DlStoreInsertCallback  callback,
                       gpointer               user_data,
                       GDestroyNotify         destroy)
{
  g_autoptr(Request) request = NULL;

  g_return_if_fail (DL_IS_STORE (self));
  g_return_if_fail (record != NULL && record->url != NULL && record->output_dir != NULL);
  g_return_if_fail (callback != NULL);

  request = request_new (REQUEST_INSERT);
  request->record = dl_store_record_copy (record);
  request->callback = callback;
  request->user_data = user_data;
  request->destroy = destroy;
  request->future = bridge_future_new ();
  bridge_future_add_done_callback (request->future, insert_done_cb,
                                   g_atomic_rc_box_acquire (request), request_unref_notify);

  if (self->writer == NULL)
    {
      bridge_future_cancel (request->future, "The download store is closed");
      return;
    }

  g_mutex_lock (&self->queue_lock);
  g_clear_pointer (&self->snapshot, g_ptr_array_unref);
  g_queue_push_tail (&self->requests, g_atomic_rc_box_acquire (request));
  g_cond_signal (&self->work_cond);
  g_mutex_unlock (&self->queue_lock);
}

/**
 * dl_store_update:
 * @self: a #DlStore
 * @record: the download, with @id from dl_store_insert()
 * @error: return location for a #GError
 *
 * Replaces every column of the stored record.
 *
 * Returns: %TRUE if committed; %DL_STORE_ERROR_NOT_FOUND if no such id
 */
gboolean
dl_store_update (DlStore              *self,
                 const DlStoreRecord  *record,
                 GError              **error)
{
  g_autoptr(Request) request = NULL;

  g_return_val_if_fail (DL_IS_STORE (self), FALSE);
  g_return_val_if_fail (record != NULL && record->url != NULL && record->output_dir != NULL, FALSE);

  request = request_new (REQUEST_UPDATE);
  request->record = dl_store_record_copy (record);
  return run_request (self, request, G_STRFUNC, error);
}

/**
 * dl_store_update_progress:
 * @self: a #DlStore
 * @id: the download
 * @bytes_received: bytes written so far
 * @resume_offset: bytes synced to disk, where a restart resumes
 * @error: return location for a #GError
 *
 * Records a running download's progress at once. The engine uses
 * dl_store_queue_progress() instead.
 *
 * Returns: %TRUE if committed
 */
gboolean
dl_store_update_progress (DlStore  *self,
                          gint64    id,
                          gint64    bytes_received,
                          gint64    resume_offset,
                          GError  **error)
{
  g_autoptr(Request) request = NULL;

  g_return_val_if_fail (DL_IS_STORE (self), FALSE);

  request = request_new (REQUEST_UPDATE_PROGRESS);
  request->id = id;
  request->bytes_received = bytes_received;
  request->resume_offset = resume_offset;
  return run_request (self, request, G_STRFUNC, error);
}

/**
 * dl_store_remove:
 * @self: a #DlStore
 * @id: the download
 * @error: return location for a #GError
 *
 * Forgets a download. Removing an id that is not there is not an error.
 *
 * Returns: %TRUE if committed
 */
gboolean
dl_store_remove (DlStore  *self,
                 gint64    id,
                 GError  **error)
{
  g_autoptr(Request) request = NULL;

  g_return_val_if_fail (DL_IS_STORE (self), FALSE);

  request = request_new (REQUEST_REMOVE);
  request->id = id;
  return run_request (self, request, G_STRFUNC, error);
}

/**
 * dl_store_lookup:
 * @self: a #DlStore
 * @id: the download
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the record, or %NULL with
 *   %DL_STORE_ERROR_NOT_FOUND or another error
 */
DlStoreRecord *
dl_store_lookup (DlStore  *self,
                 gint64    id,
                 GError  **error)
{
  g_autoptr(Request) request = NULL;

  g_return_val_if_fail (DL_IS_STORE (self), NULL);

  request = request_new (REQUEST_LOOKUP);
  request->id = id;
  if (!run_request (self, request, G_STRFUNC, error))
    return NULL;
  return g_steal_pointer (&request->out_record);
}

/**
 * dl_store_list:
 * @self: a #DlStore
 * @error: return location for a #GError
 *
 * Every stored download, oldest first: the history and the ones to resume.
 *
 * Returns: (transfer full) (element-type DlStoreRecord): the records, or
 *   %NULL with @error set
 */
GPtrArray *
dl_store_list (DlStore  *self,
               GError  **error)
{
  g_autoptr(Request) request = NULL;
  GPtrArray *snapshot;

  g_return_val_if_fail (DL_IS_STORE (self), NULL);

  /* Nothing was written since the store was opened: the downloads read
   * then are the list, without a wait for the writer thread (which may be
   * syncing the first commit). */
  g_mutex_lock (&self->queue_lock);
  snapshot = g_steal_pointer (&self->snapshot);
  g_mutex_unlock (&self->queue_lock);
  if (snapshot != NULL)
    return snapshot;

  request = request_new (REQUEST_LIST);
  if (!run_request (self, request, G_STRFUNC, error))
    return NULL;
  return g_steal_pointer (&request->out_records);
}

/* The queued write of download @id, new if there is none; called with
 * @queue_lock held. */
static PendingWrite *
pending_lookup (DlStore *self,
                gint64   id)
{
  PendingWrite *write = g_hash_table_lookup (self->pending, &id);

  /* The history changes: what was read when opening is out of date. */
  g_clear_pointer (&self->snapshot, g_ptr_array_unref);

  if (write == NULL)
    {
      write = g_new0 (PendingWrite, 1);
      g_hash_table_insert (self->pending, g_memdup2 (&id, sizeof id), write);
    }
  return write;
}

/**
 * dl_store_queue_insert:
 * @self: a #DlStore
 * @record: the download; its @id is set on success
 *
 * Like dl_store_insert(), but without waiting for SQLite: the record gets
 * an id reserved beforehand and is committed by the store's writer thread
 * within a few milliseconds, with the writes queued meanwhile (later
 * dl_store_queue_update() and dl_store_queue_progress() calls for it
 * included). Errors are logged.
 *
 * Returns: %FALSE, and queues nothing, when no reserved id is left (more
 *   are reserved at once, for the next calls): use dl_store_insert() then
 */
gboolean
dl_store_queue_insert (DlStore       *self,
                       DlStoreRecord *record)
{
  PendingWrite *write;
  gint64 id;

  g_return_val_if_fail (DL_IS_STORE (self), FALSE);
  g_return_val_if_fail (record != NULL && record->url != NULL && record->output_dir != NULL, FALSE);

  if (self->writer == NULL)
    return FALSE;

  g_mutex_lock (&self->queue_lock);

  if (self->id_limit - self->next_id <= RESERVED_IDS / 2 &&
      !g_atomic_int_get (&self->reserve_wanted))
    {
      g_atomic_int_set (&self->reserve_wanted, TRUE);
      g_cond_signal (&self->work_cond);
    }

  if (self->next_id >= self->id_limit)
    {
      g_mutex_unlock (&self->queue_lock);
      return FALSE;
    }

  id = self->next_id++;
  record->id = id;
  write = pending_lookup (self, id);
  write->record = dl_store_record_copy (record);
  write->insert = TRUE;
  if (self->urgent_since == 0)
    {
      self->urgent_since = g_get_monotonic_time ();
      g_cond_signal (&self->work_cond);
    }
  g_mutex_unlock (&self->queue_lock);
  return TRUE;
}

/* With queue_lock held: @record, copied, replaces what is queued for its
 * download. */
static PendingWrite *
queue_record_locked (DlStore             *self,
                     const DlStoreRecord *record)
{
  PendingWrite *write = pending_lookup (self, record->id);

  g_clear_pointer (&write->record, dl_store_record_free);
  write->record = dl_store_record_copy (record);
  return write;
}

/**
 * dl_store_queue_update:
 * @self: a #DlStore
 * @record: the download, with @id from dl_store_insert()
 *
 * Like dl_store_update(), but returns at once, without waiting for SQLite:
 * the store's writer thread commits the record within a few milliseconds,
 * in one transaction with the other writes queued meanwhile. Later writes
 * to the same download replace this one if it is still queued. Errors are
 * logged. After dl_store_close() this does nothing.
 */
void
dl_store_queue_update (DlStore             *self,
                       const DlStoreRecord *record)
{
  g_return_if_fail (DL_IS_STORE (self));
  g_return_if_fail (record != NULL && record->id > 0);
  g_return_if_fail (record->url != NULL && record->output_dir != NULL);

  if (self->writer == NULL)
    return;

  g_mutex_lock (&self->queue_lock);
  queue_record_locked (self, record);
  /* Wake the writer only when this moves its deadline: each wake-up is a
   * context switch, and hundreds of downloads change state. */
  if (self->urgent_since == 0)
    {
      self->urgent_since = g_get_monotonic_time ();
      g_cond_signal (&self->work_cond);
    }
  g_mutex_unlock (&self->queue_lock);
}

/**
 * dl_store_queue_update_held:
 * @self: a #DlStore
 * @record: the download, with @id from dl_store_insert()
 *
 * Like dl_store_queue_update(), but the write is not committed until
 * dl_store_release() is called for the download (from any thread): for a
 * state that must not become durable before something else is (a download
 * recorded as done before the rename of its file is). Meanwhile the calls
 * that wait for queued writes wait for this one too, so call
 * dl_store_release() soon, and from a thread that does not wait for the
 * store.
 */
void
dl_store_queue_update_held (DlStore             *self,
                            const DlStoreRecord *record)
{
  PendingWrite *write;

  g_return_if_fail (DL_IS_STORE (self));
  g_return_if_fail (record != NULL && record->id > 0);
  g_return_if_fail (record->url != NULL && record->output_dir != NULL);

  if (self->writer == NULL)
    return;

  g_mutex_lock (&self->queue_lock);
  write = queue_record_locked (self, record);
  if (!write->held)
    {
      write->held = TRUE;
      self->n_held++;
    }
  g_mutex_unlock (&self->queue_lock);
}

/**
 * dl_store_release:
 * @self: a #DlStore
 * @id: a download with a write queued by dl_store_queue_update_held()
 *
 * Lets the held write be committed, within a few milliseconds. Thread-safe.
 */
void
dl_store_release (DlStore *self,
                  gint64   id)
{
  PendingWrite *write;

  g_return_if_fail (DL_IS_STORE (self));

  g_mutex_lock (&self->queue_lock);
  write = g_hash_table_lookup (self->pending, &id);
  if (write != NULL && write->held)
    {
      write->held = FALSE;
      self->n_held--;
      if (self->urgent_since == 0)
        self->urgent_since = g_get_monotonic_time ();
      g_cond_signal (&self->work_cond);
    }
  g_mutex_unlock (&self->queue_lock);
}

/**
 * dl_store_queue_progress:
 * @self: a #DlStore
 * @id: the download
 * @bytes_received: bytes written so far
 * @resume_offset: bytes synced to disk, where a restart resumes
 *
 * Like dl_store_update_progress(), but returns at once, without waiting
 * for SQLite: the store's writer thread commits the progress of all
 * running downloads together, at most a quarter of a second after it was
 * queued. After dl_store_close() this does nothing.
 */
void
dl_store_queue_progress (DlStore *self,
                         gint64   id,
                         gint64   bytes_received,
                         gint64   resume_offset)
{
  PendingWrite *write;

  g_return_if_fail (DL_IS_STORE (self));
  g_return_if_fail (id > 0);

  if (self->writer == NULL)
    return;

  g_mutex_lock (&self->queue_lock);
  /* The writer waits without a deadline only when nothing is queued. */
  if (g_hash_table_size (self->pending) == 0)
    g_cond_signal (&self->work_cond);
  write = pending_lookup (self, id);
  if (write->record != NULL)
    {
      write->record->bytes_received = bytes_received;
      write->record->resume_offset = resume_offset;
    }
  else
    {
      write->bytes_received = bytes_received;
      write->resume_offset = resume_offset;
    }
  g_mutex_unlock (&self->queue_lock);
}

/**
 * dl_store_queue_remove:
 * @self: a #DlStore
 * @id: the download
 *
 * Like dl_store_remove(), but returns at once, without waiting for SQLite:
 * the store's writer thread commits the removal within a few milliseconds,
 * and nothing queued for the download afterwards brings it back. After
 * dl_store_close() this does nothing.
 */
void
dl_store_queue_remove (DlStore *self,
                       gint64   id)
{
  PendingWrite *write;

  g_return_if_fail (DL_IS_STORE (self));
  g_return_if_fail (id > 0);

  if (self->writer == NULL)
    return;

  g_mutex_lock (&self->queue_lock);
  write = pending_lookup (self, id);
  write->remove = TRUE;
  if (self->urgent_since == 0)
    {
      self->urgent_since = g_get_monotonic_time ();
      g_cond_signal (&self->work_cond);
    }
  g_mutex_unlock (&self->queue_lock);
}
