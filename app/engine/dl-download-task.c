/* dl-download-task.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "dl-download-task"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libsoup/soup.h>

#include "dl-download-private.h"
#include "dl-file-name.h"
#include "dl-manager-private.h"

/* One download, one coroutine: everything below runs in the download's
 * libbridge task, top to bottom, as plain sequential code:
 *
 *   wait for a slot → send (Range + If-Range when resuming; redirects
 *   checked hop by hop) → pick a safe name and create NAME.part → stream the
 *   body to disk → check the length → verify the checksum → rename to NAME
 *
 * with retries (backoff + jitter, Retry-After) around the attempt, and pause,
 * cancel and shutdown arriving as a cancellation at whatever await the task
 * is parked in.
 *
 * The loop thread never blocks on the disk: every call that can (opening
 * the folder, creating, opening, locking, truncating, renaming and removing
 * the partial file, writing, syncing, hashing) runs on a worker thread
 * (bridge_run_in_thread), and the task waits for it like for the network.
 * Under memory pressure, on a slow disk, or while the file system commits
 * its journal, any of them can take tens of milliseconds.
 *
 * The body is read straight into large buffers, which are written from as
 * they are, in order, one write at a time, while the task goes on reading
 * into the next buffer (see "the partial file" below). Syncs run next to the
 * writes, so receiving never waits for the disk to sync; only when the disk
 * falls behind by MAX_BUFFERS buffers does the task wait for it. */

/* The network is read straight into buffers of this size, and each full
 * buffer is one write: 1 MiB keeps writes and wake-ups few. */
#define BUFFER_SIZE (1024 * 1024)

/* Most we ask libsoup for in one read: as much as the buffer has room for,
 * so that one read takes whatever the socket holds. */
#define READ_CHUNK BUFFER_SIZE

/* Buffers one download may hold (being filled, waiting for their write,
 * being written). Past that, the task waits for the disk. */
#define MAX_BUFFERS 8

/* Free buffers kept for the next writes and downloads: a fresh buffer costs
 * a page fault per 4 KiB the first time it is filled. */
#define MAX_CACHED_BUFFERS 32

/* Data is synced and the resumable offset recorded at most this often. A
 * buffer that is not full goes to disk after this long too, so a slow
 * download does not keep what it got in memory only. */
#define SYNC_INTERVAL_USEC (1 * G_USEC_PER_SEC)
#define SYNC_BYTES         (8 * 1024 * 1024)

#define MAX_REDIRECTS 20

/* A Retry-After further out than this is waited for only this long. */
#define MAX_RETRY_AFTER_SECONDS 3600.0

typedef enum
{
  OUTCOME_DONE,      /* the file is complete under its final name */
  OUTCOME_RETRY,     /* a transient failure: try again after a delay */
  OUTCOME_FATAL,     /* retrying would not help */
  OUTCOME_STOPPED,   /* cancelled: pause, cancel, remove or shutdown */
} Outcome;

/* ---- descriptors shared with worker threads --------------------------------------- */

/* A descriptor (the output folder, the partial file) shared with the worker
 * threads that use it, so it is closed only when the last of them is
 * done, even if the task stopped waiting for them. */
typedef struct
{
  int fd;
} SharedFd;

static void
shared_fd_clear (SharedFd *self)
{
  if (self->fd >= 0)
    close (self->fd);
}

static SharedFd *
shared_fd_new (int fd)
{
  SharedFd *self = g_atomic_rc_box_new0 (SharedFd);

  self->fd = fd;
  return self;
}

static SharedFd *
shared_fd_ref (SharedFd *self)
{
  return g_atomic_rc_box_acquire (self);
}

static void
shared_fd_unref (SharedFd *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) shared_fd_clear);
}

/* ---- buffers ------------------------------------------------------------------------ */

/* A buffer the network is read into and the disk written from. Besides its
 * download, a read in flight holds it: GIO may fill it after a cancelled
 * task has moved on, so it is only reused once every holder let go. */
typedef struct
{
  gatomicrefcount  ref_count;
  gsize            len;        /* bytes filled */
  guint8          *data;       /* BUFFER_SIZE bytes */
} Buffer;

G_LOCK_DEFINE_STATIC (buffer_cache);
static Buffer *cached_buffers[MAX_CACHED_BUFFERS];
static guint n_cached_buffers;

static void
buffer_free (Buffer *self)
{
  g_aligned_free (self->data);
  g_free (self);
}

static Buffer *
buffer_new (void)
{
  Buffer *self = NULL;

  G_LOCK (buffer_cache);
  if (n_cached_buffers > 0)
    self = cached_buffers[--n_cached_buffers];
  G_UNLOCK (buffer_cache);

  if (self == NULL)
    {
      self = g_new (Buffer, 1);
      /* Page-aligned: the kernel copies whole pages to and from it. */
      self->data = g_aligned_alloc (1, BUFFER_SIZE, 4096);
    }

  g_atomic_ref_count_init (&self->ref_count);
  self->len = 0;
  return self;
}

static Buffer *
buffer_ref (Buffer *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

static void
buffer_unref (Buffer *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  G_LOCK (buffer_cache);
  if (n_cached_buffers < MAX_CACHED_BUFFERS)
    {
      cached_buffers[n_cached_buffers++] = self;
      self = NULL;
    }
  G_UNLOCK (buffer_cache);

  if (self != NULL)
    buffer_free (self);
}

/**
 * _dl_download_task_trim_buffers:
 *
 * Frees the buffers kept for reuse. The manager calls this when no
 * download runs any more, so an idle program does not keep tens of MiB.
 */
void
_dl_download_task_trim_buffers (void)
{
  Buffer *buffers[MAX_CACHED_BUFFERS];
  guint n;

  G_LOCK (buffer_cache);
  n = n_cached_buffers;
  memcpy (buffers, cached_buffers, n * sizeof (Buffer *));
  n_cached_buffers = 0;
  G_UNLOCK (buffer_cache);

  for (guint i = 0; i < n; i++)
    buffer_free (buffers[i]);
}

/* ---- disk jobs ---------------------------------------------------------------------- */

static void
set_errno_error (BridgeFuture *future,
                 int           saved_errno,
                 const char   *what,
                 const char   *name)
{
  GError *error = g_error_new (G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "Cannot %s “%s”: %s", what, name, g_strerror (saved_errno));

  bridge_future_set_error (future, error, NULL);
}

/* Waits for a disk job. The wait is shielded: a cancellation (pause) stops
 * the waiting, not the job, and the job is then waited for once more,
 * because what it did (a file it created, a descriptor it opened) must be
 * known before the task can stop cleanly. A second cancellation gives up on
 * it: the job still finishes on its own, and its data is freed then.
 *
 * Returns %FALSE with the job's error, or with %G_IO_ERROR_CANCELLED (after
 * the job has finished, unless cancelled twice) if the task was cancelled
 * meanwhile. */
static gboolean
await_job (BridgeFuture  *future,
           GError       **error)
{
  g_autoptr(BridgeFuture) shield = NULL;
  g_autoptr(GError) cancelled = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  if (!bridge_future_is_done (future))
    {
      shield = bridge_shield (future);
      if (!bridge_await (shield, &local_error) &&
          g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          cancelled = g_steal_pointer (&local_error);
          if (!bridge_future_is_done (future))
            bridge_await (future, NULL);
        }
      g_clear_error (&local_error);
    }

  if (bridge_future_is_cancelled (future))
    {
      if (cancelled == NULL)
        cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      g_propagate_error (error, g_steal_pointer (&cancelled));
      return FALSE;
    }

  /* Read the job's own outcome in any case, so that no error goes
   * unretrieved; a cancellation wins over it. */
  ok = bridge_future_get_boolean (future, &local_error);
  if (cancelled != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&cancelled));
      return FALSE;
    }
  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/* Everything but the writes and syncs of the data: one operation on the
 * folder or the partial file, with its results. Reference counted, so that
 * the task can read the results after the job's own reference is gone,
 * and a descriptor nobody took is closed however the job ended. */
typedef enum
{
  FILE_OPEN_DIR,     /* open @path */
  FILE_CREATE,       /* create and lock a new partial file for the name @name */
  FILE_OPEN,         /* open and lock @name's partial file, cut it at @offset */
  FILE_TRUNCATE,     /* cut @part at @offset */
  FILE_REMOVE,       /* remove @name's partial file */
  FILE_RENAME,       /* rename @name's partial file to @name, or a free variant */
} FileOp;

typedef struct
{
  FileOp     op;
  char      *path;
  SharedFd  *dir;
  SharedFd  *part;
  char      *name;
  gint64     offset;

  /* Results */
  int        fd;         /* a new descriptor, or -1 */
  char      *out_name;   /* FILE_CREATE, FILE_RENAME: the name it got */
  gint64     size;       /* FILE_OPEN: the size the file had */
} FileJob;

static void
file_job_clear (FileJob *self)
{
  if (self->fd >= 0)
    close (self->fd);
  g_clear_pointer (&self->dir, shared_fd_unref);
  g_clear_pointer (&self->part, shared_fd_unref);
  g_free (self->path);
  g_free (self->name);
  g_free (self->out_name);
}

static FileJob *
file_job_new (FileOp op)
{
  FileJob *self = g_atomic_rc_box_new0 (FileJob);

  self->op = op;
  self->fd = -1;
  return self;
}

static void
file_job_unref (FileJob *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) file_job_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FileJob, file_job_unref)

/* One process at a time downloads into a partial file: a second one (the
 * CLI resuming what the app is downloading, say) would write the same bytes
 * at other offsets and record offsets the other never synced. The lock goes
 * with the descriptor, so a crash releases it. */
static gboolean
lock_part (int          fd,
           const char  *name,
           GError     **error)
{
  int saved_errno;

  if (flock (fd, LOCK_EX | LOCK_NB) == 0)
    return TRUE;

  saved_errno = errno;
  if (saved_errno == EWOULDBLOCK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   "“%s%s” is being downloaded by another process", name,
                   DL_FILE_NAME_PART_SUFFIX);
      return FALSE;
    }

  /* A file system without locks: the lock is a safety net, not a
   * requirement. */
  g_debug ("Cannot lock “%s%s”: %s", name, DL_FILE_NAME_PART_SUFFIX, g_strerror (saved_errno));
  return TRUE;
}

static void
file_job_thread (BridgeFuture *future,
                 gpointer      user_data,
                 GCancellable *cancellable)
{
  FileJob *self = user_data;
  g_autoptr(GError) error = NULL;
  struct stat st;
  int fd = -1;

  switch (self->op)
    {
    case FILE_OPEN_DIR:
      fd = dl_file_name_open_dir (self->path, &error);
      break;

    case FILE_CREATE:
      fd = dl_file_name_create_part (self->dir->fd, self->name, &self->out_name, &error);
      if (fd >= 0 && !lock_part (fd, self->out_name, &error))
        {
          close (fd);
          fd = -1;
        }
      break;

    case FILE_OPEN:
      fd = dl_file_name_open_part (self->dir->fd, self->name, &error);
      if (fd >= 0 && !lock_part (fd, self->name, &error))
        {
          close (fd);
          fd = -1;
        }
      if (fd < 0)
        break;

      /* Only what was synced before it was recorded is trusted: anything
       * after it may be garbage after a crash. */
      self->size = fstat (fd, &st) == 0 ? st.st_size : 0;
      self->offset = MIN (self->offset, self->size);
      if (ftruncate (fd, self->offset) != 0)
        {
          int saved_errno = errno;

          g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Cannot truncate “%s%s”: %s", self->name, DL_FILE_NAME_PART_SUFFIX,
                       g_strerror (saved_errno));
          close (fd);
          fd = -1;
        }
      break;

    case FILE_TRUNCATE:
      if (ftruncate (self->part->fd, self->offset) != 0)
        {
          int saved_errno = errno;

          g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Cannot truncate “%s%s”: %s", self->name, DL_FILE_NAME_PART_SUFFIX,
                       g_strerror (saved_errno));
        }
      break;

    case FILE_REMOVE:
      dl_file_name_remove_part (self->dir->fd, self->name, &error);
      break;

    case FILE_RENAME:
      dl_file_name_rename_part (self->dir->fd, self->name, &self->out_name, &error);
      break;

    default:
      g_assert_not_reached ();
    }

  self->fd = fd;
  if (error != NULL)
    bridge_future_set_error (future, g_steal_pointer (&error), NULL);
  else
    bridge_future_set_boolean (future, TRUE, NULL);
}

/* Runs @file_job on a worker thread and waits for it (see await_job()). */
static gboolean
run_file_job (FileJob  *file_job,
              GError  **error)
{
  g_autoptr(BridgeFuture) future = NULL;

  future = bridge_run_in_thread (file_job_thread,
                                 g_atomic_rc_box_acquire (file_job),
                                 (GDestroyNotify) file_job_unref);
  return await_job (future, error);
}

/* ---- the partial file ---------------------------------------------------------------- */

/* The open partial file and the data on its way there. Everything here
 * lives on the loop thread; worker threads only run the writes and syncs.
 *
 * The task fills Part.current from the network and hands it over when it is
 * full (part_submit()). Buffers are written in order, one write at a time
 * (which keeps the checksum's input in order too); each completed write
 * starts the next. When SYNC_INTERVAL_USEC or SYNC_BYTES have passed since
 * the last sync, a sync of everything written so far starts next to the
 * writes (fdatasync() waits for the pages that were dirty when it began, and
 * writes after them may go on meanwhile), and once it is done its offset is
 * recorded as the resumable one: the record never claims more than the disk
 * has.
 *
 * The write and sync jobs hold a reference, so a Part outlives a task that
 * stopped waiting for them; a detached Part records nothing more. */
typedef struct
{
  grefcount      ref_count;
  SharedFd      *fd;
  char          *display_name;   /* NAME.part, for messages */
  DlManager     *manager;
  DlDownload    *download;
  gboolean       detached;

  Buffer        *current;        /* being filled from the network, or NULL */
  GQueue         to_write;       /* full buffers, oldest first */
  guint          n_buffers;      /* current + to_write + the one being written */
  BridgeFuture  *write_job;
  gsize          write_len;
  BridgeFuture  *sync_job;
  gint64         sync_target;    /* what the running sync makes durable */

  gint64         queued;         /* end of the data handed to writes */
  gint64         written;        /* end of the completed writes */
  gint64         synced;         /* known to be on disk */
  gint64         last_sync;      /* monotonic time the last sync started */
  gint64         last_submit;    /* ... the last buffer was handed over */

  GChecksum     *checksum;       /* NULL when no checksum is expected */
  gint64         hashed;         /* bytes fed to @checksum from byte 0, or -1 */

  GError        *error;          /* the first write or sync error: nothing more is written */
  BridgeFuture  *wakeup;         /* the task waits for a job to finish */
} Part;

static Part *
part_new (DlManager  *manager,
          DlDownload *download,
          int         fd,
          gint64      offset)
{
  Part *self = g_new0 (Part, 1);

  g_ref_count_init (&self->ref_count);
  self->fd = shared_fd_new (fd);
  self->display_name = g_strconcat (download->file_name, DL_FILE_NAME_PART_SUFFIX, NULL);
  self->manager = g_object_ref (manager);
  self->download = g_object_ref (download);
  g_queue_init (&self->to_write);
  self->queued = self->written = self->synced = offset;
  self->last_sync = self->last_submit = g_get_monotonic_time ();
  self->hashed = -1;
  if (download->sha256 != NULL)
    {
      self->checksum = g_checksum_new (G_CHECKSUM_SHA256);
      /* Resumed from bytes this run did not hash: verify the whole file at
       * the end instead. */
      self->hashed = offset == 0 ? 0 : -1;
    }
  return self;
}

static Part *
part_ref (Part *self)
{
  g_ref_count_inc (&self->ref_count);
  return self;
}

static void
part_unref (Part *self)
{
  if (!g_ref_count_dec (&self->ref_count))
    return;

  /* Jobs hold references: none is running. */
  g_assert (self->write_job == NULL && self->sync_job == NULL && self->wakeup == NULL);

  g_clear_pointer (&self->current, buffer_unref);
  g_queue_clear_full (&self->to_write, (GDestroyNotify) buffer_unref);
  g_clear_pointer (&self->fd, shared_fd_unref);
  g_clear_pointer (&self->checksum, g_checksum_free);
  g_clear_error (&self->error);
  g_clear_object (&self->download);
  g_clear_object (&self->manager);
  g_free (self->display_name);
  g_free (self);
}

static void
part_unref_notify (gpointer data)
{
  part_unref (data);
}

/* Wakes the task if it waits in part_wait(). */
static void
part_wake (Part *self)
{
  g_autoptr(BridgeFuture) wakeup = g_steal_pointer (&self->wakeup);

  if (wakeup != NULL && !bridge_future_is_done (wakeup))
    bridge_future_set_boolean (wakeup, TRUE, NULL);
}

/* Waits until a write or sync finishes. Fails only when the task is
 * cancelled. */
static gboolean
part_wait (Part    *self,
           GError **error)
{
  g_autoptr(BridgeFuture) wakeup = bridge_future_new ();
  gboolean ok;

  g_assert (self->wakeup == NULL);
  g_assert (self->write_job != NULL || self->sync_job != NULL);

  self->wakeup = bridge_future_ref (wakeup);
  ok = bridge_await (wakeup, error);
  g_clear_pointer (&self->wakeup, bridge_future_unref);
  return ok;
}

static void
part_set_error (Part   *self,
                GError *error)
{
  if (self->error == NULL)
    self->error = error;
  else
    g_error_free (error);

  /* Nothing after a failed write may be written: the file would have a
   * hole where the failed bytes belong. */
  self->n_buffers -= g_queue_get_length (&self->to_write);
  g_queue_clear_full (&self->to_write, (GDestroyNotify) buffer_unref);
  self->hashed = -1;
}

typedef struct
{
  SharedFd   *fd;
  Buffer     *buffer;      /* to write at @offset, or NULL to sync */
  gint64      offset;
  GChecksum  *checksum;    /* the Part's; only this job touches it meanwhile */
  char       *name;        /* for messages */
} DiskJob;

static void
disk_job_free (gpointer data)
{
  DiskJob *job = data;

  g_clear_pointer (&job->fd, shared_fd_unref);
  g_clear_pointer (&job->buffer, buffer_unref);
  g_free (job->name);
  g_free (job);
}

static void
disk_job_thread (BridgeFuture *future,
                 gpointer      user_data,
                 GCancellable *cancellable)
{
  DiskJob *job = user_data;

  if (job->buffer != NULL)
    {
      const guint8 *data = job->buffer->data;
      gsize len = job->buffer->len;
      gsize done = 0;

      while (done < len)
        {
          ssize_t n = pwrite (job->fd->fd, data + done, len - done, job->offset + done);

          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            {
              set_errno_error (future, errno, "write", job->name);
              return;
            }
          done += n;
        }

      /* Hashing here costs the loop nothing. */
      if (job->checksum != NULL)
        g_checksum_update (job->checksum, data, len);
    }
  else if (fdatasync (job->fd->fd) != 0)
    {
      set_errno_error (future, errno, "sync", job->name);
      return;
    }

  bridge_future_set_boolean (future, TRUE, NULL);
}

static BridgeFuture *
disk_job_start (Part                 *self,
                Buffer               *buffer,
                BridgeFutureCallback  done_cb)
{
  DiskJob *job = g_new0 (DiskJob, 1);
  BridgeFuture *future;

  job->fd = shared_fd_ref (self->fd);
  job->buffer = buffer;
  job->offset = self->written;
  job->checksum = buffer != NULL && self->hashed >= 0 ? self->checksum : NULL;
  job->name = g_strdup (self->display_name);

  future = bridge_run_in_thread (disk_job_thread, job, disk_job_free);
  bridge_future_add_done_callback (future, done_cb, part_ref (self), part_unref_notify);
  return future;
}

static void part_maybe_sync (Part     *self,
                             gboolean  force);

static void write_done_cb (BridgeFuture *future,
                           gpointer      user_data);

/* Starts the next write, if any and none is running. */
static void
part_start_write (Part *self)
{
  Buffer *buffer;

  if (self->write_job != NULL || self->error != NULL || g_queue_is_empty (&self->to_write))
    return;

  buffer = g_queue_pop_head (&self->to_write);
  self->write_len = buffer->len;
  self->write_job = disk_job_start (self, buffer, write_done_cb);
}

static void
write_done_cb (BridgeFuture *future,
               gpointer      user_data)
{
  Part *self = user_data;
  GError *error = NULL;

  g_clear_pointer (&self->write_job, bridge_future_unref);
  self->n_buffers--;

  if (!bridge_future_get_boolean (future, &error))
    {
      part_set_error (self, error);
    }
  else
    {
      self->written += self->write_len;
      if (self->hashed >= 0)
        self->hashed = self->written;
    }

  part_start_write (self);
  part_maybe_sync (self, FALSE);
  part_wake (self);
}

static void
sync_done_cb (BridgeFuture *future,
              gpointer      user_data)
{
  Part *self = user_data;
  GError *error = NULL;

  g_clear_pointer (&self->sync_job, bridge_future_unref);

  if (!bridge_future_get_boolean (future, &error))
    {
      part_set_error (self, error);
    }
  else
    {
      self->synced = MAX (self->synced, self->sync_target);

      /* Synced first, recorded after: the stored offset is never more than
       * what the disk has. */
      if (!self->detached && self->download->resume_offset < self->synced)
        {
          self->download->resume_offset = self->synced;
          _dl_manager_save_progress (self->manager, self->download);
        }
    }

  part_maybe_sync (self, FALSE);
  part_wake (self);
}

/* Starts a sync of what is written when one is due (or @force) and none is
 * running. */
static void
part_maybe_sync (Part     *self,
                 gboolean  force)
{
  gint64 now;

  if (self->sync_job != NULL || self->error != NULL || self->written <= self->synced)
    return;

  now = g_get_monotonic_time ();
  if (!force &&
      now - self->last_sync < SYNC_INTERVAL_USEC &&
      self->written - self->synced < SYNC_BYTES)
    return;

  self->last_sync = now;
  self->sync_target = self->written;
  self->sync_job = disk_job_start (self, NULL, sync_done_cb);
}

/* Makes sure there is a buffer to read into, waiting for the disk when this
 * download holds MAX_BUFFERS already. Fails with the disk's error, or when
 * the task is cancelled. */
static gboolean
part_get_buffer (Part    *self,
                 GError **error)
{
  if (self->current != NULL)
    return TRUE;

  while (self->error == NULL && self->n_buffers >= MAX_BUFFERS)
    {
      if (!part_wait (self, error))
        return FALSE;
    }

  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }

  self->current = buffer_new ();
  self->n_buffers++;
  return TRUE;
}

/* Hands the current buffer over to be written. */
static void
part_submit (Part *self)
{
  Buffer *buffer = g_steal_pointer (&self->current);

  if (buffer == NULL)
    return;

  if (buffer->len == 0 || self->error != NULL)
    {
      buffer_unref (buffer);
      self->n_buffers--;
      return;
    }

  self->queued += buffer->len;
  self->last_submit = g_get_monotonic_time ();
  g_queue_push_tail (&self->to_write, buffer);
  part_start_write (self);
}

/* Writes everything received, and with @sync makes it durable and records
 * it as the resumable offset. */
static gboolean
part_flush (Part      *self,
            gboolean   sync,
            GError   **error)
{
  part_submit (self);

  while (self->error == NULL && self->written < self->queued)
    {
      if (!part_wait (self, error))
        return FALSE;
    }

  while (sync && self->error == NULL && (self->synced < self->written || self->sync_job != NULL))
    {
      part_maybe_sync (self, TRUE);
      if (!part_wait (self, error))
        return FALSE;
    }

  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }
  return TRUE;
}

/* Waits until no job runs, whatever their outcome: before the file is cut
 * or closed. Fails only if the task is cancelled meanwhile. */
static gboolean
part_drain (Part    *self,
            GError **error)
{
  while (self->write_job != NULL || self->sync_job != NULL)
    {
      if (!part_wait (self, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- the download's files --------------------------------------------------------- */

typedef struct
{
  DlManager          *manager;
  DlDownload         *download;
  BridgeTask         *task;
  DlManagerSettings   settings;

  SharedFd           *dir;          /* the output folder, NULL until opened */
  Part               *part;         /* NULL until the partial file is open */

  double              retry_after;  /* from the last response, or -1 */
  gint64              high_water;   /* the furthest this task has got */
  gboolean            not_ours;     /* another process holds the partial file */
} Job;

static gint64
job_written (Job *job)
{
  return job->part != NULL ? job->part->written : 0;
}

/* Lets go of the partial file: waits for its writes and syncs to finish
 * (unless cancelled again meanwhile; they then finish on their own), and
 * closes it once they have. Data not handed to part_flush() is dropped. */
static void
close_part (Job *job)
{
  g_autoptr(GError) error = NULL;

  if (job->part == NULL)
    return;

  if (!part_drain (job->part, &error))
    g_debug ("Not waiting for the disk jobs of “%s”: %s", job->part->display_name, error->message);

  job->part->detached = TRUE;
  g_clear_pointer (&job->part, part_unref);
}

static gboolean
ensure_dir (Job     *job,
            GError **error)
{
  g_autoptr(FileJob) open_dir = NULL;

  if (job->dir != NULL)
    return TRUE;

  open_dir = file_job_new (FILE_OPEN_DIR);
  open_dir->path = g_strdup (job->download->output_dir);
  if (!run_file_job (open_dir, error))
    return FALSE;

  job->dir = shared_fd_new (g_steal_fd (&open_dir->fd));
  return TRUE;
}

/* Truncates the partial file to @offset and makes it the point to continue
 * from. Anything after the last synced offset may be garbage after a crash,
 * and after a restart from zero the old bytes are of another version. */
static gboolean
reset_part_to (Job     *job,
               gint64   offset,
               GError **error)
{
  Part *part = job->part;
  g_autoptr(FileJob) truncate = NULL;

  g_assert (part->current == NULL && part->written == part->queued);

  /* A sync still running must not record an offset of the old bytes. */
  if (!part_drain (part, error))
    return FALSE;

  truncate = file_job_new (FILE_TRUNCATE);
  truncate->part = shared_fd_ref (part->fd);
  truncate->name = g_strdup (job->download->file_name);
  truncate->offset = offset;
  if (!run_file_job (truncate, error))
    return FALSE;

  part->queued = part->written = offset;
  part->synced = MIN (part->synced, offset);

  if (part->checksum != NULL)
    {
      if (offset == 0)
        {
          g_checksum_reset (part->checksum);
          part->hashed = 0;
        }
      else if (part->hashed != offset)
        {
          part->hashed = -1;
        }
    }

  if (job->download->resume_offset > offset)
    {
      job->download->resume_offset = offset;
      _dl_manager_save_progress (job->manager, job->download);
    }
  _dl_download_set_bytes_received (job->download, offset);
  return TRUE;
}

/* Opens the output folder, and the partial file if this download has one
 * (from an earlier attempt, or from before a restart). Returns the offset to
 * resume from, or -1 with @error set. */
static gint64
open_existing_part (Job     *job,
                    GError **error)
{
  DlDownload *download = job->download;
  g_autoptr(FileJob) open = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  if (!ensure_dir (job, error))
    return -1;

  /* Still open from the previous attempt of this task: continue after what
   * was written, synced or not (the page cache has it). */
  if (job->part != NULL)
    return job->part->written;

  if (download->file_name == NULL)
    return 0;

  open = file_job_new (FILE_OPEN);
  open->dir = shared_fd_ref (job->dir);
  open->name = g_strdup (download->file_name);
  open->offset = download->resume_offset;
  ok = run_file_job (open, &local_error);

  /* Opened (also when cancelled meanwhile: then the stop path syncs it). */
  if (open->fd >= 0)
    {
      job->part = part_new (job->manager, download, g_steal_fd (&open->fd), open->offset);
      if (download->resume_offset > open->offset)
        {
          download->resume_offset = open->offset;
          _dl_manager_save_progress (job->manager, download);
        }
      _dl_download_set_bytes_received (download, open->offset);
    }

  if (!ok)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          /* The partial file is gone (deleted by hand, or never created):
           * start over, under a name chosen again. */
          _dl_download_set_file_name (download, NULL);
          download->resume_offset = 0;
          _dl_download_set_bytes_received (download, 0);
          return 0;
        }
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_BUSY))
        job->not_ours = TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return -1;
    }

  return open->offset;
}

/* Creates NAME.part for the first response, the name from the server's
 * Content-Disposition or the final URL. */
static gboolean
create_part (Job         *job,
             SoupMessage *msg,
             GError     **error)
{
  DlDownload *download = job->download;
  g_autoptr(FileJob) create = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *url = NULL;
  const char *disposition;
  gboolean ok;

  disposition = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                              "Content-Disposition");
  url = g_uri_to_string (soup_message_get_uri (msg));

  create = file_job_new (FILE_CREATE);
  create->dir = shared_fd_ref (job->dir);
  create->name = download->file_name != NULL
                 ? g_strdup (download->file_name)
                 : dl_file_name_choose (disposition, url);
  ok = run_file_job (create, &local_error);

  /* Created (also when cancelled meanwhile: the name is then known, and the
   * file resumable or removed as the stop path says). */
  if (create->fd >= 0)
    {
      download->resume_offset = 0;
      _dl_download_set_file_name (download, create->out_name);
      _dl_download_set_bytes_received (download, 0);
      job->part = part_new (job->manager, download, g_steal_fd (&create->fd), 0);
    }

  if (!ok)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, local_error->domain, local_error->code,
                     "Cannot save into “%s”: %s", download->output_dir, local_error->message);
      return FALSE;
    }

  return TRUE;
}

/* Removes the partial file, if the download has one. */
static void
discard_part (Job *job)
{
  DlDownload *download = job->download;
  g_autoptr(FileJob) remove = NULL;
  g_autoptr(GError) error = NULL;

  close_part (job);

  if (download->file_name != NULL && ensure_dir (job, &error))
    {
      remove = file_job_new (FILE_REMOVE);
      remove->dir = shared_fd_ref (job->dir);
      remove->name = g_strdup (download->file_name);
      run_file_job (remove, &error);
    }

  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_warning ("%s", error->message);

  download->resume_offset = 0;
  _dl_download_set_bytes_received (download, 0);
}

/* Renames NAME.part to NAME (or a free variant) and waits for the folder to
 * be synced, so that the new name survives a power cut before the download
 * is recorded as done. The data was synced before. */
static gboolean
commit_part (Job     *job,
             GError **error)
{
  DlDownload *download = job->download;
  g_autoptr(FileJob) rename = NULL;
  g_autoptr(BridgeFuture) folder_sync = NULL;
  g_autoptr(BridgeFuture) shield = NULL;
  g_autoptr(GError) local_error = NULL;

  rename = file_job_new (FILE_RENAME);
  rename->dir = shared_fd_ref (job->dir);
  rename->name = g_strdup (download->file_name);
  run_file_job (rename, &local_error);

  if (rename->out_name == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, local_error->domain, local_error->code,
                     "Cannot save into “%s”: %s", download->output_dir, local_error->message);
      return FALSE;
    }

  /* Renamed: the download is complete, whatever happens now. */
  _dl_download_set_file_name (download, rename->out_name);

  /* One fsync of the folder covers every rename before it: downloads that
   * finish together share one (see _dl_manager_sync_folder()). A
   * cancellation only stops the waiting. */
  folder_sync = _dl_manager_sync_folder (job->manager, download->output_dir, job->dir->fd);
  shield = bridge_shield (folder_sync);
  bridge_await (shield, NULL);
  return TRUE;
}

/* ---- HTTP ------------------------------------------------------------------------- */

static double
parse_retry_after (SoupMessage *msg)
{
  const char *value = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                    "Retry-After");
  g_autofree char *text = NULL;
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) now = NULL;
  double seconds;

  if (value == NULL)
    return -1;

  text = g_strstrip (g_strdup (value));
  if (*text != '\0' && strspn (text, "0123456789") == strlen (text))
    {
      seconds = g_ascii_strtod (text, NULL);
    }
  else
    {
      when = soup_date_time_new_from_http_string (text);
      if (when == NULL)
        return -1;
      now = g_date_time_new_now_utc ();
      seconds = g_date_time_difference (when, now) / (double) G_USEC_PER_SEC;
    }

  return CLAMP (seconds, 0, MAX_RETRY_AFTER_SECONDS);
}

static gboolean
is_redirect (guint status)
{
  return status == SOUP_STATUS_MOVED_PERMANENTLY ||
         status == SOUP_STATUS_FOUND ||
         status == SOUP_STATUS_SEE_OTHER ||
         status == SOUP_STATUS_TEMPORARY_REDIRECT ||
         status == SOUP_STATUS_PERMANENT_REDIRECT;
}

static SoupMessage *
new_request (GUri       *uri,
             gint64      offset,
             DlDownload *download)
{
  SoupMessage *msg = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  /* Redirects are followed by hand, to check every hop. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);

  /* Ask for the bytes as stored: a compressed transfer would not match the
   * length, the checksum or byte ranges. */
  soup_message_headers_replace (headers, "Accept-Encoding", "identity");

  if (offset > 0)
    {
      soup_message_headers_set_range (headers, offset, -1);

      /* If-Range makes a server whose file changed send the new file whole
       * (200) instead of its tail. A weak ETag is not allowed there. */
      if (download->etag != NULL && !g_str_has_prefix (download->etag, "W/"))
        soup_message_headers_replace (headers, "If-Range", download->etag);
      else if (download->last_modified != NULL)
        soup_message_headers_replace (headers, "If-Range", download->last_modified);
    }

  return msg;
}

/* Classifies a network error: everything is worth another try except a
 * certificate problem. */
static Outcome
network_error (Job     *job,
               GError **error)
{
  GError *e = *error;

  if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return OUTCOME_STOPPED;

  if (e->domain == G_TLS_ERROR)
    {
      g_autofree char *message = g_strdup (e->message);

      g_clear_error (error);
      g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_TLS,
                   "The TLS certificate of %s is not trusted: %s",
                   job->download->host, message);
      return OUTCOME_FATAL;
    }

  return OUTCOME_RETRY;
}

/* Sends the request for @offset, following redirects. Returns the body
 * stream and the final message, or NULL with @error set and *@outcome saying
 * what to do about it. */
static GInputStream *
send_request (Job          *job,
              gint64        offset,
              SoupMessage **out_msg,
              Outcome      *outcome,
              GError      **error)
{
  DlDownload *download = job->download;
  g_autoptr(GHashTable) visited = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(SoupSession) session = g_object_ref (dl_manager_get_session (job->manager));
  g_autoptr(BridgeTimeout) scope = NULL;

  uri = g_uri_parse (download->url, SOUP_HTTP_URI_FLAGS, error);
  if (uri == NULL)
    {
      *outcome = OUTCOME_FATAL;
      return NULL;
    }

  /* One deadline for the whole chain: connecting, TLS, every redirect hop,
   * up to the final response's headers. */
  scope = bridge_timeout_begin (job->settings.connect_timeout);

  for (guint hops = 0; ; hops++)
    {
      g_autoptr(SoupMessage) msg = new_request (uri, offset, download);
      g_autoptr(GInputStream) stream = NULL;
      g_autoptr(GUri) next = NULL;
      g_autoptr(GError) local_error = NULL;
      const char *location;
      guint status;

      g_hash_table_add (visited, g_uri_to_string (uri));
      _dl_download_set_attempts (download, download->attempts + 1);

      stream = bridge_soup_session_send (session, msg, G_PRIORITY_DEFAULT, &local_error);
      if (stream == NULL)
        {
          bridge_timeout_end (g_steal_pointer (&scope), &local_error);
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            {
              g_clear_error (&local_error);
              g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           "No response from %s within %g s", download->host,
                           job->settings.connect_timeout);
            }
          *error = g_steal_pointer (&local_error);
          *outcome = network_error (job, error);
          return NULL;
        }

      status = soup_message_get_status (msg);
      if (!is_redirect (status))
        {
          if (!bridge_timeout_end (g_steal_pointer (&scope), error))
            {
              *outcome = network_error (job, error);
              return NULL;
            }
          *out_msg = g_steal_pointer (&msg);
          return g_steal_pointer (&stream);
        }

      location = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Location");
      if (location != NULL)
        next = g_uri_parse_relative (uri, location, SOUP_HTTP_URI_FLAGS, NULL);

      if (next == NULL)
        g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_REDIRECT,
                     "Redirect (HTTP %u) without a valid Location", status);
      else if (g_ascii_strcasecmp (g_uri_get_scheme (next), "http") != 0 &&
               g_ascii_strcasecmp (g_uri_get_scheme (next), "https") != 0)
        g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_INSECURE_REDIRECT,
                     "Refusing a redirect to the scheme “%s”", g_uri_get_scheme (next));
      else if (g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 &&
               g_ascii_strcasecmp (g_uri_get_scheme (next), "http") == 0)
        g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_INSECURE_REDIRECT,
                     "Refusing a redirect from https to insecure http (%s)", location);
      else
        {
          g_autofree char *next_string = g_uri_to_string (next);

          if (g_hash_table_contains (visited, next_string))
            g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_REDIRECT,
                         "Redirect loop: %s was already visited", next_string);
          else if (hops + 1 > MAX_REDIRECTS)
            g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_REDIRECT,
                         "Too many redirects (more than %d)", MAX_REDIRECTS);
        }

      if (next == NULL || *error != NULL)
        {
          bridge_timeout_end (g_steal_pointer (&scope), NULL);
          *outcome = OUTCOME_FATAL;
          return NULL;
        }

      g_clear_pointer (&uri, g_uri_unref);
      uri = g_steal_pointer (&next);
    }
}

static void
set_http_error (GError      **error,
                SoupMessage  *msg)
{
  const char *reason = soup_message_get_reason_phrase (msg);
  guint status = soup_message_get_status (msg);

  if (reason == NULL || *reason == '\0')
    reason = soup_status_get_phrase (status);
  g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_HTTP,
               "HTTP %u %s", status, reason != NULL ? reason : "");
}


/* ---- one attempt -------------------------------------------------------------------- */

/* A read in flight holds its buffer: GIO may still fill it after the task
 * was cancelled and moved on. */
typedef struct
{
  BridgeFuture *future;
  Buffer       *buffer;
} ReadOp;

static void
read_ready_cb (GObject      *source_object,
               GAsyncResult *result,
               gpointer      user_data)
{
  ReadOp *op = user_data;

  bridge_async_ready (source_object, result, op->future);
  buffer_unref (op->buffer);
  g_free (op);
}

/* Reads up to @count bytes from @stream into @buffer, after what it holds:
 * straight into the memory that is written to disk, without the copy of a
 * GBytes per read. Returns the number of bytes read, 0 at the end, -1 with
 * @error set. */
static gssize
read_into (GInputStream  *stream,
           Buffer        *buffer,
           gsize          count,
           GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  BridgeFuture *future = bridge_async_result_future_new ();
  ReadOp *op = g_new (ReadOp, 1);

  op->future = future;
  op->buffer = buffer_ref (buffer);
  g_input_stream_read_async (stream, buffer->data + buffer->len, count, G_PRIORITY_DEFAULT,
                             bridge_task_get_cancellable (bridge_task_get_current ()),
                             read_ready_cb, op);

  result = bridge_await_async_result (future, error);
  if (result == NULL)
    return -1;
  return g_input_stream_read_finish (stream, result, error);
}

static Outcome
stream_body (Job           *job,
             GInputStream  *stream,
             gint64         total,
             GError       **error)
{
  DlDownload *download = job->download;
  Part *part = job->part;
  g_autoptr(BridgeTimeout) scope = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 received = part->queued;
  BridgeLoop *loop = bridge_future_get_loop (BRIDGE_FUTURE (job->task));
  gboolean too_long = FALSE;
  gboolean disk_failed = FALSE;
  Outcome outcome = OUTCOME_DONE;

  /* The idle timeout: the deadline moves forward whenever bytes arrive. */
  scope = bridge_timeout_begin (job->settings.idle_timeout);

  for (;;)
    {
      Buffer *buffer;
      gssize n;

      if (!part_get_buffer (part, &local_error))
        {
          disk_failed = !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
          break;
        }
      buffer = part->current;

      n = read_into (stream, buffer, MIN (READ_CHUNK, BUFFER_SIZE - buffer->len), &local_error);
      if (n <= 0)
        break;

      bridge_timeout_reschedule (scope, bridge_loop_time (loop) + job->settings.idle_timeout);

      if (total >= 0 && received + n > total)
        {
          g_set_error (&local_error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_LENGTH,
                       "The server sent more than the %" G_GINT64_FORMAT " bytes it announced",
                       total);
          too_long = TRUE;
          break;
        }

      buffer->len += n;
      received += n;
      _dl_download_set_bytes_received (download, received);

      if (buffer->len == BUFFER_SIZE ||
          g_get_monotonic_time () - part->last_submit >= SYNC_INTERVAL_USEC)
        part_submit (part);
    }

  /* Turns the scope's own cancellation into G_IO_ERROR_TIMED_OUT; a pause
   * or cancel from outside stays G_IO_ERROR_CANCELLED. */
  bridge_timeout_end (g_steal_pointer (&scope), &local_error);

  if (local_error == NULL)
    outcome = OUTCOME_DONE;
  else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    outcome = OUTCOME_STOPPED;
  else if (too_long)
    outcome = OUTCOME_FATAL;
  else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_clear_error (&local_error);
      g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "No data from %s for %g s", download->host, job->settings.idle_timeout);
      outcome = OUTCOME_RETRY;
    }
  else if (disk_failed)
    outcome = OUTCOME_FATAL;
  else
    outcome = network_error (job, &local_error);

  /* Whatever arrived goes to disk, also when pausing: a retry or a resume
   * continues after it instead of fetching it again. */
  if (!disk_failed)
    {
      g_autoptr(GError) disk_error = NULL;

      if (!part_flush (part, FALSE, &disk_error) && outcome != OUTCOME_STOPPED)
        {
          g_clear_error (&local_error);
          local_error = g_steal_pointer (&disk_error);
          outcome = g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                    ? OUTCOME_STOPPED : OUTCOME_FATAL;
        }
    }

  if (outcome == OUTCOME_DONE && total >= 0 && part->written != total)
    {
      g_set_error (&local_error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_LENGTH,
                   "The connection closed after %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " bytes",
                   part->written, total);
      outcome = OUTCOME_RETRY;
    }

  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return outcome;
}

/* Checks the finished partial file's SHA-256, hashing it again on a worker
 * thread when this run did not see every byte (a resumed download). */
typedef struct
{
  SharedFd *fd;
  char     *name;
} HashJob;

static void
hash_job_free (gpointer data)
{
  HashJob *job = data;

  g_clear_pointer (&job->fd, shared_fd_unref);
  g_free (job->name);
  g_free (job);
}

static void
hash_job_thread (BridgeFuture *future,
                 gpointer      user_data,
                 GCancellable *cancellable)
{
  HashJob *job = user_data;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buffer = g_malloc (BUFFER_SIZE);
  off_t offset = 0;

  for (;;)
    {
      ssize_t n = pread (job->fd->fd, buffer, BUFFER_SIZE, offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          set_errno_error (future, errno, "read", job->name);
          return;
        }
      if (n == 0)
        break;
      if (bridge_thread_is_cancelled ())
        return;
      g_checksum_update (checksum, buffer, n);
      offset += n;
    }

  bridge_future_set_string (future, g_checksum_get_string (checksum), NULL);
}

static Outcome
verify (Job     *job,
        GError **error)
{
  DlDownload *download = job->download;
  Part *part = job->part;
  g_autofree char *actual = NULL;

  if (download->sha256 == NULL)
    return OUTCOME_DONE;

  if (part->checksum != NULL && part->hashed == part->written)
    {
      actual = g_strdup (g_checksum_get_string (part->checksum));
    }
  else
    {
      g_autoptr(BridgeFuture) future = NULL;
      HashJob *hash = g_new0 (HashJob, 1);

      hash->fd = shared_fd_ref (part->fd);
      hash->name = g_strdup (part->display_name);
      future = bridge_run_in_thread (hash_job_thread, hash, hash_job_free);
      actual = bridge_await_string (future, error);
      if (actual == NULL)
        return g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
               ? OUTCOME_STOPPED : OUTCOME_FATAL;
    }

  if (g_strcmp0 (actual, download->sha256) != 0)
    {
      g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_CHECKSUM,
                   "SHA-256 mismatch: expected %s, got %s", download->sha256, actual);
      return OUTCOME_FATAL;
    }

  return OUTCOME_DONE;
}

static Outcome
disk_outcome (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? OUTCOME_STOPPED : OUTCOME_FATAL;
}

static Outcome
attempt (Job     *job,
         GError **error)
{
  DlDownload *download = job->download;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = NULL;
  SoupMessageHeaders *headers;
  Outcome outcome = OUTCOME_RETRY;
  gint64 offset;
  gint64 total = -1;
  goffset start, end, range_total;
  guint status;

  job->retry_after = -1;

  _dl_download_set_state (download, DL_DOWNLOAD_STATE_CONNECTING);

  offset = open_existing_part (job, error);
  if (offset < 0)
    return disk_outcome (*error);

  stream = send_request (job, offset, &msg, &outcome, error);
  if (stream == NULL)
    return outcome;

  status = soup_message_get_status (msg);
  headers = soup_message_get_response_headers (msg);
  job->retry_after = parse_retry_after (msg);

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && offset > 0)
    {
      /* Asked for bytes past the end: either the file is complete already
       * (paused during verification) or it shrank. */
      if (soup_message_headers_get_content_range (headers, &start, &end, &range_total) &&
          range_total == offset)
        {
          total = offset;
          _dl_download_set_total_bytes (download, total);
          goto complete;
        }
      if (job->part != NULL && !reset_part_to (job, 0, error))
        return disk_outcome (*error);
      g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_PROTOCOL,
                   "The server cannot resume at byte %" G_GINT64_FORMAT "; starting over", offset);
      return OUTCOME_RETRY;
    }

  if (status == SOUP_STATUS_REQUEST_TIMEOUT || status == 429 /* Too Many Requests */ ||
      SOUP_STATUS_IS_SERVER_ERROR (status))
    {
      set_http_error (error, msg);
      return OUTCOME_RETRY;
    }

  if (status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT)
    {
      set_http_error (error, msg);
      return OUTCOME_FATAL;
    }

  if (status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      if (!soup_message_headers_get_content_range (headers, &start, &end, &range_total) ||
          start != offset)
        {
          if (job->part != NULL && !reset_part_to (job, 0, error))
            return disk_outcome (*error);
          g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_PROTOCOL,
                       "The server sent a range other than the one asked for; starting over");
          return OUTCOME_RETRY;
        }
      total = range_total >= 0 ? range_total : -1;
    }
  else
    {
      /* 200: the whole file. When resuming, the server ignored Range or the
       * file changed (If-Range): start over from zero, from this very
       * response. */
      if (offset > 0 && !reset_part_to (job, 0, error))
        return disk_outcome (*error);
      offset = 0;
      if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
        total = soup_message_headers_get_content_length (headers);
    }

  _dl_download_set_validators (download,
                               soup_message_headers_get_one (headers, "ETag"),
                               soup_message_headers_get_one (headers, "Last-Modified"));
  _dl_download_set_total_bytes (download, total);

  if (job->part == NULL && !create_part (job, msg, error))
    return disk_outcome (*error);

  _dl_download_set_state (download, DL_DOWNLOAD_STATE_DOWNLOADING);
  _dl_manager_save (job->manager, download);

  outcome = stream_body (job, stream, total, error);
  if (outcome != OUTCOME_DONE)
    return outcome;

complete:
  _dl_download_set_state (download, DL_DOWNLOAD_STATE_VERIFYING);
  _dl_download_set_bytes_received (download, job_written (job));
  if (total < 0)
    _dl_download_set_total_bytes (download, job_written (job));

  /* The data must be on disk before the name says the file is complete. */
  if (job->part == NULL)
    {
      g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_PROTOCOL,
                   "The partial file is gone");
      return OUTCOME_RETRY;
    }
  if (!part_flush (job->part, TRUE, error))
    return disk_outcome (*error);

  outcome = verify (job, error);
  if (outcome == OUTCOME_FATAL && g_error_matches (*error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_CHECKSUM))
    {
      /* Bad bytes are not worth resuming: a retry starts from zero. */
      discard_part (job);
    }
  if (outcome != OUTCOME_DONE)
    return outcome;

  if (!commit_part (job, error))
    return disk_outcome (*error);

  return OUTCOME_DONE;
}

/* ---- the task ---------------------------------------------------------------------- */

static double
backoff_delay (Job   *job,
               guint  failures)
{
  double delay = job->settings.retry_delay * (1u << MIN (failures - 1, 20u));

  delay = MIN (delay, job->settings.max_retry_delay);
  /* "Equal jitter": between half and all of the delay, so that downloads
   * that failed together do not come back together. */
  return delay * g_random_double_range (0.5, 1.0);
}

/* The task was cancelled: leave things as the reason for it says. */
static void
stop (Job *job)
{
  DlDownload *download = job->download;
  DlStopReason reason = download->stop_reason;
  g_autoptr(GError) error = NULL;

  switch (reason)
    {
    case DL_STOP_CANCEL:
    case DL_STOP_REMOVE:
      discard_part (job);
      if (reason == DL_STOP_CANCEL)
        {
          _dl_download_set_state (download, DL_DOWNLOAD_STATE_CANCELLED);
          _dl_manager_save (job->manager, download);
        }
      break;

    case DL_STOP_PAUSE:
    case DL_STOP_SHUTDOWN:
    case DL_STOP_NONE:
    default:
      /* Keep the partial file, synced up to what is recorded. */
      if (job->part != NULL && !part_flush (job->part, TRUE, &error))
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_debug ("Not syncing the partial file of %s: %s", download->url, error->message);
          else
            g_warning ("Cannot sync the partial file of %s: %s", download->url, error->message);
        }
      _dl_download_set_bytes_received (download, download->resume_offset);
      if (reason == DL_STOP_PAUSE)
        {
          _dl_download_set_state (download, DL_DOWNLOAD_STATE_PAUSED);
          _dl_manager_save (job->manager, download);
        }
      else
        {
          /* Shutting down: the stored state stays active, so the next start
           * resumes it, as after a crash. */
          _dl_download_set_state (download, DL_DOWNLOAD_STATE_PAUSED);
        }
      break;
    }
}

static void
fail (Job          *job,
      const GError *error)
{
  DlDownload *download = job->download;

  g_debug ("%s failed: %s", download->url, error->message);

  /* Whatever was written stays resumable for a retry by the user. */
  if (job->part != NULL)
    part_flush (job->part, TRUE, NULL);
  _dl_download_set_bytes_received (download, MAX (download->resume_offset, job_written (job)));
  _dl_download_set_error (download, error);
  _dl_download_set_state (download, DL_DOWNLOAD_STATE_FAILED);

  /* Another process is downloading it and records its progress: the
   * stored record is that process's to keep. */
  if (!job->not_ours)
    _dl_manager_save (job->manager, download);
}

/**
 * _dl_download_task_run:
 * @task: the task
 * @user_data: a #DlTaskData
 *
 * The download coroutine. See the comment at the top of this file.
 */
void
_dl_download_task_run (BridgeTask *task,
                       gpointer    user_data)
{
  DlTaskData *td = user_data;
  DlDownload *download = td->download;
  Job job = { 0, };
  guint failures = 0;

  job.manager = td->manager;
  job.download = download;
  job.task = task;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      Outcome outcome;
      gint64 high_water = job.high_water;
      double delay;

      _dl_download_set_state (download, DL_DOWNLOAD_STATE_QUEUED);
      if (!_dl_manager_acquire_slot (job.manager, download, &error))
        {
          stop (&job);
          break;
        }

      _dl_manager_get_settings (job.manager, &job.settings);
      outcome = attempt (&job, &error);

      if (outcome == OUTCOME_DONE)
        {
          _dl_download_set_error (download, NULL);
          download->resume_offset = job_written (&job);
          _dl_download_set_bytes_received (download, job_written (&job));
          _dl_download_set_total_bytes (download, job_written (&job));
          _dl_download_set_state (download, DL_DOWNLOAD_STATE_DONE);
          _dl_manager_save (job.manager, download);
          break;
        }

      if (outcome == OUTCOME_STOPPED)
        {
          stop (&job);
          break;
        }

      if (outcome == OUTCOME_RETRY)
        {
          /* Failures count in a row; an attempt that got further than any
           * before (not merely re-fetching bytes after a restart) resets the
           * count, so a long download over a flaky link still completes. */
          job.high_water = MAX (job.high_water, job_written (&job));
          if (job.high_water > high_water)
            failures = 0;
          failures++;
          if (failures > job.settings.max_retries)
            {
              g_prefix_error (&error, "Gave up after %u attempts: ", failures);
              outcome = OUTCOME_FATAL;
            }
        }

      if (outcome == OUTCOME_FATAL)
        {
          fail (&job, error);
          break;
        }

      /* Retry: give the slot to others while waiting. Keep what arrived
       * (and keep the partial file open: the next attempt continues after
       * the last byte written). */
      _dl_manager_release_slot (job.manager, download);
      delay = job.retry_after >= 0 ? job.retry_after : backoff_delay (&job, failures);
      g_debug ("%s: %s; retrying in %.1f s", download->url, error->message, delay);

      _dl_download_set_error (download, error);
      _dl_download_set_bytes_received (download, job_written (&job));
      _dl_download_set_retry_at (download, g_get_monotonic_time () + (gint64) (delay * G_USEC_PER_SEC));
      _dl_download_set_state (download, DL_DOWNLOAD_STATE_RETRYING);
      _dl_manager_save (job.manager, download);

      if (!bridge_sleep (delay, NULL))
        {
          stop (&job);
          break;
        }
    }

  close_part (&job);
  g_clear_pointer (&job.dir, shared_fd_unref);
  _dl_manager_release_slot (job.manager, download);
}
