/* dl-download-task.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-download-task"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>


#include <libsoup/soup.h>

#include "dl-chunked-check.h"
#include "dl-disk-private.h"
#include "dl-download-job-private.h"
#include "dl-download-private.h"
#include "dl-download-task-private.h"
#include "dl-file-hash.h"
#include "dl-file-name.h"
#include "dl-http-auth-private.h"
#include "dl-http-private.h"
#include "dl-manager-private.h"
#include "dl-part-file-private.h"
#include "dl-request-options-private.h"
#include "dl-segmented-fetch-private.h"

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
 * The loop thread never blocks on the disk: every call that can runs on a
 * disk thread (dl-disk.c), and the task waits for it like for the network.
 * The body is read straight into large buffers, which the partial file's
 * writer writes as they are, in order, while the task goes on reading into
 * the next buffer (dl-part-file.c). */

/* Most we ask libsoup for in one read: as much as the buffer has room for,
 * so that one read takes whatever the socket holds. */
#define READ_CHUNK DL_BUFFER_SIZE

/* ---- the download's files --------------------------------------------------------- */

static gint64
job_written (Job *job)
{
  return job->part != NULL ? _dl_part_get_written (job->part) : 0;
}

static void
close_part (Job *job)
{
  if (job->part == NULL)
    return;

  _dl_part_close (job->part);
  g_clear_pointer (&job->part, _dl_part_unref);
}

/* Opens the output folder, shared with the other downloads into it, once
 * the removal of an earlier partial file (see dl_download_cancel()) is
 * over. */
static gboolean
ensure_dir (Job     *job,
            GError **error)
{
  DlDownload *download = job->download;

  if (job->dir != NULL)
    return TRUE;

  if (download->discarding != NULL)
    {
      g_autoptr(BridgeFuture) discarding = bridge_future_ref (download->discarding);
      g_autoptr(GError) local_error = NULL;

      if (!_dl_await_disk_job (discarding, &local_error) &&
          g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (download->discarding == discarding)
        g_clear_pointer (&download->discarding, bridge_future_unref);
    }

  job->folder = _dl_folders_open (_dl_manager_get_folders (job->manager), download->output_dir,
                                  error);
  if (job->folder == NULL)
    return FALSE;

  job->dir = _dl_shared_fd_ref (_dl_folder_get_dir (job->folder));
  return TRUE;
}

/* Truncates the partial file to @offset and continues from there (see
 * _dl_part_reset_to()). */
static gboolean
reset_part_to (Job     *job,
               gint64   offset,
               GError **error)
{
  if (!_dl_part_reset_to (job->part, offset, job->download->file_name, error))
    return FALSE;

  _dl_download_rewind (job->download, offset);
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
  g_autoptr(DlFileJob) open = NULL;
  g_autoptr(GError) local_error = NULL;
  /* Fetched in parts: the file is kept whole, and the first request asks
   * for the first byte missing. */
  gint64 in_parts = _dl_segmented_fetch_resume_offset (download);
  gboolean ok;

  if (!ensure_dir (job, error))
    return -1;

  /* Still open from the previous attempt of this task: continue after what
   * was written, synced or not (the page cache has it). */
  if (job->part != NULL)
    return in_parts >= 0 ? in_parts : job_written (job);

  if (download->file_name == NULL)
    return 0;

  open = _dl_file_job_new (DL_FILE_OPEN);
  open->dir = _dl_shared_fd_ref (job->dir);
  open->name = g_strdup (download->file_name);
  open->offset = in_parts >= 0 ? G_MAXINT64 : download->resume_offset;
  open->owner = _dl_download_dup_part_owner (download);
  ok = _dl_run_file_job (open, &local_error);

  /* Opened (also when cancelled meanwhile: then the stop path syncs it). */
  if (open->fd >= 0)
    {
      gint64 offset = in_parts >= 0 ? in_parts : open->offset;

      job->part = _dl_part_new (task_loop (job), download, offset);
      _dl_part_start (job->part, g_steal_fd (&open->fd), download->file_name);
      /* In parts, the ranges say what is there (a rewind to 0 would drop
       * them). */
      if (in_parts < 0)
        _dl_download_rewind (download, offset);
      /* Shorter than the ranges say (cut by hand): start over. */
      if (in_parts >= 0 && open->size < _dl_segmented_fetch_durable_end (download))
        return reset_part_to (job, 0, error) ? 0 : -1;
      open->offset = offset;
    }

  if (!ok)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          /* The partial file is gone (deleted by hand, or never created):
           * start over, under a name chosen again. */
          _dl_download_set_file_name (download, NULL);
          _dl_download_rewind (download, 0);
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
 * Content-Disposition or the final URL, while the body starts to arrive
 * (see _dl_part_new_creating()). */
static void
create_part (Job         *job,
             SoupMessage *msg)
{
  DlDownload *download = job->download;
  g_autofree char *url = NULL;
  const char *disposition;
  char *name;

  disposition = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                              "Content-Disposition");
  url = g_uri_to_string (soup_message_get_uri (msg));
  name = download->file_name != NULL
         ? g_strdup (download->file_name)
         : dl_file_name_choose (disposition, url);

  _dl_download_rewind (download, 0);
  job->part = _dl_part_new_creating (task_loop (job), download, job->dir, name);
}

/* Removes the partial file, if the download has one. */
void
_dl_download_job_discard_part (Job *job)
{
  DlDownload *download = job->download;
  g_autoptr(DlFileJob) remove = NULL;
  g_autoptr(GError) error = NULL;

  close_part (job);

  if (download->file_name != NULL && ensure_dir (job, &error))
    {
      remove = _dl_file_job_new (DL_FILE_REMOVE);
      remove->dir = _dl_shared_fd_ref (job->dir);
      remove->name = g_strdup (download->file_name);
      _dl_run_file_job (remove, &error);
    }

  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_debug ("Cannot remove the partial file of %s: %s", download->url, error->message);

  _dl_download_rewind (download, 0);
}

/* ---- HTTP ------------------------------------------------------------------------- */

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

  /* A response libsoup cannot parse (a broken status line, an unknown
   * encoding, headers over its 64 KiB limit) will not parse better next
   * time. The last one comes as G_IO_ERROR_PARTIAL_INPUT, like a cut
   * connection, and only its message, in libsoup's own translation, tells
   * them apart. */
  if (e->domain == SOUP_SESSION_ERROR ||
      (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT) &&
       g_strcmp0 (e->message, g_dgettext ("libsoup-3.0", "Header too big")) == 0))
    return OUTCOME_FATAL;

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
  g_autoptr(DlHttpAuth) auth = _dl_http_auth_new (job->manager, download);

  *outcome = OUTCOME_FATAL;
  uri = _dl_http_auth_get_uri (auth, error);
  if (uri == NULL)
    return NULL;

  if (!_dl_manager_wait_for_proxy_resolver (job->manager, error))
    {
      *outcome = OUTCOME_STOPPED;
      return NULL;
    }

  /* One deadline for the whole chain: connecting, TLS, every redirect hop,
   * up to the final response's headers. */
  scope = bridge_timeout_begin (job->settings.connect_timeout);

  for (guint hops = 0; ; hops++)
    {
      g_autoptr(SoupMessage) msg = _dl_http_new_request (uri, offset, download->etag,
                                                                 download->last_modified);
      g_autoptr(GInputStream) stream = NULL;
      g_autoptr(GError) local_error = NULL;
      GUri *next;

      /* Fetched in parts and missing its first bytes: the rest on disk is
       * of the version If-Range names, so the request carries it too. */
      if (offset == 0 && _dl_segmented_fetch_resume_offset (download) == 0)
        _dl_segmented_fetch_ask_from_start (msg, download);

      g_hash_table_add (visited, g_uri_to_string (uri));
      _dl_request_options_apply (download->request_options, msg, download->url);
      _dl_download_set_attempts (download, download->attempts + 1);

      _dl_manager_preconnect (job->manager, uri);
      _dl_http_auth_prepare (auth, msg);
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

      switch (_dl_http_auth_check (auth, msg, scope, job->settings.connect_timeout, error))
        {
        case DL_HTTP_AUTH_PASS:
          break;
        case DL_HTTP_AUTH_RESEND:
          _dl_http_close_response (stream, FALSE, download->url);
          continue;
        case DL_HTTP_AUTH_FAILED:
        default:
          bridge_timeout_end (g_steal_pointer (&scope), NULL);
          *outcome = g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                     ? OUTCOME_STOPPED : OUTCOME_FATAL;
          return NULL;
        }

      if (!_dl_http_is_redirect (soup_message_get_status (msg)))
        {
          if (!bridge_timeout_end (g_steal_pointer (&scope), error))
            {
              *outcome = network_error (job, error);
              return NULL;
            }
          *out_msg = g_steal_pointer (&msg);
          return g_steal_pointer (&stream);
        }

      next = _dl_http_follow_redirect (msg, uri, visited, hops, error);
      if (next == NULL)
        {
          bridge_timeout_end (g_steal_pointer (&scope), NULL);
          return NULL;
        }
      g_clear_pointer (&uri, g_uri_unref);
      uri = next;
    }
}

/* ---- the body ----------------------------------------------------------------------- */

/* How receiving the body ended. */
typedef enum
{
  BODY_OK,           /* all there, or the end of the stream */
  BODY_TOO_LONG,     /* more than announced */
  BODY_DISK_FAILED,  /* the writer failed */
  BODY_READ_FAILED,  /* the network failed, or the idle timeout ran out */
  BODY_BAD_FRAMING,  /* a chunked body without its last chunk, or garbled */
} BodyEnd;

/* How much the next read asks for, with @room left in its buffer: less
 * under a speed limit, so that one read does not run far ahead of it. */
static gsize
read_size (Job   *job,
           gsize  room)
{
  gsize count = MIN (READ_CHUNK, room);

  count = _dl_rate_limit_get_chunk (_dl_manager_get_rate_limit (job->manager), count);
  return _dl_rate_limit_get_chunk (job->download->rate_limit, count);
}

/* Before a read of up to @count bytes: under the speed limits (all
 * downloads', this one's), waits until they hold the bytes, looking again
 * after each wait as other downloads read too (see _dl_rate_limit_wait()).
 * The idle timeout counts from the end of the wait. Fails only when the
 * task is cancelled. */
static gboolean
wait_for_rate_limits (Job            *job,
                      gsize           count,
                      BridgeTimeout  *scope,
                      GError        **error)
{
  DlRateLimit *global = _dl_manager_get_rate_limit (job->manager);
  gint64 now = g_get_monotonic_time ();
  gint64 wait;

  while ((wait = MAX (_dl_rate_limit_wait (global, count, now),
                      _dl_rate_limit_wait (job->download->rate_limit, count, now))) > 0)
    {
      double seconds = wait / (double) G_USEC_PER_SEC;

      bridge_timeout_reschedule (scope, bridge_loop_time (task_loop (job)) + seconds +
                                        job->settings.idle_timeout);
      if (!bridge_sleep (seconds, error))
        return FALSE;
      now = g_get_monotonic_time ();
    }
  return TRUE;
}

/* The read brought @n bytes: the limits are charged for them. */
static void
charge_rate_limits (Job    *job,
                    gssize  n)
{
  gint64 now;

  if (n <= 0)
    return;
  now = g_get_monotonic_time ();
  _dl_rate_limit_charge (_dl_manager_get_rate_limit (job->manager), n, now);
  _dl_rate_limit_charge (job->download->rate_limit, n, now);
}

/* Reads the body into the partial file until the end of @stream, or until
 * @total bytes are there (*@at_eof says whether the end was read too). */
static BodyEnd
receive_body (Job           *job,
              SoupMessage   *msg,
              GInputStream  *stream,
              gint64         total,
              BridgeTimeout *scope,
              gboolean      *at_eof,
              GError       **error)
{
  DlPart *part = job->part;
  BridgeLoop *loop = task_loop (job);
  gint64 received = _dl_part_received (part);
  SoupMessageMetrics *metrics = soup_message_get_metrics (msg);
  DlChunkedCheck chunked;
  /* Without a length, only the chunked framing tells a complete body from
   * a cut one (libsoup does not, see dl-chunked-check.c). */
  gboolean check_chunked =
    total < 0 && metrics != NULL &&
    soup_message_headers_get_encoding (soup_message_get_response_headers (msg)) == SOUP_ENCODING_CHUNKED;

  dl_chunked_check_init (&chunked);

  for (;;)
    {
      DlBuffer *buffer;
      double deadline;
      gsize count;
      gssize n;

      if (!_dl_part_get_buffer (part, error))
        return g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
               ? BODY_READ_FAILED : BODY_DISK_FAILED;
      buffer = _dl_part_get_current (part);

      count = read_size (job, DL_BUFFER_SIZE - buffer->len);
      if (!wait_for_rate_limits (job, count, scope, error))
        return BODY_READ_FAILED;
      n = _dl_http_read_into (stream, buffer, count, error);
      charge_rate_limits (job, n);
      if (n == 0 && check_chunked &&
          !dl_chunked_check_end (&chunked, soup_message_metrics_get_response_body_bytes_received (metrics),
                                 error))
        return BODY_BAD_FRAMING;
      if (n <= 0)
        {
          *at_eof = n == 0;
          return n == 0 ? BODY_OK : BODY_READ_FAILED;
        }
      /* This read's data may be garbage taken for a chunk: keep only what
       * came before it. */
      if (check_chunked &&
          !dl_chunked_check_data (&chunked, (gsize) n,
                                  soup_message_metrics_get_response_body_bytes_received (metrics),
                                  error))
        return BODY_BAD_FRAMING;

      /* Moving the deadline re-arms a timer, which wakes the loop: with
       * bytes arriving every few microseconds, it moves only once it lags
       * by 1/64 of the timeout (which may so fire that much early). */
      deadline = bridge_loop_time (loop) + job->settings.idle_timeout;
      if (deadline - bridge_timeout_get_when (scope) > job->settings.idle_timeout / 64)
        bridge_timeout_reschedule (scope, deadline);

      if (job->settings.max_file_size > 0 && received + n > job->settings.max_file_size)
        {
          g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_LENGTH,
                       "The file is larger than the limit of %" G_GINT64_FORMAT " bytes",
                       job->settings.max_file_size);
          return BODY_TOO_LONG;
        }

      if (total >= 0 && received + n > total)
        {
          g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_LENGTH,
                       "The server sent more than the %" G_GINT64_FORMAT " bytes it announced",
                       total);
          return BODY_TOO_LONG;
        }

      buffer->len += n;
      received += n;
      /* Until the file exists, the attempt has not started to show. */
      if (_dl_part_is_open (part))
        _dl_download_set_bytes_received (job->download, received);

      _dl_part_submit_if_due (part);

      /* All there: the end can start (see attempt()). */
      if (received == total)
        return BODY_OK;
    }
}

/* What to do after receive_body() ended so, with @error (which may be
 * replaced by a better message). */
static Outcome
classify_body_end (Job      *job,
                   BodyEnd   end,
                   GError  **error)
{
  if (*error == NULL)
    return OUTCOME_DONE;
  if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return OUTCOME_STOPPED;
  if (end == BODY_TOO_LONG)
    return OUTCOME_FATAL;
  if (end == BODY_BAD_FRAMING)
    return OUTCOME_RETRY;
  if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_clear_error (error);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "No data from %s for %g s", job->download->host, job->settings.idle_timeout);
      return OUTCOME_RETRY;
    }
  if (end == BODY_DISK_FAILED)
    return OUTCOME_FATAL;
  return network_error (job, error);
}

/* Receives the body into the partial file. With @total known, returns as
 * soon as that much is there: *@at_eof says whether the end of the stream
 * was read too. */
static Outcome
stream_body (Job           *job,
             SoupMessage   *msg,
             GInputStream  *stream,
             gint64         total,
             gboolean      *at_eof,
             GError       **error)
{
  DlPart *part = job->part;
  g_autoptr(BridgeTimeout) scope = NULL;
  g_autoptr(GError) local_error = NULL;
  BodyEnd end;
  Outcome outcome;

  /* The idle timeout: the deadline moves forward whenever bytes arrive. */
  scope = bridge_timeout_begin (job->settings.idle_timeout);
  _dl_download_set_n_connections (job->download, 1);
  end = receive_body (job, msg, stream, total, scope, at_eof, &local_error);
  _dl_download_set_n_connections (job->download, 0);

  /* Turns the scope's own cancellation into G_IO_ERROR_TIMED_OUT; a pause
   * or cancel from outside stays G_IO_ERROR_CANCELLED. */
  bridge_timeout_end (g_steal_pointer (&scope), &local_error);
  outcome = classify_body_end (job, end, &local_error);

  if (outcome == OUTCOME_DONE && total >= 0 && _dl_part_received (part) != total)
    {
      g_set_error (&local_error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_LENGTH,
                   "The connection closed after %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " bytes",
                   _dl_part_received (part), total);
      outcome = OUTCOME_RETRY;
    }

  /* Whatever arrived goes to disk, also when pausing: a retry or a resume
   * continues after it instead of fetching it again. The end of a complete
   * body is written by _dl_download_job_finish_start(), in one go with the sync and the
   * rename. */
  if (end != BODY_DISK_FAILED && outcome != OUTCOME_DONE)
    {
      g_autoptr(GError) disk_error = NULL;

      if (!_dl_part_flush (part, FALSE, &disk_error) && outcome != OUTCOME_STOPPED)
        {
          g_clear_error (&local_error);
          local_error = g_steal_pointer (&disk_error);
          outcome = disk_outcome (local_error);
        }
    }

  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return outcome;
}

/* ---- one attempt -------------------------------------------------------------------- */

/* What the response to a request for @offset means for the attempt. */
typedef enum
{
  RESPONSE_BODY,      /* a body to receive, of *@total bytes (-1: unknown) */
  RESPONSE_COMPLETE,  /* the file is complete already */
  RESPONSE_FAILED,    /* an error: the outcome says what to do */
} Response;

/* A 416 to a request for @offset: either the file is complete already
 * (paused during verification) or it shrank. */
static Response
classify_range_not_satisfiable (Job          *job,
                                SoupMessage  *msg,
                                gint64        offset,
                                Outcome      *outcome,
                                GError      **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  goffset start, end, range_total;

  if (soup_message_headers_get_content_range (headers, &start, &end, &range_total) &&
      range_total == offset)
    return RESPONSE_COMPLETE;

  *outcome = OUTCOME_RETRY;
  if (job->part != NULL && !reset_part_to (job, 0, error))
    *outcome = disk_outcome (*error);
  else
    g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_PROTOCOL,
                 "The server cannot resume at byte %" G_GINT64_FORMAT "; starting over", offset);
  return RESPONSE_FAILED;
}

/* Whether a 206 answer is a range of the version whose first bytes are on
 * disk: the validator recorded with them (the strong ETag, else the
 * Last-Modified date) must be the answer's too. A range of a file we know
 * nothing about (no validator recorded) is taken on trust. */
static gboolean
same_version (DlDownload         *download,
              SoupMessageHeaders *headers)
{
  if (download->etag != NULL && !g_str_has_prefix (download->etag, "W/"))
    return g_strcmp0 (soup_message_headers_get_one (headers, "ETag"), download->etag) == 0;
  if (download->last_modified != NULL)
    return g_strcmp0 (soup_message_headers_get_one (headers, "Last-Modified"),
                      download->last_modified) == 0;
  return TRUE;
}

/* Classifies the response to the request for *@offset: a body (from
 * *@offset, which a 200 resets to 0, with *@total bytes in all), a file
 * complete already, or a failure with *@outcome. */
static Response
classify_response (Job          *job,
                   SoupMessage  *msg,
                   gint64       *offset,
                   gint64       *total,
                   Outcome      *outcome,
                   GError      **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  guint status = soup_message_get_status (msg);
  goffset start, end, range_total;

  *total = -1;
  *outcome = OUTCOME_FATAL;

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && *offset > 0)
    {
      *total = *offset;
      return classify_range_not_satisfiable (job, msg, *offset, outcome, error);
    }

  /* Worth trying again: the server timed out, is busy, or asks to wait.
   * Any other 4xx (a wrong URL, no permission) is as permanent as the
   * mistake behind it. */
  if (status == SOUP_STATUS_REQUEST_TIMEOUT || status == 425 /* Too Early */ ||
      status == 429 /* Too Many Requests */ || SOUP_STATUS_IS_SERVER_ERROR (status))
    {
      _dl_http_set_error (error, msg);
      *outcome = OUTCOME_RETRY;
      return RESPONSE_FAILED;
    }

  if (status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT)
    {
      _dl_http_set_error (error, msg);
      return RESPONSE_FAILED;
    }

  if (status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      if (!soup_message_headers_get_content_range (headers, &start, &end, &range_total) ||
          start != *offset)
        {
          *outcome = OUTCOME_RETRY;
          if (job->part != NULL && !reset_part_to (job, 0, error))
            *outcome = disk_outcome (*error);
          else
            g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_PROTOCOL,
                         "The server sent a range other than the one asked for; starting over");
          return RESPONSE_FAILED;
        }
      if (!same_version (job->download, headers))
        {
          /* A server that ignores If-Range sends the rest of another
           * version: joined to the bytes on disk it would make a file that
           * matches neither. */
          *outcome = OUTCOME_RETRY;
          if (job->part != NULL && !reset_part_to (job, 0, error))
            *outcome = disk_outcome (*error);
          else
            {
              _dl_download_set_validators (job->download, NULL, NULL);
              g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_PROTOCOL,
                           "The file changed on the server; starting over");
            }
          return RESPONSE_FAILED;
        }
      *total = range_total >= 0 ? range_total : -1;
      _dl_download_set_range_support (job->download, DL_RANGE_SUPPORT_YES);
      return RESPONSE_BODY;
    }

  /* A 200 to a Range request says no; to a plain request, Accept-Ranges
   * tells (its absence is a no: never claim what was not granted). */
  if (*offset > 0)
    _dl_download_set_range_support (job->download, DL_RANGE_SUPPORT_NO);
  else
    {
      const char *ranges = soup_message_headers_get_one (headers, "Accept-Ranges");

      _dl_download_set_range_support (job->download,
                                      ranges != NULL && g_ascii_strcasecmp (ranges, "bytes") == 0
                                        ? DL_RANGE_SUPPORT_YES : DL_RANGE_SUPPORT_NO);
    }

  /* 200: the whole file. When resuming, the server ignored Range or the
   * file changed (If-Range): start over from zero, from this very
   * response. */
  if ((*offset > 0 || _dl_segmented_fetch_resume_offset (job->download) >= 0) &&
      !reset_part_to (job, 0, error))
    {
      *outcome = disk_outcome (*error);
      return RESPONSE_FAILED;
    }
  *offset = 0;
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    *total = soup_message_headers_get_content_length (headers);
  return RESPONSE_BODY;
}

/* The response has a body: the download proper starts once it has its
 * slot (see the top of dl-manager.c), meanwhile the body waits in the
 * connection; then the body goes to the partial file. */
/* Receives the rest of the file over several connections (see
 * dl-segmented-fetch.c), the response to the first request being the
 * first of them. */
static Outcome
receive_in_parts (Job           *job,
                  SoupMessage   *msg,
                  GInputStream  *stream,
                  gint64         total,
                  gboolean      *at_eof,
                  GError       **error)
{
  DlFetchTarget target = { job->manager, job->download, job->part, &job->settings, total };

  switch (_dl_segmented_fetch_run (&target, msg, stream, error))
    {
    case DL_FETCH_DONE:
      _dl_part_adopt_written (job->part, total);
      *at_eof = TRUE;
      return OUTCOME_DONE;

    case DL_FETCH_RESTART:
      /* Another version, or a server that does not keep its word about
       * ranges: from zero, over one connection, never mixing versions. */
      job->one_connection = TRUE;
      _dl_download_set_validators (job->download, NULL, NULL);
      if (!reset_part_to (job, 0, error))
        return disk_outcome (*error);
      return OUTCOME_RETRY;

    case DL_FETCH_STOPPED:
      return OUTCOME_STOPPED;

    case DL_FETCH_RETRY:
      /* The fetch retried each range already. */
    case DL_FETCH_FATAL:
    default:
      return OUTCOME_FATAL;
    }
}

static Outcome
receive_response (Job           *job,
                  SoupMessage   *msg,
                  GInputStream  *stream,
                  gint64         offset,
                  gint64         total,
                  gboolean      *at_eof,
                  GError       **error)
{
  DlDownload *download = job->download;
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);

  _dl_download_set_validators (download,
                               soup_message_headers_get_one (headers, "ETag"),
                               soup_message_headers_get_one (headers, "Last-Modified"));
  _dl_download_set_total_bytes (download, total);
  job->resumable = soup_message_get_status (msg) == SOUP_STATUS_PARTIAL_CONTENT ||
                   soup_message_headers_header_contains (headers, "Accept-Ranges", "bytes");

  if (job->settings.max_file_size > 0 && total > job->settings.max_file_size)
    {
      g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_LENGTH,
                   "The file (%" G_GINT64_FORMAT " bytes) is larger than the limit of %"
                   G_GINT64_FORMAT " bytes", total, job->settings.max_file_size);
      return OUTCOME_FATAL;
    }

  if (!_dl_manager_acquire_slot (job->manager, download, error))
    return OUTCOME_STOPPED;

  if (job->part == NULL)
    {
      create_part (job, msg);
    }
  else
    {
      _dl_download_set_state (download, DL_DOWNLOAD_STATE_DOWNLOADING);
      _dl_download_save (download);
    }

  *at_eof = FALSE;
  if (!job->one_connection && total > 0)
    {
      DlFetchTarget target = { job->manager, download, job->part, &job->settings, total };

      if (_dl_segmented_fetch_wanted (&target, msg, offset))
        return receive_in_parts (job, msg, stream, total, at_eof, error);
    }
  return stream_body (job, msg, stream, total, at_eof, error);
}

/* One request and its response, to the end of the file if all goes well:
 * open what there is → send → classify the response → receive the body →
 * finish the file (sync, check, rename). */
static Outcome
attempt (Job     *job,
         GError **error)
{
  DlDownload *download = job->download;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = NULL;
  Outcome outcome = OUTCOME_RETRY;
  gboolean at_eof = TRUE;
  gint64 offset;
  gint64 total;

  job->retry_after = -1;
  _dl_download_set_state (download, DL_DOWNLOAD_STATE_CONNECTING);

  offset = open_existing_part (job, error);
  if (offset < 0)
    return disk_outcome (*error);

  stream = send_request (job, offset, &msg, &outcome, error);
  if (stream == NULL)
    return outcome;
  job->retry_after = _dl_http_parse_retry_after (msg, job->settings.max_retry_after);

  switch (classify_response (job, msg, &offset, &total, &outcome, error))
    {
    case RESPONSE_FAILED:
      return outcome;

    case RESPONSE_COMPLETE:
      _dl_download_set_total_bytes (download, total);
      if (!_dl_manager_acquire_slot (job->manager, download, error))
        return OUTCOME_STOPPED;
      break;

    case RESPONSE_BODY:
    default:
      outcome = receive_response (job, msg, stream, offset, total, &at_eof, error);
      if (outcome != OUTCOME_DONE)
        return outcome;
      break;
    }

  /* Every byte is there: the writer starts the end (the last writes, the
   * sync, the rename) while the response is closed. */
  outcome = _dl_download_job_finish_start (job, total, error);
  if (outcome != OUTCOME_DONE)
    return outcome;

  /* The next download can send its request: it gets the slot once this
   * one is done, and libsoup sends it over this connection as soon as the
   * response is closed. */
  _dl_manager_release_ticket (job->manager, download);
  _dl_http_close_response (stream, at_eof, download->url);
  g_clear_object (&stream);
  g_clear_object (&msg);

  return _dl_download_job_finish_wait (job, error);
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

static void
fail (Job          *job,
      const GError *error)
{
  DlDownload *download = job->download;

  g_debug ("%s failed: %s", download->url, error->message);

  /* Without a length, and from a server that cannot resume, the partial
   * file can never be completed: it only takes space (a full disk, an
   * endless body). Otherwise whatever was written stays resumable for a
   * retry by the user. */
  if (job->part != NULL && download->total_bytes < 0 && !job->resumable && !job->not_ours)
    _dl_download_job_discard_part (job);
  if (job->part != NULL)
    _dl_part_flush (job->part, TRUE, NULL);
  _dl_download_set_bytes_received (download, MAX (download->resume_offset, job_written (job)));
  _dl_download_set_error (download, error);
  _dl_download_set_state (download, DL_DOWNLOAD_STATE_FAILED);

  /* Another process is downloading it and records its progress: the
   * stored record is that process's to keep. */
  if (!job->not_ours)
    _dl_download_save (download);
}

/* Paused or shut down: keep the partial file, synced up to what is
 * recorded. */
static void
keep_part (Job          *job,
           DlStopReason  reason)
{
  DlDownload *download = job->download;
  g_autoptr(GError) error = NULL;

  /* A failure only means resuming from the last offset recorded. */
  if (job->part != NULL && !_dl_part_flush (job->part, TRUE, &error))
    g_debug ("Not syncing the partial file of %s: %s", download->url, error->message);
  _dl_download_set_bytes_received (download, download->resume_offset);
  _dl_download_set_state (download, DL_DOWNLOAD_STATE_PAUSED);

  /* Shutting down, or a metered network: the stored state stays active,
   * so the next start resumes it, as after a crash. */
  if (reason == DL_STOP_PAUSE)
    _dl_download_save (download);
}

/* The task was cancelled: leave things as the reason for it says. */
static void
stop (Job *job)
{
  DlDownload *download = job->download;
  DlStopReason reason = download->stop_reason;

  switch (reason)
    {
    case DL_STOP_CANCEL:
    case DL_STOP_REMOVE:
      _dl_download_job_discard_part (job);
      if (reason == DL_STOP_CANCEL)
        {
          _dl_download_set_state (download, DL_DOWNLOAD_STATE_CANCELLED);
          _dl_download_save (download);
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
    case DL_STOP_METERED:
    case DL_STOP_NONE:
    default:
      keep_part (job, reason);
      break;
    }
}

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

/* Reads the settings for the next attempt. One deadline holds for this run
 * of the download, from when it first gets to send a request (not while it
 * waits in the queue), retries and their waits included; the limit stays
 * the one it started with. */
static void
update_settings (Job           *job,
                 BridgeHandle **time_limit)
{
  double max_time = job->settings.max_time;

  _dl_manager_get_settings (job->manager, &job->settings);
  if (*time_limit == NULL && job->settings.max_time > 0)
    *time_limit = bridge_handle_ref (bridge_loop_call_later (task_loop (job),
                                                             job->settings.max_time,
                                                             time_limit_cb,
                                                             g_object_ref (job->download),
                                                             g_object_unref));
  else if (*time_limit != NULL)
    job->settings.max_time = max_time;
}

/* A retry is due after a transient failure: counts it, and returns
 * %OUTCOME_FATAL once there were too many in a row. Failures count in a
 * row; an attempt that got further than any before (not merely re-fetching
 * bytes after a restart) resets the count, so a long download over a flaky
 * link still completes. */
static Outcome
count_failure (Job     *job,
               guint   *failures,
               GError **error)
{
  gint64 high_water = job->high_water;

  job->high_water = MAX (job->high_water, job_written (job));
  if (job->high_water > high_water)
    *failures = 0;
  (*failures)++;
  if (*failures > job->settings.max_retries)
    {
      /* Translators: put before the last failure's message: "Gave up after 3
       * attempts: HTTP 503 Service Unavailable" */
      g_prefix_error (error, ngettext ("Gave up after %u attempt: ", "Gave up after %u attempts: ",
                                       *failures), *failures);
      return OUTCOME_FATAL;
    }
  return OUTCOME_RETRY;
}

/* Waits before the next attempt, giving the slot to others meanwhile. What
 * arrived is kept (and the partial file stays open: the next attempt
 * continues after the last byte written). Returns %FALSE if the task was
 * cancelled meanwhile. */
static gboolean
wait_to_retry (Job          *job,
               guint         failures,
               const GError *error)
{
  DlDownload *download = job->download;
  double delay = job->retry_after >= 0 ? job->retry_after : backoff_delay (job, failures);

  _dl_manager_release_ticket (job->manager, download);
  _dl_manager_release_slot (job->manager, download);
  g_debug ("%s: %s; retrying in %.1f s", download->url, error->message, delay);

  _dl_download_set_error (download, error);
  _dl_download_set_bytes_received (download, job_written (job));
  _dl_download_set_retry_at (download, g_get_monotonic_time () + (gint64) (delay * G_USEC_PER_SEC));
  _dl_download_set_state (download, DL_DOWNLOAD_STATE_RETRYING);
  _dl_download_save (download);

  return bridge_sleep (delay, NULL);
}

/* Lets go of everything the task holds. */
static void
job_clear (Job *job)
{
  close_part (job);
  g_clear_pointer (&job->dir, _dl_shared_fd_unref);
  if (job->folder != NULL)
    {
      _dl_folders_release (_dl_manager_get_folders (job->manager), job->download->output_dir,
                           job->folder);
      g_clear_pointer (&job->folder, _dl_folder_unref);
    }
  _dl_manager_release_ticket (job->manager, job->download);
  _dl_manager_release_slot (job->manager, job->download);
}

/**
 * _dl_download_task_run:
 * @task: the task
 * @user_data: a #DlTaskData
 *
 * The download coroutine: attempts with retries, until the file is
 * complete, a failure is fatal, or the task is cancelled. See the comment
 * at the top of this file.
 */
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

      _dl_download_set_state (download, DL_DOWNLOAD_STATE_QUEUED);
      if (!_dl_manager_acquire_ticket (job.manager, download, &error))
        {
          stop (&job);
          break;
        }

      update_settings (&job, &time_limit);
      outcome = attempt (&job, &error);
      if (outcome == OUTCOME_RETRY)
        outcome = count_failure (&job, &failures, &error);

      if (outcome == OUTCOME_DONE)
        _dl_download_job_done (&job, FALSE);
      else if (outcome == OUTCOME_STOPPED)
        stop (&job);
      else if (outcome == OUTCOME_FATAL)
        fail (&job, error);
      else if (!wait_to_retry (&job, failures, error))
        stop (&job);
      else
        continue;
      break;
    }

  if (time_limit != NULL)
    bridge_handle_cancel (time_limit);
  job_clear (&job);
}
