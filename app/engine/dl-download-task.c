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
 * Disk writes and syncs run on worker threads (bridge_run_in_thread), one at
 * a time per download, overlapping with the next network read: a write to
 * the page cache is usually quick, but can block for a long time under
 * memory pressure or on a slow disk, and the loop thread must never block.
 * The SHA-256 is computed on the same worker, after the write, so hashing
 * costs the loop nothing either. */

/* Bytes gathered from the network before they go to disk as one write. */
#define WRITE_CHUNK (1024 * 1024)

/* Most we ask libsoup for in one read. */
#define READ_CHUNK (256 * 1024)

/* Data is synced and the resumable offset recorded at most this often. */
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

/* The partial file's descriptor, shared with the worker threads that write
 * to it, so it is closed only when the last of them is done. */
typedef struct
{
  int fd;
} PartFd;

static void
part_fd_clear (PartFd *self)
{
  if (self->fd >= 0)
    close (self->fd);
}

static PartFd *
part_fd_new (int fd)
{
  PartFd *self = g_atomic_rc_box_new0 (PartFd);

  self->fd = fd;
  return self;
}

static PartFd *
part_fd_ref (PartFd *self)
{
  return g_atomic_rc_box_acquire (self);
}

static void
part_fd_unref (PartFd *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) part_fd_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PartFd, part_fd_unref)

typedef struct
{
  DlManager          *manager;
  DlDownload         *download;
  BridgeTask         *task;
  DlManagerSettings   settings;

  int                 dirfd;
  PartFd             *part;         /* NULL until the partial file is open */

  gint64              written;      /* bytes handed to completed writes */
  gint64              queued;       /* bytes handed to writes, done or not */
  gint64              synced;       /* bytes known to be on disk */
  gint64              last_sync;    /* monotonic time of the last sync */

  GChecksum          *checksum;     /* NULL when no checksum is expected */
  gint64              hashed;       /* bytes fed to @checksum, from byte 0 */

  BridgeFuture       *inflight;     /* the disk job running now, or NULL */

  double              retry_after;  /* from the last response, or -1 */
  gint64              high_water;   /* the furthest this task has got */
} Job;

/* ---- disk jobs (worker threads) ------------------------------------------------- */

typedef struct
{
  PartFd     *part;
  GBytes     *data;        /* to write at @offset, or NULL */
  gint64      offset;
  GChecksum  *checksum;    /* borrowed; only this job touches it meanwhile */
  gboolean    sync;
  char       *name;        /* for messages */
} DiskJob;

static void
disk_job_free (gpointer data)
{
  DiskJob *job = data;

  g_clear_pointer (&job->part, part_fd_unref);
  g_clear_pointer (&job->data, g_bytes_unref);
  g_free (job->name);
  g_free (job);
}

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

static void
disk_job_thread (BridgeFuture *future,
                 gpointer      user_data,
                 GCancellable *cancellable)
{
  DiskJob *job = user_data;

  if (job->data != NULL)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (job->data, &len);
      gsize done = 0;

      while (done < len)
        {
          ssize_t n = pwrite (job->part->fd, data + done, len - done, job->offset + done);

          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            {
              set_errno_error (future, errno, "write", job->name);
              return;
            }
          done += n;
        }

      if (job->checksum != NULL)
        g_checksum_update (job->checksum, data, len);
    }

  if (job->sync && fdatasync (job->part->fd) != 0)
    {
      set_errno_error (future, errno, "sync", job->name);
      return;
    }

  bridge_future_set_boolean (future, TRUE, NULL);
}

static char *
part_display_name (Job *job)
{
  return g_strconcat (job->download->file_name, DL_FILE_NAME_PART_SUFFIX, NULL);
}

/* Waits for the running disk job, if any. The wait is shielded: a
 * cancellation (pause) stops the waiting, not the job, so that the stop path
 * can wait for the job to really finish before it syncs, truncates or closes
 * anything. */
static gboolean
disk_wait (Job     *job,
           GError **error)
{
  g_autoptr(BridgeFuture) shield = NULL;
  g_autoptr(GError) local_error = NULL;

  if (job->inflight == NULL)
    return TRUE;

  if (!bridge_future_is_done (job->inflight))
    {
      shield = bridge_shield (job->inflight);
      if (!bridge_await (shield, &local_error) &&
          g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !bridge_future_is_done (job->inflight))
        {
          /* Cancelled while the job runs: it goes on, and stays in flight. */
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_clear_error (&local_error);
    }

  if (!bridge_future_get_boolean (job->inflight, &local_error))
    {
      g_clear_pointer (&job->inflight, bridge_future_unref);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  g_clear_pointer (&job->inflight, bridge_future_unref);
  job->written = job->queued;
  if (job->checksum != NULL && job->hashed >= 0)
    job->hashed = job->written;
  return TRUE;
}

/* Waits for the last disk job whatever happens, for the stop path: after a
 * cancellation has been delivered, awaits work again. */
static void
disk_drain (Job *job)
{
  g_autoptr(GError) error = NULL;

  while (job->inflight != NULL)
    {
      if (!disk_wait (job, &error) &&
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          job->inflight != NULL)
        {
          /* Cancelled again while draining: give up waiting. The job keeps
           * its own reference to the descriptor, so nothing is freed under
           * it. */
          g_clear_pointer (&job->inflight, bridge_future_unref);
          job->written = job->queued = job->synced;
          job->hashed = -1;
          return;
        }
      g_clear_error (&error);
    }
}

/* Starts writing @data (may be NULL) at the end of what was queued, and
 * syncing when @sync. The previous job must be finished. */
static void
disk_submit (Job      *job,
             GBytes   *data,
             gboolean  sync)
{
  DiskJob *disk = g_new0 (DiskJob, 1);

  g_assert (job->inflight == NULL);

  disk->part = part_fd_ref (job->part);
  disk->data = data != NULL ? g_bytes_ref (data) : NULL;
  disk->offset = job->queued;
  disk->checksum = job->hashed >= 0 ? job->checksum : NULL;
  disk->sync = sync;
  disk->name = part_display_name (job);

  if (data != NULL)
    job->queued += g_bytes_get_size (data);

  job->inflight = bridge_run_in_thread (disk_job_thread, disk, disk_job_free);
}

/* Syncs everything written so far and records it as the resumable offset. */
static gboolean
disk_sync (Job     *job,
           GError **error)
{
  if (job->part == NULL)
    return TRUE;

  if (!disk_wait (job, error))
    return FALSE;

  disk_submit (job, NULL, TRUE);
  if (!disk_wait (job, error))
    return FALSE;

  job->synced = job->written;
  job->last_sync = g_get_monotonic_time ();
  job->download->resume_offset = job->synced;
  _dl_manager_save_progress (job->manager, job->download);
  return TRUE;
}

/* ---- the partial file ------------------------------------------------------------ */

static void
close_part (Job *job)
{
  disk_drain (job);
  g_clear_pointer (&job->part, part_fd_unref);
}

/* Truncates the partial file to @offset and makes it the point to continue
 * from. Anything after the last synced offset may be garbage after a crash,
 * and after a restart from zero the old bytes are of another version. */
static gboolean
reset_part_to (Job     *job,
               gint64   offset,
               GError **error)
{
  g_assert (job->inflight == NULL);

  if (ftruncate (job->part->fd, offset) != 0)
    {
      int saved_errno = errno;
      g_autofree char *name = part_display_name (job);

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot truncate “%s”: %s", name, g_strerror (saved_errno));
      return FALSE;
    }

  job->written = job->queued = offset;
  job->synced = MIN (job->synced, offset);

  if (job->checksum != NULL)
    {
      if (offset == 0)
        {
          g_checksum_reset (job->checksum);
          job->hashed = 0;
        }
      else if (job->hashed != offset)
        {
          /* Resumed from bytes this run did not hash: verify the whole file
           * at the end instead. */
          job->hashed = -1;
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
  g_autoptr(GError) local_error = NULL;
  struct stat st;
  gint64 offset;
  int fd;

  if (job->dirfd < 0)
    {
      job->dirfd = dl_file_name_open_dir (download->output_dir, error);
      if (job->dirfd < 0)
        return -1;
    }

  /* Still open from the previous attempt of this task: continue after what
   * was written, synced or not (the page cache has it). */
  if (job->part != NULL)
    return job->written;

  if (download->file_name == NULL)
    return 0;

  fd = dl_file_name_open_part (job->dirfd, download->file_name, &local_error);
  if (fd < 0)
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
      g_propagate_error (error, g_steal_pointer (&local_error));
      return -1;
    }

  job->part = part_fd_new (fd);
  if (fstat (fd, &st) != 0)
    st.st_size = 0;

  /* Only what was synced before it was recorded is trusted. */
  offset = MIN (download->resume_offset, (gint64) st.st_size);
  job->written = job->queued = job->synced = offset;
  job->hashed = job->checksum != NULL ? (offset == 0 ? 0 : -1) : -1;
  if (!reset_part_to (job, offset, error))
    return -1;
  return offset;
}

/* Creates NAME.part for the first response, the name from the server's
 * Content-Disposition or the final URL. */
static gboolean
create_part (Job         *job,
             SoupMessage *msg,
             GError     **error)
{
  DlDownload *download = job->download;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *wanted = NULL;
  g_autofree char *reserved = NULL;
  const char *disposition;
  int fd;

  disposition = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                              "Content-Disposition");
  url = g_uri_to_string (soup_message_get_uri (msg));
  wanted = download->file_name != NULL
           ? g_strdup (download->file_name)
           : dl_file_name_choose (disposition, url);

  fd = dl_file_name_create_part (job->dirfd, wanted, &reserved, &local_error);
  if (fd < 0)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "Cannot save into “%s”: %s", download->output_dir, local_error->message);
      return FALSE;
    }

  job->part = part_fd_new (fd);
  job->written = job->queued = job->synced = 0;
  job->hashed = job->checksum != NULL ? 0 : -1;
  if (job->checksum != NULL)
    g_checksum_reset (job->checksum);
  job->last_sync = g_get_monotonic_time ();

  download->resume_offset = 0;
  _dl_download_set_file_name (download, reserved);
  _dl_download_set_bytes_received (download, 0);
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

static gboolean
store_chunk (Job         *job,
             GByteArray **buffer,
             gboolean     force_sync,
             GError     **error)
{
  g_autoptr(GBytes) bytes = NULL;
  gint64 now = g_get_monotonic_time ();
  gboolean sync;

  /* The previous write must be done before the next one starts (one at a
   * time keeps the order and the checksum's input in order). */
  if (!disk_wait (job, error))
    return FALSE;

  if ((*buffer)->len > 0)
    {
      bytes = g_byte_array_free_to_bytes (g_steal_pointer (buffer));
      *buffer = g_byte_array_sized_new (WRITE_CHUNK);
    }

  sync = force_sync ||
         now - job->last_sync >= SYNC_INTERVAL_USEC ||
         job->queued + (bytes != NULL ? (gint64) g_bytes_get_size (bytes) : 0) - job->synced >= SYNC_BYTES;

  if (bytes == NULL && !sync)
    return TRUE;

  if (sync)
    {
      /* Sync what is written, then record it; the bytes of this chunk go
       * with the next sync. The record never claims more than the disk has. */
      if (!disk_sync (job, error))
        return FALSE;
    }

  if (bytes != NULL)
    {
      disk_submit (job, bytes, FALSE);
    }
  return TRUE;
}

static Outcome
stream_body (Job           *job,
             GInputStream  *stream,
             gint64         total,
             GError       **error)
{
  DlDownload *download = job->download;
  g_autoptr(GByteArray) buffer = g_byte_array_sized_new (WRITE_CHUNK);
  g_autoptr(BridgeTimeout) scope = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 received = job->queued;
  BridgeLoop *loop = bridge_future_get_loop (BRIDGE_FUTURE (job->task));
  gboolean too_long = FALSE;
  gboolean disk_failed = FALSE;
  Outcome outcome = OUTCOME_DONE;

  /* The idle timeout: the deadline moves forward whenever bytes arrive. */
  scope = bridge_timeout_begin (job->settings.idle_timeout);

  for (;;)
    {
      g_autoptr(GBytes) bytes = NULL;
      gsize len;

      bytes = bridge_input_stream_read_bytes (stream, READ_CHUNK, G_PRIORITY_DEFAULT, &local_error);
      if (bytes == NULL)
        break;

      len = g_bytes_get_size (bytes);
      if (len == 0)
        break;

      bridge_timeout_reschedule (scope, bridge_loop_time (loop) + job->settings.idle_timeout);

      if (total >= 0 && received + (gint64) len > total)
        {
          g_set_error (&local_error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_LENGTH,
                       "The server sent more than the %" G_GINT64_FORMAT " bytes it announced",
                       total);
          too_long = TRUE;
          break;
        }

      g_byte_array_append (buffer, g_bytes_get_data (bytes, NULL), len);
      received += len;
      _dl_download_set_bytes_received (download, received);

      if (buffer->len >= WRITE_CHUNK &&
          !store_chunk (job, &buffer, FALSE, &local_error))
        {
          disk_failed = TRUE;
          break;
        }
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

      if ((!store_chunk (job, &buffer, FALSE, &disk_error) || !disk_wait (job, &disk_error)) &&
          outcome != OUTCOME_STOPPED)
        {
          g_clear_error (&local_error);
          local_error = g_steal_pointer (&disk_error);
          outcome = g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                    ? OUTCOME_STOPPED : OUTCOME_FATAL;
        }
    }

  if (outcome == OUTCOME_DONE && total >= 0 && job->written != total)
    {
      g_set_error (&local_error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_LENGTH,
                   "The connection closed after %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " bytes",
                   job->written, total);
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
  PartFd *part;
  char   *name;
} HashJob;

static void
hash_job_free (gpointer data)
{
  HashJob *job = data;

  g_clear_pointer (&job->part, part_fd_unref);
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
  g_autofree guint8 *buffer = g_malloc (WRITE_CHUNK);
  off_t offset = 0;

  for (;;)
    {
      ssize_t n = pread (job->part->fd, buffer, WRITE_CHUNK, offset);

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
  g_autofree char *actual = NULL;

  if (download->sha256 == NULL)
    return OUTCOME_DONE;

  if (job->hashed == job->written)
    {
      actual = g_strdup (g_checksum_get_string (job->checksum));
    }
  else
    {
      g_autoptr(BridgeFuture) future = NULL;
      HashJob *hash = g_new0 (HashJob, 1);

      hash->part = part_fd_ref (job->part);
      hash->name = part_display_name (job);
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
    return OUTCOME_FATAL;

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
        return OUTCOME_FATAL;
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
            return OUTCOME_FATAL;
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
        return OUTCOME_FATAL;
      offset = 0;
      if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
        total = soup_message_headers_get_content_length (headers);
    }

  _dl_download_set_validators (download,
                               soup_message_headers_get_one (headers, "ETag"),
                               soup_message_headers_get_one (headers, "Last-Modified"));
  _dl_download_set_total_bytes (download, total);

  if (job->part == NULL && !create_part (job, msg, error))
    return OUTCOME_FATAL;

  _dl_download_set_state (download, DL_DOWNLOAD_STATE_DOWNLOADING);
  _dl_manager_save (job->manager, download);

  outcome = stream_body (job, stream, total, error);
  if (outcome != OUTCOME_DONE)
    return outcome;

complete:
  _dl_download_set_state (download, DL_DOWNLOAD_STATE_VERIFYING);
  _dl_download_set_bytes_received (download, job->written);
  if (total < 0)
    _dl_download_set_total_bytes (download, job->written);

  /* The data must be on disk before the name says the file is complete. */
  if (!disk_sync (job, error))
    return g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
           ? OUTCOME_STOPPED : OUTCOME_FATAL;

  outcome = verify (job, error);
  if (outcome == OUTCOME_FATAL && g_error_matches (*error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_CHECKSUM))
    {
      /* Bad bytes are not worth resuming: a retry starts from zero. */
      close_part (job);
      dl_file_name_remove_part (job->dirfd, download->file_name, NULL);
      download->resume_offset = 0;
    }
  if (outcome != OUTCOME_DONE)
    return outcome;

  {
    g_autoptr(GError) local_error = NULL;
    g_autofree char *final_name = NULL;

    if (!dl_file_name_commit (job->dirfd, download->file_name, &final_name, &local_error))
      {
        g_set_error (error, local_error->domain, local_error->code,
                     "Cannot save into “%s”: %s", download->output_dir, local_error->message);
        return OUTCOME_FATAL;
      }
    close_part (job);
    _dl_download_set_file_name (download, final_name);
  }

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
      close_part (job);
      _dl_manager_discard_part (job->manager, download);
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
      disk_drain (job);
      if (job->part != NULL && !disk_sync (job, &error))
        g_warning ("Cannot sync the partial file of %s: %s", download->url, error->message);
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
  disk_drain (job);
  if (job->part != NULL)
    disk_sync (job, NULL);
  _dl_download_set_bytes_received (download, MAX (download->resume_offset, job->written));
  _dl_download_set_error (download, error);
  _dl_download_set_state (download, DL_DOWNLOAD_STATE_FAILED);
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
  job.dirfd = -1;
  job.hashed = -1;
  job.last_sync = g_get_monotonic_time ();
  if (download->sha256 != NULL)
    job.checksum = g_checksum_new (G_CHECKSUM_SHA256);

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
          download->resume_offset = job.written;
          _dl_download_set_bytes_received (download, job.written);
          _dl_download_set_total_bytes (download, job.written);
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
          job.high_water = MAX (job.high_water, job.written);
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

      if (!disk_wait (&job, NULL) && job.inflight != NULL)
        {
          stop (&job);
          break;
        }
      _dl_download_set_error (download, error);
      _dl_download_set_bytes_received (download, job.written);
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
  if (job.dirfd >= 0)
    close (job.dirfd);
  g_clear_pointer (&job.checksum, g_checksum_free);
  _dl_manager_release_slot (job.manager, download);
}
