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
#include <sched.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
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
 * (the engine's disk threads, or bridge_run_in_thread() for hashing), and
 * the task waits for it like for the network.
 * Under memory pressure, on a slow disk, or while the file system commits
 * its journal, any of them can take tens of milliseconds.
 *
 * The body is read straight into large buffers, which are written from as
 * they are, in order, one write at a time, while the task goes on reading
 * into the next buffer (see "the partial file" below). Syncs run next to the
 * writes, so receiving never waits for the disk to sync; only when the disk
 * falls behind by MAX_BUFFERS buffers does the task wait for it. */

/* The network is read straight into buffers of this size, and each full
 * buffer is one write and the start of its writeback. Measured against 64
 * KiB to 1 MiB: smaller ones mean more writes and wake-ups of the writer,
 * larger ones more memory touched per download and later writeback, for no
 * more throughput. */
#define BUFFER_SIZE (256 * 1024)

/* Most we ask libsoup for in one read: as much as the buffer has room for,
 * so that one read takes whatever the socket holds. */
#define READ_CHUNK BUFFER_SIZE

/* Buffers one download may hold (being filled, waiting for their write,
 * being written). Past that, the task waits for the disk. */
#define MAX_BUFFERS 32

/* Direct writes (see open_direct()): their offsets and lengths must be
 * multiples of the device's logical block size, and so must the address of
 * the memory (our buffers are page-aligned). 4096 covers every device. At
 * most this many buffers go in one write, when the disk fell behind. */
#define DIRECT_ALIGN     4096
#define DIRECT_MAX_WRITE 4

/* A file's first bytes are written buffered, the rest directly. Measured
 * with bench/run on this VM: 200 files of 1 MiB came in 6 % faster with
 * buffered writes (the page cache takes a whole small file before its one
 * sync), one file of 1 GiB 2.4 times faster with direct writes (1.35 GiB/s
 * against 0.56: no copy, no writeback competing with the next writes). */
#define DIRECT_MIN_OFFSET (8 * 1024 * 1024)

/* Free buffers kept for the next writes and downloads: a fresh buffer costs
 * a page fault per 4 KiB the first time it is filled. */
#define MAX_CACHED_BUFFERS 32

/* Free buffers a download starting makes sure there are, allocated and
 * touched on a disk thread (see buffer_cache_prefill()). */
#define PREFILLED_BUFFERS 8

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

/* Keeps @self for the next download if the cache has room. */
static gboolean
buffer_cache_put (Buffer *self)
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

static void
buffer_unref (Buffer *self)
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
      Buffer *self;

      G_LOCK (buffer_cache);
      if (n_cached_buffers >= PREFILLED_BUFFERS)
        {
          G_UNLOCK (buffer_cache);
          return;
        }
      G_UNLOCK (buffer_cache);

      self = g_new (Buffer, 1);
      self->data = g_aligned_alloc (1, BUFFER_SIZE, 4096);
      memset (self->data, 0, BUFFER_SIZE);

      if (!buffer_cache_put (self))
        {
          buffer_free (self);
          return;
        }
    }
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

static gboolean
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *what,
                 const char  *name)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "Cannot %s “%s”: %s", what, name, g_strerror (saved_errno));
  return FALSE;
}

/* The disk threads: a pool of the engine's own for the calls on the
 * folder and the partial files. libbridge's shared pool is sized for CPU
 * work (processors + 4); here 20 downloads each have a sync, a write and
 * perhaps a rename or a folder sync under way, most of them waiting for the
 * disk, and a quick create or write must not queue behind others' syncs.
 * Each open partial file has its writer here too, for as long as it is
 * open. Threads are made as needed and leave when idle. */
#define MAX_DISK_THREADS 256

typedef struct
{
  DlDiskFunc      func;     /* NULL for a job of _dl_download_task_warm_up() */
  gpointer        data;
  GDestroyNotify  destroy;
  BridgeLoop     *loop;
  BridgeFuture   *future;   /* NULL for _dl_push_to_disk_thread() */
  gboolean        ok;
  GError         *error;
} DiskThreadJob;

/* Disk threads _dl_download_task_warm_up() starts, and how long they wait
 * for each other: about as many as twenty downloads keep busy at once. */
#define WARM_UP_DISK_THREADS 32
#define WARM_UP_WAIT_USEC    (50 * 1000)

typedef struct
{
  GMutex  lock;
  GCond   cond;
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
  while (warm_up->started < WARM_UP_DISK_THREADS &&
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
disk_thread_run (gpointer data,
                 gpointer pool_data)
{
  DiskThreadJob *job = data;
  BridgeHandle *handle;
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

  handle = bridge_loop_call_soon_threadsafe (job->loop, disk_thread_job_finish, job, NULL);
  /* NULL only when the loop is closed: then nothing may run there, and
   * the job is left as it is. */
  if (handle != NULL)
    bridge_handle_unref (handle);
}

static void
disk_thread_push (DiskThreadJob *job)
{
  static gsize pool;

  if (g_once_init_enter (&pool))
    {
      GThreadPool *new_pool = g_thread_pool_new (disk_thread_run, NULL, MAX_DISK_THREADS,
                                                 FALSE, NULL);

      g_once_init_leave (&pool, (gsize) new_pool);
    }

  g_thread_pool_push ((GThreadPool *) pool, job, NULL);
}

/**
 * _dl_download_task_warm_up:
 *
 * Makes disk threads ahead of the first downloads, from the calling thread
 * (not the loop's). A thread pool makes its threads in the thread that
 * hands it work: otherwise the loop thread would, a fraction of a
 * millisecond each, just as twenty downloads start. They wait half a
 * second for work before they leave.
 */
void
_dl_download_task_warm_up (void)
{
  WarmUp *warm_up = g_new0 (WarmUp, 1);

  g_mutex_init (&warm_up->lock);
  g_cond_init (&warm_up->cond);
  warm_up->refs = WARM_UP_DISK_THREADS;
  for (guint i = 0; i < WARM_UP_DISK_THREADS; i++)
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
static BridgeFuture *
run_on_disk_thread_for (BridgeLoop     *loop,
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
static void
_dl_push_to_disk_thread (DlDiskFunc      func,
                         gpointer        data,
                         GDestroyNotify  destroy,
                         BridgeLoop     *loop)
{
  DiskThreadJob *job = g_new0 (DiskThreadJob, 1);

  job->func = func;
  job->data = data;
  job->destroy = destroy;
  job->loop = g_object_ref (loop);
  disk_thread_push (job);
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

static gboolean
file_job_run (gpointer   user_data,
              GError   **error)
{
  FileJob *self = user_data;
  g_autoptr(GError) local_error = NULL;
  struct stat st;
  int fd = -1;

  switch (self->op)
    {
    case FILE_OPEN_DIR:
      fd = dl_file_name_open_dir (self->path, &local_error);
      break;

    case FILE_CREATE:
      fd = dl_file_name_create_part (self->dir->fd, self->name, &self->out_name, &local_error);
      if (fd >= 0 && !lock_part (fd, self->out_name, &local_error))
        {
          close (fd);
          fd = -1;
        }
      if (fd >= 0)
        buffer_cache_prefill ();
      break;

    case FILE_OPEN:
      fd = dl_file_name_open_part (self->dir->fd, self->name, &local_error);
      if (fd >= 0 && !lock_part (fd, self->name, &local_error))
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

          g_set_error (&local_error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
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

          g_set_error (&local_error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Cannot truncate “%s%s”: %s", self->name, DL_FILE_NAME_PART_SUFFIX,
                       g_strerror (saved_errno));
        }
      break;

    case FILE_REMOVE:
      dl_file_name_remove_part (self->dir->fd, self->name, &local_error);
      break;

    case FILE_RENAME:
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

/* Runs @file_job on a worker thread and waits for it (see await_job()). */
static gboolean
run_file_job (FileJob  *file_job,
              GError  **error)
{
  g_autoptr(BridgeFuture) future = NULL;

  future = _dl_run_on_disk_thread (file_job_run,
                                   g_atomic_rc_box_acquire (file_job),
                                   (GDestroyNotify) file_job_unref);
  return await_job (future, error);
}

/* ---- the download's job ------------------------------------------------------------- */

typedef struct _Part Part;

typedef struct
{
  DlManager          *manager;
  DlDownload         *download;
  BridgeTask         *task;
  DlManagerSettings   settings;

  DlFolder           *folder;       /* the output folder, NULL until opened */
  SharedFd           *dir;          /* its descriptor */
  Part               *part;         /* NULL until the partial file is open */

  double              retry_after;  /* from the last response, or -1 */
  gint64              high_water;   /* the furthest this task has got */
  gboolean            not_ours;     /* another process holds the partial file */
  gint64              size;         /* of the complete file */
  gboolean            done;         /* recorded as done already */
} Job;

/* ---- output folders ------------------------------------------------------------------ */

/* An output folder, open: downloads into it share the descriptor while any
 * of them runs (the manager keeps them by path), so that only the first
 * waits for a disk thread to open it.
 *
 * After a rename the folder is synced, so that the new name survives a
 * power cut before the download is recorded as done. One fsync covers
 * every rename made before it started, and each is a disk write that can
 * take milliseconds: downloads that finish together share one ("group
 * commit"). */
struct _DlFolder
{
  SharedFd *dir;
  GMutex    lock;
  GCond     cond;
  guint64   n_renames;    /* renames made in it, counted from 1 */
  guint64   n_synced;     /* of those, the ones an fsync has covered */
  gboolean  syncing;
};

static void
folder_clear (DlFolder *self)
{
  g_clear_pointer (&self->dir, shared_fd_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
}

/**
 * _dl_folder_new:
 * @fd: a descriptor of the folder, taken
 *
 * Returns: (transfer full): a new #DlFolder
 */
DlFolder *
_dl_folder_new (int fd)
{
  DlFolder *self = g_atomic_rc_box_new0 (DlFolder);

  self->dir = shared_fd_new (fd);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  return self;
}

/* The folder's descriptor (borrowed). */
static SharedFd *
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
static void
folder_sync_after_rename (DlFolder *self)
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

/* ---- the partial file ---------------------------------------------------------------- */

/* The open partial file and the data on its way there.
 *
 * The task fills Part.current from the network and hands each full buffer
 * (BUFFER_SIZE) to the download's writer: a job on a disk thread for as long
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

struct _Part
{
  gatomicrefcount  ref_count;
  GMutex           lock;
  GCond            cond;          /* the writer waits for work */

  /* Loop thread */
  BridgeLoop      *loop;
  DlManager       *manager;
  DlDownload      *download;
  gboolean         detached;      /* the task has let go: record nothing more */
  SharedFd        *fd;            /* NULL until part_start() */
  char            *display_name;  /* NAME.part, for messages */
  FileJob         *create;        /* the file being created, or NULL */
  BridgeFuture    *create_job;
  BridgeFuture    *writer;        /* the writer's job, until it ends */
  Buffer          *current;       /* being filled from the network, or NULL */
  gint64           queued;        /* end of the data handed to the writer */
  gint64           last_submit;   /* monotonic time a buffer was last handed over */
  BridgeFuture    *wakeup;        /* the task waits for the writer */
  GChecksum       *checksum;      /* NULL when no checksum is expected */
  GCallback        renamed_cb;    /* called once when the end's rename is done */
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

static Part *
part_ref (Part *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/* Loop thread only: the last reference goes there. */
static void
part_unref (Part *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_assert (self->create_job == NULL && self->writer == NULL && self->wakeup == NULL);

  g_clear_pointer (&self->current, buffer_unref);
  g_queue_clear_full (&self->to_write, (GDestroyNotify) buffer_unref);
  g_clear_pointer (&self->finish, finish_free);
  g_clear_pointer (&self->create, file_job_unref);
  g_clear_pointer (&self->fd, shared_fd_unref);
  g_clear_pointer (&self->checksum, g_checksum_free);
  g_clear_error (&self->error);
  g_clear_object (&self->download);
  g_clear_object (&self->manager);
  g_clear_object (&self->loop);
  g_free (self->display_name);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

static void
part_unref_notify (gpointer data)
{
  part_unref (data);
}

static Part *
part_new (Job    *job,
          gint64  offset)
{
  Part *self = g_new0 (Part, 1);

  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->loop = g_object_ref (bridge_future_get_loop (BRIDGE_FUTURE (job->task)));
  self->manager = g_object_ref (job->manager);
  self->download = g_object_ref (job->download);
  g_queue_init (&self->to_write);
  self->queued = self->written = self->synced = self->sync_target = offset;
  self->last_sync = self->last_submit = g_get_monotonic_time ();
  self->hashed = -1;
  if (job->download->sha256 != NULL)
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
part_wake_writer_locked (Part *self)
{
  if (self->writer_idle)
    g_cond_signal (&self->cond);
}

/* Called with @lock held. */
static void
part_set_error_locked (Part   *self,
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

static void part_notified_cb (gpointer user_data);

/* Called with @lock held: has part_notified_cb() run on the loop thread,
 * once for any number of calls until it runs. */
static void
part_notify_locked (Part *self)
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

/* Writes @n_buffers buffers one after the other at @offset. Fails with the
 * errno in @saved_errno. */
static gboolean
write_all (int       fd,
           Buffer  **buffers,
           guint     n_buffers,
           gint64    offset,
           int      *saved_errno)
{
  struct iovec iov[DIRECT_MAX_WRITE];
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
static int
open_direct (int fd)
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
static gboolean
can_write_direct (Buffer  **buffers,
                  guint     n_buffers,
                  gint64    offset)
{
  if (offset % DIRECT_ALIGN != 0)
    return FALSE;
  for (guint i = 0; i < n_buffers; i++)
    if (buffers[i]->len % DIRECT_ALIGN != 0)
      return FALSE;
  return TRUE;
}

typedef struct
{
  Part   *part;
  gint64  target;
} SyncJob;

/* A disk thread, next to the writer: makes everything up to @target
 * durable. */
static gboolean
sync_job_run (gpointer   user_data,
              GError   **error)
{
  SyncJob *job = user_data;
  Part *self = job->part;
  GError *local_error = NULL;

  if (fdatasync (self->fd->fd) != 0)
    set_errno_error (&local_error, errno, "sync", self->display_name);

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

  part_unref (job->part);
  g_free (job);
}

/* Called with @lock held, by the writer: starts a sync of everything written
 * when one is wanted or due and none runs. */
static void
part_maybe_sync_locked (Part *self)
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
part_finish_on_thread (Part   *self,
                       Finish *finish)
{
  int fd = self->fd->fd;
  const char *actual;

  if (fdatasync (fd) != 0)
    {
      set_errno_error (&finish->error, errno, "sync", self->display_name);
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

  if (!dl_file_name_rename_part (finish->folder->dir->fd, finish->name, &finish->out_name,
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

  folder_sync_after_rename (finish->folder);

  if (finish->done != NULL)
    dl_store_release (finish->store, finish->done->id);
}

/* The writer: a disk thread for as long as the file is open. */
static gboolean
writer_run (gpointer   user_data,
            GError   **error)
{
  Part *self = user_data;
  int fd = self->fd->fd;
  int direct_fd = -1;
  gboolean direct_tried = FALSE;

  g_mutex_lock (&self->lock);

  for (;;)
    {
      Buffer *buffers[DIRECT_MAX_WRITE];
      guint n_buffers = 0;

      /* Direct writes only past the first DIRECT_MIN_OFFSET bytes: see
       * there. */
      if (!direct_tried && self->written >= DIRECT_MIN_OFFSET)
        {
          direct_fd = open_direct (fd);
          direct_tried = TRUE;
        }

      /* Direct writes wait for the disk: when it fell behind, what waits
       * goes in one write. A buffered write is one buffer, and the start
       * of its writeback. */
      while (self->error == NULL && !g_queue_is_empty (&self->to_write) &&
             n_buffers < (direct_fd >= 0 ? DIRECT_MAX_WRITE : 1))
        buffers[n_buffers++] = g_queue_pop_head (&self->to_write);

      if (n_buffers > 0)
        {
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

          if (direct_fd >= 0 && can_write_direct (buffers, n_buffers, offset))
            {
              ok = write_all (direct_fd, buffers, n_buffers, offset, &saved_errno);
              if (!ok && saved_errno == EINVAL)
                {
                  /* The file system takes O_DIRECT but not these writes:
                   * nothing was written, and the rest goes buffered. */
                  close (direct_fd);
                  direct_fd = -1;
                }
              else if (!ok)
                set_errno_error (&local_error, saved_errno, "write", self->display_name);
            }
          if (!ok && local_error == NULL)
            {
              ok = write_all (fd, buffers, n_buffers, offset, &saved_errno);
              if (ok)
                /* Start the writeback now: the disk works while more
                 * arrives, and the next sync finds little left to do. */
                (void) sync_file_range (fd, offset, len, SYNC_FILE_RANGE_WRITE);
              else
                set_errno_error (&local_error, saved_errno, "write", self->display_name);
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
            buffer_unref (buffers[i]);
          continue;
        }

      if (self->finish != NULL && !self->finished && self->error == NULL)
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
          /* Nothing more to write: leave as soon as no sync runs, so that
           * the task, which waits for that, is done at once. */
          self->closing = TRUE;
          part_notify_locked (self);
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
  Part *self = user_data;
  g_autoptr(BridgeFuture) wakeup = NULL;
  GCallback renamed_cb = NULL;
  gint64 synced;

  g_mutex_lock (&self->lock);
  self->notifying = FALSE;
  synced = self->synced;
  wakeup = g_steal_pointer (&self->wakeup);
  if (self->finish != NULL && self->finish->renamed)
    renamed_cb = g_steal_pointer (&self->renamed_cb);
  g_mutex_unlock (&self->lock);

  if (renamed_cb != NULL)
    ((void (*) (gpointer)) renamed_cb) (self->renamed_data);

  /* Synced first, recorded after: the stored offset is never more than
   * what the disk has. */
  if (!self->detached && self->download->resume_offset < synced)
    {
      self->download->resume_offset = synced;
      _dl_manager_save_progress (self->manager, self->download);
    }

  if (wakeup != NULL && !bridge_future_is_done (wakeup))
    bridge_future_set_boolean (wakeup, TRUE, NULL);
}

/* Loop thread: wakes the task if it waits in part_wait_locked(). */
static void
part_wake_task (Part *self)
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
part_wait_locked (Part    *self,
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
part_check_locked (Part    *self,
                   GError **error)
{
  if (self->error == NULL)
    return TRUE;
  g_propagate_error (error, g_error_copy (self->error));
  return FALSE;
}

/* The file is open (@fd taken, @name the final name): starts its writer. */
static void
part_start (Part       *self,
            int         fd,
            const char *name)
{
  g_assert (self->fd == NULL);

  self->fd = shared_fd_new (fd);
  self->display_name = g_strconcat (name, DL_FILE_NAME_PART_SUFFIX, NULL);
  self->writer = run_on_disk_thread_for (self->loop, writer_run, part_ref (self),
                                         part_unref_notify);
}

/* Makes sure there is a buffer to read into, waiting for the disk when this
 * download holds MAX_BUFFERS already. Fails with the disk's error, or when
 * the task is cancelled. */
static gboolean
part_get_buffer (Part    *self,
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
    self->current = buffer_new ();
  return ok;
}

/* Hands the current buffer over to the writer. */
static void
part_submit (Part *self)
{
  Buffer *buffer = g_steal_pointer (&self->current);

  if (buffer == NULL)
    return;

  g_mutex_lock (&self->lock);
  if (buffer->len == 0 || self->error != NULL)
    {
      self->n_buffers--;
      g_mutex_unlock (&self->lock);
      buffer_unref (buffer);
      return;
    }

  self->queued += buffer->len;
  self->last_submit = g_get_monotonic_time ();
  g_queue_push_tail (&self->to_write, buffer);
  part_wake_writer_locked (self);
  g_mutex_unlock (&self->lock);
}

/* Bytes received: handed to the writer, or still in the current buffer. */
static gint64
part_received (Part *self)
{
  return self->queued + (self->current != NULL ? (gint64) self->current->len : 0);
}

static gint64
part_get_written (Part *self)
{
  gint64 written;

  g_mutex_lock (&self->lock);
  written = self->written;
  g_mutex_unlock (&self->lock);
  return written;
}

/* Writes everything received, and with @sync makes it durable and records
 * it as the resumable offset. */
static gboolean
part_flush (Part      *self,
            gboolean   sync,
            GError   **error)
{
  gboolean ok = TRUE;

  part_submit (self);

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
  if (ok && sync && !self->detached && self->download->resume_offset < self->queued)
    {
      self->download->resume_offset = self->queued;
      _dl_manager_save_progress (self->manager, self->download);
    }
  return ok;
}

/* Waits until the writer is idle: nothing to write, no sync running. Fails
 * only when the task is cancelled. */
static gboolean
part_drain (Part    *self,
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

/* The creation of the file is over (see create_part()): starts the writer
 * and the download proper, or notes the failure. Once only: from the
 * creation's done callback, or from whoever waited for it first. */
static void
part_create_finished (Part *self)
{
  g_autoptr(BridgeFuture) future = g_steal_pointer (&self->create_job);
  g_autoptr(FileJob) create = g_steal_pointer (&self->create);
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
      part_start (self, g_steal_fd (&create->fd), create->out_name);
      if (!self->detached)
        {
          /* Recorded with its name before any offset is. The attempt shows
           * as started only now, from where it started: the bytes that came
           * meanwhile show right after. */
          _dl_download_set_file_name (download, create->out_name);
          if (download->state == DL_DOWNLOAD_STATE_CONNECTING)
            _dl_download_set_state (download, DL_DOWNLOAD_STATE_DOWNLOADING);
          _dl_manager_save (self->manager, download);
          _dl_download_set_bytes_received (download, part_received (self));
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
                                                  "Cannot save into “%s”: %s",
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
 * nothing uses it. Data not handed to part_flush() is dropped. */
static void
part_close (Part *self)
{
  g_autoptr(GError) error = NULL;

  /* A file being created is closed once it is. */
  if (self->create_job != NULL)
    {
      if (!await_job (self->create_job, &error))
        g_debug ("Not waiting for the creation of a partial file: %s", error->message);
      g_clear_error (&error);
      part_create_finished (self);
    }

  self->detached = TRUE;
  if (self->writer == NULL)
    {
      g_clear_object (&self->download);
      g_clear_object (&self->manager);
      return;
    }

  g_mutex_lock (&self->lock);
  self->closing = TRUE;
  part_wake_writer_locked (self);
  g_mutex_unlock (&self->lock);

  if (await_job (self->writer, &error))
    {
      /* Nothing uses the file any more: close it now, not when the last
       * notification on its way lets go of the part. Another task may
       * want to lock it right away (a resume after a pause). */
      g_clear_pointer (&self->fd, shared_fd_unref);
    }
  else
    {
      g_debug ("Not waiting for the writer of “%s”: %s", self->display_name, error->message);
    }
  g_clear_pointer (&self->writer, bridge_future_unref);

  /* Likewise, the download and its manager are not kept alive by it. */
  g_clear_object (&self->download);
  g_clear_object (&self->manager);
}

/* ---- the download's files --------------------------------------------------------- */

static gint64
job_written (Job *job)
{
  return job->part != NULL ? part_get_written (job->part) : 0;
}

static void
close_part (Job *job)
{
  if (job->part == NULL)
    return;

  part_close (job->part);
  g_clear_pointer (&job->part, part_unref);
}

static gboolean
ensure_dir (Job     *job,
            GError **error)
{
  const char *path = job->download->output_dir;
  g_autoptr(FileJob) open_dir = NULL;

  if (job->dir != NULL)
    return TRUE;

  /* Open already for another download, or being opened by one: no need to
   * wait for a disk thread of our own. */
  while (job->folder == NULL)
    {
      g_autoptr(BridgeFuture) opening = NULL;
      g_autoptr(BridgeFuture) shield = NULL;

      job->folder = _dl_manager_use_folder (job->manager, path, &opening);
      if (job->folder != NULL)
        break;

      if (opening != NULL)
        {
          shield = bridge_shield (opening);
          if (!bridge_await (shield, error))
            return FALSE;
          continue;
        }

      open_dir = file_job_new (FILE_OPEN_DIR);
      open_dir->path = g_strdup (path);
      if (!run_file_job (open_dir, error))
        {
          _dl_manager_add_folder (job->manager, path, -1);
          return FALSE;
        }
      job->folder = _dl_manager_add_folder (job->manager, path, g_steal_fd (&open_dir->fd));
    }

  job->dir = shared_fd_ref (_dl_folder_get_dir (job->folder));
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
  gboolean ok;

  g_assert (part->current == NULL);

  /* A sync still running must not record an offset of the old bytes. */
  if (!part_drain (part, error))
    return FALSE;

  g_mutex_lock (&part->lock);
  ok = part_check_locked (part, error);
  g_mutex_unlock (&part->lock);
  if (!ok)
    return FALSE;

  truncate = file_job_new (FILE_TRUNCATE);
  truncate->part = shared_fd_ref (part->fd);
  truncate->name = g_strdup (job->download->file_name);
  truncate->offset = offset;
  if (!run_file_job (truncate, error))
    return FALSE;

  g_mutex_lock (&part->lock);
  part->queued = part->written = offset;
  part->synced = MIN (part->synced, offset);
  part->sync_target = MIN (part->sync_target, offset);
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
  g_mutex_unlock (&part->lock);

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
    return job_written (job);

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
      job->part = part_new (job, open->offset);
      part_start (job->part, g_steal_fd (&open->fd), download->file_name);
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
 * Content-Disposition or the final URL. The file is created on a disk
 * thread while the body starts to arrive (a create can wait for the file
 * system, for milliseconds when other files are being synced): the writer
 * starts, and the download shows as started, once it is there; a failure
 * shows up as the part's error. */
static void
create_part (Job         *job,
             SoupMessage *msg)
{
  DlDownload *download = job->download;
  g_autofree char *url = NULL;
  const char *disposition;
  FileJob *create;
  Part *part;

  disposition = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                              "Content-Disposition");
  url = g_uri_to_string (soup_message_get_uri (msg));

  create = file_job_new (FILE_CREATE);
  create->dir = shared_fd_ref (job->dir);
  create->name = download->file_name != NULL
                 ? g_strdup (download->file_name)
                 : dl_file_name_choose (disposition, url);

  download->resume_offset = 0;
  _dl_download_set_bytes_received (download, 0);

  part = job->part = part_new (job, 0);
  part->create = g_atomic_rc_box_acquire (create);
  part->create_job = run_on_disk_thread_for (part->loop, file_job_run, create,
                                             (GDestroyNotify) file_job_unref);
  bridge_future_add_done_callback (part->create_job, create_done_cb, part_ref (part),
                                   part_unref_notify);
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

  if (!_dl_manager_wait_for_proxy_resolver (error))
    {
      *outcome = OUTCOME_STOPPED;
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

      _dl_manager_preconnect (job->manager, uri);
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
 * @error set.
 *
 * (Reading libsoup's pollable stream without waiting when data is there
 * was tried: no faster, and the loop's longest iterations doubled, each
 * task doing more per turn.) */
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

/* Receives the body into the partial file. With @total known, returns as
 * soon as that much is there: *@at_eof says whether the end of the stream
 * was read too. */
static Outcome
stream_body (Job           *job,
             GInputStream  *stream,
             gint64         total,
             gboolean      *at_eof,
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
      double deadline;
      gssize n;

      if (!part_get_buffer (part, &local_error))
        {
          disk_failed = !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
          break;
        }
      buffer = part->current;

      n = read_into (stream, buffer, MIN (READ_CHUNK, BUFFER_SIZE - buffer->len), &local_error);
      if (n <= 0)
        {
          *at_eof = n == 0;
          break;
        }

      /* Moving the deadline re-arms a timer, which wakes the loop: with
       * bytes arriving every few microseconds, it moves only once it lags
       * by 1/64 of the timeout (which may so fire that much early). */
      deadline = bridge_loop_time (loop) + job->settings.idle_timeout;
      if (deadline - bridge_timeout_get_when (scope) > job->settings.idle_timeout / 64)
        bridge_timeout_reschedule (scope, deadline);

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
      /* Until the file exists, the attempt has not started to show. */
      if (part->fd != NULL)
        _dl_download_set_bytes_received (download, received);

      if (buffer->len == BUFFER_SIZE ||
          g_get_monotonic_time () - part->last_submit >= SYNC_INTERVAL_USEC)
        part_submit (part);

      /* All there: the end can start (see attempt()). */
      if (received == total)
        break;
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

  if (outcome == OUTCOME_DONE && total >= 0 && part_received (part) != total)
    {
      g_set_error (&local_error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_LENGTH,
                   "The connection closed after %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " bytes",
                   part_received (part), total);
      outcome = OUTCOME_RETRY;
    }

  /* Whatever arrived goes to disk, also when pausing: a retry or a resume
   * continues after it instead of fetching it again. The end of a complete
   * body is written by finish_part(), in one go with the sync and the
   * rename. */
  if (!disk_failed && outcome != OUTCOME_DONE)
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
          GError *error = NULL;

          set_errno_error (&error, errno, "read", job->name);
          bridge_future_set_error (future, error, NULL);
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

/* Hashes the whole partial file again, when this run did not see every
 * byte (a resumed download), and checks the result. */
static Outcome
verify_again (Job     *job,
              GError **error)
{
  DlDownload *download = job->download;
  Part *part = job->part;
  g_autoptr(BridgeFuture) future = NULL;
  g_autofree char *actual = NULL;
  HashJob *hash = g_new0 (HashJob, 1);

  hash->fd = shared_fd_ref (part->fd);
  hash->name = g_strdup (part->display_name);
  future = bridge_run_in_thread (hash_job_thread, hash, hash_job_free);
  actual = bridge_await_string (future, error);
  if (actual == NULL)
    return g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
           ? OUTCOME_STOPPED : OUTCOME_FATAL;

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

/* The file is complete under its final name: the download is done, and
 * its slot is another's. */
static void
job_done (Job      *job,
          gboolean  recorded)
{
  DlDownload *download = job->download;

  if (job->done)
    return;
  job->done = TRUE;

  _dl_download_set_error (download, NULL);
  download->resume_offset = job->size;
  _dl_download_set_bytes_received (download, job->size);
  _dl_download_set_total_bytes (download, job->size);
  _dl_download_set_state (download, DL_DOWNLOAD_STATE_DONE);
  if (!recorded)
    _dl_manager_save (job->manager, download);
  _dl_manager_release_ticket (job->manager, download);
  _dl_manager_release_slot (job->manager, download);
}

/* The writer has renamed the file (on the loop thread, as soon as the news
 * comes): the download is done now, before the task waiting for the writer
 * runs again, and while the writer still syncs the folder. The writer
 * records it, after that sync. With twenty downloads finishing in turn,
 * the next ones start that much sooner. */
static void
job_renamed_cb (gpointer user_data)
{
  Job *job = user_data;
  Part *part = job->part;
  g_autofree char *out_name = NULL;
  gboolean recorded;

  g_mutex_lock (&part->lock);
  out_name = g_strdup (part->finish->out_name);
  recorded = part->finish->done != NULL;
  g_mutex_unlock (&part->lock);

  _dl_download_set_file_name (job->download, out_name);
  job->size = part->queued;
  job_done (job, recorded);
}

/* The body is complete: has the writer write what is left, sync it, check
 * the checksum and rename the file (see part_finish_on_thread()), and
 * returns with @out_finish once it is on its way; finish_part_wait() waits
 * for the end. */
static Outcome
finish_part_start (Job     *job,
                   gint64   total,
                   Finish **out_finish,
                   GError **error)
{
  DlDownload *download = job->download;
  Part *part = job->part;
  Finish *finish;
  gboolean hashed_all;
  gboolean ok = TRUE;
  Outcome outcome;

  /* The file must exist first (and the download show as started). */
  g_mutex_lock (&part->lock);
  while (ok && part->create_job != NULL && part->error == NULL)
    ok = part_wait_locked (part, error);
  ok = ok && part_check_locked (part, error);
  hashed_all = part->checksum != NULL && part->hashed >= 0;
  g_mutex_unlock (&part->lock);
  if (!ok)
    return disk_outcome (*error);

  _dl_download_set_state (download, DL_DOWNLOAD_STATE_VERIFYING);
  _dl_download_set_bytes_received (download, part_received (part));
  if (total < 0)
    _dl_download_set_total_bytes (download, part_received (part));

  /* This run did not see every byte (it resumed): read the file back. */
  if (download->sha256 != NULL && !hashed_all)
    {
      if (!part_flush (part, FALSE, error))
        return disk_outcome (*error);
      outcome = verify_again (job, error);
      if (outcome == OUTCOME_FATAL &&
          g_error_matches (*error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_CHECKSUM))
        {
          /* Bad bytes are not worth resuming: a retry starts from zero. */
          discard_part (job);
        }
      if (outcome != OUTCOME_DONE)
        return outcome;
    }

  part_submit (part);

  finish = g_new0 (Finish, 1);
  finish->checksum = part->checksum;
  finish->folder = _dl_folder_ref (job->folder);
  finish->name = g_strdup (download->file_name);
  if (download->sha256 != NULL && hashed_all)
    finish->sha256 = g_strdup (download->sha256);
  if (dl_manager_get_store (job->manager) != NULL && download->id != 0 && !download->removed)
    {
      finish->store = g_object_ref (dl_manager_get_store (job->manager));
      finish->done = _dl_download_to_record (download);
    }

  /* The writer finishes and ends: waiting for it to end is waiting for the
   * end of the download, in one hop. A cancellation meanwhile waits on (a
   * renamed file is complete, whatever else happens). */
  g_mutex_lock (&part->lock);
  part->finish = finish;
  part->closing = TRUE;
  part->renamed_cb = G_CALLBACK (job_renamed_cb);
  part->renamed_data = job;
  part_wake_writer_locked (part);
  g_mutex_unlock (&part->lock);

  *out_finish = finish;
  return OUTCOME_DONE;
}

/* Waits for the end started by finish_part_start(). */
static Outcome
finish_part_wait (Job     *job,
                  Finish  *finish,
                  GError **error)
{
  DlDownload *download = job->download;
  Part *part = job->part;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GError) cancelled = NULL;
  gboolean ok;
  Outcome outcome;

  if (!await_job (part->writer, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        cancelled = g_steal_pointer (&local_error);
      g_clear_error (&local_error);
    }

  /* Cancelled twice: the job is not to be touched once this returns. */
  g_mutex_lock (&part->lock);
  part->renamed_cb = NULL;
  g_mutex_unlock (&part->lock);
  part_close (part);

  g_mutex_lock (&part->lock);
  if (part->finished)
    part->finish = NULL;
  else
    finish = NULL;
  ok = part_check_locked (part, &local_error);
  g_mutex_unlock (&part->lock);

  if (finish == NULL)
    {
      /* A failed write, or cancelled twice: the writer may still finish, and
       * frees @finish with the part. */
      if (!ok)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return OUTCOME_FATAL;
        }
      if (cancelled == NULL)
        cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      g_propagate_error (error, g_steal_pointer (&cancelled));
      return OUTCOME_STOPPED;
    }
  g_clear_error (&local_error);

  if (finish->synced && download->resume_offset < part->queued)
    {
      download->resume_offset = part->queued;
      _dl_manager_save_progress (job->manager, download);
    }

  /* Renamed: the download is complete, whatever else happened. The file
   * is closed before the download says so. */
  if (finish->out_name != NULL)
    {
      _dl_download_set_file_name (download, finish->out_name);
      finish_free (finish);
      job->size = part->queued;
      return OUTCOME_DONE;
    }

  local_error = g_steal_pointer (&finish->error);
  if (g_error_matches (local_error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_CHECKSUM))
    {
      /* Bad bytes are not worth resuming: a retry starts from zero. */
      outcome = OUTCOME_FATAL;
      g_propagate_error (error, g_steal_pointer (&local_error));
      finish_free (finish);
      discard_part (job);
      return outcome;
    }

  if (finish->synced)
    /* The rename failed. */
    g_set_error (error, local_error->domain, local_error->code,
                 "Cannot save into “%s”: %s", download->output_dir, local_error->message);
  else
    g_propagate_error (error, g_steal_pointer (&local_error));
  finish_free (finish);
  return OUTCOME_FATAL;
}

static Outcome
attempt (Job     *job,
         GError **error)
{
  DlDownload *download = job->download;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GBytes) more = NULL;
  g_autoptr(GError) close_error = NULL;
  SoupMessageHeaders *headers;
  Outcome outcome = OUTCOME_RETRY;
  gboolean at_eof = TRUE;
  Finish *finish = NULL;
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
          if (!_dl_manager_acquire_slot (job->manager, download, error))
            return OUTCOME_STOPPED;
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

  /* The response is there: the download proper starts once it has its
   * slot (see the top of dl-manager.c). Meanwhile the body waits in the
   * connection. */
  if (!_dl_manager_acquire_slot (job->manager, download, error))
    return OUTCOME_STOPPED;

  if (job->part == NULL)
    {
      create_part (job, msg);
    }
  else
    {
      _dl_download_set_state (download, DL_DOWNLOAD_STATE_DOWNLOADING);
      _dl_manager_save (job->manager, download);
    }

  at_eof = FALSE;
  outcome = stream_body (job, stream, total, &at_eof, error);
  if (outcome != OUTCOME_DONE)
    return outcome;

complete:
  /* Every byte is there: the writer starts the end (the last writes, the
   * sync, the rename) while the response is closed. */
  outcome = finish_part_start (job, total, &finish, error);
  if (outcome != OUTCOME_DONE)
    return outcome;

  /* The next download can send its request: it gets the slot once this
   * one is done, and libsoup sends it over this connection as soon as the
   * response is closed. */
  _dl_manager_release_ticket (job->manager, download);

  /* Closed now rather than when this returns, the response lets go of its
   * connection at once instead of after the sync. Read to its end first:
   * libsoup only keeps a connection whose response was read through. A
   * failure only means the connection is not reused; a cancellation waits
   * for the end like in finish_part_wait() (a renamed file is complete). */
  if (!at_eof)
    more = bridge_input_stream_read_bytes (stream, 1, G_PRIORITY_DEFAULT, &close_error);
  if (close_error == NULL)
    bridge_input_stream_close (stream, G_PRIORITY_DEFAULT, &close_error);
  if (close_error != NULL)
    g_debug ("%s: closing the response: %s", download->url, close_error->message);
  g_clear_object (&stream);
  g_clear_object (&msg);

  return finish_part_wait (job, finish, error);
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
static void fail (Job          *job,
                  const GError *error);

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

    case DL_STOP_TIME_LIMIT:
      {
        g_autoptr(GError) timed_out =
          g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "Not done within the time limit of %g s", job->settings.max_time);

        /* The cancellation that brought us here was ours: what follows
         * (syncing the partial file, saving the state) must not see it. */
        bridge_task_uncancel (job->task);
        fail (job, timed_out);
      }
      break;

    case DL_STOP_PAUSE:
    case DL_STOP_SHUTDOWN:
    case DL_STOP_NONE:
    default:
      /* Keep the partial file, synced up to what is recorded. */
      if (job->part != NULL && !part_flush (job->part, TRUE, &error))
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
              g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
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
/* DlManager:max-time ran out: stop the task as a pause would, but it ends
 * failed (see stop()). A pause, cancel or removal already under way wins. */
static void
time_limit_cb (gpointer user_data)
{
  DlDownload *download = user_data;

  if (download->task == NULL || download->stop_reason != DL_STOP_NONE)
    return;

  download->stop_reason = DL_STOP_TIME_LIMIT;
  bridge_task_cancel (download->task, "Time limit");
}

void
_dl_download_task_run (BridgeTask *task,
                       gpointer    user_data)
{
  DlTaskData *td = user_data;
  DlDownload *download = td->download;
  Job job = { 0, };
  guint failures = 0;
  g_autoptr(BridgeHandle) time_limit = NULL;

  job.manager = td->manager;
  job.download = download;
  job.task = task;

  _dl_manager_get_settings (job.manager, &job.settings);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      Outcome outcome;
      gint64 high_water = job.high_water;
      double delay;
      double max_time;

      _dl_download_set_state (download, DL_DOWNLOAD_STATE_QUEUED);
      if (!_dl_manager_acquire_ticket (job.manager, download, &error))
        {
          stop (&job);
          break;
        }

      /* One deadline for this run of the download, from when it first
       * gets to send a request (not while it waits in the queue), retries
       * and their waits included; the limit stays the one it started with. */
      max_time = job.settings.max_time;
      _dl_manager_get_settings (job.manager, &job.settings);
      if (time_limit == NULL && job.settings.max_time > 0)
        time_limit = bridge_handle_ref (bridge_loop_call_later (bridge_future_get_loop (BRIDGE_FUTURE (task)),
                                                                job.settings.max_time, time_limit_cb,
                                                                g_object_ref (download),
                                                                g_object_unref));
      else if (time_limit != NULL)
        job.settings.max_time = max_time;
      outcome = attempt (&job, &error);

      if (outcome == OUTCOME_DONE)
        {
          job_done (&job, FALSE);
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
      _dl_manager_release_ticket (job.manager, download);
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

  if (time_limit != NULL)
    bridge_handle_cancel (time_limit);
  close_part (&job);
  g_clear_pointer (&job.dir, shared_fd_unref);
  if (job.folder != NULL)
    {
      _dl_manager_release_folder (job.manager, download->output_dir, job.folder);
      g_clear_pointer (&job.folder, _dl_folder_unref);
    }
  _dl_manager_release_ticket (job.manager, download);
  _dl_manager_release_slot (job.manager, download);
}
