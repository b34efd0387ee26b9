/* dl-disk-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#ifndef PACKAGE_VERSION
# error "config.h must be included before dl-disk-private.h"
#endif

#include <libbridge.h>

G_BEGIN_DECLS

/* The network is read straight into buffers of this size, and each full
 * buffer is one write and the start of its writeback. Smaller ones mean
 * more writes and wake-ups of the writer, larger ones more memory touched
 * per download and later writeback, for no more throughput. */
#define DL_BUFFER_SIZE (256 * 1024)

/* A descriptor (the output folder, the partial file) shared with the worker
 * threads that use it, so it is closed only when the last of them is
 * done, even if the task stopped waiting for them. */
typedef struct
{
  int fd;
} DlSharedFd;

DlSharedFd   *_dl_shared_fd_new          (int             fd);
DlSharedFd   *_dl_shared_fd_ref          (DlSharedFd     *self);
void          _dl_shared_fd_unref        (DlSharedFd     *self);

/* A buffer the network is read into and the disk written from. Besides its
 * download, a read in flight holds it: GIO may fill it after a cancelled
 * task has moved on, so it is only reused once every holder let go. */
typedef struct
{
  gatomicrefcount  ref_count;
  gsize            len;        /* bytes filled */
  guint8          *data;       /* DL_BUFFER_SIZE bytes, page-aligned */
} DlBuffer;

DlBuffer     *_dl_buffer_new             (void);
DlBuffer     *_dl_buffer_ref             (DlBuffer       *self);
void          _dl_buffer_unref           (DlBuffer       *self);
void          _dl_disk_trim_buffers      (void);

gboolean      _dl_set_errno_error        (GError        **error,
                                          int             saved_errno,
                                          const char     *what,
                                          const char     *name);

/* A blocking call on the disk, for _dl_run_on_disk_thread(). */
typedef gboolean (*DlDiskFunc) (gpointer   data,
                                GError   **error);

void          _dl_disk_warm_up           (guint           n_threads);
BridgeFuture *_dl_run_on_disk_thread     (DlDiskFunc      func,
                                          gpointer        data,
                                          GDestroyNotify  destroy);
BridgeFuture *_dl_run_on_disk_thread_for (BridgeLoop     *loop,
                                          DlDiskFunc      func,
                                          gpointer        data,
                                          GDestroyNotify  destroy);
void          _dl_push_to_disk_thread    (DlDiskFunc      func,
                                          gpointer        data,
                                          GDestroyNotify  destroy,
                                          BridgeLoop     *loop);
gboolean      _dl_await_disk_job         (BridgeFuture   *future,
                                          GError        **error);

/* Everything but the writes and syncs of the data: one operation on the
 * folder or the partial file, with its results. Reference counted, so that
 * the task can read the results after the job's own reference is gone,
 * and a descriptor nobody took is closed however the job ended. */
typedef enum
{
  DL_FILE_OPEN_DIR,     /* open @path */
  DL_FILE_CREATE,       /* create and lock a new partial file for the name @name */
  DL_FILE_OPEN,         /* open and lock @name's partial file, cut it at @offset */
  DL_FILE_TRUNCATE,     /* cut @part at @offset */
  DL_FILE_REMOVE,       /* remove @name's partial file */
  DL_FILE_RENAME,       /* rename @name's partial file to @name, or a free variant */
} DlFileOp;

typedef struct
{
  DlFileOp    op;
  char       *path;
  DlSharedFd *dir;
  DlSharedFd *part;
  char       *name;
  gint64      offset;
  char       *owner;      /* DL_FILE_CREATE, DL_FILE_OPEN: the download's mark */

  /* Results */
  int         fd;         /* a new descriptor, or -1 */
  char       *out_name;   /* DL_FILE_CREATE, DL_FILE_RENAME: the name it got */
  gint64      size;       /* DL_FILE_OPEN: the size the file had */
} DlFileJob;

DlFileJob    *_dl_file_job_new           (DlFileOp        op);
void          _dl_file_job_unref         (DlFileJob      *self);
gboolean      _dl_file_job_run           (gpointer        user_data,
                                          GError        **error);
gboolean      _dl_run_file_job           (DlFileJob      *file_job,
                                          GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlFileJob, _dl_file_job_unref)

/* At most this many buffers go in one direct write, when the disk fell
 * behind. */
#define DL_DIRECT_MAX_WRITE 4

gboolean      _dl_write_all              (int             fd,
                                          DlBuffer      **buffers,
                                          guint           n_buffers,
                                          gint64          offset,
                                          int            *saved_errno);
int           _dl_open_direct            (int             fd);
gboolean      _dl_can_write_direct       (DlBuffer      **buffers,
                                          guint           n_buffers,
                                          gint64          offset);

void          _dl_disk_unmark_part       (int             fd);
BridgeFuture *_dl_disk_remove_part       (const char     *dir,
                                          const char     *name);

/* An output folder, open (see dl-disk.c). */
typedef struct _DlFolder DlFolder;

DlFolder     *_dl_folder_ref             (DlFolder       *self);
void          _dl_folder_unref           (DlFolder       *self);
DlSharedFd   *_dl_folder_get_dir         (DlFolder       *self);
void          _dl_folder_sync_after_rename (DlFolder     *self);

/* The output folders open for running downloads, by path. */
typedef struct _DlFolders DlFolders;

DlFolders    *_dl_folders_new            (void);
void          _dl_folders_free           (DlFolders      *self);
DlFolder     *_dl_folders_open           (DlFolders      *self,
                                          const char     *path,
                                          GError        **error);
void          _dl_folders_keep_open      (DlFolders      *self,
                                          const char     *path,
                                          int             fd);
void          _dl_folders_release        (DlFolders      *self,
                                          const char     *path,
                                          DlFolder       *folder);

G_END_DECLS
