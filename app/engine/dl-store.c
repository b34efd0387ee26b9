/* dl-store.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "dl-store"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
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
 * ## Calling from the loop thread
 *
 * The frequent writes of running downloads (their progress and state
 * changes) do not touch SQLite on the caller's thread at all:
 * dl_store_queue_update() and dl_store_queue_progress() only note the write
 * in memory, and a writer thread of the store commits everything noted
 * since its last commit in one transaction: a state change within a few
 * milliseconds, a progress update within a quarter of a second (so 200
 * running downloads cost one commit per interval, not 200). Writes to one
 * download coalesce: only the latest values are written.
 *
 * The automatic checkpoint is off. The checkpoint is the one operation
 * that syncs (the WAL, then the database), for milliseconds; the writer
 * thread runs it on a connection of its own when the WAL has grown past
 * a thousand pages, so it never holds up the caller or a commit.
 *
 * The other calls stay synchronous, for the rare operations that need a
 * result at once (an insert gives the download its id) and for other users
 * of the store: each first waits for the queued writes to be committed, so
 * a read always sees them and a direct write is never overtaken by an older
 * queued one. With WAL and `synchronous=NORMAL` a commit is a `write()` to
 * the WAL with no fsync: tens of microseconds.
 */

/* A progress update is committed at most this long after it was queued. */
#define FLUSH_INTERVAL_USEC (250 * 1000)

/* A state change waits this long for others to share its transaction. */
#define URGENT_DELAY_USEC (2 * 1000)

/* The WAL is checkpointed once it holds this many pages (SQLite's default
 * for its automatic checkpoint). */
#define CHECKPOINT_FRAMES 1000

/* A write waiting for the writer thread: a whole record, or only the
 * offsets of a running download. */
typedef struct
{
  DlStoreRecord *record;
  gint64         bytes_received;
  gint64         resume_offset;
} PendingWrite;

struct _DlStore
{
  GObject       parent_instance;

  char         *path;
  sqlite3      *db;
  GMutex        db_lock;        /* @db and its statements: the caller's thread and the writer's */
  sqlite3      *checkpoint_db;  /* the writer thread's, for checkpoints only */

  /* The write-behind queue. */
  GThread      *writer;
  GMutex        queue_lock;
  GCond         work_cond;      /* the writer waits for work */
  GCond         done_cond;      /* dl_store_flush() waits for the writer */
  GHashTable   *pending;        /* id → PendingWrite */
  guint64       n_queued;       /* writes ever queued */
  guint64       n_committed;    /* of those, the ones the writer is done with */
  guint         n_flushers;     /* callers waiting in dl_store_flush() */
  gint64        urgent_since;   /* when the oldest queued state change came, or 0 */
  gboolean      stopping;
  gint          wal_frames;     /* atomic: pages in the WAL after the last commit */

  /* Prepared once, reset after each use. */
  sqlite3_stmt *begin;
  sqlite3_stmt *commit;
  sqlite3_stmt *rollback;
  sqlite3_stmt *insert;
  sqlite3_stmt *update;
  sqlite3_stmt *update_progress;
  sqlite3_stmt *remove;
  sqlite3_stmt *lookup;
  sqlite3_stmt *list;
};

G_DEFINE_FINAL_TYPE (DlStore, dl_store, G_TYPE_OBJECT)

static gpointer writer_thread (gpointer     data);
static int      wal_hook_cb   (gpointer     user_data,
                               sqlite3     *db,
                               const char  *name,
                               int          n_frames);

G_DEFINE_QUARK (dl-store-error-quark, dl_store_error)

/* "BDld" in PRAGMA application_id tells our database from another program's
 * SQLite file at the same path. */
#define DL_STORE_APPLICATION_ID 0x42446c64

#define SELECT_COLUMNS \
  "id, url, output_dir, file_name, state, bytes_received, resume_offset, " \
  "total_bytes, etag, last_modified, sha256, error_message, attempts, "     \
  "created_at, finished_at"

/* Each entry upgrades the schema from version (index) to (index + 1). Add new
 * migrations at the end; never edit a released one. */
static const char * const migrations[] = {
  /* 0 → 1 */
  "CREATE TABLE downloads ("
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
  "CREATE INDEX downloads_state ON downloads (state);",
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

static void
dl_store_finalize (GObject *object)
{
  DlStore *self = (DlStore *) object;

  dl_store_close (self);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_mutex_clear (&self->db_lock);
  g_mutex_clear (&self->queue_lock);
  g_cond_clear (&self->work_cond);
  g_cond_clear (&self->done_cond);

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
  g_mutex_init (&self->db_lock);
  g_mutex_init (&self->queue_lock);
  g_cond_init (&self->work_cond);
  g_cond_init (&self->done_cond);
  self->pending = pending_table_new ();
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

/* Brings the schema to DL_STORE_SCHEMA_VERSION, refusing files that are not
 * ours or are newer than we understand: guessing at another schema could
 * destroy the user's history. */
static gboolean
migrate (DlStore  *self,
         GError  **error)
{
  gint64 version = 0;
  gint64 application_id = 0;
  gint64 n_objects = 0;
  gint64 ignored;

  /* The first real read: a file that is not a database fails here. */
  if (!query_int (self, "PRAGMA application_id", &application_id, error) ||
      !query_int (self, "PRAGMA user_version", &version, error) ||
      !query_int (self, "SELECT count(*) FROM sqlite_schema", &n_objects, error))
    return FALSE;

  if (application_id != 0 && application_id != DL_STORE_APPLICATION_ID)
    {
      g_set_error (error, DL_STORE_ERROR, DL_STORE_ERROR_FOREIGN,
                   "“%s” belongs to another program (application id %#" G_GINT64_MODIFIER "x)",
                   self->path, application_id);
      return FALSE;
    }

  if (application_id == 0 && n_objects > 0)
    {
      g_set_error (error, DL_STORE_ERROR, DL_STORE_ERROR_FOREIGN,
                   "“%s” is a database of another program", self->path);
      return FALSE;
    }

  if (version > DL_STORE_SCHEMA_VERSION || version < 0)
    {
      g_set_error (error, DL_STORE_ERROR, DL_STORE_ERROR_VERSION,
                   "“%s” has schema version %" G_GINT64_FORMAT ", but this version of "
                   "Downloader only knows versions up to %d; it was written by a newer "
                   "version", self->path, version, DL_STORE_SCHEMA_VERSION);
      return FALSE;
    }

  /* WAL before the first write: a new store is then created without a
   * single fsync (the rollback journal of the default mode syncs the
   * journal, the database and the folder for every transaction), which
   * matters because the program opens it on its main loop. journal_mode
   * returns the mode it ended up in; a file system without shared memory
   * support stays in rollback mode, which is still atomic. */
  if (!query_int (self, "PRAGMA journal_mode = WAL", &ignored, error))
    return FALSE;

  while (version < DL_STORE_SCHEMA_VERSION)
    {
      g_autofree char *sql = NULL;

      /* One transaction per step, so a crash mid-migration leaves the
       * previous version intact. */
      sql = g_strdup_printf ("BEGIN IMMEDIATE;"
                             "%s"
                             "PRAGMA application_id = %d;"
                             "PRAGMA user_version = %" G_GINT64_FORMAT ";"
                             "COMMIT;",
                             migrations[version], DL_STORE_APPLICATION_ID, version + 1);
      if (!exec_sql (self, sql, error))
        {
          sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
          return FALSE;
        }
      version++;
    }

  return TRUE;
}

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
 * Returns: (transfer full): the store, or %NULL with @error set
 */
DlStore *
dl_store_open (const char  *path,
               GError     **error)
{
  g_autoptr(DlStore) self = NULL;
  g_autofree char *dir = NULL;
  int rc;

  self = g_object_new (DL_TYPE_STORE, NULL);
  self->path = path != NULL ? g_strdup (path) : dl_store_get_default_path ();

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot create the folder “%s”: %s", dir, g_strerror (saved_errno));
      return NULL;
    }

  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                        NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (self, self->db, rc, error, "Cannot open the download store");
      return NULL;
    }

  /* Another instance (the CLI next to the app) may be writing: wait a little
   * rather than fail at once. Writes are tiny, so a lock is held briefly. */
  sqlite3_busy_timeout (self->db, 2000);

  /* Checkpoints are the writer thread's (see the top of this file). Both
   * settings are per connection and change nothing in the file, so they
   * are safe before we know whose file it is. */
  if (!exec_sql (self, "PRAGMA synchronous = NORMAL", error) ||
      !exec_sql (self, "PRAGMA wal_autocheckpoint = 0", error))
    return NULL;

  if (!migrate (self, error))
    return NULL;

  sqlite3_wal_hook (self->db, wal_hook_cb, self);

  if (!prepare (self, "BEGIN IMMEDIATE", &self->begin, error) ||
      !prepare (self, "COMMIT", &self->commit, error) ||
      !prepare (self, "ROLLBACK", &self->rollback, error) ||
      !prepare (self,
                "INSERT INTO downloads (url, output_dir, file_name, state, bytes_received, "
                "resume_offset, total_bytes, etag, last_modified, sha256, error_message, "
                "attempts, created_at, finished_at) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                &self->insert, error) ||
      !prepare (self,
                "UPDATE downloads SET url = ?1, output_dir = ?2, file_name = ?3, state = ?4, "
                "bytes_received = ?5, resume_offset = ?6, total_bytes = ?7, etag = ?8, "
                "last_modified = ?9, sha256 = ?10, error_message = ?11, attempts = ?12, "
                "created_at = ?13, finished_at = ?14 WHERE id = ?15",
                &self->update, error) ||
      !prepare (self,
                "UPDATE downloads SET bytes_received = ?1, resume_offset = ?2 WHERE id = ?3",
                &self->update_progress, error) ||
      !prepare (self, "DELETE FROM downloads WHERE id = ?1", &self->remove, error) ||
      !prepare (self, "SELECT " SELECT_COLUMNS " FROM downloads WHERE id = ?1",
                &self->lookup, error) ||
      !prepare (self, "SELECT " SELECT_COLUMNS " FROM downloads ORDER BY id",
                &self->list, error))
    return NULL;

  /* The writer thread's own connection, for checkpoints: they then never
   * hold @db_lock, which the caller's thread may be waiting for. */
  rc = sqlite3_open_v2 (self->path, &self->checkpoint_db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                        NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (self, self->checkpoint_db, rc, error, "Cannot open the download store");
      return NULL;
    }
  sqlite3_busy_timeout (self->checkpoint_db, 2000);
  sqlite3_exec (self->checkpoint_db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL);

  self->writer = g_thread_new ("dl-store-writer", writer_thread, self);

  return g_steal_pointer (&self);
}

/**
 * dl_store_close:
 * @self: a #DlStore
 *
 * Closes the database; later calls fail. Finalizing the store closes it too.
 */
void
dl_store_close (DlStore *self)
{
  g_return_if_fail (DL_IS_STORE (self));

  /* The writer commits what is queued before it goes. */
  if (self->writer != NULL)
    {
      g_mutex_lock (&self->queue_lock);
      self->stopping = TRUE;
      g_cond_signal (&self->work_cond);
      g_mutex_unlock (&self->queue_lock);
      g_thread_join (self->writer);
      self->writer = NULL;
    }

  g_clear_pointer (&self->begin, sqlite3_finalize);
  g_clear_pointer (&self->commit, sqlite3_finalize);
  g_clear_pointer (&self->rollback, sqlite3_finalize);
  g_clear_pointer (&self->insert, sqlite3_finalize);
  g_clear_pointer (&self->update, sqlite3_finalize);
  g_clear_pointer (&self->update_progress, sqlite3_finalize);
  g_clear_pointer (&self->remove, sqlite3_finalize);
  g_clear_pointer (&self->lookup, sqlite3_finalize);
  g_clear_pointer (&self->list, sqlite3_finalize);
  /* The last connection to close checkpoints and removes the WAL. */
  g_clear_pointer (&self->checkpoint_db, sqlite3_close_v2);
  g_clear_pointer (&self->db, sqlite3_close_v2);
}

const char *
dl_store_get_path (DlStore *self)
{
  g_return_val_if_fail (DL_IS_STORE (self), NULL);

  return self->path;
}

static gboolean
check_open (DlStore  *self,
            GError  **error)
{
  if (self->db != NULL)
    return TRUE;
  g_set_error (error, DL_STORE_ERROR, DL_STORE_ERROR_FAILED,
               "The download store “%s” is closed", self->path);
  return FALSE;
}

/* ---- statements ---------------------------------------------------------------- */

/* Runs a statement that returns no rows, then resets it. */
static int
step_done (sqlite3_stmt *stmt)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static gboolean
transaction_begin (DlStore  *self,
                   GError  **error)
{
  int rc;

  if (!check_open (self, error))
    return FALSE;

  rc = step_done (self->begin);
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

/* ---- the writer thread ---------------------------------------------------------- */

static int
wal_hook_cb (gpointer    user_data,
             sqlite3    *db,
             const char *name,
             int         n_frames)
{
  DlStore *self = user_data;

  /* Runs inside every commit on @db, in whichever thread commits: only
   * note the size, the writer thread decides. */
  g_atomic_int_set (&self->wal_frames, n_frames);
  return SQLITE_OK;
}

/* Commits @batch (id → PendingWrite) in one transaction. */
static void
write_batch (DlStore    *self,
             GHashTable *batch)
{
  g_autofree char *message = NULL;
  GHashTableIter iter;
  gpointer key, value;
  int rc;

  g_mutex_lock (&self->db_lock);

  rc = step_done (self->begin);
  g_hash_table_iter_init (&iter, batch);
  while (rc == SQLITE_OK && g_hash_table_iter_next (&iter, &key, &value))
    {
      PendingWrite *write = value;
      gint64 id = *(gint64 *) key;

      /* A download removed meanwhile updates no row, which is fine. */
      if (write->record != NULL)
        {
          bind_record (self->update, write->record);
          sqlite3_bind_int64 (self->update, 15, id);
          rc = step_done (self->update);
        }
      else
        {
          sqlite3_bind_int64 (self->update_progress, 1, write->bytes_received);
          sqlite3_bind_int64 (self->update_progress, 2, write->resume_offset);
          sqlite3_bind_int64 (self->update_progress, 3, id);
          rc = step_done (self->update_progress);
        }
    }
  if (rc == SQLITE_OK)
    rc = step_done (self->commit);

  if (rc != SQLITE_OK)
    {
      message = g_strdup (sqlite3_errmsg (self->db));
      if (!sqlite3_get_autocommit (self->db))
        step_done (self->rollback);
    }

  g_mutex_unlock (&self->db_lock);

  /* The downloads go on: losing their history entries is bad, stopping
   * the transfers for it would be worse. */
  if (message != NULL)
    g_warning ("Cannot record %u downloads in “%s”: %s",
               g_hash_table_size (batch), self->path, message);
}

static void
checkpoint (DlStore *self)
{
  int n_log = 0;
  int n_done = 0;
  int rc;

  /* PASSIVE: copy what no reader still needs, wait for nobody. Whatever
   * is left is copied by a later checkpoint. */
  rc = sqlite3_wal_checkpoint_v2 (self->checkpoint_db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                  &n_log, &n_done);
  if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
    g_debug ("Cannot checkpoint “%s”: %s", self->path, sqlite3_errmsg (self->checkpoint_db));

  /* The next commit reports the real size again. */
  g_atomic_int_set (&self->wal_frames, 0);
}

static gpointer
writer_thread (gpointer data)
{
  /* Not a reference: dl_store_close() joins this thread before anything of
   * the store goes away. */
  DlStore *self = data;
  gint64 last_commit = 0;

  g_mutex_lock (&self->queue_lock);

  for (;;)
    {
      g_autoptr(GHashTable) batch = NULL;
      guint64 n_queued;
      gint64 due;

      if (g_hash_table_size (self->pending) == 0)
        {
          if (self->stopping)
            break;
          g_cond_wait (&self->work_cond, &self->queue_lock);
          continue;
        }

      /* Wait for company, unless someone waits for us: progress updates
       * go in at most once per interval, state changes after a moment. */
      if (!self->stopping && self->n_flushers == 0)
        {
          due = last_commit + FLUSH_INTERVAL_USEC;
          if (self->urgent_since != 0)
            due = MIN (due, self->urgent_since + URGENT_DELAY_USEC);
          if (g_get_monotonic_time () < due)
            {
              g_cond_wait_until (&self->work_cond, &self->queue_lock, due);
              continue;
            }
        }

      batch = g_steal_pointer (&self->pending);
      self->pending = pending_table_new ();
      self->urgent_since = 0;
      n_queued = self->n_queued;
      g_mutex_unlock (&self->queue_lock);

      write_batch (self, batch);
      last_commit = g_get_monotonic_time ();

      g_mutex_lock (&self->queue_lock);
      self->n_committed = n_queued;
      g_cond_broadcast (&self->done_cond);

      if (g_atomic_int_get (&self->wal_frames) >= CHECKPOINT_FRAMES)
        {
          g_mutex_unlock (&self->queue_lock);
          checkpoint (self);
          g_mutex_lock (&self->queue_lock);
        }
    }

  g_mutex_unlock (&self->queue_lock);
  return NULL;
}

/* The queued write of download @id, new if there is none; called with
 * @queue_lock held. */
static PendingWrite *
pending_lookup (DlStore *self,
                gint64   id)
{
  PendingWrite *write = g_hash_table_lookup (self->pending, &id);

  if (write == NULL)
    {
      write = g_new0 (PendingWrite, 1);
      g_hash_table_insert (self->pending, g_memdup2 (&id, sizeof id), write);
    }
  return write;
}

/**
 * dl_store_queue_update:
 * @self: a #DlStore
 * @record: the download, with @id from dl_store_insert()
 *
 * Like dl_store_update(), but returns at once: the store's writer thread
 * commits the record within a few milliseconds, in one transaction with
 * the other writes queued meanwhile. Later writes to the same download
 * replace this one if it is still queued. Errors are logged. After
 * dl_store_close() this does nothing.
 */
void
dl_store_queue_update (DlStore             *self,
                       const DlStoreRecord *record)
{
  PendingWrite *write;

  g_return_if_fail (DL_IS_STORE (self));
  g_return_if_fail (record != NULL && record->id > 0);
  g_return_if_fail (record->url != NULL && record->output_dir != NULL);

  if (self->writer == NULL)
    return;

  g_mutex_lock (&self->queue_lock);
  write = pending_lookup (self, record->id);
  g_clear_pointer (&write->record, dl_store_record_free);
  write->record = dl_store_record_copy (record);
  self->n_queued++;
  if (self->urgent_since == 0)
    self->urgent_since = g_get_monotonic_time ();
  g_cond_signal (&self->work_cond);
  g_mutex_unlock (&self->queue_lock);
}

/**
 * dl_store_queue_progress:
 * @self: a #DlStore
 * @id: the download
 * @bytes_received: bytes written so far
 * @resume_offset: bytes synced to disk, where a restart resumes
 *
 * Like dl_store_update_progress(), but returns at once: the store's writer
 * thread commits the progress of all running downloads together, at most
 * a quarter of a second after it was queued. After dl_store_close() this
 * does nothing.
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
  self->n_queued++;
  g_cond_signal (&self->work_cond);
  g_mutex_unlock (&self->queue_lock);
}

/**
 * dl_store_flush:
 * @self: a #DlStore
 * @error: return location for a #GError
 *
 * Waits until every write queued so far is committed. The synchronous
 * calls do this first themselves.
 *
 * Returns: %TRUE unless the store is closed
 */
gboolean
dl_store_flush (DlStore  *self,
                GError  **error)
{
  g_return_val_if_fail (DL_IS_STORE (self), FALSE);

  if (!check_open (self, error))
    return FALSE;

  g_mutex_lock (&self->queue_lock);
  if (self->n_committed < self->n_queued)
    {
      guint64 target = self->n_queued;

      self->n_flushers++;
      g_cond_signal (&self->work_cond);
      while (self->n_committed < target)
        g_cond_wait (&self->done_cond, &self->queue_lock);
      self->n_flushers--;
    }
  g_mutex_unlock (&self->queue_lock);
  return TRUE;
}

/* ---- public API ---------------------------------------------------------------- */

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
  g_autoptr(GMutexLocker) locker = NULL;
  int rc;

  g_return_val_if_fail (DL_IS_STORE (self), FALSE);
  g_return_val_if_fail (record != NULL && record->url != NULL && record->output_dir != NULL, FALSE);

  locker = g_mutex_locker_new (&self->db_lock);

  if (!transaction_begin (self, error))
    return FALSE;

  bind_record (self->insert, record);
  rc = step_done (self->insert);
  if (!transaction_end (self, rc, error))
    return FALSE;

  record->id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
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
  g_autoptr(GMutexLocker) locker = NULL;
  int rc;

  g_return_val_if_fail (DL_IS_STORE (self), FALSE);
  g_return_val_if_fail (record != NULL && record->url != NULL && record->output_dir != NULL, FALSE);

  if (!dl_store_flush (self, error))
    return FALSE;

  /* Queued writes are in: this one cannot be overtaken by an older one,
   * and a read sees them. */
  locker = g_mutex_locker_new (&self->db_lock);

  if (!transaction_begin (self, error))
    return FALSE;

  bind_record (self->update, record);
  sqlite3_bind_int64 (self->update, 15, record->id);
  rc = step_done (self->update);
  if (rc == SQLITE_OK && sqlite3_changes (self->db) == 0)
    {
      step_done (self->rollback);
      g_set_error (error, DL_STORE_ERROR, DL_STORE_ERROR_NOT_FOUND,
                   "No download with id %" G_GINT64_FORMAT " in the store", record->id);
      return FALSE;
    }
  return transaction_end (self, rc, error);
}

/**
 * dl_store_update_progress:
 * @self: a #DlStore
 * @id: the download
 * @bytes_received: bytes written so far
 * @resume_offset: bytes synced to disk, where a restart resumes
 * @error: return location for a #GError
 *
 * The frequent, cheap write of a running download (at most once a second).
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
  g_autoptr(GMutexLocker) locker = NULL;
  int rc;

  g_return_val_if_fail (DL_IS_STORE (self), FALSE);

  if (!dl_store_flush (self, error))
    return FALSE;

  locker = g_mutex_locker_new (&self->db_lock);

  if (!transaction_begin (self, error))
    return FALSE;

  sqlite3_bind_int64 (self->update_progress, 1, bytes_received);
  sqlite3_bind_int64 (self->update_progress, 2, resume_offset);
  sqlite3_bind_int64 (self->update_progress, 3, id);
  rc = step_done (self->update_progress);
  if (rc == SQLITE_OK && sqlite3_changes (self->db) == 0)
    {
      step_done (self->rollback);
      g_set_error (error, DL_STORE_ERROR, DL_STORE_ERROR_NOT_FOUND,
                   "No download with id %" G_GINT64_FORMAT " in the store", id);
      return FALSE;
    }
  return transaction_end (self, rc, error);
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
  g_autoptr(GMutexLocker) locker = NULL;
  int rc;

  g_return_val_if_fail (DL_IS_STORE (self), FALSE);

  if (!dl_store_flush (self, error))
    return FALSE;

  locker = g_mutex_locker_new (&self->db_lock);

  if (!transaction_begin (self, error))
    return FALSE;

  sqlite3_bind_int64 (self->remove, 1, id);
  rc = step_done (self->remove);
  return transaction_end (self, rc, error);
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
  g_autoptr(GMutexLocker) locker = NULL;
  DlStoreRecord *record = NULL;
  int rc;

  g_return_val_if_fail (DL_IS_STORE (self), NULL);

  if (!dl_store_flush (self, error))
    return NULL;

  locker = g_mutex_locker_new (&self->db_lock);

  if (!check_open (self, error))
    return NULL;

  sqlite3_bind_int64 (self->lookup, 1, id);
  rc = sqlite3_step (self->lookup);
  if (rc == SQLITE_ROW)
    record = read_record (self->lookup);
  else if (rc == SQLITE_DONE)
    g_set_error (error, DL_STORE_ERROR, DL_STORE_ERROR_NOT_FOUND,
                 "No download with id %" G_GINT64_FORMAT " in the store", id);
  else
    set_sqlite_error (self, self->db, rc, error, "Cannot read the download store");

  sqlite3_reset (self->lookup);
  sqlite3_clear_bindings (self->lookup);
  return record;
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
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GPtrArray) records = NULL;
  int rc;

  g_return_val_if_fail (DL_IS_STORE (self), NULL);

  if (!dl_store_flush (self, error))
    return NULL;

  locker = g_mutex_locker_new (&self->db_lock);

  if (!check_open (self, error))
    return NULL;

  records = g_ptr_array_new_with_free_func ((GDestroyNotify) dl_store_record_free);
  while ((rc = sqlite3_step (self->list)) == SQLITE_ROW)
    g_ptr_array_add (records, read_record (self->list));
  sqlite3_reset (self->list);

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, self->db, rc, error, "Cannot read the download store");
      return NULL;
    }
  return g_steal_pointer (&records);
}
