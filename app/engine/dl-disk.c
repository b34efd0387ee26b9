/* dl-disk.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-disk"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/file.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "dl-disk-private.h"
#include "dl-file-name.h"

/* The disk side of the engine, below the partial-file writer and the
 * download task: descriptors shared with worker threads, the buffers the
 * network is read into, the engine's own pool of disk threads with the
 * file operations that run there, and the output folders open for running
 * downloads.
 *
 * The loop thread never blocks on the disk: every call that can (opening
 * the folder, creating, opening, locking, truncating, renaming and removing
 * a partial file) runs on a disk thread, and a task waits for it like for
 * the network. Under memory pressure, on a slow disk, or while the file
 * system commits its journal, any of them can take tens of milliseconds. */

/* Free buffers kept for the next writes and downloads: a fresh buffer costs
 * a page fault per 4 KiB the first time it is filled. */
#define MAX_CACHED_BUFFERS 32

/* Free buffers a download starting makes sure there are, allocated and
 * touched on a disk thread (see buffer_cache_prefill()). */
#define PREFILLED_BUFFERS 8

/* Direct writes (see _dl_open_direct()): their offsets and lengths must be
 * multiples of the device's logical block size, and so must the address of
 * the memory (our buffers are page-aligned). 4096 covers every device. */
#define DIRECT_ALIGN 4096

/* ---- descriptors shared with worker threads --------------------------------------- */

static void
shared_fd_clear (DlSharedFd *self)
{
  if (self->fd >= 0)
    close (self->fd);
}

DlSharedFd *
_dl_shared_fd_new (int fd)
{
  DlSharedFd *self = g_atomic_rc_box_new0 (DlSharedFd);

  self->fd = fd;
  return self;
}

DlSharedFd *
_dl_shared_fd_ref (DlSharedFd *self)
{
  return g_atomic_rc_box_acquire (self);
}

void
_dl_shared_fd_unref (DlSharedFd *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) shared_fd_clear);
}

/* ---- buffers ------------------------------------------------------------------------ */


G_LOCK_DEFINE_STATIC (buffer_cache);
static DlBuffer *cached_buffers[MAX_CACHED_BUFFERS];
static guint n_cached_buffers;

static void
buffer_free (DlBuffer *self)
{
  g_aligned_free (self->data);
  g_free (self);
}

DlBuffer *
_dl_buffer_new (void)
{
  DlBuffer *self = NULL;

  G_LOCK (buffer_cache);
  if (n_cached_buffers > 0)
    self = cached_buffers[--n_cached_buffers];
  G_UNLOCK (buffer_cache);

  if (self == NULL)
    {
      self = g_new (DlBuffer, 1);
      /* Page-aligned: the kernel copies whole pages to and from it. */
      self->data = g_aligned_alloc (1, DL_BUFFER_SIZE, 4096);
    }

  g_atomic_ref_count_init (&self->ref_count);
  self->len = 0;
  return self;
}

DlBuffer *
_dl_buffer_ref (DlBuffer *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/* Keeps @self for the next download if the cache has room. */
static gboolean
buffer_cache_put (DlBuffer *self)
{
  gboolean kept = FALSE;

  G_LOCK (buffer_cache);
  if (n_cached_buffers < MAX_CACHED_BUFFERS)
    {
      cached_buffers[n_cached_buffers++] = self;
      kept = TRUE;
    }
  G_UNLOCK (buffer_cache);
  return kept;
}

void
_dl_buffer_unref (DlBuffer *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  if (!buffer_cache_put (self))
    buffer_free (self);
}

/* Disk thread: makes sure a few buffers wait in the cache, their memory
 * touched. A fresh buffer costs a page fault per 4 KiB the first time it is
 * filled: here rather than on the loop thread, in the middle of a read. */
static void
buffer_cache_prefill (void)
{
  for (;;)
    {
      DlBuffer *self;

      G_LOCK (buffer_cache);
      if (n_cached_buffers >= PREFILLED_BUFFERS)
        {
          G_UNLOCK (buffer_cache);
          return;
        }
      G_UNLOCK (buffer_cache);

      self = g_new (DlBuffer, 1);
      self->data = g_aligned_alloc (1, DL_BUFFER_SIZE, 4096);
      memset (self->data, 0, DL_BUFFER_SIZE);

      if (!buffer_cache_put (self))
        {
          buffer_free (self);
          return;
        }
    }
}

/**
 * _dl_disk_trim_buffers:
 *
 * Frees the buffers kept for reuse. The manager calls this when no
 * download runs any more, so an idle program does not keep tens of MiB.
 */
void
_dl_disk_trim_buffers (void)
{
  DlBuffer *buffers[MAX_CACHED_BUFFERS];
  guint n;

  G_LOCK (buffer_cache);
  n = n_cached_buffers;
  memcpy (buffers, cached_buffers, n * sizeof (DlBuffer *));
  n_cached_buffers = 0;
  G_UNLOCK (buffer_cache);

  for (guint i = 0; i < n; i++)
    buffer_free (buffers[i]);
}

/* ---- disk jobs ---------------------------------------------------------------------- */

gboolean
_dl_set_errno_error (GError     **error,
                     int          saved_errno,
                     const char  *what,
                     const char  *name)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "Cannot %s “%s”: %s", what, name, g_strerror (saved_errno));
  return FALSE;
}

/* The disk threads: an executor of the engine's own ("dl-disk-N" in top -H
 * and gdb) for the calls on the folder and the partial files. libbridge's
 * shared pool is sized for CPU work (processors + 4); here 20 downloads
 * each have a sync, a write and perhaps a rename or a folder sync under
 * way, most of them waiting for the disk, and a quick create or write must
 * not queue behind others' syncs. Each open partial file has its writer
 * here too, for as long as it is open. Threads are made as needed and stay
 * for the next downloads. */
#define MAX_DISK_THREADS 256

typedef struct
{
  DlDiskFunc      func;     /* NULL for a job of _dl_disk_warm_up() */
  gpointer        data;
  GDestroyNotify  destroy;
  BridgeLoop     *loop;
  BridgeFuture   *future;   /* NULL for _dl_push_to_disk_thread() */
  gboolean        ok;
  GError         *error;
} DiskThreadJob;

/* How long the threads _dl_disk_warm_up() starts wait for each other. */
#define WARM_UP_WAIT_USEC    (50 * 1000)

typedef struct
{
  GMutex  lock;
  GCond   cond;
  guint   wanted;
  guint   started;
  guint   refs;
} WarmUp;

/* A warm-up job: holds its thread until all of them have one, so that the
 * pool makes that many threads. */
static void
warm_up_run (WarmUp *warm_up)
{
  gint64 end = g_get_monotonic_time () + WARM_UP_WAIT_USEC;
  gboolean last;

  g_mutex_lock (&warm_up->lock);
  warm_up->started++;
  g_cond_broadcast (&warm_up->cond);
  while (warm_up->started < warm_up->wanted &&
         g_cond_wait_until (&warm_up->cond, &warm_up->lock, end))
    ;
  last = --warm_up->refs == 0;
  g_mutex_unlock (&warm_up->lock);

  if (last)
    {
      g_mutex_clear (&warm_up->lock);
      g_cond_clear (&warm_up->cond);
      g_free (warm_up);
    }
}

/* Back on the loop thread: frees the data, then completes the future, so
 * that whoever waits for it finds nothing of the job in flight. */
static void
disk_thread_job_finish (gpointer user_data)
{
  DiskThreadJob *job = user_data;

  if (job->destroy != NULL)
    job->destroy (job->data);

  /* Done already only if the waiter gave up and cancelled it. */
  if (job->future != NULL && !bridge_future_is_done (job->future))
    {
      if (job->ok)
        bridge_future_set_boolean (job->future, TRUE, NULL);
      else
        bridge_future_set_error (job->future, g_steal_pointer (&job->error), NULL);
    }

  g_clear_error (&job->error);
  g_clear_pointer (&job->future, bridge_future_unref);
  g_object_unref (job->loop);
  g_free (job);
}

static void
disk_thread_run (DiskThreadJob *job)
{
  static __thread gboolean batch;

  /* Disk work is throughput work. As SCHED_BATCH, a disk thread that wakes
   * up does not preempt what runs (the loop thread, or the server a local
   * download comes from): it runs at its next turn, with the same share of
   * the processors as before. */
  if (!batch)
    {
      struct sched_param param = { 0, };

      batch = TRUE;
      (void) sched_setscheduler (0, SCHED_BATCH, &param);
    }

  if (job->func == NULL)
    {
      warm_up_run (job->data);
      g_free (job);
      return;
    }

  job->ok = job->func (job->data, &job->error);
}

static BridgeExecutor *
disk_executor (void)
{
  static gsize executor;

  if (g_once_init_enter (&executor))
    {
      BridgeExecutor *new_executor = bridge_executor_new ("dl-disk", MAX_DISK_THREADS);

      g_once_init_leave (&executor, (gsize) new_executor);
    }
  return (BridgeExecutor *) executor;
}

static void
disk_executor_run (BridgeFuture *future,
                   gpointer      data,
                   GCancellable *cancellable)
{
  disk_thread_run (data);
}

/* The executor's future of the job is dropped at once: nobody can cancel
 * it, so the job always runs (what it does must be known, see
 * _dl_await_disk_job()). Its destroy notification, on the loop's thread
 * once the job has returned, is disk_thread_job_finish(): it frees the data
 * and completes job->future, the one the engine awaits, and the executor
 * has nothing of the job in flight any more by then. A warm-up job frees
 * itself on its thread. */
static void
disk_thread_push (DiskThreadJob *job)
{
  GDestroyNotify finish = job->func != NULL ? disk_thread_job_finish : NULL;

  bridge_future_unref (bridge_run_in_executor (disk_executor (), disk_executor_run, job, finish));
}

/* On the loop's thread: an executor's job belongs to the loop it is
 * handed to from. */
static void
disk_thread_push_cb (gpointer data)
{
  disk_thread_push (data);
}

/**
 * _dl_disk_warm_up:
 * @n_threads: how many
 *
 * Makes @n_threads disk threads ahead of the first downloads, from the calling thread
 * (not the loop's). The executor makes its threads in the thread that
 * hands it work: otherwise the loop thread would, a fraction of a
 * millisecond each, just as twenty downloads start. They stay for the
 * downloads to come. The jobs' own futures belong to the default loop,
 * which they reach with nothing in them.
 */
void
_dl_disk_warm_up (guint n_threads)
{
  WarmUp *warm_up;

  if (n_threads == 0)
    return;

  warm_up = g_new0 (WarmUp, 1);
  g_mutex_init (&warm_up->lock);
  g_cond_init (&warm_up->cond);
  warm_up->wanted = n_threads;
  warm_up->refs = n_threads;
  for (guint i = 0; i < n_threads; i++)
    {
      DiskThreadJob *job = g_new0 (DiskThreadJob, 1);

      job->data = warm_up;
      disk_thread_push (job);
    }
}

/**
 * _dl_run_on_disk_thread:
 * @func: (scope notified): a function that blocks on the disk
 * @data: data for @func
 * @destroy: (nullable): frees @data on the loop thread once @func returned
 *
 * Like bridge_run_in_thread(), on the engine's disk threads: @func reports
 * failure with its #GError. The future completes (with %TRUE or the error)
 * on the calling loop, after @destroy has run. Cancelling it only drops
 * the result.
 *
 * Returns: (transfer full): the future of @func's outcome
 */
BridgeFuture *
_dl_run_on_disk_thread (DlDiskFunc     func,
                        gpointer       data,
                        GDestroyNotify destroy)
{
  DiskThreadJob *job = g_new0 (DiskThreadJob, 1);

  job->func = func;
  job->data = data;
  job->destroy = destroy;
  job->future = bridge_future_new ();
  job->loop = g_object_ref (bridge_future_get_loop (job->future));
  disk_thread_push (job);
  return bridge_future_ref (job->future);
}

/* _dl_run_on_disk_thread() for a future of @loop. */
BridgeFuture *
_dl_run_on_disk_thread_for (BridgeLoop     *loop,
                            DlDiskFunc      func,
                            gpointer        data,
                            GDestroyNotify  destroy)
{
  DiskThreadJob *job = g_new0 (DiskThreadJob, 1);

  job->func = func;
  job->data = data;
  job->destroy = destroy;
  job->future = bridge_future_new_for_loop (loop);
  job->loop = g_object_ref (loop);
  disk_thread_push (job);
  return bridge_future_ref (job->future);
}

/* Like _dl_run_on_disk_thread(), from any thread, for a job nobody waits
 * for: @destroy runs on @loop's thread once @func returned, and @func's
 * error, if any, is dropped. */
void
_dl_push_to_disk_thread (DlDiskFunc      func,
                         gpointer        data,
                         GDestroyNotify  destroy,
                         BridgeLoop     *loop)
{
  DiskThreadJob *job = g_new0 (DiskThreadJob, 1);
  BridgeHandle *handle;

  job->func = func;
  job->data = data;
  job->destroy = destroy;
  job->loop = g_object_ref (loop);
  handle = bridge_loop_call_soon_threadsafe (loop, disk_thread_push_cb, job, NULL);
  /* NULL only when the loop is closed: nothing would free the job there. */
  if (handle != NULL)
    bridge_handle_unref (handle);
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
gboolean
_dl_await_disk_job (BridgeFuture  *future,
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


static void
file_job_clear (DlFileJob *self)
{
  if (self->fd >= 0)
    close (self->fd);
  g_clear_pointer (&self->dir, _dl_shared_fd_unref);
  g_clear_pointer (&self->part, _dl_shared_fd_unref);
  g_free (self->path);
  g_free (self->name);
  g_free (self->out_name);
  g_free (self->owner);
}

/* A partial file carries the mark of the download that created it, in an
 * extended attribute: on resume, a file of the same name that is not the
 * one it created (the user deleted it, and something else, another
 * program or a server choosing that name, made a new one) is not taken
 * for its partial data. A file system without user attributes keeps no
 * mark, and there the name alone has to do, as before. */
#define OWNER_XATTR "user.bridge-downloader.owner"

static void
mark_part (int         fd,
           const char *owner)
{
  if (owner != NULL && fsetxattr (fd, OWNER_XATTR, owner, strlen (owner), 0) != 0 &&
      errno != ENOTSUP && errno != EPERM)
    g_debug ("Cannot mark a partial file: %s", g_strerror (errno));
}

/* The complete file keeps no mark of ours: it is the user's. */
void
_dl_disk_unmark_part (int fd)
{
  if (fremovexattr (fd, OWNER_XATTR) != 0 && errno != ENODATA && errno != ENOTSUP)
    g_debug ("Cannot unmark a partial file: %s", g_strerror (errno));
}

/* Whether the file at @fd carries the mark @owner. */
static gboolean
has_mark (int         fd,
          const char *owner)
{
  char value[128];
  ssize_t len = fgetxattr (fd, OWNER_XATTR, value, sizeof value);

  return len >= 0 && (gsize) len == strlen (owner) && memcmp (value, owner, (gsize) len) == 0;
}

/* Whether the file at @fd is the partial file of the download @owner (on
 * a file system without user attributes, the name has to do). */
static gboolean
is_own_part (int         fd,
             const char *owner)
{
  if (owner == NULL || has_mark (fd, owner))
    return TRUE;
  return fgetxattr (fd, OWNER_XATTR, NULL, 0) < 0 && errno == ENOTSUP;
}

/* A download whose partial file was created but whose name never made it
 * into the history (killed just then) chooses its name again on the next
 * run: a partial file of that name with its own mark is that orphan, and
 * goes, so the download gets its name back and nothing is left behind.
 * One without the mark, or locked by a running download, stays. */
static void
remove_own_orphan (DlFileJob *self)
{
  g_autoptr(GError) error = NULL;
  int fd;

  if (self->owner == NULL)
    return;
  fd = dl_file_name_open_part (self->dir->fd, self->name, NULL);
  if (fd < 0)
    return;
  if (has_mark (fd, self->owner) && flock (fd, LOCK_EX | LOCK_NB) == 0 &&
      !dl_file_name_remove_part (self->dir->fd, self->name, &error))
    g_debug ("%s", error->message);
  close (fd);
}

DlFileJob *
_dl_file_job_new (DlFileOp op)
{
  DlFileJob *self = g_atomic_rc_box_new0 (DlFileJob);

  self->op = op;
  self->fd = -1;
  return self;
}

void
_dl_file_job_unref (DlFileJob *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) file_job_clear);
}

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

/* DL_FILE_OPEN: opens and locks the partial file, and cuts it at the
 * offset recorded. Only what was synced before it was recorded is trusted:
 * anything after it may be garbage after a crash. */
static int
open_part (DlFileJob  *self,
           GError    **error)
{
  struct stat st;
  int fd = dl_file_name_open_part (self->dir->fd, self->name, error);

  if (fd >= 0 && !lock_part (fd, self->name, error))
    {
      close (fd);
      return -1;
    }
  if (fd < 0)
    return -1;

  if (!is_own_part (fd, self->owner))
    {
      /* Not the file this download created: leave it alone, and start over
       * under another name. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "“%s%s” is not the partial file this download created", self->name,
                   DL_FILE_NAME_PART_SUFFIX);
      close (fd);
      return -1;
    }

  self->size = fstat (fd, &st) == 0 ? st.st_size : 0;
  self->offset = MIN (self->offset, self->size);
  if (ftruncate (fd, self->offset) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot truncate “%s%s”: %s", self->name, DL_FILE_NAME_PART_SUFFIX,
                   g_strerror (saved_errno));
      close (fd);
      return -1;
    }
  return fd;
}

gboolean
_dl_file_job_run (gpointer   user_data,
                  GError   **error)
{
  DlFileJob *self = user_data;
  g_autoptr(GError) local_error = NULL;
  int fd = -1;

  switch (self->op)
    {
    case DL_FILE_OPEN_DIR:
      fd = dl_file_name_open_dir (self->path, &local_error);
      break;

    case DL_FILE_CREATE:
      remove_own_orphan (self);
      fd = dl_file_name_create_part (self->dir->fd, self->name, &self->out_name, &local_error);
      if (fd >= 0 && !lock_part (fd, self->out_name, &local_error))
        {
          close (fd);
          fd = -1;
        }
      if (fd >= 0)
        mark_part (fd, self->owner);
      if (fd >= 0)
        buffer_cache_prefill ();
      break;

    case DL_FILE_OPEN:
      fd = open_part (self, &local_error);
      break;

    case DL_FILE_TRUNCATE:
      if (ftruncate (self->part->fd, self->offset) != 0)
        {
          int saved_errno = errno;

          g_set_error (&local_error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Cannot truncate “%s%s”: %s", self->name, DL_FILE_NAME_PART_SUFFIX,
                       g_strerror (saved_errno));
        }
      break;

    case DL_FILE_REMOVE:
      dl_file_name_remove_part (self->dir->fd, self->name, &local_error);
      break;

    case DL_FILE_RENAME:
      dl_file_name_rename_part (self->dir->fd, self->name, &self->out_name, &local_error);
      break;

    default:
      g_assert_not_reached ();
    }

  self->fd = fd;
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/* Runs @file_job on a worker thread and waits for it (see _dl_await_disk_job()). */
gboolean
_dl_run_file_job (DlFileJob  *file_job,
                  GError    **error)
{
  g_autoptr(BridgeFuture) future = NULL;

  future = _dl_run_on_disk_thread (_dl_file_job_run,
                                   g_atomic_rc_box_acquire (file_job),
                                   (GDestroyNotify) _dl_file_job_unref);
  return _dl_await_disk_job (future, error);
}

/* ---- writes ------------------------------------------------------------------------ */

/* Writes @n_buffers buffers one after the other at @offset. Fails with the
 * errno in @saved_errno. */
gboolean
_dl_write_all (int        fd,
               DlBuffer **buffers,
               guint      n_buffers,
               gint64     offset,
               int       *saved_errno)
{
  struct iovec iov[DL_DIRECT_MAX_WRITE];
  struct iovec *next = iov;
  guint n_iov = n_buffers;

  g_assert (n_buffers <= G_N_ELEMENTS (iov));

  for (guint i = 0; i < n_buffers; i++)
    {
      iov[i].iov_base = buffers[i]->data;
      iov[i].iov_len = buffers[i]->len;
    }

  while (n_iov > 0)
    {
      ssize_t n = pwritev (fd, next, n_iov, offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          *saved_errno = errno;
          return FALSE;
        }

      /* A short write: go on after what it took. */
      offset += n;
      while (n_iov > 0 && (gsize) n >= next->iov_len)
        {
          n -= next->iov_len;
          next++;
          n_iov--;
        }
      if (n_iov > 0)
        {
          next->iov_base = (guint8 *) next->iov_base + n;
          next->iov_len -= n;
        }
    }
  return TRUE;
}

/* A second descriptor of the partial file @fd, for direct writes
 * (O_DIRECT), or -1. They go from our buffers to the disk without a copy
 * into the page cache and without writeback later: half the processor time
 * of buffered writes, which twenty downloads otherwise take from the loop
 * thread and the server. Only on the local file systems known to do them
 * well; a network file system would send each write on its own. The data
 * still has to be synced before its offset is recorded: a write done is
 * not a write durable (the disk's own cache, the file's size). */
int
_dl_open_direct (int fd)
{
  struct statfs st;
  char path[64];

  if (fstatfs (fd, &st) != 0)
    return -1;

  switch ((unsigned long) st.f_type)
    {
    case EXT4_SUPER_MAGIC:
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
    case F2FS_SUPER_MAGIC:
      break;

    default:
      return -1;
    }

  /* Opened anew (not dup()ed): O_DIRECT belongs to the open file, and the
   * task's own reads and writes of the file stay buffered. */
  g_snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  return open (path, O_WRONLY | O_DIRECT | O_CLOEXEC);
}

/* Can @buffers be written directly at @offset? */
gboolean
_dl_can_write_direct (DlBuffer **buffers,
                      guint      n_buffers,
                      gint64     offset)
{
  if (offset % DIRECT_ALIGN != 0)
    return FALSE;
  for (guint i = 0; i < n_buffers; i++)
    if (buffers[i]->len % DIRECT_ALIGN != 0)
      return FALSE;
  return TRUE;
}

/* ---- output folders ------------------------------------------------------------------ */

/* An output folder, open: downloads into it share the descriptor while any
 * of them runs (#DlFolders keeps them by path), so that only the first
 * waits for a disk thread to open it.
 *
 * After a rename the folder is synced, so that the new name survives a
 * power cut before the download is recorded as done. One fsync covers
 * every rename made before it started, and each is a disk write that can
 * take milliseconds: downloads that finish together share one ("group
 * commit"). */
struct _DlFolder
{
  DlSharedFd *dir;
  GMutex      lock;
  GCond       cond;
  guint64     n_renames;    /* renames made in it, counted from 1 */
  guint64     n_synced;     /* of those, the ones an fsync has covered */
  gboolean    syncing;
};

static void
folder_clear (DlFolder *self)
{
  g_clear_pointer (&self->dir, _dl_shared_fd_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
}

/* A new folder for its descriptor @fd, taken. */
static DlFolder *
folder_new (int fd)
{
  DlFolder *self = g_atomic_rc_box_new0 (DlFolder);

  self->dir = _dl_shared_fd_new (fd);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  return self;
}

/* The folder's descriptor (borrowed). */
DlSharedFd *
_dl_folder_get_dir (DlFolder *self)
{
  return self->dir;
}

DlFolder *
_dl_folder_ref (DlFolder *self)
{
  return g_atomic_rc_box_acquire (self);
}

void
_dl_folder_unref (DlFolder *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) folder_clear);
}

/* Disk thread, right after a rename in the folder: returns once an fsync of
 * the folder that started after the rename is done, running it or waiting
 * for another thread's. */
void
_dl_folder_sync_after_rename (DlFolder *self)
{
  guint64 ticket;

  g_mutex_lock (&self->lock);
  ticket = ++self->n_renames;
  while (self->n_synced < ticket)
    {
      guint64 covers;

      if (self->syncing)
        {
          g_cond_wait (&self->cond, &self->lock);
          continue;
        }

      covers = self->n_renames;
      self->syncing = TRUE;
      g_mutex_unlock (&self->lock);
      /* Not every file system can sync a folder (EINVAL): then there is
       * nothing more we can do, and the rename has happened. */
      (void) fsync (self->dir->fd);
      g_mutex_lock (&self->lock);
      self->syncing = FALSE;
      self->n_synced = MAX (self->n_synced, covers);
      g_cond_broadcast (&self->cond);
    }
  g_mutex_unlock (&self->lock);
}


/* ---- the open folders, by path ---------------------------------------------------- */

/* An output folder: open, with how many downloads use it, or being
 * opened by one of them. */
typedef struct
{
  DlFolder     *folder;    /* NULL while being opened */
  guint         users;
  BridgeFuture *opened;    /* done when the opening is over, or NULL */
} FolderEntry;

struct _DlFolders
{
  GHashTable *entries;     /* path → FolderEntry */
};

static void
folder_entry_free (gpointer data)
{
  FolderEntry *entry = data;

  g_clear_pointer (&entry->folder, _dl_folder_unref);
  if (entry->opened != NULL && !bridge_future_is_done (entry->opened))
    bridge_future_set_boolean (entry->opened, FALSE, NULL);
  g_clear_pointer (&entry->opened, bridge_future_unref);
  g_free (entry);
}

DlFolders *
_dl_folders_new (void)
{
  DlFolders *self = g_new0 (DlFolders, 1);

  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, folder_entry_free);
  return self;
}

void
_dl_folders_free (DlFolders *self)
{
  g_hash_table_unref (self->entries);
  g_free (self);
}

/* The folder at @path if it is open (one more user), else NULL: then
 * either *@opening is set (another download opens it right now: await it,
 * then ask again), or the caller opens it and calls folders_add(). */
static DlFolder *
folders_use (DlFolders     *self,
             const char    *path,
             BridgeFuture **opening)
{
  FolderEntry *entry;

  *opening = NULL;
  entry = g_hash_table_lookup (self->entries, path);
  if (entry != NULL && entry->folder != NULL)
    {
      entry->users++;
      return _dl_folder_ref (entry->folder);
    }

  if (entry != NULL)
    {
      *opening = bridge_future_ref (entry->opened);
      return NULL;
    }

  entry = g_new0 (FolderEntry, 1);
  entry->opened = bridge_future_new ();
  g_hash_table_insert (self->entries, g_strdup (path), entry);
  return NULL;
}

/* Ends the opening folders_use() asked for, with the new descriptor @fd
 * (taken), or -1 if the folder could not be opened; those waiting for it
 * go on. Returns the folder, used, or NULL for -1. */
static DlFolder *
folders_add (DlFolders  *self,
             const char *path,
             int         fd)
{
  FolderEntry *entry = g_hash_table_lookup (self->entries, path);

  g_return_val_if_fail (entry != NULL && entry->folder == NULL, NULL);

  if (fd < 0)
    {
      /* The next one tries again. */
      g_hash_table_remove (self->entries, path);
      return NULL;
    }

  entry->folder = folder_new (fd);
  entry->users = 1;
  bridge_future_set_boolean (entry->opened, TRUE, NULL);
  g_clear_pointer (&entry->opened, bridge_future_unref);
  return _dl_folder_ref (entry->folder);
}

/**
 * _dl_folders_open:
 * @self: the open folders
 * @path: an output folder's path
 * @error: return location for a #GError
 *
 * In a task: the folder at @path, opened on a disk thread unless another
 * download has it open already or is opening it (then this waits for that
 * one). Downloads into one folder share it while any of them runs: one
 * descriptor, and the fsync after their renames (see #DlFolder). Release
 * it with _dl_folders_release() (and drop the reference).
 *
 * Returns: (transfer full) (nullable): the folder, or %NULL with @error set
 */
DlFolder *
_dl_folders_open (DlFolders   *self,
                  const char  *path,
                  GError     **error)
{
  for (;;)
    {
      g_autoptr(BridgeFuture) opening = NULL;
      g_autoptr(BridgeFuture) shield = NULL;
      g_autoptr(DlFileJob) open_dir = NULL;
      DlFolder *folder = folders_use (self, path, &opening);

      if (folder != NULL)
        return folder;

      if (opening != NULL)
        {
          shield = bridge_shield (opening);
          if (!bridge_await (shield, error))
            return NULL;
          continue;
        }

      open_dir = _dl_file_job_new (DL_FILE_OPEN_DIR);
      open_dir->path = g_strdup (path);
      if (!_dl_run_file_job (open_dir, error))
        {
          folders_add (self, path, -1);
          return NULL;
        }
      return folders_add (self, path, g_steal_fd (&open_dir->fd));
    }
}

/**
 * _dl_folders_keep_open:
 * @self: the open folders
 * @path: an output folder's path
 * @fd: (transfer full): a descriptor of that folder (dl_file_name_open_dir())
 *
 * Keeps the folder at @path open until @self is freed, as @fd: downloads
 * into it then never wait for a disk thread to open it. Does nothing but
 * close @fd if the folder is open or being opened already.
 */
void
_dl_folders_keep_open (DlFolders  *self,
                       const char *path,
                       int         fd)
{
  FolderEntry *entry;

  g_return_if_fail (path != NULL && fd >= 0);

  if (g_hash_table_contains (self->entries, path))
    {
      close (fd);
      return;
    }

  entry = g_new0 (FolderEntry, 1);
  entry->folder = folder_new (fd);
  /* Its own use, never released: the last download's release leaves it. */
  entry->users = 1;
  g_hash_table_insert (self->entries, g_strdup (path), entry);
}

/* The download is done with the folder. The last one closes it (once
 * nothing else uses its descriptor): a folder replaced meanwhile is opened
 * again for the next. */
void
_dl_folders_release (DlFolders  *self,
                     const char *path,
                     DlFolder   *folder)
{
  FolderEntry *entry = g_hash_table_lookup (self->entries, path);

  if (entry == NULL || entry->folder != folder)
    return;

  if (--entry->users == 0)
    g_hash_table_remove (self->entries, path);
}

/* ---- removing a partial file without a task ------------------------------------------ */

typedef struct
{
  char *dir;
  char *name;
} RemovePart;

static void
remove_part_free (gpointer data)
{
  RemovePart *remove = data;

  g_free (remove->dir);
  g_free (remove->name);
  g_free (remove);
}

static gboolean
remove_part_run (gpointer   data,
                 GError   **error)
{
  RemovePart *remove = data;
  int dirfd = dl_file_name_open_dir (remove->dir, error);
  gboolean ok;

  if (dirfd < 0)
    return FALSE;
  ok = dl_file_name_remove_part (dirfd, remove->name, error);
  close (dirfd);
  return ok;
}

/**
 * _dl_disk_remove_part:
 * @dir: the output folder
 * @name: the final name of the partial file
 *
 * Removes NAME.part in @dir on a disk thread, for a download without a
 * task (cancelled or removed while paused or failed). The next task of the
 * download waits for it before it opens the file.
 *
 * Returns: (transfer full): the future of the removal
 */
BridgeFuture *
_dl_disk_remove_part (const char *dir,
                      const char *name)
{
  RemovePart *remove = g_new0 (RemovePart, 1);

  remove->dir = g_strdup (dir);
  remove->name = g_strdup (name);
  return _dl_run_on_disk_thread (remove_part_run, remove, remove_part_free);
}
