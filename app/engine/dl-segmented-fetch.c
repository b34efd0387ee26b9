/* dl-segmented-fetch.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-segmented-fetch"

#include "config.h"

#include <glib/gi18n.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "dl-download-private.h"
#include "dl-file-name.h"
#include "dl-http-auth-private.h"
#include "dl-http-private.h"
#include "dl-request-options-private.h"
#include "dl-segment-plan.h"
#include "dl-segmented-fetch-private.h"

/* A file fetched over several connections at once (see dl-segment-plan.c
 * for who fetches which bytes). Each connection is a task of its own in a
 * task group: it takes a range, asks for exactly those bytes (with
 * If-Range, so that a file that changed on the server comes whole instead
 * of as a part of another version), and writes them at their offset in the
 * partial file with pwrite on disk threads, while it reads on. The first
 * connection is the response that told us the server grants ranges.
 *
 * Crash safety: a syncer task syncs the file every SYNC_INTERVAL seconds
 * (or SYNC_BYTES), and only then records how far each range is written (the offsets it saw
 * before the sync began), so no recorded range ever claims bytes that are
 * not on disk. A restart fetches only what the record says is missing.
 *
 * A range whose connection fails or stalls (no byte for the idle timeout)
 * goes back to the plan, keeping what was written; a connection takes it
 * again after a short wait. Only many failures in a row with no byte
 * received end the fetch (for the download's own retries). An answer that
 * shows another version of the file, or no range at all, ends it at once:
 * the download starts over from zero over one connection, never joining
 * bytes of two versions. */

/* Everything written is synced, and the ranges recorded, this often, or
 * sooner once this much is written and not synced (checked every
 * SYNC_CHECK seconds). */
#define SYNC_INTERVAL 1.0
#define SYNC_BYTES    (8 * 1024 * 1024)
#define SYNC_CHECK    0.25

/* A buffer is written at the latest this long after its first byte came,
 * so that a slow connection does not keep its bytes in memory only. */
#define SUBMIT_INTERVAL_USEC (G_USEC_PER_SEC / 2)

/* Writes in flight per connection: a direct write waits for the device,
 * and the next ones need not wait for it. */
#define MAX_WRITES 4

typedef struct
{
  DlManager               *manager;
  DlDownload              *download;
  DlPart                  *part;
  const DlManagerSettings *settings;
  BridgeLoop              *loop;
  DlSharedFd              *fd;
  DlSharedFd              *direct;        /* the file opened with O_DIRECT, or NULL */
  char                    *display_name;
  DlSegmentPlan           *plan;
  GUri                    *uri;           /* where range requests go */
  char                    *validator;     /* for If-Range, or NULL */
  char                    *etag;
  char                    *last_modified;
  BridgeTaskGroup         *group;
  BridgeTask              *syncer;
  guint                    n_running;     /* connection tasks */
  guint                    n_streaming;   /* of those, with a response open */
  guint                    max_connections;
  guint                    failures;      /* in a row, with no byte between */
  gint64                   recorded;      /* sum of the durable offsets last recorded */
  DlFetchOutcome           outcome;
  GError                  *error;         /* what ended the fetch, if not done */
} Fetch;

typedef struct
{
  Fetch        *fetch;
  int           index;         /* the range taken, or -1 */
  SoupMessage  *msg;
  GInputStream *stream;
  gboolean      holds_permit;  /* a connection of the host's limit */
  gint64        response_end;  /* where the body of the response ends */
  GQueue        writes;        /* Write, in flight, oldest first */
} Connection;

static void
connection_free (gpointer data)
{
  Connection *conn = data;
  Fetch *fetch = conn->fetch;

  g_assert (g_queue_is_empty (&conn->writes));
  if (conn->index >= 0)
    dl_segment_plan_release (fetch->plan, conn->index);
  if (conn->holds_permit)
    _dl_manager_release_connection (fetch->manager, fetch->download);
  g_clear_object (&conn->stream);
  g_clear_object (&conn->msg);
  g_free (conn);
}

/* The first failure that ends the fetch is the one reported. */
static void
fetch_end (Fetch          *fetch,
           DlFetchOutcome  outcome,
           GError         *error)
{
  if (fetch->error == NULL)
    {
      fetch->outcome = outcome;
      fetch->error = error;
    }
  else
    g_error_free (error);
}

static void
update_connections (Fetch *fetch)
{
  _dl_download_set_n_connections (fetch->download, fetch->n_streaming);
}

static void
update_progress (Fetch *fetch)
{
  _dl_download_set_bytes_received (fetch->download, dl_segment_plan_get_received (fetch->plan));
}

/* ---- the disk ------------------------------------------------------------------- */

typedef struct
{
  DlSharedFd *fd;
  DlSharedFd *direct;     /* NULL: buffered writes only */
  DlBuffer   *buffer;
  gint64      offset;
  gint64      size;
  char       *display_name;
} DiskJob;

static void
disk_job_clear (gpointer data)
{
  DiskJob *job = data;

  g_clear_pointer (&job->buffer, _dl_buffer_unref);
  g_clear_pointer (&job->direct, _dl_shared_fd_unref);
  _dl_shared_fd_unref (job->fd);
  g_free (job->display_name);
}

/* Reference counted: a task that stops waiting may let go of a job before
 * its disk thread does. */
static void
disk_job_free (gpointer data)
{
  g_atomic_rc_box_release_full (data, disk_job_clear);
}

static DiskJob *
disk_job_ref (DiskJob *job)
{
  return g_atomic_rc_box_acquire (job);
}

static DiskJob *
disk_job_new (Fetch *fetch)
{
  DiskJob *job = g_atomic_rc_box_new0 (DiskJob);

  job->fd = _dl_shared_fd_ref (fetch->fd);
  job->display_name = g_strdup (fetch->display_name);
  return job;
}

/* A full buffer at an aligned offset goes straight to the disk, without
 * the copy into the page cache and the writeback competing with the next
 * writes (as the one-connection writer does, see dl-part-file.c); the
 * others, and any the file system refuses, go buffered. */
static gboolean
write_job_run (gpointer   data,
               GError   **error)
{
  DiskJob *job = data;
  int saved_errno = 0;

  if (job->direct != NULL && _dl_can_write_direct (&job->buffer, 1, job->offset))
    {
      if (_dl_write_all (job->direct->fd, &job->buffer, 1, job->offset, &saved_errno))
        return TRUE;
      if (saved_errno != EINVAL)
        return _dl_set_errno_error (error, saved_errno, "write", job->display_name);
    }
  if (!_dl_write_all (job->fd->fd, &job->buffer, 1, job->offset, &saved_errno))
    return _dl_set_errno_error (error, saved_errno, "write", job->display_name);
  /* Start the writeback now: the next sync finds little left to do. */
  (void) sync_file_range (job->fd->fd, job->offset, job->buffer->len, SYNC_FILE_RANGE_WRITE);
  return TRUE;
}

static gboolean
sync_job_run (gpointer   data,
              GError   **error)
{
  DiskJob *job = data;

  if (fdatasync (job->fd->fd) != 0)
    return _dl_set_errno_error (error, errno, "sync", job->display_name);
  return TRUE;
}

/* Reserves the whole file on disk (@size bytes, none for 0), so that a full
 * disk fails now, with a clear message, rather than after minutes of
 * downloading; and opens it for direct writes. */
static gboolean
allocate_job_run (gpointer   data,
                  GError   **error)
{
  DiskJob *job = data;
  /* The size stays what is written (the ranges' holes read as zeros
   * anyway): a crash leaves a file no longer than its data, and its size
   * shows how far the download got. */
  int rc = job->size == 0 || fallocate (job->fd->fd, FALLOC_FL_KEEP_SIZE, 0, job->size) == 0
           ? 0 : errno;

  /* A file system that cannot reserve space still takes the writes. */
  if (rc == 0 || rc == EOPNOTSUPP || rc == ENOSYS || rc == EINVAL || rc == EINTR)
    {
      int direct = _dl_open_direct (job->fd->fd);

      if (direct >= 0)
        job->direct = _dl_shared_fd_new (direct);
      return TRUE;
    }
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (rc),
               "Cannot reserve %" G_GINT64_FORMAT " bytes for “%s”: %s", job->size,
               job->display_name, g_strerror (rc));
  return FALSE;
}

/* Reserves the space for a file of @size bytes (0: reserved already) and
 * opens it for direct writes, on a disk thread. */
static gboolean
prepare_file (Fetch   *fetch,
              gint64   size,
              GError **error)
{
  g_autoptr(BridgeFuture) future = NULL;
  DiskJob *job = disk_job_new (fetch);

  job->size = size;
  job->offset = -1;
  future = _dl_run_on_disk_thread_for (fetch->loop, allocate_job_run,
                                       disk_job_ref (job), disk_job_free);
  if (_dl_await_disk_job (future, error) && job->direct != NULL)
    fetch->direct = _dl_shared_fd_ref (job->direct);
  disk_job_free (job);
  return *error == NULL;
}

/* Writes down how far each range is on disk, if that changed. */
static void
record_ranges (Fetch *fetch)
{
  g_autoptr(GArray) ranges = g_array_new (FALSE, FALSE, sizeof (DlStoreRange));
  gint64 sum = 0;

  for (guint i = 0; i < dl_segment_plan_get_n_segments (fetch->plan); i++)
    {
      DlSegment *segment = dl_segment_plan_get (fetch->plan, i);
      DlStoreRange range = { segment->start, segment->end, segment->durable };

      g_array_append_val (ranges, range);
      sum += segment->durable - segment->start;
    }
  if (sum == fetch->recorded && fetch->recorded > 0)
    return;
  fetch->recorded = sum;
  _dl_download_set_ranges (fetch->download, ranges, dl_segment_plan_get_contiguous (fetch->plan));
}

/* Syncs the file, then records the offsets written before the sync began. */
static gboolean
sync_and_record (Fetch   *fetch,
                 GError **error)
{
  guint n = dl_segment_plan_get_n_segments (fetch->plan);
  g_autofree gint64 *written = g_new (gint64, n);
  g_autoptr(BridgeFuture) sync = NULL;

  for (guint i = 0; i < n; i++)
    written[i] = dl_segment_plan_get (fetch->plan, i)->written;

  sync = _dl_run_on_disk_thread_for (fetch->loop, sync_job_run, disk_job_new (fetch),
                                     disk_job_free);
  if (!_dl_await_disk_job (sync, error))
    return FALSE;

  for (guint i = 0; i < n; i++)
    {
      DlSegment *segment = dl_segment_plan_get (fetch->plan, i);

      segment->durable = CLAMP (written[i], segment->durable, segment->end);
    }
  record_ranges (fetch);
  return TRUE;
}

/* Bytes written and not yet synced, in all ranges. */
static gint64
unsynced (Fetch *fetch)
{
  gint64 bytes = 0;

  for (guint i = 0; i < dl_segment_plan_get_n_segments (fetch->plan); i++)
    {
      DlSegment *segment = dl_segment_plan_get (fetch->plan, i);

      bytes += segment->written - segment->durable;
    }
  return bytes;
}

static void
syncer_run (BridgeTask *task,
            gpointer    data)
{
  Fetch *fetch = data;
  GError *error = NULL;
  double last = bridge_loop_time (fetch->loop);

  while (bridge_sleep (SYNC_CHECK, NULL))
    {
      if (bridge_loop_time (fetch->loop) - last < SYNC_INTERVAL && unsynced (fetch) < SYNC_BYTES)
        continue;
      last = bridge_loop_time (fetch->loop);
      if (!sync_and_record (fetch, &error))
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_clear_error (&error);
              break;
            }
          fetch_end (fetch, DL_FETCH_FATAL, g_error_copy (error));
          bridge_task_return_error (task, error);
          return;
        }
    }
  bridge_task_return_boolean (task, TRUE);
}

/* A write on its way to the disk, and where the range is written once it
 * is done. */
typedef struct
{
  BridgeFuture *future;
  gint64        end;
} Write;

/* Waits for the connection's oldest write in flight, and moves its range's
 * written offset. A failure is the disk's, or a cancellation. */
static gboolean
finish_oldest_write (Connection  *conn,
                     GError     **error)
{
  Write *write = g_queue_pop_head (&conn->writes);
  gboolean ok = _dl_await_disk_job (write->future, error);

  if (ok)
    dl_segment_plan_get (conn->fetch->plan, conn->index)->written = write->end;
  bridge_future_unref (write->future);
  g_free (write);
  return ok;
}

/* Waits for every write in flight (all of them, also after a failure: the
 * first failure is the one reported). */
static gboolean
finish_writes (Connection  *conn,
               GError     **error)
{
  gboolean ok = TRUE;

  while (!g_queue_is_empty (&conn->writes))
    ok = finish_oldest_write (conn, ok ? error : NULL) && ok;
  return ok;
}

/* Writes @buffer (taken) at @offset on a disk thread, while the connection
 * reads on: up to MAX_WRITES writes in flight, each at its own offset. */
static gboolean
submit_write (Connection  *conn,
              DlBuffer    *buffer,
              gint64       offset,
              GError     **error)
{
  DiskJob *job;
  Write *write;

  if (buffer->len == 0)
    {
      _dl_buffer_unref (buffer);
      return TRUE;
    }
  if (g_queue_get_length (&conn->writes) >= MAX_WRITES && !finish_oldest_write (conn, error))
    {
      _dl_buffer_unref (buffer);
      finish_writes (conn, NULL);
      return FALSE;
    }

  job = disk_job_new (conn->fetch);
  if (conn->fetch->direct != NULL)
    job->direct = _dl_shared_fd_ref (conn->fetch->direct);
  job->buffer = buffer;
  job->offset = offset;
  write = g_new (Write, 1);
  write->end = offset + (gint64) buffer->len;
  write->future = _dl_run_on_disk_thread_for (conn->fetch->loop, write_job_run, job,
                                              disk_job_free);
  g_queue_push_tail (&conn->writes, write);
  return TRUE;
}

/* ---- requests ------------------------------------------------------------------- */

/* Whether @headers are those of the version the fetch started with. */
static gboolean
same_version (Fetch              *fetch,
              SoupMessageHeaders *headers)
{
  if (fetch->etag != NULL && !g_str_has_prefix (fetch->etag, "W/"))
    return g_strcmp0 (soup_message_headers_get_one (headers, "ETag"), fetch->etag) == 0;
  if (fetch->last_modified != NULL)
    return g_strcmp0 (soup_message_headers_get_one (headers, "Last-Modified"),
                      fetch->last_modified) == 0;
  return TRUE;
}

/* Classifies the answer to a request for [@start, @end): %DL_FETCH_DONE
 * for the very bytes asked for, of the same version. */
static DlFetchOutcome
check_range_response (Fetch        *fetch,
                      SoupMessage  *msg,
                      gint64        start,
                      gint64        end,
                      GError      **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  guint status = soup_message_get_status (msg);
  goffset first, last, total;

  if (status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      if (!soup_message_headers_get_content_range (headers, &first, &last, &total) ||
          first != start || last != end - 1 || total != dl_segment_plan_get_size (fetch->plan))
        {
          g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_PROTOCOL,
                       "The server sent a range other than the one asked for; starting over");
          return DL_FETCH_RESTART;
        }
      if (!same_version (fetch, headers))
        {
          g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_PROTOCOL,
                       "The file changed on the server; starting over");
          return DL_FETCH_RESTART;
        }
      return DL_FETCH_DONE;
    }

  if (status == SOUP_STATUS_OK || status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE ||
      _dl_http_is_redirect (status))
    {
      g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_PROTOCOL,
                   "The server did not send the range asked for (HTTP %u); starting over "
                   "with one connection", status);
      return DL_FETCH_RESTART;
    }

  _dl_http_set_error (error, msg);
  if (status == SOUP_STATUS_REQUEST_TIMEOUT || status == 425 || status == 429 ||
      SOUP_STATUS_IS_SERVER_ERROR (status))
    return DL_FETCH_RETRY;
  return DL_FETCH_FATAL;
}

/* What a network error means for the range: try again, unless it is a
 * certificate the next request will not trust either. */
static DlFetchOutcome
network_outcome (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return DL_FETCH_STOPPED;
  if (error->domain == G_TLS_ERROR || error->domain == SOUP_SESSION_ERROR)
    return DL_FETCH_FATAL;
  return DL_FETCH_RETRY;
}

/* Asks for the rest of the connection's range, with what the first
 * request sent: the download's own headers and cookies, and its
 * credentials when the server asks again (a Digest nonce gone stale). */
static DlFetchOutcome
open_range (Connection  *conn,
            GError     **error)
{
  Fetch *fetch = conn->fetch;
  DlSegment *segment = dl_segment_plan_get (fetch->plan, conn->index);
  gint64 start = segment->written;
  gint64 end = segment->end;
  g_autoptr(DlHttpAuth) auth = _dl_http_auth_new (fetch->manager, fetch->download);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(BridgeTimeout) scope = NULL;
  g_autoptr(GInputStream) stream = NULL;
  DlFetchOutcome outcome;

  scope = bridge_timeout_begin (fetch->settings->connect_timeout);
  for (;;)
    {
      SoupMessageHeaders *headers;

      g_clear_object (&msg);
      msg = _dl_http_new_request (fetch->uri, 0, NULL, NULL);
      headers = soup_message_get_request_headers (msg);
      soup_message_headers_set_range (headers, start, end - 1);
      if (fetch->validator != NULL)
        soup_message_headers_replace (headers, "If-Range", fetch->validator);
      _dl_request_options_apply (fetch->download->request_options, msg, fetch->download->url);
      _dl_http_auth_prepare (auth, msg);

      stream = bridge_soup_session_send (dl_manager_get_session (fetch->manager), msg,
                                         G_PRIORITY_DEFAULT, error);
      if (stream == NULL)
        {
          bridge_timeout_end (g_steal_pointer (&scope), error);
          return network_outcome (*error);
        }

      switch (_dl_http_auth_check (auth, msg, scope, fetch->settings->connect_timeout, error))
        {
        case DL_HTTP_AUTH_PASS:
          break;
        case DL_HTTP_AUTH_RESEND:
          _dl_http_close_response (stream, FALSE, fetch->download->url);
          g_clear_object (&stream);
          continue;
        case DL_HTTP_AUTH_FAILED:
        default:
          bridge_timeout_end (g_steal_pointer (&scope), NULL);
          return g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? DL_FETCH_STOPPED
                                                                           : DL_FETCH_FATAL;
        }
      break;
    }
  if (!bridge_timeout_end (g_steal_pointer (&scope), error))
    return network_outcome (*error);

  outcome = check_range_response (fetch, msg, start, end, error);
  if (outcome != DL_FETCH_DONE)
    return outcome;

  conn->msg = g_steal_pointer (&msg);
  conn->stream = g_steal_pointer (&stream);
  conn->response_end = end;
  return DL_FETCH_DONE;
}

/* Lets go of the response: read to its end when all of it was taken (the
 * connection is kept for the next request), else closed, which closes the
 * connection too. */
static void
close_response (Connection *conn,
             gboolean    all_read)
{
  g_autoptr(GError) error = NULL;

  if (conn->stream == NULL)
    return;
  if (all_read)
    _dl_http_close_response (conn->stream, FALSE, conn->fetch->download->url);
  else if (!bridge_input_stream_close (conn->stream, G_PRIORITY_DEFAULT, &error))
    g_debug ("Closing a range of %s: %s", conn->fetch->download->url, error->message);
  g_clear_object (&conn->stream);
  g_clear_object (&conn->msg);
  conn->fetch->n_streaming--;
  update_connections (conn->fetch);
}

/* ---- receiving a range ---------------------------------------------------------- */

/* A read of up to @count bytes under the speed limits (all downloads',
 * this one's), shared by every connection: it waits until the limits hold
 * the bytes, then pays for what it brings (see _dl_rate_limit_wait()). */
static gssize
read_limited (Connection    *conn,
              DlBuffer      *buffer,
              gsize          count,
              BridgeTimeout *scope,
              GError       **error)
{
  Fetch *fetch = conn->fetch;
  DlRateLimit *global = _dl_manager_get_rate_limit (fetch->manager);
  DlRateLimit *own = fetch->download->rate_limit;
  gint64 now = g_get_monotonic_time ();
  gint64 wait;
  gssize n;

  count = _dl_rate_limit_get_chunk (own, _dl_rate_limit_get_chunk (global, count));
  /* Looked at again after each wait: another connection may have read. */
  while ((wait = MAX (_dl_rate_limit_wait (global, count, now),
                      _dl_rate_limit_wait (own, count, now))) > 0)
    {
      double seconds = wait / (double) G_USEC_PER_SEC;

      bridge_timeout_reschedule (scope, bridge_loop_time (fetch->loop) + seconds +
                                        fetch->settings->idle_timeout);
      if (!bridge_sleep (seconds, error))
        return -1;
      now = g_get_monotonic_time ();
    }

  n = _dl_http_read_into (conn->stream, buffer, count, error);
  if (n > 0)
    {
      now = g_get_monotonic_time ();
      _dl_rate_limit_charge (global, n, now);
      _dl_rate_limit_charge (own, n, now);
    }
  return n;
}

/* One read into @buffer, for the connection's range: moves the range's
 * received offset. Returns bytes taken, 0 at a premature end, -1 on
 * failure. */
static gssize
receive_some (Connection    *conn,
              DlBuffer      *buffer,
              BridgeTimeout *scope,
              GError       **error)
{
  Fetch *fetch = conn->fetch;
  DlSegment *segment = dl_segment_plan_get (fetch->plan, conn->index);
  gsize count = MIN ((gint64) (DL_BUFFER_SIZE - buffer->len), segment->end - segment->received);
  double deadline;
  gssize n = read_limited (conn, buffer, count, scope, error);

  if (n <= 0)
    return n;

  /* The range may have been split while the read waited: what is past
   * its new end is another connection's. */
  segment = dl_segment_plan_get (fetch->plan, conn->index);
  n = MIN (n, segment->end - segment->received);
  buffer->len += n;
  segment->received += n;
  fetch->failures = 0;

  deadline = bridge_loop_time (fetch->loop) + fetch->settings->idle_timeout;
  if (deadline - bridge_timeout_get_when (scope) > fetch->settings->idle_timeout / 64)
    bridge_timeout_reschedule (scope, deadline);
  return n;
}

/* Receives the connection's range to its end (which a split may move),
 * writing it as it comes. */
static DlFetchOutcome
receive_range (Connection  *conn,
               GError     **error)
{
  Fetch *fetch = conn->fetch;
  g_autoptr(BridgeTimeout) scope = bridge_timeout_begin (fetch->settings->idle_timeout);
  DlBuffer *buffer = NULL;
  gint64 buffer_offset = 0;
  gint64 buffer_since = 0;
  gboolean ok = TRUE;
  gboolean disk_ok = TRUE;

  for (;;)
    {
      DlSegment *segment = dl_segment_plan_get (fetch->plan, conn->index);
      gssize n;

      if (segment->received >= segment->end)
        break;
      if (buffer == NULL)
        {
          buffer = _dl_buffer_new ();
          buffer_offset = segment->received;
          buffer_since = g_get_monotonic_time ();
        }

      n = receive_some (conn, buffer, scope, error);
      if (n <= 0)
        {
          if (n == 0)
            g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_LENGTH,
                         "The connection closed %" G_GINT64_FORMAT " bytes before the end "
                         "of its range", segment->end - segment->received);
          ok = FALSE;
          break;
        }
      update_progress (fetch);

      segment = dl_segment_plan_get (fetch->plan, conn->index);
      if (buffer->len == DL_BUFFER_SIZE || segment->received >= segment->end ||
          g_get_monotonic_time () - buffer_since >= SUBMIT_INTERVAL_USEC)
        {
          disk_ok = submit_write (conn, g_steal_pointer (&buffer), buffer_offset, error);
          if (!disk_ok)
            break;
        }
    }

  /* What arrived is written, also after a failure: the range continues
   * after it. */
  if (buffer != NULL && disk_ok)
    disk_ok = submit_write (conn, g_steal_pointer (&buffer), buffer_offset,
                            ok ? error : NULL);
  g_clear_pointer (&buffer, _dl_buffer_unref);
  if (disk_ok)
    disk_ok = finish_writes (conn, ok ? error : NULL);

  bridge_timeout_end (g_steal_pointer (&scope), ok ? NULL : error);
  if (!disk_ok && ok)
    return g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? DL_FETCH_STOPPED
                                                                     : DL_FETCH_FATAL;
  if (ok)
    return disk_ok ? DL_FETCH_DONE : DL_FETCH_FATAL;
  if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_clear_error (error);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "No data from %s for %g s",
                   fetch->download->host, fetch->settings->idle_timeout);
    }
  return g_error_matches (*error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_LENGTH)
         ? DL_FETCH_RETRY : network_outcome (*error);
}

/* Fetches the rest of the connection's range. */
static DlFetchOutcome
fetch_range (Connection  *conn,
             GError     **error)
{
  Fetch *fetch = conn->fetch;
  DlFetchOutcome outcome;
  DlSegment *segment;

  if (conn->stream == NULL)
    {
      outcome = open_range (conn, error);
      if (outcome != DL_FETCH_DONE)
        return outcome;
      fetch->n_streaming++;
      update_connections (fetch);
    }

  outcome = receive_range (conn, error);
  segment = dl_segment_plan_get (fetch->plan, conn->index);
  close_response (conn, outcome == DL_FETCH_DONE && segment->end == conn->response_end);
  return outcome;
}

/* ---- connections ---------------------------------------------------------------- */

static void connection_run (BridgeTask *task,
                            gpointer    data);

static void
spawn_connection (Fetch        *fetch,
                  Connection   *conn)
{
  DlSegment *segment = dl_segment_plan_get (fetch->plan, conn->index);
  g_autofree char *name = g_strdup_printf ("%s bytes %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
                                           fetch->download->url, segment->start, segment->end);

  fetch->n_running++;
  if (bridge_task_group_spawn_full (fetch->group, name, BRIDGE_STACK_SIZE_DEFAULT,
                                    connection_run, conn, connection_free, NULL) == NULL)
    fetch->n_running--;
}

/* Starts more connections while there are fewer than wanted, work for
 * them, and room under the host's connection limit. */
static void
add_connections (Fetch *fetch)
{
  while (fetch->error == NULL && fetch->n_running < fetch->max_connections &&
         dl_segment_plan_has_work (fetch->plan) &&
         _dl_manager_try_acquire_connection (fetch->manager, fetch->download))
    {
      Connection *conn = g_new0 (Connection, 1);

      conn->fetch = fetch;
      conn->holds_permit = TRUE;
      conn->index = dl_segment_plan_take (fetch->plan);
      spawn_connection (fetch, conn);
    }
}

/* A failed range goes back to the plan; the connection waits a little
 * before it takes one again, unless failures in a row are too many. */
static DlFetchOutcome
requeue (Connection  *conn,
         GError     **error)
{
  Fetch *fetch = conn->fetch;
  const DlManagerSettings *settings = fetch->settings;
  double delay;

  dl_segment_plan_release (fetch->plan, conn->index);
  conn->index = -1;
  if (++fetch->failures > settings->max_retries)
    {
      g_prefix_error (error, ngettext ("Gave up after %u attempt: ", "Gave up after %u attempts: ",
                                       fetch->failures), fetch->failures);
      return DL_FETCH_RETRY;
    }

  g_debug ("%s: %s; the range goes back to the queue", fetch->download->url, (*error)->message);
  g_clear_error (error);
  delay = MIN (settings->retry_delay * (1u << MIN (fetch->failures - 1, 20u)),
               settings->max_retry_delay);
  return bridge_sleep (delay * g_random_double_range (0.5, 1.0), error)
         ? DL_FETCH_DONE : DL_FETCH_STOPPED;
}

static void
connection_run (BridgeTask *task,
                gpointer    data)
{
  Connection *conn = data;
  Fetch *fetch = conn->fetch;
  DlFetchOutcome outcome = DL_FETCH_DONE;
  GError *error = NULL;

  while (outcome == DL_FETCH_DONE && fetch->error == NULL)
    {
      /* Another download waits for the host: an extra connection makes
       * way for it between ranges. */
      if (conn->index < 0 && conn->holds_permit &&
          _dl_manager_is_host_wanted (fetch->manager, fetch->download))
        break;
      if (conn->index < 0)
        conn->index = dl_segment_plan_take (fetch->plan);
      if (conn->index < 0)
        break;
      add_connections (fetch);

      outcome = fetch_range (conn, &error);
      if (outcome == DL_FETCH_RETRY)
        {
          close_response (conn, FALSE);
          outcome = requeue (conn, &error);
        }
      else if (outcome == DL_FETCH_DONE)
        conn->index = -1;
      else
        close_response (conn, FALSE);
    }

  if (--fetch->n_running == 0 && fetch->syncer != NULL)
    bridge_task_cancel (fetch->syncer, NULL);

  if (outcome == DL_FETCH_DONE || outcome == DL_FETCH_STOPPED)
    {
      g_clear_error (&error);
      bridge_task_return_boolean (task, TRUE);
      return;
    }
  fetch_end (fetch, outcome, g_error_copy (error));
  bridge_task_return_error (task, error);
}

/* ---- the fetch ------------------------------------------------------------------ */

/* The plan of @download's recorded ranges, or NULL if they do not fit a
 * file of @size. */
static DlSegmentPlan *
plan_from_ranges (DlDownload *download,
                  gint64      size,
                  gint64      min_split)
{
  g_autoptr(DlSegmentPlan) plan = NULL;

  if (size <= 0)
    return NULL;
  plan = dl_segment_plan_new (size, min_split);
  for (guint i = 0; download->ranges != NULL && i < download->ranges->len; i++)
    {
      DlStoreRange *range = &g_array_index (download->ranges, DlStoreRange, i);

      if (!dl_segment_plan_restore (plan, range->start, range->end, range->durable))
        return NULL;
    }
  dl_segment_plan_fill_gaps (plan);
  return g_steal_pointer (&plan);
}

/**
 * _dl_segmented_fetch_resume_offset:
 * @download: a download
 *
 * Returns: where the first request of a download recorded in ranges asks
 *   for bytes from (the first byte missing), its size when none is, or -1
 *   when it has no ranges recorded (or ones that make no sense)
 */
gint64
_dl_segmented_fetch_resume_offset (DlDownload *download)
{
  g_autoptr(DlSegmentPlan) plan = NULL;
  int index;

  if (download->ranges == NULL || download->ranges->len == 0)
    return -1;
  plan = plan_from_ranges (download, download->total_bytes, 1);
  if (plan == NULL)
    return -1;
  index = dl_segment_plan_take (plan);
  return index >= 0 ? dl_segment_plan_get (plan, index)->written : download->total_bytes;
}

/* The end of the last byte the recorded ranges claim: the partial file is
 * at least this long. */
gint64
_dl_segmented_fetch_durable_end (DlDownload *download)
{
  gint64 end = 0;

  for (guint i = 0; download->ranges != NULL && i < download->ranges->len; i++)
    {
      DlStoreRange *range = &g_array_index (download->ranges, DlStoreRange, i);

      if (range->durable > range->start)
        end = MAX (end, range->durable);
    }
  return end;
}

/* Makes @msg, a request for the whole file, a request for its bytes from
 * the first on, if they are still of the version @download recorded. */
void
_dl_segmented_fetch_ask_from_start (SoupMessage *msg,
                                    DlDownload  *download)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  soup_message_headers_set_range (headers, 0, -1);
  if (download->etag != NULL && !g_str_has_prefix (download->etag, "W/"))
    soup_message_headers_replace (headers, "If-Range", download->etag);
  else if (download->last_modified != NULL)
    soup_message_headers_replace (headers, "If-Range", download->last_modified);
}

/**
 * _dl_segmented_fetch_wanted:
 * @target: the download and its file
 * @msg: the response that is to become the first connection
 * @offset: the byte it starts at
 *
 * Whether to fetch the rest in parts: always for a download recorded in
 * ranges, else when the server grants ranges, names the version (for
 * If-Range), and the file is larger than the minimum split size.
 */
gboolean
_dl_segmented_fetch_wanted (const DlFetchTarget *target,
                            SoupMessage         *msg,
                            gint64               offset)
{
  DlDownload *download = target->download;

  if (download->ranges != NULL && download->ranges->len > 0)
    return target->size == download->total_bytes &&
           offset == _dl_segmented_fetch_resume_offset (download);

  return offset == 0 && target->settings->connections > 1 &&
         target->size > target->settings->min_split_size &&
         download->range_support == DL_RANGE_SUPPORT_YES &&
         ((download->etag != NULL && !g_str_has_prefix (download->etag, "W/")) ||
          download->last_modified != NULL);
}

static void
fetch_clear (Fetch *fetch)
{
  g_clear_pointer (&fetch->group, bridge_task_group_unref);
  g_clear_pointer (&fetch->syncer, bridge_task_unref);
  g_clear_pointer (&fetch->plan, dl_segment_plan_free);
  g_clear_pointer (&fetch->uri, g_uri_unref);
  g_clear_pointer (&fetch->fd, _dl_shared_fd_unref);
  g_clear_pointer (&fetch->direct, _dl_shared_fd_unref);
  g_free (fetch->display_name);
  g_free (fetch->validator);
  g_free (fetch->etag);
  g_free (fetch->last_modified);
  g_clear_error (&fetch->error);
}

/* Sets up @fetch for @target and the first response @msg: the plan (the
 * recorded ranges, or one range for a fresh file, whose space is
 * reserved), and where the ranges are asked for. */
static DlFetchOutcome
fetch_init (Fetch               *fetch,
            const DlFetchTarget *target,
            SoupMessage         *msg,
            GError             **error)
{
  DlDownload *download = target->download;
  gboolean fresh = download->ranges == NULL || download->ranges->len == 0;
  gboolean hashed_all;

  fetch->manager = target->manager;
  fetch->download = download;
  fetch->part = target->part;
  fetch->settings = target->settings;
  fetch->loop = bridge_future_get_loop (BRIDGE_FUTURE (bridge_task_get_current ()));
  fetch->max_connections = CLAMP (target->settings->connections, 1, DL_MANAGER_MAX_CONNECTIONS);
  fetch->uri = g_uri_ref (soup_message_get_uri (msg));
  fetch->etag = g_strdup (download->etag);
  fetch->last_modified = g_strdup (download->last_modified);
  fetch->validator = g_strdup (fetch->etag != NULL && !g_str_has_prefix (fetch->etag, "W/")
                               ? fetch->etag : fetch->last_modified);

  if (!_dl_part_wait_created (target->part, &hashed_all, error))
    return g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? DL_FETCH_STOPPED
                                                                     : DL_FETCH_FATAL;
  fetch->fd = _dl_shared_fd_ref (_dl_part_get_fd (target->part));
  fetch->display_name = g_strdup (_dl_part_get_display_name (target->part));

  fetch->plan = fresh ? dl_segment_plan_new (target->size, target->settings->min_split_size)
                      : plan_from_ranges (download, target->size,
                                          target->settings->min_split_size);
  if (fetch->plan == NULL)
    {
      g_set_error (error, DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_PROTOCOL,
                   "The ranges recorded do not fit the file; starting over");
      return DL_FETCH_RESTART;
    }
  if (fresh)
    dl_segment_plan_fill_gaps (fetch->plan);
  if (!prepare_file (fetch, fresh ? target->size : 0, error))
    return g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? DL_FETCH_STOPPED
                                                                     : DL_FETCH_FATAL;
  record_ranges (fetch);
  return DL_FETCH_DONE;
}

/**
 * _dl_segmented_fetch_run:
 * @target: the download, its created partial file, and its size
 * @msg: the response that becomes the first connection
 * @stream: its body, from the first byte missing
 * @error: return location for what ended the fetch, unless done
 *
 * Fetches the rest of the file in parts (see the top of this file), and
 * records the ranges as they are durably written. Done means every byte is
 * written and synced; the ranges are then forgotten, and the download
 * records the whole size as its resume offset.
 */
DlFetchOutcome
_dl_segmented_fetch_run (const DlFetchTarget  *target,
                         SoupMessage          *msg,
                         GInputStream         *stream,
                         GError              **error)
{
  Fetch fetch = { 0, };
  Connection *first;
  g_autoptr(GError) group_error = NULL;
  g_autoptr(GError) sync_error = NULL;
  g_autofree char *syncer_name = NULL;
  DlFetchOutcome outcome;

  outcome = fetch_init (&fetch, target, msg, error);
  if (outcome != DL_FETCH_DONE)
    {
      fetch_clear (&fetch);
      return outcome;
    }

  fetch.group = bridge_task_group_new ();
  syncer_name = g_strconcat (target->download->url, " sync", NULL);
  fetch.syncer = bridge_task_ref (bridge_task_group_spawn_full (fetch.group, syncer_name,
                                                                BRIDGE_STACK_SIZE_DEFAULT,
                                                                syncer_run, &fetch, NULL, NULL));
  first = g_new0 (Connection, 1);
  first->fetch = &fetch;
  first->index = dl_segment_plan_take (fetch.plan);
  first->msg = g_object_ref (msg);
  first->stream = g_object_ref (stream);
  first->response_end = dl_segment_plan_get (fetch.plan, first->index)->written +
                        soup_message_headers_get_content_length (soup_message_get_response_headers (msg));
  fetch.n_streaming = 1;
  update_connections (&fetch);
  spawn_connection (&fetch, first);
  add_connections (&fetch);

  bridge_task_group_wait (fetch.group, &group_error);

  /* Whatever happened, what is written is synced and recorded: a retry or
   * a restart of the program continues after it. */
  if (fetch.outcome != DL_FETCH_FATAL && !sync_and_record (&fetch, &sync_error))
    g_debug ("Not syncing the ranges of %s: %s", target->download->url, sync_error->message);

  _dl_download_set_n_connections (target->download, 0);
  if (fetch.error != NULL)
    {
      outcome = fetch.outcome;
      g_propagate_error (error, g_steal_pointer (&fetch.error));
    }
  else if (dl_segment_plan_is_complete (fetch.plan) && sync_error == NULL)
    {
      outcome = DL_FETCH_DONE;
      _dl_download_set_ranges (target->download, NULL, target->size);
    }
  else
    {
      outcome = DL_FETCH_STOPPED;
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
    }
  fetch_clear (&fetch);
  return outcome;
}
