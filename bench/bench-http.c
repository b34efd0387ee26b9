/* bench-http.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libbridge.h>

#include "bench-common.h"

/* The libbridge client of the HTTP benchmarks (bench/bench-http-driver.py
 * runs it against a local nginx, next to curl and aiohttp):
 *
 *     bench-http [OPTION…] set URLLIST_FILE OUTDIR CONCURRENCY
 *     bench-http [OPTION…] big URL OUTFILE
 *
 * It is written the way a user of libbridge would write a downloader: one
 * task per download, which sends the request with bridge_soup_session_send()
 * and streams the body to its file; for the set, a BridgeSemaphore lets
 * CONCURRENCY of them run at a time, on one SoupSession allowed that many
 * connections to the host. The content decoder is removed (nginx sends no
 * Content-Encoding here, and the files are stored as sent, as curl does).
 *
 * Reading (--read):
 *   bytes  bridge_input_stream_read_bytes(): a new GBytes per read, holding
 *          whatever the socket had, up to the buffer size;
 *   all    bridge_input_stream_read_all(): fills a caller buffer (libbridge
 *          reads into memory of its own and copies, for cancellation safety);
 *   into   g_input_stream_read_async() into buffers the download owns and
 *          reuses, awaited with libbridge's generic GIO adapter;
 *   fill   the same, reading until the buffer is full: fewer, larger writes.
 *
 * Writing (--write):
 *   thread write(2) on a bridge_run_in_thread() worker, while the task reads
 *          the next chunk (one write in flight per download);
 *   gio    GIO's asynchronous file stream: bridge_file_replace(),
 *          bridge_output_stream_write_all_bytes() (GIO's own worker threads);
 *   loop   write(2) right in the task, blocking the loop while the kernel
 *          copies the chunk into the page cache, as curl does.
 * There is no splice(2) variant: libsoup reads the body through its own
 * streams (HTTP framing, bytes already buffered with the headers) and offers
 * no socket to splice from.
 *
 * The defaults (256 KiB, fill, thread) are the fastest combination that
 * `bench-http-driver.py sweep` found on the 2-CPU bench VM (medians, × curl
 * in the same sweep; the figures are in bench-http-driver.py):
 *   - the set is bound by the loop thread (recv(2) copies, GIO and libsoup
 *     per read), so handing the write copies to workers (thread) is what
 *     beats curl: 1.15 × with fill, against 0.89 × for the same client
 *     writing in the loop, and 1.04 × for GIO's file streams (an extra
 *     GTask and thread hop per write);
 *   - a new buffer per read (bytes, all) makes recv(2) write into memory
 *     that is cold or not even mapped yet: 0.96 ×, against 1.05 × (into)
 *     and 1.15 × (fill, which also halves the writes) with reused buffers;
 *   - 64 KiB buffers cost a third more CPU and lose 15–30 %; 1 MiB ones
 *     lose on the set, and with fill the big file's writes become aligned
 *     1 MiB writes, which this VM's kernel makes five times slower than
 *     256 KiB ones or 1 MiB ones 4 KiB off (plain write(2) of 1 GiB: 1.0 s
 *     against 0.2 s; large page-cache folios, presumably): 0.75 × against
 *     1.22 × with 256 KiB;
 *   - for the single big file, writing in the loop is best (1.8 ×): one
 *     download has no other work to overlap, and each hand-off to a worker
 *     costs two cross-CPU wake-ups. thread still gives 1.2 ×.
 *
 * At exit it prints one JSON object: {"value": MiB/s, "seconds", "bytes",
 * "cpu_user", "cpu_sys", "cpu", …}, the CPU time being that of the whole
 * process (all threads), from getrusage(). */

#define DEFAULT_BUFFER_SIZE (256 * 1024)

typedef enum
{
  READ_BYTES,
  READ_ALL,
  READ_INTO,
  READ_FILL,
} ReadMode;

typedef enum
{
  WRITE_THREAD,
  WRITE_GIO,
  WRITE_LOOP,
} WriteMode;

static int opt_buffer_size = DEFAULT_BUFFER_SIZE;
static char *opt_read = NULL;
static char *opt_write = NULL;

typedef struct
{
  SoupSession      *session;
  BridgeSemaphore  *semaphore;   /* NULL for a single download */
  gsize             buffer_size;
  ReadMode          read_mode;
  WriteMode         write_mode;
  GPtrArray        *spare_buffers;
} Client;

/* With --read=into or fill, a download reads into buffers of its own,
 * reused from chunk to chunk: two when a write may be in flight while the
 * next chunk is read, else one. They are reference-counted (g_rc_box), and
 * every operation that uses one holds a reference until GIO or the worker
 * is done with it, so a cancelled task could drop its own at once. A
 * download that ends well has nothing in flight any more, and hands its
 * buffers on to the next one (Client.spare_buffers): fresh memory for every
 * download would cost a page fault per 4 KiB, about as much as the copy
 * into it. */
#define MAX_BUFFERS 2

typedef struct
{
  Client  *client;
  char    *url;
  char    *path;
  guint8  *buffers[MAX_BUFFERS];
  guint    n_buffers;
  guint    next_buffer;
} Download;

static void
download_free (gpointer data)
{
  Download *download = data;

  for (guint i = 0; i < download->n_buffers; i++)
    g_rc_box_release (download->buffers[i]);
  g_free (download->url);
  g_free (download->path);
  g_free (download);
}

/* ---- the file, written with write(2) on worker threads ----------------------- */

typedef struct
{
  int      fd;
  char    *path;      /* for the open job */
  GBytes  *bytes;     /* for a write job */
} FileJob;

static void
file_job_free (gpointer data)
{
  FileJob *job = data;

  g_clear_pointer (&job->bytes, g_bytes_unref);
  g_free (job->path);
  g_free (job);
}

static void
set_errno_error (BridgeFuture *future,
                 int           saved_errno,
                 const char   *what)
{
  bridge_future_set_error (future, g_error_new (G_IO_ERROR, g_io_error_from_errno (saved_errno),
                                                "%s: %s", what, g_strerror (saved_errno)),
                           NULL);
}

static gboolean
write_fully (int            fd,
             const guint8  *data,
             gsize          size,
             int           *saved_errno)
{
  while (size > 0)
    {
      ssize_t n = write (fd, data, size);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          *saved_errno = errno;
          return FALSE;
        }
      data += n;
      size -= n;
    }

  return TRUE;
}

static void
open_job_thread (BridgeFuture *future,
                 gpointer      user_data,
                 GCancellable *cancellable)
{
  FileJob *job = user_data;
  int fd = open (job->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  if (fd < 0)
    set_errno_error (future, errno, "open");
  else
    bridge_future_set_int64 (future, fd, NULL);
}

static void
write_job_thread (BridgeFuture *future,
                  gpointer      user_data,
                  GCancellable *cancellable)
{
  FileJob *job = user_data;
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (job->bytes, &size);
  int saved_errno = 0;

  if (!write_fully (job->fd, data, size, &saved_errno))
    set_errno_error (future, saved_errno, "write");
}

static void
close_job_thread (BridgeFuture *future,
                  gpointer      user_data,
                  GCancellable *cancellable)
{
  FileJob *job = user_data;

  if (close (job->fd) < 0)
    set_errno_error (future, errno, "close");
}

static BridgeFuture *
file_job_start (BridgeThreadFunc  func,
                int               fd,
                const char       *path,
                GBytes           *bytes)
{
  FileJob *job = g_new0 (FileJob, 1);

  job->fd = fd;
  job->path = g_strdup (path);
  job->bytes = bytes != NULL ? g_bytes_ref (bytes) : NULL;
  return bridge_run_in_thread (func, job, file_job_free);
}

static gboolean
await_and_unref (BridgeFuture  *future,
                 GError       **error)
{
  gboolean ok = bridge_await (future, error);

  bridge_future_unref (future);
  return ok;
}

/* ---- reading into a buffer of the download's own ---------------------------------- */

/* GIO's g_input_stream_read_async() awaited with libbridge's generic adapter
 * (bridge_async_result_future_new(), bridge_async_ready(),
 * bridge_await_async_result()); the operation holds a reference to the
 * buffer until GIO calls back. */
typedef struct
{
  BridgeFuture  *future;
  guint8        *buffer;
} ReadOp;

static void
read_ready (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  ReadOp *op = user_data;

  bridge_async_ready (source_object, result, op->future);
  g_rc_box_release (op->buffer);
  g_free (op);
}

/* Reads up to @size bytes into @buffer (a g_rc_box) at @offset. */
static gssize
read_into (GInputStream  *stream,
           guint8        *buffer,
           gsize          offset,
           gsize          size,
           GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  ReadOp *op = g_new (ReadOp, 1);
  GCancellable *cancellable = bridge_task_get_cancellable (bridge_task_get_current ());

  op->future = bridge_async_result_future_new ();
  op->buffer = g_rc_box_acquire (buffer);
  g_input_stream_read_async (stream, buffer + offset, size,
                             bridge_loop_get_io_priority (bridge_loop_get_default ()), cancellable,
                             read_ready, op);
  result = bridge_await_async_result (op->future, error);
  if (result == NULL)
    return -1;
  return g_input_stream_read_finish (stream, result, error);
}

/* ---- one download ---------------------------------------------------------------- */

/* The next chunk of the body: empty at the end, NULL on error. */
static GBytes *
read_chunk (GInputStream  *stream,
            Download      *download,
            GError       **error)
{
  Client *client = download->client;
  guint8 *buffer;
  gssize n_read;
  gsize n = 0;

  switch (client->read_mode)
    {
    case READ_BYTES:
      return bridge_input_stream_read_bytes (stream, client->buffer_size,
                                             BRIDGE_IO_PRIORITY_LOOP, error);

    case READ_ALL:
      buffer = g_malloc (client->buffer_size);
      if (!bridge_input_stream_read_all (stream, buffer, client->buffer_size,
                                         BRIDGE_IO_PRIORITY_LOOP, &n, error))
        {
          g_free (buffer);
          return NULL;
        }
      if (n == 0)
        {
          g_free (buffer);
          return g_bytes_new (NULL, 0);
        }
      return g_bytes_new_take (buffer, n);

    case READ_INTO:
    case READ_FILL:
      /* The buffer the previous chunk went into may still be being written:
       * take the other one. */
      if (download->n_buffers == 0)
        {
          GPtrArray *spare = client->spare_buffers;

          download->n_buffers = client->write_mode == WRITE_THREAD ? 2 : 1;
          for (guint i = 0; i < download->n_buffers; i++)
            download->buffers[i] = (spare->len > 0 ?
                                    g_ptr_array_steal_index_fast (spare, spare->len - 1) :
                                    g_rc_box_alloc (client->buffer_size));
        }
      buffer = download->buffers[download->next_buffer];
      download->next_buffer = (download->next_buffer + 1) % download->n_buffers;
      /* One read, or with --read=fill as many as it takes to fill the
       * buffer (or reach the end): fewer, larger writes. */
      do
        {
          n_read = read_into (stream, buffer, n, client->buffer_size - n, error);
          if (n_read < 0)
            return NULL;
          n += n_read;
        }
      while (client->read_mode == READ_FILL && n_read > 0 && n < client->buffer_size);
      return g_bytes_new_with_free_func (buffer, n, (GDestroyNotify) g_rc_box_release,
                                         g_rc_box_acquire (buffer));

    default:
      g_assert_not_reached ();
    }
}

/* Body to a file with write(2) on worker threads: the next chunk is read
 * while the previous one is being written. */
static gboolean
save_with_threads (GInputStream  *stream,
                   Download      *download,
                   guint64       *received,
                   GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  BridgeFuture *pending = NULL;
  BridgeFuture *opening;
  gint64 fd;

  opening = file_job_start (open_job_thread, -1, download->path, NULL);
  fd = bridge_await_int64 (opening, &local_error);
  bridge_future_unref (opening);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  while (local_error == NULL)
    {
      g_autoptr(GBytes) chunk = read_chunk (stream, download, &local_error);

      /* One write in flight: it ran while the chunk above was read. */
      if (pending != NULL)
        await_and_unref (g_steal_pointer (&pending), local_error == NULL ? &local_error : NULL);
      if (local_error != NULL || g_bytes_get_size (chunk) == 0)
        break;
      *received += g_bytes_get_size (chunk);
      pending = file_job_start (write_job_thread, (int) fd, NULL, chunk);
    }

  await_and_unref (file_job_start (close_job_thread, (int) fd, NULL, NULL),
                   local_error == NULL ? &local_error : NULL);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/* Body to a file with GIO's asynchronous file output stream. */
static gboolean
save_with_gio (GInputStream  *stream,
               Download      *download,
               guint64       *received,
               GError       **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (download->path);
  g_autoptr(GFileOutputStream) out = NULL;

  out = bridge_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, G_PRIORITY_DEFAULT, error);
  if (out == NULL)
    return FALSE;

  for (;;)
    {
      g_autoptr(GBytes) chunk = read_chunk (stream, download, error);

      if (chunk == NULL)
        return FALSE;
      if (g_bytes_get_size (chunk) == 0)
        break;
      *received += g_bytes_get_size (chunk);
      if (!bridge_output_stream_write_all_bytes (G_OUTPUT_STREAM (out), chunk,
                                                 BRIDGE_IO_PRIORITY_LOOP, NULL, error))
        return FALSE;
    }

  return bridge_output_stream_close (G_OUTPUT_STREAM (out), G_PRIORITY_DEFAULT, error);
}

/* Body to a file with write(2) in the task itself, blocking the loop. */
static gboolean
save_in_loop (GInputStream  *stream,
              Download      *download,
              guint64       *received,
              GError       **error)
{
  int fd = open (download->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int saved_errno = 0;

  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "open: %s",
                   g_strerror (saved_errno));
      return FALSE;
    }

  for (;;)
    {
      g_autoptr(GBytes) chunk = read_chunk (stream, download, error);
      gsize size = 0;
      const guint8 *data;

      if (chunk == NULL)
        {
          close (fd);
          return FALSE;
        }
      data = g_bytes_get_data (chunk, &size);
      if (size == 0)
        break;
      *received += size;
      if (!write_fully (fd, data, size, &saved_errno))
        {
          close (fd);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "write: %s",
                       g_strerror (saved_errno));
          return FALSE;
        }
    }

  if (close (fd) < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "close: %s",
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
download_one (Download  *download,
              guint64   *received,
              GError   **error)
{
  Client *client = download->client;
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, download->url);
  g_autoptr(GInputStream) stream = NULL;
  gboolean ok = FALSE;

  if (msg == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad URL %s", download->url);
      return FALSE;
    }

  stream = bridge_soup_session_send (client->session, msg, G_PRIORITY_DEFAULT, error);
  if (stream == NULL)
    return FALSE;
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: HTTP %u %s", download->url,
                   soup_message_get_status (msg), soup_message_get_reason_phrase (msg));
      return FALSE;
    }

  switch (client->write_mode)
    {
    case WRITE_THREAD:
      ok = save_with_threads (stream, download, received, error);
      break;
    case WRITE_GIO:
      ok = save_with_gio (stream, download, received, error);
      break;
    case WRITE_LOOP:
      ok = save_in_loop (stream, download, received, error);
      break;
    default:
      g_assert_not_reached ();
    }

  /* The body was read to its end: closing hands the connection back. */
  return bridge_input_stream_close (stream, G_PRIORITY_DEFAULT, ok ? error : NULL) && ok;
}

static void
download_task (BridgeTask *task,
               gpointer    user_data)
{
  Download *download = user_data;
  BridgeSemaphore *semaphore = download->client->semaphore;
  g_autoptr(GError) error = NULL;
  guint64 received = 0;
  gboolean ok;

  if (semaphore != NULL && !bridge_semaphore_acquire (semaphore, &error))
    {
      bridge_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  ok = download_one (download, &received, &error);
  if (semaphore != NULL)
    bridge_semaphore_release (semaphore, NULL);

  /* Every read and write was awaited: nothing else holds the buffers. */
  if (ok)
    {
      for (guint i = 0; i < download->n_buffers; i++)
        g_ptr_array_add (download->client->spare_buffers, download->buffers[i]);
      download->n_buffers = 0;
    }

  if (ok)
    bridge_task_return_int64 (task, (gint64) received);
  else
    bridge_task_return_error (task, g_steal_pointer (&error));
}

/* ---- the main task --------------------------------------------------------------- */

typedef struct
{
  char   **urls;
  char   **paths;
  guint    concurrency;
  guint64  bytes;
  double   seconds;
} Job;

static void
main_task (BridgeTask *task,
           gpointer    user_data)
{
  Job *job = user_data;
  guint n = g_strv_length (job->urls);
  g_autofree BridgeTask **tasks = g_new0 (BridgeTask *, n);
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(BridgeSemaphore) semaphore = NULL;
  Client client = { 0 };
  double start = bench_time ();

  session = soup_session_new_with_options ("max-conns", MAX (job->concurrency, 2),
                                           "max-conns-per-host", MAX (job->concurrency, 2),
                                           NULL);
  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
  if (n > 1)
    semaphore = bridge_semaphore_new (job->concurrency, FALSE);

  client.session = session;
  client.semaphore = semaphore;
  client.spare_buffers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_rc_box_release);
  client.buffer_size = opt_buffer_size;
  client.read_mode = (g_strcmp0 (opt_read, "bytes") == 0 ? READ_BYTES :
                      g_strcmp0 (opt_read, "all") == 0 ? READ_ALL :
                      g_strcmp0 (opt_read, "into") == 0 ? READ_INTO : READ_FILL);
  client.write_mode = (g_strcmp0 (opt_write, "gio") == 0 ? WRITE_GIO :
                       g_strcmp0 (opt_write, "loop") == 0 ? WRITE_LOOP : WRITE_THREAD);

  for (guint i = 0; i < n; i++)
    {
      Download *download = g_new0 (Download, 1);

      download->client = &client;
      download->url = g_strdup (job->urls[i]);
      download->path = g_strdup (job->paths[i]);
      tasks[i] = bridge_spawn (download_task, download, download_free);
    }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 received = bridge_await_int64 (BRIDGE_FUTURE (tasks[i]), &error);

      if (error != NULL)
        bench_fail (job->urls[i], error);
      job->bytes += received;
      bridge_task_unref (tasks[i]);
    }

  job->seconds = bench_time () - start;
  g_ptr_array_unref (client.spare_buffers);
}

static char **
read_url_list (const char *file_name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (file_name, &contents, NULL, &error))
    bench_fail ("reading the URL list", error);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (lines[i][0] != '\0')
        g_strv_builder_add (builder, lines[i]);
    }
  return g_strv_builder_end (builder);
}

static char *
output_path (const char *folder,
             const char *url)
{
  g_autofree char *base = g_path_get_basename (url);

  return g_build_filename (folder, base, NULL);
}

static int
usage (GOptionContext *context)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  fputs (help, stderr);
  return 2;
}

int
main (int    argc,
      char **argv)
{
  const GOptionEntry entries[] = {
    { "buffer-size", 'b', 0, G_OPTION_ARG_INT, &opt_buffer_size,
      "Bytes per read or per buffer (default 256 KiB)", "BYTES" },
    { "read", 'r', 0, G_OPTION_ARG_STRING, &opt_read,
      "bytes: a new GBytes per read; all: bridge_input_stream_read_all(); "
      "into: the download's own buffers; fill: the same, filled up (default)",
      "bytes|all|into|fill" },
    { "write", 'w', 0, G_OPTION_ARG_STRING, &opt_write,
      "thread: write(2) on run_in_thread workers (default); gio: GIO async writes; "
      "loop: write(2) in the task", "thread|gio|loop" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (
    "set URLLIST_FILE OUTDIR CONCURRENCY | big URL OUTFILE");
  g_autoptr(GError) error = NULL;
  struct rusage usage_self;
  Job job = { 0 };
  double cpu_user, cpu_sys;

  g_set_prgname ("bench-http");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-http: %s\n", error->message);
      return 2;
    }
  if (opt_buffer_size < 4096 ||
      (opt_read != NULL && !g_str_equal (opt_read, "bytes") && !g_str_equal (opt_read, "all") &&
       !g_str_equal (opt_read, "into") && !g_str_equal (opt_read, "fill")) ||
      (opt_write != NULL && !g_str_equal (opt_write, "thread") && !g_str_equal (opt_write, "gio") &&
       !g_str_equal (opt_write, "loop")))
    return usage (context);

  if (argc == 5 && g_str_equal (argv[1], "set"))
    {
      guint64 concurrency = 0;

      if (!g_ascii_string_to_unsigned (argv[4], 10, 1, 1000, &concurrency, NULL))
        return usage (context);
      job.urls = read_url_list (argv[2]);
      job.paths = g_new0 (char *, g_strv_length (job.urls) + 1);
      for (guint i = 0; job.urls[i] != NULL; i++)
        job.paths[i] = output_path (argv[3], job.urls[i]);
      job.concurrency = concurrency;
    }
  else if (argc == 4 && g_str_equal (argv[1], "big"))
    {
      job.urls = g_new0 (char *, 2);
      job.urls[0] = g_strdup (argv[2]);
      job.paths = g_new0 (char *, 2);
      job.paths[0] = g_strdup (argv[3]);
      job.concurrency = 1;
    }
  else
    return usage (context);

  if (!bridge_run (main_task, &job, &error))
    bench_fail ("bridge_run()", error);

  getrusage (RUSAGE_SELF, &usage_self);
  cpu_user = usage_self.ru_utime.tv_sec + usage_self.ru_utime.tv_usec / 1e6;
  cpu_sys = usage_self.ru_stime.tv_sec + usage_self.ru_stime.tv_usec / 1e6;
  bench_print (job.bytes / 1048576.0 / job.seconds, "MiB/s",
               "\"seconds\": %.4f, \"bytes\": %" G_GUINT64_FORMAT ", \"files\": %u, "
               "\"cpu_user\": %.4f, \"cpu_sys\": %.4f, \"cpu\": %.4f, "
               "\"buffer_size\": %d, \"read\": \"%s\", \"write\": \"%s\"",
               job.seconds, job.bytes, g_strv_length (job.urls), cpu_user, cpu_sys,
               cpu_user + cpu_sys, opt_buffer_size, opt_read != NULL ? opt_read : "fill",
               opt_write != NULL ? opt_write : "thread");

  g_strfreev (job.urls);
  g_strfreev (job.paths);
  g_free (opt_read);
  g_free (opt_write);
  return EXIT_SUCCESS;
}
