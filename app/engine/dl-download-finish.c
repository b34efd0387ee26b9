/* dl-download-finish.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-download-task"

#include "config.h"

#include <glib/gi18n.h>

#include "dl-download-job-private.h"
#include "dl-file-hash.h"

/* The end of a download, once every byte is there (see the top of
 * dl-download-task.c): the checksum, read back when the writer did not see
 * every byte, then the writer's last writes, sync and rename, and the
 * download recorded as done. */

static void
hash_part_thread (BridgeFuture *future,
                  gpointer      user_data,
                  GCancellable *cancellable)
{
  DlSharedFd *fd = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *sha256 = dl_file_hash_sha256 (fd->fd, "partial file", &error);

  if (sha256 != NULL)
    bridge_future_set_string (future, sha256, NULL);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    bridge_future_set_error (future, g_steal_pointer (&error), NULL);
}

/* Hashes the whole partial file again, when this run did not see every
 * byte (a resumed download), or when the manager wants every file's
 * SHA-256, and checks the result against the expected one, if any. The
 * result is the file's SHA-256 (dl_download_get_file_sha256()). */
static Outcome
verify_again (Job     *job,
              GError **error)
{
  DlDownload *download = job->download;
  g_autoptr(BridgeFuture) future = NULL;
  g_autofree char *actual = NULL;

  future = bridge_run_in_thread (hash_part_thread,
                                 _dl_shared_fd_ref (_dl_part_get_fd (job->part)),
                                 (GDestroyNotify) _dl_shared_fd_unref);
  actual = bridge_await_string (future, error);
  if (actual == NULL)
    return disk_outcome (*error);

  g_free (download->file_sha256);
  download->file_sha256 = g_strdup (actual);
  if (download->sha256 != NULL && g_strcmp0 (actual, download->sha256) != 0)
    {
      g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_CHECKSUM,
                   "SHA-256 mismatch: expected %s, got %s", download->sha256, actual);
      return OUTCOME_FATAL;
    }

  return OUTCOME_DONE;
}

/* The file is complete under its final name: the download is done, and
 * its slot is another's. */
void
_dl_download_job_done (Job      *job,
                       gboolean  recorded)
{
  DlDownload *download = job->download;

  if (job->done)
    return;
  job->done = TRUE;

  _dl_download_set_error (download, NULL);
  _dl_download_advance_resume_offset (download, job->size);
  _dl_download_set_bytes_received (download, job->size);
  _dl_download_set_total_bytes (download, job->size);
  _dl_download_set_state (download, DL_DOWNLOAD_STATE_DONE);
  if (!recorded)
    _dl_download_save (download);
  _dl_manager_release_ticket (job->manager, download);
  _dl_manager_release_slot (job->manager, download);
}

/* The writer has renamed the file (on the loop thread, as soon as the news
 * comes): the download is done now, before the task waiting for the writer
 * runs again, and while the writer still syncs the folder. The writer
 * records it, after that sync. With twenty downloads finishing in turn,
 * the next ones start that much sooner. */
static void
job_renamed_cb (const char *out_name,
                gint64      size,
                gboolean    recorded,
                gpointer    user_data)
{
  Job *job = user_data;

  _dl_download_set_file_name (job->download, out_name);
  job->size = size;
  _dl_download_job_done (job, recorded);
}

/* The body is complete: has the writer write what is left, sync it, check
 * the checksum and rename the file (see _dl_part_finish_start()), and
 * returns once it is on its way; _dl_download_job_finish_wait() waits for the end. */
Outcome
_dl_download_job_finish_start (Job     *job,
                               gint64   total,
                               GError **error)
{
  DlDownload *download = job->download;
  DlPart *part = job->part;
  DlStore *store = dl_manager_get_store (job->manager);
  DlStoreRecord *done = NULL;
  gboolean hashed_all;
  Outcome outcome;

  /* The file must exist first (and the download show as started). */
  if (!_dl_part_wait_created (part, &hashed_all, error))
    return disk_outcome (*error);

  _dl_download_set_state (download, DL_DOWNLOAD_STATE_VERIFYING);
  _dl_download_set_bytes_received (download, _dl_part_received (part));
  if (total < 0)
    _dl_download_set_total_bytes (download, _dl_part_received (part));

  /* This run did not see every byte (it resumed), or every file's hash
   * is wanted: read the file back, through the descriptor it was written
   * with. */
  g_clear_pointer (&download->file_sha256, g_free);
  if (download->sha256 != NULL && hashed_all)
    download->file_sha256 = g_strdup (download->sha256);
  else if ((download->sha256 != NULL && !hashed_all) || job->settings.hash_files)
    {
      if (!_dl_part_flush (part, FALSE, error))
        return disk_outcome (*error);
      outcome = verify_again (job, error);
      if (outcome == OUTCOME_FATAL &&
          g_error_matches (*error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_CHECKSUM))
        {
          /* Bad bytes are not worth resuming: a retry starts from zero. */
          _dl_download_job_discard_part (job);
        }
      if (outcome != OUTCOME_DONE)
        return outcome;
    }

  if (store != NULL && download->id != 0 && !download->removed)
    done = _dl_download_to_record (download);
  _dl_part_finish_start (part, job->folder, download->file_name,
                         hashed_all ? download->sha256 : NULL, store, done,
                         job_renamed_cb, job);
  return OUTCOME_DONE;
}

/* Waits for the end started by _dl_download_job_finish_start(). */
Outcome
_dl_download_job_finish_wait (Job     *job,
                              GError **error)
{
  DlDownload *download = job->download;
  g_autofree char *out_name = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean synced;
  gint64 size = _dl_part_received (job->part);

  if (_dl_part_finish_wait (job->part, &out_name, &synced, &local_error))
    {
      /* Renamed: the download is complete, whatever else happened. The
       * file is closed before the download says so. */
      _dl_download_advance_resume_offset (download, size);
      _dl_download_set_file_name (download, out_name);
      job->size = size;
      return OUTCOME_DONE;
    }

  if (synced)
    _dl_download_advance_resume_offset (download, size);

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return OUTCOME_STOPPED;
    }
  if (g_error_matches (local_error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_CHECKSUM))
    {
      /* Bad bytes are not worth resuming: a retry starts from zero. */
      g_propagate_error (error, g_steal_pointer (&local_error));
      _dl_download_job_discard_part (job);
      return OUTCOME_FATAL;
    }
  if (synced)
    /* The rename failed. */
    g_set_error (error, local_error->domain, local_error->code,
                 /* Translators: "Cannot save into “/home/me/Downloads”: No space left on device" */
                 _("Cannot save into “%s”: %s"), download->output_dir, local_error->message);
  else
    g_propagate_error (error, g_steal_pointer (&local_error));
  return OUTCOME_FATAL;
}
