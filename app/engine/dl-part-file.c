/* dl-part-file.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-part-file"

#include "config.h"

#include <glib/gi18n.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "dl-download-private.h"
#include "dl-file-name.h"
#include "dl-part-file-private.h"

/* Buffers one download may hold (being filled, waiting for their write,
 * being written). Past that, the task waits for the disk. */
#define MAX_BUFFERS 32

/* A file's first bytes are written buffered, the rest directly: the page
 * cache takes a whole small file before its one sync, while a large file
 * goes faster without the copy and without writeback competing with the
 * next writes (bench/run measures both). */
#define DIRECT_MIN_OFFSET (8 * 1024 * 1024)

/* Data is synced and the resumable offset recorded at most this often. A
 * buffer that is not full goes to disk after this long too, so a slow
 * download does not keep what it got in memory only. */
#define SYNC_INTERVAL_USEC (1 * G_USEC_PER_SEC)
#define SYNC_BYTES         (8 * 1024 * 1024)

/* The open partial file and the data on its way there.
 *
 * The task fills DlPart.current from the network and hands each full buffer
 * (DL_BUFFER_SIZE) to the download's writer: a job on a disk thread for as long
 * as the file is open, which writes the buffers in order and starts their
 * writeback at once (sync_file_range), so that the disk works while the
 * network does and a sync has little left to wait for. When
 * SYNC_INTERVAL_USEC or SYNC_BYTES have passed since the last sync, it has
 * everything written so far synced by a job of its own, next to the
 * writes (fdatasync() waits for the pages that were dirty when it began;
 * later writes go on meanwhile), and the loop records that offset as the
 * resumable one once the sync is done: the record never claims more than
 * the disk has.
 *
 * The writer wakes the loop only when it must: a sync is done (to record
 * it), a failure, the end, or when the task waits for it (a buffer to read
 * into, a flush). Writes themselves cost the loop nothing but handing over
 * the buffer. The end of a download is the writer's too: the last write,
 * the sync, the checksum, the rename and the folder sync, in one go.
 *
 * Fields under @lock are shared with the writer and sync threads; the
 * others belong to the loop thread. The writer, the syncs and the
 * notifications on their way to the loop hold references, and drop them on
 * the loop thread. */
typedef struct
{
  GChecksum   *checksum;     /* fed by the writer; NULL when not expected */
  DlFolder    *folder;
  char        *name;         /* the final name */
  char        *sha256;       /* to check, when @checksum saw every byte */

  DlStore       *store;      /* to record the end in, or NULL */
  DlStoreRecord *done;       /* ...this record, but the name and the size */

  /* Results */
  gboolean     synced;       /* everything written is on disk */
  char        *out_name;     /* the name the file got */
  gboolean     renamed;      /* under the part's lock */
  GError      *error;
} Finish;

struct _DlPart
{
  gatomicrefcount  ref_count;
  GMutex           lock;
  GCond            cond;          /* the writer waits for work */

  /* Loop thread */
  BridgeLoop      *loop;
  DlDownload      *download;      /* told of the progress until detached */
  gboolean         detached;      /* the task has let go: record nothing more */
  DlSharedFd        *fd;            /* NULL until _dl_part_start() */
  char            *display_name;  /* NAME.part, for messages */
  DlFileJob         *create;        /* the file being created, or NULL */
  BridgeFuture    *create_job;
  BridgeFuture    *writer;        /* the writer's job, until it ends */
  DlBuffer          *current;       /* being filled from the network, or NULL */
  gint64           queued;        /* end of the data handed to the writer */
  gint64           last_submit;   /* monotonic time a buffer was last handed over */
  BridgeFuture    *wakeup;        /* the task waits for the writer */
  GChecksum       *checksum;      /* NULL when no checksum is expected */
  DlPartRenamedFunc renamed_cb;  /* called once when the end's rename is done */
  gpointer         renamed_data;

  /* Under @lock */
  GQueue           to_write;      /* full buffers, oldest first */
  guint            n_buffers;     /* current + to_write + the one being written */
  gboolean         writing;
  gint64           written;       /* end of the completed writes */
  gint64           hashed;        /* bytes fed to @checksum from byte 0, or -1 */
  gint64           synced;        /* known to be on disk */
  gint64           sync_target;   /* a sync is wanted up to here */
  gboolean         syncing;
  gint64           last_sync;     /* monotonic time the last sync started */
  Finish          *finish;        /* the end, asked for by the task */
  gboolean         finished;
  gboolean         closing;
  gboolean         writer_done;   /* nothing will be written any more */
  gboolean         writer_idle;   /* it waits for work: wake it */
  GError          *error;         /* the first failure: nothing more is written */
  gboolean         task_waiting;  /* tell the loop about any change */
  gboolean         notifying;     /* a notification is on its way to the loop */
};

static void
finish_free (Finish *finish)
{
  g_clear_pointer (&finish->folder, _dl_folder_unref);
  g_clear_object (&finish->store);
  g_clear_pointer (&finish->done, dl_store_record_free);
  g_free (finish->name);
  g_free (finish->sha256);
  g_free (finish->out_name);
  g_clear_error (&finish->error);
  g_free (finish);
}

static DlPart *
part_ref (DlPart *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/* Loop thread only: the last reference goes there. */
void
_dl_part_unref (DlPart *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_assert (self->create_job == NULL && self->writer == NULL && self->wakeup == NULL);

  g_clear_pointer (&self->current, _dl_buffer_unref);
  g_queue_clear_full (&self->to_write, (GDestroyNotify) _dl_buffer_unref);
  g_clear_pointer (&self->finish, finish_free);
  g_clear_pointer (&self->create, _dl_file_job_unref);
  g_clear_pointer (&self->fd, _dl_shared_fd_unref);
  g_clear_pointer (&self->checksum, g_checksum_free);
  g_clear_error (&self->error);
  g_clear_object (&self->download);
  g_clear_object (&self->loop);
  g_free (self->display_name);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

static void
part_unref_notify (gpointer data)
{
  _dl_part_unref (data);
}

/**
 * _dl_part_new:
 * @loop: the loop of the download's task
 * @download: the download, told of the progress
 * @offset: where the file ends, and the writes continue
 *
 * Returns: (transfer full): the partial file of @download, not open yet:
 *   see _dl_part_start() and _dl_part_new_creating()
 */
DlPart *
_dl_part_new (BridgeLoop *loop,
              DlDownload *download,
              gint64      offset)
{
  DlPart *self = g_new0 (DlPart, 1);

  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->loop = g_object_ref (loop);
  self->download = g_object_ref (download);
  g_queue_init (&self->to_write);
  self->queued = self->written = self->synced = self->sync_target = offset;
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

/* ---- the writer's side (disk threads) ---- */

/* Called with @lock held. A signal is a system call even when nobody
 * waits: only when the writer does. */
static void
part_wake_writer_locked (DlPart *self)
{
  if (self->writer_idle)
    g_cond_signal (&self->cond);
}

/* Called with @lock held. */
static void
part_set_error_locked (DlPart *self,
                       GError *error)
{
  if (self->error == NULL)
    self->error = error;
  else
    g_error_free (error);

  /* Nothing after a failed write may be written: the file would have a
   * hole where the failed bytes belong. */
  self->n_buffers -= g_queue_get_length (&self->to_write);
  g_queue_clear_full (&self->to_write, (GDestroyNotify) _dl_buffer_unref);
  self->hashed = -1;
}

static void part_notified_cb (gpointer user_data);

/* Called with @lock held: has part_notified_cb() run on the loop thread,
 * once for any number of calls until it runs. */
static void
part_notify_locked (DlPart *self)
{
  BridgeHandle *handle;

  self->task_waiting = FALSE;
  if (self->notifying)
    return;

  self->notifying = TRUE;
  handle = bridge_loop_call_soon_threadsafe (self->loop, part_notified_cb, part_ref (self),
                                             part_unref_notify);
  /* NULL only when the loop is closed: then nobody listens. */
  if (handle != NULL)
    bridge_handle_unref (handle);
}

typedef struct
{
  DlPart   *part;
  gint64  target;
} SyncJob;

/* A disk thread, next to the writer: makes everything up to @target
 * durable. */
static gboolean
sync_job_run (gpointer   user_data,
              GError   **error)
{
  SyncJob *job = user_data;
  DlPart *self = job->part;
  GError *local_error = NULL;

  if (fdatasync (self->fd->fd) != 0)
    _dl_set_errno_error (&local_error, errno, "sync", self->display_name);

  g_mutex_lock (&self->lock);
  self->syncing = FALSE;
  if (local_error != NULL)
    part_set_error_locked (self, local_error);
  else
    self->synced = MAX (self->synced, job->target);
  /* Always: the loop records the offset. */
  part_notify_locked (self);
  part_wake_writer_locked (self);
  g_mutex_unlock (&self->lock);

  /* The reference goes back to the loop thread with the notification's. */
  return TRUE;
}

static void
sync_job_free (gpointer data)
{
  SyncJob *job = data;

  _dl_part_unref (job->part);
  g_free (job);
}

/* Called with @lock held, by the writer: starts a sync of everything written
 * when one is wanted or due and none runs. */
static void
part_maybe_sync_locked (DlPart *self)
{
  g_autoptr(BridgeFuture) future = NULL;
  gint64 now;
  SyncJob *job;

  if (self->syncing || self->error != NULL || self->written <= self->synced)
    return;

  now = g_get_monotonic_time ();
  if (self->sync_target <= self->synced &&
      now - self->last_sync < SYNC_INTERVAL_USEC &&
      self->written - self->synced < SYNC_BYTES)
    return;

  self->syncing = TRUE;
  self->last_sync = now;
  job = g_new (SyncJob, 1);
  job->part = part_ref (self);
  job->target = self->written;
  _dl_push_to_disk_thread (sync_job_run, job, sync_job_free, self->loop);
}

/* Called without @lock, by the writer: the end of the download. */
static void
part_finish_on_thread (DlPart *self,
                       Finish *finish)
{
  int fd = self->fd->fd;
  const char *actual;

  if (fdatasync (fd) != 0)
    {
      _dl_set_errno_error (&finish->error, errno, "sync", self->display_name);
      return;
    }
  finish->synced = TRUE;

  if (finish->sha256 != NULL)
    {
      actual = g_checksum_get_string (finish->checksum);
      if (g_strcmp0 (actual, finish->sha256) != 0)
        {
          g_set_error (&finish->error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_CHECKSUM,
                       "SHA-256 mismatch: expected %s, got %s", finish->sha256, actual);
          return;
        }
    }

  _dl_disk_unmark_part (fd);
  if (!dl_file_name_rename_part (_dl_folder_get_dir (finish->folder)->fd, finish->name, &finish->out_name,
                                 &finish->error))
    return;

  /* The record that the download is done goes in now, but is committed
   * only once the folder is synced: never before the rename is durable. */
  if (finish->done != NULL)
    {
      DlStoreRecord *done = finish->done;

      g_free (done->file_name);
      done->file_name = g_strdup (finish->out_name);
      g_clear_pointer (&done->error_message, g_free);
      done->state = DL_DOWNLOAD_STATE_DONE;
      done->bytes_received = done->resume_offset = done->total_bytes = self->written;
      done->finished_at = g_get_real_time ();
      dl_store_queue_update_held (finish->store, done);
    }

  /* The download is complete: the task can say so, and let the next one
   * have its slot, while the folder is synced. */
  g_mutex_lock (&self->lock);
  finish->renamed = TRUE;
  part_notify_locked (self);
  g_mutex_unlock (&self->lock);

  _dl_folder_sync_after_rename (finish->folder);

  if (finish->done != NULL)
    dl_store_release (finish->store, finish->done->id);
}

/* Called with @lock held, returns with it held: writes @buffers (taken)
 * at the end of what is written, directly when @direct_fd is open and they
 * allow it, else buffered; @lock is released meanwhile. */
static void
part_write_unlocked (DlPart    *self,
                     DlBuffer **buffers,
                     guint      n_buffers,
                     int       *direct_fd)
{
  int fd = self->fd->fd;
  GError *local_error = NULL;
  GChecksum *checksum = self->hashed == self->written ? self->checksum : NULL;
  gint64 offset = self->written;
  gint64 len = 0;
  gboolean ok = FALSE;
  int saved_errno = 0;

  self->writing = TRUE;
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < n_buffers; i++)
    len += buffers[i]->len;

  if (*direct_fd >= 0 && _dl_can_write_direct (buffers, n_buffers, offset))
    {
      ok = _dl_write_all (*direct_fd, buffers, n_buffers, offset, &saved_errno);
      if (!ok && saved_errno == EINVAL)
        {
          /* The file system takes O_DIRECT but not these writes: nothing
           * was written, and the rest goes buffered. */
          close (*direct_fd);
          *direct_fd = -1;
        }
      else if (!ok)
        _dl_set_errno_error (&local_error, saved_errno, "write", self->display_name);
    }
  if (!ok && local_error == NULL)
    {
      ok = _dl_write_all (fd, buffers, n_buffers, offset, &saved_errno);
      if (ok)
        /* Start the writeback now: the disk works while more arrives, and
         * the next sync finds little left to do. */
        (void) sync_file_range (fd, offset, len, SYNC_FILE_RANGE_WRITE);
      else
        _dl_set_errno_error (&local_error, saved_errno, "write", self->display_name);
    }

  /* Hashing here costs the loop nothing. */
  for (guint i = 0; ok && checksum != NULL && i < n_buffers; i++)
    g_checksum_update (checksum, buffers[i]->data, buffers[i]->len);

  g_mutex_lock (&self->lock);
  self->writing = FALSE;
  self->n_buffers -= n_buffers;
  if (local_error != NULL)
    {
      part_set_error_locked (self, local_error);
      part_notify_locked (self);
    }
  else
    {
      self->written += len;
      if (checksum != NULL)
        self->hashed = self->written;
      part_maybe_sync_locked (self);
      if (self->task_waiting)
        part_notify_locked (self);
    }
  for (guint i = 0; i < n_buffers; i++)
    _dl_buffer_unref (buffers[i]);
}

/* Called with @lock held, returns with it held: the end of the download
 * (see part_finish_on_thread()), once everything is written. */
static void
part_finish_unlocked (DlPart *self)
{
  Finish *finish = self->finish;

  g_mutex_unlock (&self->lock);
  part_finish_on_thread (self, finish);
  g_mutex_lock (&self->lock);
  if (finish->synced)
    self->synced = MAX (self->synced, self->written);
  else
    part_set_error_locked (self, g_error_copy (finish->error));
  self->finished = TRUE;
  /* Nothing more to write: leave as soon as no sync runs, so that the
   * task, which waits for that, is done at once. */
  self->closing = TRUE;
  part_notify_locked (self);
}

/* The writer: a disk thread for as long as the file is open. */
static gboolean
writer_run (gpointer   user_data,
            GError   **error)
{
  DlPart *self = user_data;
  int fd = self->fd->fd;
  int direct_fd = -1;
  gboolean direct_tried = FALSE;

  g_mutex_lock (&self->lock);

  for (;;)
    {
      DlBuffer *buffers[DL_DIRECT_MAX_WRITE];
      guint n_buffers = 0;

      /* Direct writes only past the first DIRECT_MIN_OFFSET bytes: see
       * there. */
      if (!direct_tried && self->written >= DIRECT_MIN_OFFSET)
        {
          direct_fd = _dl_open_direct (fd);
          direct_tried = TRUE;
        }

      /* Direct writes wait for the disk: when it fell behind, what waits
       * goes in one write. A buffered write is one buffer, and the start
       * of its writeback. */
      while (self->error == NULL && !g_queue_is_empty (&self->to_write) &&
             n_buffers < (direct_fd >= 0 ? DL_DIRECT_MAX_WRITE : 1))
        buffers[n_buffers++] = g_queue_pop_head (&self->to_write);

      if (n_buffers > 0)
        {
          part_write_unlocked (self, buffers, n_buffers, &direct_fd);
          continue;
        }

      if (self->finish != NULL && !self->finished && self->error == NULL)
        {
          part_finish_unlocked (self);
          continue;
        }

      part_maybe_sync_locked (self);

      /* Leave only with no sync running: once the writer is done, nothing
       * of the file is in flight. */
      if (self->closing && !self->syncing)
        break;

      self->writer_idle = TRUE;
      g_cond_wait (&self->cond, &self->lock);
      self->writer_idle = FALSE;
    }

  self->writer_done = TRUE;
  g_mutex_unlock (&self->lock);
  if (direct_fd >= 0)
    close (direct_fd);
  return TRUE;
}

/* ---- the task's side (loop thread) ---- */

/* The writer has news: record a new synced offset, and wake the task if it
 * waits. */
static void
part_notified_cb (gpointer user_data)
{
  DlPart *self = user_data;
  g_autoptr(BridgeFuture) wakeup = NULL;
  DlPartRenamedFunc renamed_cb = NULL;
  g_autofree char *out_name = NULL;
  gboolean recorded = FALSE;
  gint64 synced;

  g_mutex_lock (&self->lock);
  self->notifying = FALSE;
  synced = self->synced;
  wakeup = g_steal_pointer (&self->wakeup);
  if (self->finish != NULL && self->finish->renamed)
    {
      renamed_cb = g_steal_pointer (&self->renamed_cb);
      out_name = g_strdup (self->finish->out_name);
      recorded = self->finish->done != NULL;
    }
  g_mutex_unlock (&self->lock);

  if (renamed_cb != NULL)
    renamed_cb (out_name, self->queued, recorded, self->renamed_data);

  /* Synced first, recorded after: the stored offset is never more than
   * what the disk has. */
  if (!self->detached)
    _dl_download_advance_resume_offset (self->download, synced);

  if (wakeup != NULL && !bridge_future_is_done (wakeup))
    bridge_future_set_boolean (wakeup, TRUE, NULL);
}

/* Loop thread: wakes the task if it waits in part_wait_locked(). */
static void
part_wake_task (DlPart *self)
{
  g_autoptr(BridgeFuture) wakeup = NULL;

  g_mutex_lock (&self->lock);
  wakeup = g_steal_pointer (&self->wakeup);
  g_mutex_unlock (&self->lock);

  if (wakeup != NULL && !bridge_future_is_done (wakeup))
    bridge_future_set_boolean (wakeup, TRUE, NULL);
}

/* Called with @lock held, returns with it held: waits until the writer (or
 * the creation of the file) has news. Fails only when the task is
 * cancelled. */
static gboolean
part_wait_locked (DlPart  *self,
                  GError **error)
{
  g_autoptr(BridgeFuture) wakeup = bridge_future_new ();
  gboolean ok;

  g_assert (self->wakeup == NULL);

  self->wakeup = bridge_future_ref (wakeup);
  self->task_waiting = TRUE;
  g_mutex_unlock (&self->lock);

  ok = bridge_await (wakeup, error);

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->wakeup, bridge_future_unref);
  return ok;
}

/* Called with @lock held. */
static gboolean
part_check_locked (DlPart  *self,
                   GError **error)
{
  if (self->error == NULL)
    return TRUE;
  g_propagate_error (error, g_error_copy (self->error));
  return FALSE;
}

/* The file is open (@fd taken, @name the final name): starts its writer. */
void
_dl_part_start (DlPart     *self,
                int         fd,
                const char *name)
{
  g_assert (self->fd == NULL);

  self->fd = _dl_shared_fd_new (fd);
  self->display_name = g_strconcat (name, DL_FILE_NAME_PART_SUFFIX, NULL);
  self->writer = _dl_run_on_disk_thread_for (self->loop, writer_run, part_ref (self),
                                         part_unref_notify);
}

/* Makes sure there is a buffer to read into, waiting for the disk when this
 * download holds MAX_BUFFERS already. Fails with the disk's error, or when
 * the task is cancelled. */
gboolean
_dl_part_get_buffer (DlPart  *self,
                     GError **error)
{
  gboolean ok = TRUE;

  if (self->current != NULL)
    return TRUE;

  g_mutex_lock (&self->lock);
  while (ok && self->error == NULL && !self->writer_done && self->n_buffers >= MAX_BUFFERS)
    ok = part_wait_locked (self, error);
  ok = ok && part_check_locked (self, error);
  if (ok)
    self->n_buffers++;
  g_mutex_unlock (&self->lock);

  if (ok)
    self->current = _dl_buffer_new ();
  return ok;
}

/* Hands the current buffer over to the writer. */
void
_dl_part_submit (DlPart *self)
{
  DlBuffer *buffer = g_steal_pointer (&self->current);

  if (buffer == NULL)
    return;

  g_mutex_lock (&self->lock);
  if (buffer->len == 0 || self->error != NULL)
    {
      self->n_buffers--;
      g_mutex_unlock (&self->lock);
      _dl_buffer_unref (buffer);
      return;
    }

  self->queued += buffer->len;
  self->last_submit = g_get_monotonic_time ();
  g_queue_push_tail (&self->to_write, buffer);
  part_wake_writer_locked (self);
  g_mutex_unlock (&self->lock);
}

/* Bytes received: handed to the writer, or still in the current buffer. */
gint64
_dl_part_received (DlPart *self)
{
  return self->queued + (self->current != NULL ? (gint64) self->current->len : 0);
}

gint64
_dl_part_get_written (DlPart *self)
{
  gint64 written;

  g_mutex_lock (&self->lock);
  written = self->written;
  g_mutex_unlock (&self->lock);
  return written;
}

/* Writes everything received, and with @sync makes it durable and records
 * it as the resumable offset. */
gboolean
_dl_part_flush (DlPart    *self,
                gboolean   sync,
                GError   **error)
{
  gboolean ok = TRUE;

  _dl_part_submit (self);

  g_mutex_lock (&self->lock);
  if (sync && self->sync_target < self->queued)
    {
      self->sync_target = self->queued;
      part_wake_writer_locked (self);
    }
  while (ok && self->error == NULL && !self->writer_done &&
         (self->create_job != NULL || self->written < self->queued ||
          (sync && self->synced < self->queued)))
    ok = part_wait_locked (self, error);
  ok = ok && part_check_locked (self, error);
  if (ok && (self->written < self->queued || (sync && self->synced < self->queued)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "“%s” is closed", self->display_name);
      ok = FALSE;
    }
  g_mutex_unlock (&self->lock);

  /* The notification that wakes us records the offset; this is for a sync
   * that was over before we waited. */
  if (ok && sync && !self->detached)
    _dl_download_advance_resume_offset (self->download, self->queued);
  return ok;
}

/* Waits until the writer is idle: nothing to write, no sync running. Fails
 * only when the task is cancelled. */
static gboolean
part_drain (DlPart  *self,
            GError **error)
{
  gboolean ok = TRUE;

  g_mutex_lock (&self->lock);
  while (ok && (self->create_job != NULL || self->writing || self->syncing ||
                (self->error == NULL && !self->writer_done &&
                 !g_queue_is_empty (&self->to_write))))
    ok = part_wait_locked (self, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

/* The creation of the file is over (see _dl_part_new_creating()): starts the writer
 * and the download proper, or notes the failure. Once only: from the
 * creation's done callback, or from whoever waited for it first. */
static void
part_create_finished (DlPart *self)
{
  g_autoptr(BridgeFuture) future = g_steal_pointer (&self->create_job);
  g_autoptr(DlFileJob) create = g_steal_pointer (&self->create);
  g_autoptr(GError) error = NULL;
  DlDownload *download = self->download;

  if (future == NULL || !bridge_future_is_done (future))
    {
      /* Not over yet, or done already. */
      self->create_job = g_steal_pointer (&future);
      self->create = g_steal_pointer (&create);
      return;
    }

  if (create->fd >= 0)
    {
      _dl_part_start (self, g_steal_fd (&create->fd), create->out_name);
      if (!self->detached)
        {
          /* Recorded with its name before any offset is. The attempt shows
           * as started only now, from where it started: the bytes that came
           * meanwhile show right after. */
          _dl_download_set_file_name (download, create->out_name);
          if (download->state == DL_DOWNLOAD_STATE_CONNECTING)
            _dl_download_set_state (download, DL_DOWNLOAD_STATE_DOWNLOADING);
          _dl_download_save (download);
          _dl_download_set_bytes_received (download, _dl_part_received (self));
        }
    }
  else
    {
      if (bridge_future_get_boolean (future, &error) || error == NULL)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      g_mutex_lock (&self->lock);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        part_set_error_locked (self, g_steal_pointer (&error));
      else
        part_set_error_locked (self, g_error_new (error->domain, error->code,
                                                  /* Translators: "Cannot save into
                                                   * “/home/me/Downloads”: Disk full" */
                                                  _("Cannot save into “%s”: %s"),
                                                  download->output_dir, error->message));
      g_mutex_unlock (&self->lock);
    }

  part_wake_task (self);
}

static void
create_done_cb (BridgeFuture *future,
                gpointer      user_data)
{
  part_create_finished (user_data);
}

/* Lets go of the partial file: the writer writes what it has (unless it
 * failed), waits for a running sync and ends; the file is closed once
 * nothing uses it. Data not handed to _dl_part_flush() is dropped. */
void
_dl_part_close (DlPart *self)
{
  g_autoptr(GError) error = NULL;

  /* A file being created is closed once it is. */
  if (self->create_job != NULL)
    {
      if (!_dl_await_disk_job (self->create_job, &error))
        g_debug ("Not waiting for the creation of a partial file: %s", error->message);
      g_clear_error (&error);
      part_create_finished (self);
    }

  self->detached = TRUE;
  if (self->writer == NULL)
    {
      g_clear_object (&self->download);
      return;
    }

  g_mutex_lock (&self->lock);
  self->closing = TRUE;
  part_wake_writer_locked (self);
  g_mutex_unlock (&self->lock);

  if (_dl_await_disk_job (self->writer, &error))
    {
      /* Nothing uses the file any more: close it now, not when the last
       * notification on its way lets go of the part. Another task may
       * want to lock it right away (a resume after a pause). */
      g_clear_pointer (&self->fd, _dl_shared_fd_unref);
    }
  else
    {
      g_debug ("Not waiting for the writer of “%s”: %s", self->display_name, error->message);
    }
  g_clear_pointer (&self->writer, bridge_future_unref);

  /* Likewise, the download is not kept alive by it. */
  g_clear_object (&self->download);
}


/* ---- the task's side: opening, resetting and finishing ---- */

/**
 * _dl_part_new_creating:
 * @loop: the loop of the download's task
 * @download: the download
 * @dir: the output folder's descriptor
 * @name: (transfer full): the name to create NAME.part for
 *
 * Creates the partial file on a disk thread while the body starts to
 * arrive (a create can wait for the file system, for milliseconds when
 * other files are being synced): the writer starts, and the download shows
 * as started, once it is there; a failure shows up as the part's error.
 *
 * Returns: (transfer full): the partial file, from offset 0
 */
DlPart *
_dl_part_new_creating (BridgeLoop *loop,
                       DlDownload *download,
                       DlSharedFd *dir,
                       char       *name)
{
  DlPart *self = _dl_part_new (loop, download, 0);
  DlFileJob *create = _dl_file_job_new (DL_FILE_CREATE);

  create->dir = _dl_shared_fd_ref (dir);
  create->name = name;
  create->owner = _dl_download_dup_part_owner (download);
  self->create = g_atomic_rc_box_acquire (create);
  self->create_job = _dl_run_on_disk_thread_for (self->loop, _dl_file_job_run, create,
                                                 (GDestroyNotify) _dl_file_job_unref);
  bridge_future_add_done_callback (self->create_job, create_done_cb, part_ref (self),
                                   part_unref_notify);
  return self;
}

/* Is the file there (created or opened), its writer started? */
gboolean
_dl_part_is_open (DlPart *self)
{
  return self->fd != NULL;
}

/* The buffer being filled from the network, after _dl_part_get_buffer(). */
DlBuffer *
_dl_part_get_current (DlPart *self)
{
  return self->current;
}

/* The file's descriptor (borrowed), once open. */
DlSharedFd *
_dl_part_get_fd (DlPart *self)
{
  return self->fd;
}

/* NAME.part, for messages. */
const char *
_dl_part_get_display_name (DlPart *self)
{
  return self->display_name;
}

/* Hands the current buffer to the writer when it is full, or when it has
 * waited long enough: a slow download does not keep what it got in memory
 * only. */
void
_dl_part_submit_if_due (DlPart *self)
{
  if (self->current != NULL &&
      (self->current->len == DL_BUFFER_SIZE ||
       g_get_monotonic_time () - self->last_submit >= SYNC_INTERVAL_USEC))
    _dl_part_submit (self);
}

/**
 * _dl_part_reset_to:
 * @self: an open partial file, with nothing received since the last flush
 * @offset: where to continue from
 * @name: the final name, for messages
 * @error: return location for a #GError
 *
 * Truncates the file to @offset and makes it the point to continue from.
 * Anything after the last synced offset may be garbage after a crash, and
 * after a restart from zero the old bytes are of another version.
 *
 * Returns: %FALSE with the disk's error, or when the task is cancelled
 */
gboolean
_dl_part_reset_to (DlPart      *self,
                   gint64       offset,
                   const char  *name,
                   GError     **error)
{
  g_autoptr(DlFileJob) truncate = NULL;
  gboolean ok;

  g_assert (self->current == NULL);

  /* A sync still running must not record an offset of the old bytes. */
  if (!part_drain (self, error))
    return FALSE;

  g_mutex_lock (&self->lock);
  ok = part_check_locked (self, error);
  g_mutex_unlock (&self->lock);
  if (!ok)
    return FALSE;

  truncate = _dl_file_job_new (DL_FILE_TRUNCATE);
  truncate->part = _dl_shared_fd_ref (self->fd);
  truncate->name = g_strdup (name);
  truncate->offset = offset;
  if (!_dl_run_file_job (truncate, error))
    return FALSE;

  g_mutex_lock (&self->lock);
  self->queued = self->written = offset;
  self->synced = MIN (self->synced, offset);
  self->sync_target = MIN (self->sync_target, offset);
  if (self->checksum != NULL)
    {
      if (offset == 0)
        {
          g_checksum_reset (self->checksum);
          self->hashed = 0;
        }
      else if (self->hashed != offset)
        {
          self->hashed = -1;
        }
    }
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/**
 * _dl_part_adopt_written:
 * @self: an open partial file, with nothing handed to its writer
 * @size: the size of the file
 *
 * The file was written in parts, past this writer (see
 * dl-segmented-fetch.c), and synced: it ends here now. The writer hashed
 * none of it, so a checksum is verified by reading the file back.
 */
void
_dl_part_adopt_written (DlPart *self,
                        gint64  size)
{
  g_assert (self->current == NULL);

  g_mutex_lock (&self->lock);
  self->queued = self->written = self->synced = self->sync_target = size;
  self->hashed = -1;
  g_mutex_unlock (&self->lock);
}

/**
 * _dl_part_wait_created:
 * @self: a partial file
 * @hashed_all: (out): whether the writer hashed every byte of the file
 * @error: return location for a #GError
 *
 * Waits until the file exists (see _dl_part_new_creating()).
 *
 * Returns: %FALSE with the part's error, or when the task is cancelled
 */
gboolean
_dl_part_wait_created (DlPart    *self,
                       gboolean  *hashed_all,
                       GError   **error)
{
  gboolean ok = TRUE;

  g_mutex_lock (&self->lock);
  while (ok && self->create_job != NULL && self->error == NULL)
    ok = part_wait_locked (self, error);
  ok = ok && part_check_locked (self, error);
  *hashed_all = self->checksum != NULL && self->hashed >= 0;
  g_mutex_unlock (&self->lock);
  return ok;
}

/**
 * _dl_part_finish_start:
 * @self: a created partial file, with every byte of the download received
 * @folder: its output folder
 * @name: the final name
 * @sha256: (nullable): the checksum to check the writer's hash against
 * @store: (nullable): the store to record the end in
 * @done: (nullable) (transfer full): the download's record, for @store
 * @renamed_cb: called on the loop thread once the file has its final name
 * @renamed_data: for @renamed_cb
 *
 * Has the writer write what is left, sync it, check the checksum, rename
 * the file, sync the folder and commit @done (see part_finish_on_thread()),
 * and ends the writer: _dl_part_finish_wait() waits for it all.
 */
void
_dl_part_finish_start (DlPart            *self,
                       DlFolder          *folder,
                       const char        *name,
                       const char        *sha256,
                       DlStore           *store,
                       DlStoreRecord     *done,
                       DlPartRenamedFunc  renamed_cb,
                       gpointer           renamed_data)
{
  Finish *finish = g_new0 (Finish, 1);

  _dl_part_submit (self);

  finish->checksum = self->checksum;
  finish->folder = _dl_folder_ref (folder);
  finish->name = g_strdup (name);
  finish->sha256 = g_strdup (sha256);
  if (store != NULL && done != NULL)
    {
      finish->store = g_object_ref (store);
      finish->done = done;
    }
  else
    g_clear_pointer (&done, dl_store_record_free);

  /* The writer finishes and ends: waiting for it to end is waiting for the
   * end of the download, in one hop. */
  g_mutex_lock (&self->lock);
  self->finish = finish;
  self->closing = TRUE;
  self->renamed_cb = renamed_cb;
  self->renamed_data = renamed_data;
  part_wake_writer_locked (self);
  g_mutex_unlock (&self->lock);
}

/* Takes the outcome of the end out of @finish (freed). */
static gboolean
finish_take_outcome (Finish    *finish,
                     char     **out_name,
                     gboolean  *synced,
                     GError   **error)
{
  gboolean ok = finish->out_name != NULL;

  *synced = finish->synced;
  if (ok)
    *out_name = g_steal_pointer (&finish->out_name);
  else
    g_propagate_error (error, g_steal_pointer (&finish->error));
  finish_free (finish);
  return ok;
}

/**
 * _dl_part_finish_wait:
 * @self: a partial file after _dl_part_finish_start()
 * @out_name: (out): the name the file got
 * @synced: (out): whether everything received is on disk
 * @error: return location for a #GError
 *
 * Waits for the end started by _dl_part_finish_start() and closes the
 * file. A cancellation meanwhile waits on (a renamed file is complete,
 * whatever else happens); a second one gives up.
 *
 * Returns: %TRUE once the file has its final name; %FALSE with
 *   %G_IO_ERROR_CANCELLED, %DL_DOWNLOAD_ERROR_CHECKSUM, the failed sync's
 *   or write's error, or (with *@synced) the failed rename's
 */
gboolean
_dl_part_finish_wait (DlPart    *self,
                      char     **out_name,
                      gboolean  *synced,
                      GError   **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GError) cancelled = NULL;
  Finish *finish = NULL;
  gboolean ok;

  *synced = FALSE;
  if (!_dl_await_disk_job (self->writer, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        cancelled = g_steal_pointer (&local_error);
      g_clear_error (&local_error);
    }

  /* Cancelled twice: the caller is not to be told once this returns. */
  g_mutex_lock (&self->lock);
  self->renamed_cb = NULL;
  g_mutex_unlock (&self->lock);
  _dl_part_close (self);

  g_mutex_lock (&self->lock);
  if (self->finished)
    finish = g_steal_pointer (&self->finish);
  ok = part_check_locked (self, &local_error);
  g_mutex_unlock (&self->lock);

  if (finish != NULL)
    return finish_take_outcome (finish, out_name, synced, error);

  /* A failed write, or cancelled twice: the writer may still finish, and
   * frees its end with the part. */
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else if (cancelled != NULL)
    g_propagate_error (error, g_steal_pointer (&cancelled));
  else
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
  return FALSE;
}
