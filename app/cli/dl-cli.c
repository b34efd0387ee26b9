/* dl-cli.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-cli"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <libbridge.h>

#include "dl-cli.h"
#include "dl-cli-credentials.h"
#include "dl-cli-input.h"
#include "dl-cli-progress.h"
#include "dl-cli-proxy.h"
#include "dl-download.h"
#include "dl-file-hash.h"
#include "dl-file-name.h"
#include "dl-format.h"
#include "dl-manager.h"
#include "dl-safe-text.h"
#include "dl-stall-probe.h"
#include "dl-store.h"
#include "dl-url-password.h"

/* `bridge-downloader --headless [OPTION…] URL…`: the engine without GTK.
 *
 * The whole run is one libbridge task (bridge_run): it opens the history,
 * queues every URL (or resumes the unfinished download of the same URL into
 * the same folder that an interrupted run left in the history), then waits
 * on a BridgeEvent that the downloads' notifications, the SHA-256 workers
 * and the signal handlers set. Everything it reports is driven by the
 * downloads' GObject notifications, exactly as the GTK UI observes them.
 *
 * Ctrl+C (SIGINT) or SIGTERM stop the run the clean way: dl_manager_shutdown()
 * makes every task sync its partial file and record the offset, the run
 * waits for all of them, closes the history, and exits with 128 + the
 * signal's number. A second signal exits at once, which is no worse than a
 * crash: what was recorded is on disk.
 *
 * Output: --json writes one event per line on stdout (see the
 * description in the --help text); without it, a line per finished
 * download and a summary go to stderr, with progress as dl-cli-progress.c
 * draws it (live on a terminal, plain lines otherwise). */

/* Connections per download when --connections does not say. */
#define DL_CLI_DEFAULT_CONNECTIONS 4

/* At most this many "progress" events per download per second. */
#define PROGRESS_INTERVAL_USEC (G_USEC_PER_SEC / 2)

/* Stalls the probe counts apart: the loop was busy for longer than this. */
#define PROBE_STALL_THRESHOLD_USEC (4 * 1000)

/* Queueing a thousand URLs is a thousand downloads to make and record:
 * the loop breathes (and the first downloads start) after this long. A
 * count would not do: what one costs depends on the machine and its
 * load. */
#define QUEUE_BUDGET_USEC 500

/* At most this many downloads from input files wait unfinished at once:
 * an endless input (a pipe that never ends) is read as the downloads get
 * through it, not queued ahead without bound. */
#define INPUT_READ_AHEAD 1024

typedef struct _Cli Cli;

typedef struct
{
  Cli         *cli;             /* borrowed: the run outlives its items */
  guint        index;           /* position in the input, from 0 */
  char        *url;
  char        *shown_url;       /* url without its password: what is printed */
  char        *sha256;          /* expected, lowercase hex, or NULL */
  GError      *input_error;     /* a malformed input line: fails alone */
  DlRequestOptions *options;    /* headers and cookies for its requests, or NULL */
  guint64      rate_limit;      /* its own limit (limit= in an input file), or 0 */
  DlDownload  *download;        /* owned once queued */
  gint64       last_progress;   /* monotonic time of the last progress event */
  guint        queued : 1;
  guint        skipped : 1;     /* done by an earlier run, its file still there */
  guint        finished : 1;    /* "done", "failed" or "stopped" reported */
} CliItem;

struct _Cli
{
  /* Options */
  char         *output_dir;     /* absolute */
  int           jobs;
  int           per_host;
  int           retries;
  double        timeout;
  double        connect_timeout;
  double        max_time;
  guint64       limit_rate;     /* bytes per second in all, or 0 */
  double        max_retry_after;
  gint64        max_file_size;  /* 0: no limit */
  int           connections;    /* per download; -1: the manager's default */
  gint64        min_split_size; /* 0: the manager's default */
  gboolean      json;
  gboolean      quiet;
  gboolean      fresh;          /* ignore what earlier runs did */
  DlCliCredentials *credentials; /* --user, or NULL */
  GPtrArray    *items;          /* CliItem, in input order */
  DlRequestOptions *options;    /* --header, --user-agent, --referer, --load-cookies */
  char         *proxy;          /* --proxy, or NULL for the environment's */
  int           output_dir_fd;  /* the output folder opened before the loop, or -1 */
  GProxyResolver *environment_proxies; /* http_proxy & co. without --proxy, or NULL
                                        * for none: no proxy at all */
  GPtrArray    *inputs;         /* DlCliInput, read as the run goes */
  GHashTable   *checked_cookie_files; /* cookies= files read once to check them */
  GError       *input_failure;  /* an input file that could not be read to its end */

  /* The run, all on the loop's thread */
  DlStore      *store;
  DlManager    *manager;
  BridgeEvent  *wake;           /* set whenever the main task should look again */
  GHashTable   *unfinished;     /* "url\ndir" → GQueue of borrowed DlDownload */
  GHashTable   *finished;       /* "url\ndir" → GQueue of borrowed done ones, newest first */
  GSource      *signal_sources[2];
  gint64        start_time;
  guint         n_pending;      /* queued, not finished */
  guint         n_done;
  guint         n_failed;
  guint         n_stopped;
  guint         n_hash_jobs;    /* SHA-256 workers not yet returned */
  int           signal;         /* what interrupted the run, or 0 */
  int           exit_status;

  /* Human output on stderr */
  gboolean      messages;       /* a line per finished download and a summary */
  DlCliProgress *progress;      /* the live view or progress lines, and the final table */

  /* The stall probe (BRIDGE_DOWNLOADER_STALL_PROBE=1) */
  DlStallProbe *probe;
};

static void
cli_item_free (gpointer data)
{
  CliItem *item = data;

  if (item->download != NULL)
    g_signal_handlers_disconnect_by_data (item->download, item);
  g_clear_object (&item->download);
  g_free (item->url);
  g_free (item->shown_url);
  g_free (item->sha256);
  g_clear_error (&item->input_error);
  g_clear_pointer (&item->options, dl_request_options_unref);
  g_free (item);
}

/* ---- JSON events ------------------------------------------------------------------ */

/* JSON strings are UTF-8 with '"', '\' and control characters escaped.
 * Invalid UTF-8 (a server's bytes in an error message) becomes U+FFFD, so
 * every line stays valid JSON. */
static void
json_append_string (GString    *out,
                    const char *text)
{
  g_autofree char *valid = NULL;

  if (text == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);

  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\b':
          g_string_append (out, "\\b");
          break;
        case '\f':
          g_string_append (out, "\\f");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (c < 0x20 || c == 0x7f)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char) c);
          break;
        }
    }
  g_string_append_c (out, '"');
}

static void
json_key (GString    *out,
          const char *key)
{
  g_string_append_c (out, ',');
  json_append_string (out, key);
  g_string_append_c (out, ':');
}

static void
json_add_string (GString    *out,
                 const char *key,
                 const char *value)
{
  json_key (out, key);
  json_append_string (out, value);
}

static void
json_add_int (GString    *out,
              const char *key,
              gint64      value)
{
  json_key (out, key);
  g_string_append_printf (out, "%" G_GINT64_FORMAT, value);
}

/* A byte count, or null when unknown (-1). */
static void
json_add_size (GString    *out,
               const char *key,
               gint64      value)
{
  if (value < 0)
    {
      json_key (out, key);
      g_string_append (out, "null");
    }
  else
    json_add_int (out, key, value);
}

static void
json_add_bool (GString    *out,
               const char *key,
               gboolean    value)
{
  json_key (out, key);
  g_string_append (out, value ? "true" : "false");
}

/* Seconds with millisecond precision, independent of the locale (which
 * may use a decimal comma). */
static void
json_add_seconds (GString    *out,
                  const char *key,
                  double      seconds)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  json_key (out, key);
  if (!isfinite (seconds))
    seconds = 0;
  g_string_append (out, g_ascii_formatd (buffer, sizeof buffer, "%.3f", seconds));
}

static void
json_add_error (GString      *out,
                const GError *error,
                const char   *fallback_message)
{
  json_add_string (out, "domain", error != NULL ? g_quark_to_string (error->domain)
                                                : g_quark_to_string (DL_DOWNLOAD_ERROR));
  json_add_int (out, "code", error != NULL ? error->code : DL_DOWNLOAD_ERROR_FAILED);
  json_add_string (out, "message", error != NULL ? error->message : fallback_message);
}

static double
cli_elapsed (Cli *cli)
{
  return (g_get_monotonic_time () - cli->start_time) / (double) G_USEC_PER_SEC;
}

/* Starts an event line: {"event":…,"time":…,"index":…,"id":…,"url":…
 * (the item fields only with an item). */
static GString *
json_begin (Cli        *cli,
            const char *event,
            CliItem    *item)
{
  GString *out = g_string_new ("{\"event\":");

  json_append_string (out, event);
  json_add_seconds (out, "time", cli_elapsed (cli));
  if (item != NULL)
    {
      json_add_int (out, "index", item->index);
      if (item->download != NULL && dl_download_get_id (item->download) != 0)
        json_add_int (out, "id", dl_download_get_id (item->download));
      else
        json_add_size (out, "id", -1);
      json_add_string (out, "url", item->shown_url);
    }
  return out;
}

/* Ends the line and writes it at once: a consumer reading the pipe sees
 * each event as it happens. */
static void
json_end (Cli     *cli,
          GString *out)
{
  g_string_append (out, "}\n");
  fwrite (out->str, 1, out->len, stdout);
  fflush (stdout);
  g_string_free (out, TRUE);
}

/* ---- human output ------------------------------------------------------------------ */

/* A line that stays: printed above the live view, which is drawn again.
 * The arguments carry text from the network (reason phrases, file names):
 * the whole line goes through dl_safe_text_for_terminal(), and none of our
 * own formats has a control character of its own. */
static void G_GNUC_PRINTF (2, 3)
cli_message (Cli        *cli,
             const char *format,
             ...)
{
  g_autofree char *text = NULL;
  g_autofree char *safe = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  safe = dl_safe_text_for_terminal (text);

  dl_cli_progress_message (cli->progress, safe);
}

/* ---- the stall probe ------------------------------------------------------------ */

/* The probe records every sample of the run: one line on stderr at the end
 * for bench/run to read, whatever --quiet says. */
static void
probe_stop (Cli *cli)
{
  g_autoptr(GArray) samples = NULL;
  char worst_text[G_ASCII_DTOSTR_BUF_SIZE];
  gint64 worst = 0;
  guint n_stalls = 0;

  if (cli->probe == NULL)
    return;

  samples = dl_stall_probe_stop_recording (cli->probe);
  g_clear_object (&cli->probe);
  for (guint i = 0; i < samples->len; i++)
    {
      gint64 lateness = g_array_index (samples, DlStallSample, i).lateness;

      worst = MAX (worst, lateness);
      if (lateness > PROBE_STALL_THRESHOLD_USEC)
        n_stalls++;
    }

  g_ascii_formatd (worst_text, sizeof worst_text, "%.3f", worst / 1000.0);
  fprintf (stderr, "stall-probe: worst_ms=%s samples=%u over_4ms=%u\n",
           worst_text, samples->len, n_stalls);
  fflush (stderr);
}

/* ---- finishing a download ----------------------------------------------------------- */

static void
item_finished (CliItem *item)
{
  Cli *cli = item->cli;

  item->finished = TRUE;
  g_assert (cli->n_pending > 0);
  cli->n_pending--;
  bridge_event_set (cli->wake);
}

static void
report_done (CliItem    *item,
             const char *sha256)
{
  Cli *cli = item->cli;
  g_autofree char *path = dl_download_dup_path (item->download);
  gint64 size = dl_download_get_total_bytes (item->download);

  cli->n_done++;

  if (cli->json)
    {
      GString *out = json_begin (cli, "done", item);

      json_add_string (out, "path", path);
      json_add_size (out, "size", size);
      json_add_string (out, "sha256", sha256);
      if (item->skipped)
        json_add_bool (out, "skipped", TRUE);
      json_end (cli, out);
    }

  dl_cli_progress_finish (cli->progress, item->index, DL_CLI_OUTCOME_DONE, path);
  if (cli->messages && item->skipped)
    {
      g_autofree char *size_text = dl_format_size (size);

      /* Translators: a file an earlier run of the same command saved, and
       * that is still there: "Already saved /home/me/Downloads/file.iso
       * (4.2 GB)" */
      cli_message (cli, _("Already saved %s (%s)"), path, size_text);
    }
  else if (cli->messages)
    {
      g_autofree char *size_text = dl_format_size (size);

      /* Translators: "Saved /home/me/Downloads/file.iso (4.2 GiB)" */
      cli_message (cli, _("Saved %s (%s)"), path, size_text);
    }

  item_finished (item);
}

typedef struct
{
  Cli  *cli;
  char *path;
} HashJob;

static void
hash_job_free (gpointer data)
{
  HashJob *job = data;

  /* Runs on the loop's thread once the worker has returned: only then may
   * the run end. */
  g_assert (job->cli->n_hash_jobs > 0);
  job->cli->n_hash_jobs--;
  bridge_event_set (job->cli->wake);
  g_free (job->path);
  g_free (job);
}

static void
hash_thread (BridgeFuture *future,
             gpointer      user_data,
             GCancellable *cancellable)
{
  HashJob *job = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *sha256 = NULL;
  int fd;

  fd = g_open (job->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      bridge_future_set_error (future,
                               g_error_new (G_IO_ERROR, g_io_error_from_errno (saved_errno),
                                            /* Translators: "Cannot read “/home/me/Downloads/file.iso”:
                                             * No such file or directory" */
                                            _("Cannot read “%s”: %s"), job->path,
                                            g_strerror (saved_errno)),
                               NULL);
      return;
    }

  sha256 = dl_file_hash_sha256 (fd, job->path, &error);
  close (fd);
  if (sha256 != NULL)
    bridge_future_set_string (future, sha256, NULL);
  else
    bridge_future_set_error (future, g_steal_pointer (&error), NULL);
}

static void
hash_done_cb (BridgeFuture *future,
              gpointer      user_data)
{
  CliItem *item = user_data;
  g_autoptr(GError) error = NULL;
  const char *sha256 = bridge_future_get_string (future, &error);

  /* The file is complete (the engine checked its length); only someone
   * moving it away can make this fail, and the download stays done. */
  if (sha256 == NULL)
    {
      g_autofree char *safe_url = dl_safe_text_for_terminal (item->shown_url);

      g_debug ("Cannot compute the SHA-256 of %s: %s", safe_url, error->message);
    }
  report_done (item, sha256);
}

static void
item_done (CliItem *item)
{
  Cli *cli = item->cli;
  g_autoptr(BridgeFuture) future = NULL;
  HashJob *job;

  /* The engine hashed what it saved (--json sets DlManager:hash-files):
   * as it arrived and verified with an expected checksum, else through the
   * descriptor it wrote with, before the rename. Opening the path again
   * could read another file: the folder may have been swapped for a
   * symbolic link meanwhile. */
  if (!cli->json || dl_download_get_file_sha256 (item->download) != NULL)
    {
      report_done (item, dl_download_get_file_sha256 (item->download));
      return;
    }

  /* A file an earlier run saved (skipped now): read it back on a worker
   * thread, as hashing a large file takes seconds, which the loop (and the
   * other downloads) must not wait for. */
  job = g_new0 (HashJob, 1);
  job->cli = cli;
  job->path = dl_download_dup_path (item->download);
  cli->n_hash_jobs++;
  future = bridge_run_in_thread (hash_thread, job, hash_job_free);
  bridge_future_add_done_callback (future, hash_done_cb, item, NULL);
}

static void
report_failed (CliItem      *item,
               const GError *error,
               const char   *message)
{
  Cli *cli = item->cli;

  if (error != NULL)
    message = error->message;

  cli->n_failed++;
  dl_cli_progress_finish (cli->progress, item->index, DL_CLI_OUTCOME_FAILED, message);

  if (cli->json)
    {
      GString *out = json_begin (cli, "failed", item);

      json_add_error (out, error, message);
      json_end (cli, out);
    }

  if (cli->messages)
    {
      /* Translators: "Failed https://example.com/file.iso: HTTP 404 Not Found" */
      cli_message (cli, _("Failed %s: %s"), item->shown_url, message);
    }

  item_finished (item);
}

static void
report_stopped (CliItem *item)
{
  Cli *cli = item->cli;

  cli->n_stopped++;
  dl_cli_progress_finish (cli->progress, item->index, DL_CLI_OUTCOME_STOPPED, NULL);

  if (cli->json)
    {
      GString *out = json_begin (cli, "stopped", item);

      json_add_string (out, "file", dl_download_get_file_name (item->download));
      json_add_int (out, "bytes", dl_download_get_bytes_received (item->download));
      json_end (cli, out);
    }

  item_finished (item);
}

/* ---- following a download ---------------------------------------------------------- */

static void
state_changed_cb (DlDownload *download,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  CliItem *item = user_data;
  Cli *cli = item->cli;
  GString *out;

  if (item->finished)
    return;

  switch (dl_download_get_state (download))
    {
    case DL_DOWNLOAD_STATE_DOWNLOADING:
      item->last_progress = g_get_monotonic_time ();
      if (cli->json)
        {
          out = json_begin (cli, "started", item);
          json_add_string (out, "file", dl_download_get_file_name (download));
          json_add_int (out, "offset", dl_download_get_bytes_received (download));
          json_add_size (out, "total", dl_download_get_total_bytes (download));
          json_add_int (out, "attempt", dl_download_get_attempts (download));
          json_end (cli, out);
        }
      break;

    case DL_DOWNLOAD_STATE_RETRYING:
      if (cli->json)
        {
          gint64 delay = dl_download_get_retry_at (download) - g_get_monotonic_time ();

          out = json_begin (cli, "retrying", item);
          json_add_int (out, "attempt", dl_download_get_attempts (download));
          json_add_seconds (out, "delay", MAX (delay, 0) / (double) G_USEC_PER_SEC);
          json_add_string (out, "reason", dl_download_get_error_message (download));
          json_add_error (out, dl_download_get_error (download),
                          dl_download_get_error_message (download));
          json_end (cli, out);
        }
      break;

    case DL_DOWNLOAD_STATE_DONE:
      item_done (item);
      break;

    case DL_DOWNLOAD_STATE_FAILED:
      report_failed (item, dl_download_get_error (download),
                     dl_download_get_error_message (download));
      break;

    case DL_DOWNLOAD_STATE_CANCELLED:
      /* Nothing here cancels; another program sharing the history might. */
      report_failed (item, NULL, _("Cancelled"));
      break;

    case DL_DOWNLOAD_STATE_PAUSED:
      /* The run is shutting down: the task synced and recorded the partial
       * file, and the next run of the same command resumes it. */
      if (cli->signal != 0)
        report_stopped (item);
      break;

    case DL_DOWNLOAD_STATE_QUEUED:
    case DL_DOWNLOAD_STATE_CONNECTING:
    case DL_DOWNLOAD_STATE_VERIFYING:
    default:
      break;
    }
}

static void
bytes_received_cb (DlDownload *download,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  CliItem *item = user_data;
  Cli *cli = item->cli;
  gint64 now;
  GString *out;

  if (!cli->json || item->finished ||
      dl_download_get_state (download) != DL_DOWNLOAD_STATE_DOWNLOADING)
    return;

  now = g_get_monotonic_time ();
  if (now - item->last_progress < PROGRESS_INTERVAL_USEC)
    return;
  item->last_progress = now;

  out = json_begin (cli, "progress", item);
  json_add_int (out, "bytes", dl_download_get_bytes_received (download));
  json_add_size (out, "total", dl_download_get_total_bytes (download));
  json_add_int (out, "speed", (gint64) dl_download_get_speed (download));
  json_add_size (out, "eta", dl_download_get_eta (download));
  json_add_int (out, "connections", dl_download_get_n_connections (download));
  json_end (cli, out);
}

/* ---- queueing ------------------------------------------------------------------------ */

static char *
unfinished_key (const char *url,
                const char *output_dir)
{
  return g_strconcat (url, "\n", output_dir, NULL);
}

/* Indexes the history's downloads by URL and folder: the unfinished ones
 * oldest first, so that each URL of this run takes over one of them (a URL
 * given twice takes two), and the done ones newest first, so that a URL
 * whose file an earlier run saved is not saved a second time. */
static void
index_unfinished (Cli *cli)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (cli->manager));

  cli->unfinished = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_queue_free);
  cli->finished = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_queue_free);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (G_LIST_MODEL (cli->manager), i);
      DlDownloadState state = dl_download_get_state (download);
      GHashTable *table = state == DL_DOWNLOAD_STATE_DONE ? cli->finished : cli->unfinished;
      g_autofree char *key = NULL;
      GQueue *queue;

      if (state == DL_DOWNLOAD_STATE_CANCELLED)
        continue;

      key = unfinished_key (dl_download_get_url (download), dl_download_get_output_dir (download));
      queue = g_hash_table_lookup (table, key);
      if (queue == NULL)
        {
          queue = g_queue_new ();
          g_hash_table_insert (table, g_steal_pointer (&key), queue);
        }
      if (state == DL_DOWNLOAD_STATE_DONE)
        g_queue_push_head (queue, download);
      else
        g_queue_push_tail (queue, download);
    }
}

/* The download of this URL into this folder that an earlier run finished,
 * if its file is still there, whole: then there is nothing to do. */
static DlDownload *
take_finished (Cli     *cli,
               CliItem *item)
{
  g_autofree char *dir = g_canonicalize_filename (cli->output_dir, NULL);
  g_autofree char *key = unfinished_key (item->shown_url, dir);
  GQueue *queue = g_hash_table_lookup (cli->finished, key);
  DlDownload *download;

  while (queue != NULL && (download = g_queue_pop_head (queue)) != NULL)
    {
      g_autofree char *path = dl_download_dup_path (download);
      gint64 total = dl_download_get_total_bytes (download);
      GStatBuf st;

      /* Verified against another checksum (or none): not the file asked
       * for this time. */
      if (item->sha256 != NULL && g_strcmp0 (dl_download_get_sha256 (download), item->sha256) != 0)
        continue;
      /* Moved, deleted, or changed since: fetch it again. */
      if (path == NULL || g_lstat (path, &st) != 0 || !S_ISREG (st.st_mode) ||
          (total >= 0 && st.st_size != total))
        continue;
      return download;
    }
  return NULL;
}

/* The unfinished download of an earlier run of this command, if any. */
static DlDownload *
take_unfinished (Cli     *cli,
                 CliItem *item)
{
  g_autofree char *dir = g_canonicalize_filename (cli->output_dir, NULL);
  g_autofree char *key = unfinished_key (item->shown_url, dir);
  GQueue *queue = g_hash_table_lookup (cli->unfinished, key);
  DlDownload *download = queue != NULL ? g_queue_pop_head (queue) : NULL;

  if (download == NULL)
    return NULL;

  if (cli->fresh)
    {
      /* Asked to start over: its partial file goes with it, so that no
       * orphan .part stays behind. */
      dl_download_remove (download);
      return NULL;
    }

  if (g_strcmp0 (dl_download_get_sha256 (download), item->sha256) != 0)
    {
      /* Asked for with another checksum this time: the old entry would
       * verify the old one. Start over under the new one. */
      g_debug ("%s: the expected checksum changed; starting over", item->shown_url);
      dl_download_remove (download);
      return NULL;
    }

  if (!dl_download_can_resume (download) && !dl_download_can_retry (download))
    return NULL;

  return download;
}

static void
queue_item (Cli     *cli,
            CliItem *item)
{
  g_autoptr(GError) error = NULL;
  DlDownload *download;
  gboolean resumed = FALSE;
  GString *out;

  if (item->input_error != NULL)
    {
      /* Its line in the input file was malformed: this one fails, the
       * others go on. */
      download = NULL;
      error = g_error_copy (item->input_error);
    }
  else if (!cli->fresh && (download = take_finished (cli, item)) != NULL)
    item->skipped = TRUE;
  else if ((download = take_unfinished (cli, item)) != NULL)
    {
      /* The history keeps no password: this run's URL brings it back.
       * This run's request options replace those stored: the command as
       * given now is what is asked for. */
      dl_download_set_request_url (download, item->url);
      dl_download_set_request_options (download, item->options);
      dl_download_set_rate_limit (download, item->rate_limit);
      resumed = TRUE;
    }
  else
    {
      download = dl_manager_add_with_options (cli->manager, item->url, cli->output_dir,
                                              item->sha256, item->options, &error);
      if (download != NULL && item->rate_limit > 0)
        dl_download_set_rate_limit (download, item->rate_limit);
    }
  dl_cli_credentials_apply (cli->credentials, download);

  item->queued = TRUE;
  cli->n_pending++;
  dl_cli_progress_track (cli->progress, item->index, item->shown_url, download);

  if (download != NULL)
    {
      item->download = g_object_ref (download);
      g_signal_connect (download, "notify::state", G_CALLBACK (state_changed_cb), item);
      g_signal_connect (download, "notify::bytes-received", G_CALLBACK (bytes_received_cb), item);
    }

  if (cli->json)
    {
      out = json_begin (cli, "queued", item);
      json_add_bool (out, "resumed", resumed);
      if (resumed)
        json_add_int (out, "offset", dl_download_get_bytes_received (download));
      if (item->skipped)
        json_add_bool (out, "skipped", TRUE);
      json_end (cli, out);
    }

  if (item->skipped)
    {
      item_done (item);
      return;
    }

  if (download == NULL)
    {
      /* Not an http(s) URL, or not a URL at all: this one fails, the others
       * go on. */
      report_failed (item, error, NULL);
      return;
    }

  /* Paused (interrupted, or by the app) continues from the bytes on disk;
   * failed gets a fresh retry budget and continues too. */
  if (resumed && dl_download_can_resume (download))
    dl_download_resume (download);
  else if (resumed)
    dl_download_retry (download);
}

/* ---- signals --------------------------------------------------------------------- */

static void
interrupt (Cli *cli,
           int  signum)
{
  if (cli->signal != 0)
    {
      /* Second signal: leave now. Every offset the history holds is on
       * disk, so this is as safe as a crash; only the last second or so of
       * data is fetched again. */
      fflush (stdout);
      if (!cli->quiet)
        {
          dl_cli_progress_stop (cli->progress);
          dl_cli_progress_message (NULL, _("Stopped at once."));
        }
      _exit (128 + signum);
    }

  cli->signal = signum;
  if (!cli->quiet)
    cli_message (cli, "%s", _("Stopping… Running the same command again resumes the downloads. "
                              "Press Ctrl+C again to stop at once."));
  bridge_event_set (cli->wake);
}

static gboolean
sigint_cb (gpointer user_data)
{
  interrupt (user_data, SIGINT);
  return G_SOURCE_CONTINUE;
}

static gboolean
sigterm_cb (gpointer user_data)
{
  interrupt (user_data, SIGTERM);
  return G_SOURCE_CONTINUE;
}

static GSource *
add_signal_source (int           signum,
                   GSourceFunc   callback,
                   Cli          *cli,
                   GMainContext *context)
{
  GSource *source = g_unix_signal_source_new (signum);

  g_source_set_callback (source, callback, cli, NULL);
  g_source_set_static_name (source, "[dl-cli] signal");
  g_source_attach (source, context);
  return source;
}

/* ---- the run ---------------------------------------------------------------------- */

static void
n_running_cb (DlManager  *manager,
              GParamSpec *pspec,
              gpointer    user_data)
{
  Cli *cli = user_data;

  bridge_event_set (cli->wake);
}

/* Waits, in the main task, until @condition holds; the callbacks that can
 * change it set cli->wake. */
#define CLI_WAIT_UNTIL(cli, condition)                  \
  G_STMT_START {                                        \
    while (!(condition))                                \
      {                                                 \
        bridge_event_clear ((cli)->wake);               \
        if (!bridge_event_wait ((cli)->wake, NULL))     \
          break;                                        \
      }                                                 \
  } G_STMT_END

static void
open_history (Cli *cli)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = dl_store_get_default_path ();

  /* The app's history: a download interrupted here shows up there, and
   * the next run of this command finds it. SQLite's locking (WAL, and a
   * busy timeout in DlStore) lets the app and several runs share it. */
  cli->store = dl_store_open (path, &error);
  if (cli->store == NULL && !cli->quiet)
    cli_message (cli, _("Cannot open the download history %s, so an interrupted run "
                        "cannot be resumed: %s"), path, error->message);
}

static void
print_summary (Cli *cli)
{
  if (cli->json)
    {
      GString *out = json_begin (cli, "summary", NULL);

      json_add_int (out, "total", cli->items->len);
      json_add_int (out, "done", cli->n_done);
      json_add_int (out, "failed", cli->n_failed);
      json_add_int (out, "stopped", cli->n_stopped);
      json_add_bool (out, "interrupted", cli->signal != 0);
      json_add_int (out, "status", cli->exit_status);
      json_end (cli, out);
    }

  if (!cli->messages || cli->items->len == 0)
    return;

  dl_cli_progress_print_summary (cli->progress);
  if (cli->signal != 0)
    cli_message (cli, ngettext ("Stopped with %u download unfinished; run the same command "
                                "again to resume it.",
                                "Stopped with %u downloads unfinished; run the same command "
                                "again to resume them.",
                                cli->items->len - cli->n_done - cli->n_failed),
                 cli->items->len - cli->n_done - cli->n_failed);
  else if (cli->n_failed > 0)
    cli_message (cli, ngettext ("%u of %u download failed.", "%u of %u downloads failed.",
                                cli->items->len),
                 cli->n_failed, cli->items->len);
  else
    cli_message (cli, ngettext ("%u download completed.", "%u downloads completed.",
                                cli->n_done),
                 cli->n_done);
}

static CliItem *
add_item (Cli        *cli,
          const char *url,
          const char *sha256)
{
  CliItem *item = g_new0 (CliItem, 1);

  item->cli = cli;
  item->index = cli->items->len;
  item->url = g_strdup (url);
  item->shown_url = dl_url_without_password (url);
  item->sha256 = sha256 != NULL ? g_ascii_strdown (sha256, -1) : NULL;
  g_ptr_array_add (cli->items, item);
  return item;
}

/* The task that reads the input files (-i) a line at a time and queues
 * each URL as its line comes in: a download starts while the rest of the
 * input is still on its way (from a pipe, say). */
static void
read_inputs (BridgeTask *task,
             gpointer    user_data)
{
  Cli *cli = user_data;
  gint64 batch_end = g_get_monotonic_time () + QUEUE_BUDGET_USEC;

  for (guint i = 0; i < cli->inputs->len && cli->signal == 0; i++)
    {
      DlCliInput *input = g_ptr_array_index (cli->inputs, i);
      g_autoptr(GError) error = NULL;
      char *line;
      guint number;

      for (;;)
        {
          g_autoptr(DlCliInputLine) parsed = NULL;
          GError *line_error = NULL;
          CliItem *item;

          CLI_WAIT_UNTIL (cli, cli->n_pending < INPUT_READ_AHEAD || cli->signal != 0);
          if (cli->signal != 0)
            break;
          line = dl_cli_input_read_line (input, &number, &error);
          if (line == NULL)
            break;

          parsed = dl_cli_input_parse_line (dl_cli_input_get_name (input), number, line,
                                            cli->options, cli->checked_cookie_files,
                                            &line_error);
          g_free (line);
          if (parsed == NULL)
            continue;

          item = add_item (cli, parsed->url, line_error == NULL ? parsed->sha256 : NULL);
          item->input_error = line_error;
          item->options = g_steal_pointer (&parsed->options);
          item->rate_limit = parsed->rate_limit;
          queue_item (cli, item);
          if (g_get_monotonic_time () >= batch_end)
            {
              bridge_yield (NULL);
              batch_end = g_get_monotonic_time () + QUEUE_BUDGET_USEC;
            }
        }

      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *safe = dl_safe_text_for_terminal (error->message);

          /* The rest of the input is lost: said even with --quiet, as a
           * usage error is, and the run ends with that status once the
           * downloads already queued are through. */
          if (cli->messages)
            dl_cli_progress_message (cli->progress, safe);
          else
            g_printerr ("%s: %s\n", g_get_prgname (), safe);
          cli->input_failure = g_steal_pointer (&error);
          break;
        }
    }

  bridge_event_set (cli->wake);
}

static void
cli_main (BridgeTask *task,
          gpointer    user_data)
{
  Cli *cli = user_data;
  GMainContext *context = bridge_loop_get_context (bridge_loop_get_default ());
  g_autoptr(BridgeTask) reader = NULL;
  g_autoptr(GError) error = NULL;
  gint64 batch_end;

  cli->wake = bridge_event_new ();

  if (g_strcmp0 (g_getenv ("BRIDGE_DOWNLOADER_STALL_PROBE"), "1") == 0)
    {
      cli->probe = dl_stall_probe_new (context);
      dl_stall_probe_start_recording (cli->probe);
    }

  cli->manager = dl_manager_new (cli->store);
  dl_manager_set_output_dir (cli->manager, cli->output_dir);
  if (cli->output_dir_fd >= 0)
    dl_manager_keep_folder_open (cli->manager, cli->output_dir, g_steal_fd (&cli->output_dir_fd));
  if (cli->jobs > 0)
    dl_manager_set_max_concurrent (cli->manager, cli->jobs);
  if (cli->per_host > 0)
    dl_manager_set_max_per_host (cli->manager, cli->per_host);
  if (cli->retries >= 0)
    dl_manager_set_max_retries (cli->manager, cli->retries);
  if (cli->timeout > 0)
    dl_manager_set_idle_timeout (cli->manager, cli->timeout);
  if (cli->connect_timeout > 0)
    dl_manager_set_connect_timeout (cli->manager, cli->connect_timeout);
  if (cli->max_time > 0)
    dl_manager_set_max_time (cli->manager, cli->max_time);
  dl_manager_set_rate_limit (cli->manager, cli->limit_rate);
  /* Checked when the options were parsed. */
  if (cli->proxy != NULL && !dl_manager_set_proxy (cli->manager, cli->proxy, &error))
    g_warn_if_reached ();
  else if (cli->proxy == NULL && cli->environment_proxies != NULL)
    dl_manager_set_proxy_resolver (cli->manager, cli->environment_proxies);
  else if (cli->proxy == NULL)
    dl_manager_disable_proxies (cli->manager);
  if (cli->max_retry_after > 0)
    dl_manager_set_max_retry_after (cli->manager, cli->max_retry_after);
  if (cli->max_file_size > 0)
    dl_manager_set_max_file_size (cli->manager, cli->max_file_size);
  dl_manager_set_connections (cli->manager, cli->connections > 0 ? cli->connections
                                                                  : DL_CLI_DEFAULT_CONNECTIONS);
  if (cli->min_split_size > 0)
    dl_manager_set_min_split_size (cli->manager, cli->min_split_size);
  /* The "done" events carry each file's SHA-256. */
  dl_manager_set_hash_files (cli->manager, cli->json);
  g_signal_connect (cli->manager, "notify::n-running", G_CALLBACK (n_running_cb), cli);

  /* Only this command's URLs run: the rest of the history (the app's
   * downloads) is loaded paused, and left as it is. */
  if (!dl_manager_load (cli->manager, FALSE, &error) && !cli->quiet)
    cli_message (cli, _("Cannot read the download history: %s"), error->message);
  index_unfinished (cli);

  cli->signal_sources[0] = add_signal_source (SIGINT, sigint_cb, cli, context);
  cli->signal_sources[1] = add_signal_source (SIGTERM, sigterm_cb, cli, context);

  dl_cli_progress_start (cli->progress, context);

  batch_end = g_get_monotonic_time () + QUEUE_BUDGET_USEC;
  for (guint i = 0; i < cli->items->len && cli->signal == 0; i++)
    {
      queue_item (cli, g_ptr_array_index (cli->items, i));
      if (g_get_monotonic_time () >= batch_end)
        {
          bridge_yield (NULL);
          batch_end = g_get_monotonic_time () + QUEUE_BUDGET_USEC;
        }
    }

  if (cli->inputs->len > 0 && cli->signal == 0)
    reader = bridge_spawn (read_inputs, cli, NULL);

  CLI_WAIT_UNTIL (cli, (cli->n_pending == 0 &&
                        (reader == NULL || bridge_future_is_done (bridge_task_as_future (reader)))) ||
                       cli->signal != 0);

  if (reader != NULL)
    {
      /* Interrupted while waiting for more input: it stops reading. */
      bridge_task_cancel (reader, NULL);
      bridge_await (bridge_task_as_future (reader), NULL);
    }

  /* An input of nothing but comments (say, a script's empty list) is
   * nothing to do, not a mistake. */
  if (cli->items->len == 0 && cli->signal == 0 && cli->input_failure == NULL && cli->messages)
    cli_message (cli, "%s", _("No URLs in the input: nothing to download."));

  if (cli->signal != 0)
    dl_manager_shutdown (cli->manager);

  /* A task may still be closing its files after its last state change;
   * the workers hashing finished files must hand their results back. */
  CLI_WAIT_UNTIL (cli, dl_manager_get_n_running (cli->manager) == 0 && cli->n_hash_jobs == 0);

  /* A download stopped before its task ever ran reports no state change:
   * count it as stopped too. */
  for (guint i = 0; i < cli->items->len && cli->signal != 0; i++)
    {
      CliItem *item = g_ptr_array_index (cli->items, i);

      if (item->queued && !item->finished)
        report_stopped (item);
    }

  if (cli->signal != 0)
    cli->exit_status = 128 + cli->signal;
  else if (cli->input_failure != NULL)
    cli->exit_status = DL_CLI_EXIT_USAGE;
  else if (cli->n_failed > 0)
    cli->exit_status = DL_CLI_EXIT_FAILED;
  else
    cli->exit_status = DL_CLI_EXIT_OK;

  /* The summary takes the live view's place. */
  dl_cli_progress_stop (cli->progress);
  print_summary (cli);
  probe_stop (cli);

  for (guint i = 0; i < G_N_ELEMENTS (cli->signal_sources); i++)
    {
      g_source_destroy (cli->signal_sources[i]);
      g_clear_pointer (&cli->signal_sources[i], g_source_unref);
    }

  /* Items are done with their downloads; the manager has no task left, so
   * it can go, and the history is closed (the last connection checkpoints
   * the WAL into the database). */
  for (guint i = 0; i < cli->items->len; i++)
    {
      CliItem *item = g_ptr_array_index (cli->items, i);

      if (item->download != NULL)
        g_signal_handlers_disconnect_by_data (item->download, item);
      g_clear_object (&item->download);
    }
  g_clear_pointer (&cli->unfinished, g_hash_table_unref);
  g_clear_pointer (&cli->finished, g_hash_table_unref);
  g_signal_handlers_disconnect_by_data (cli->manager, cli);
  g_clear_object (&cli->manager);
  if (cli->store != NULL)
    dl_store_close (cli->store);
  g_clear_object (&cli->store);
  g_clear_pointer (&cli->wake, bridge_event_unref);
}

/* ---- options -------------------------------------------------------------------------- */

static gboolean
is_sha256 (const char *text)
{
  return strlen (text) == 64 && strspn (text, "0123456789abcdefABCDEF") == 64;
}


/* The numbers are parsed here rather than by GOption, which accepts
 * "12abc" and has no "not given" value to tell from a given one. */
static gboolean
parse_count (const char  *option,
             const char  *text,
             int          min,
             int          max,
             int         *value,
             GError     **error)
{
  gint64 number;

  if (text == NULL)
    return TRUE;

  if (!g_ascii_string_to_signed (text, 10, min, max, &number, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   /* Translators: "--jobs must be a whole number from 1 to 1024, not “x”" */
                   _("%s must be a whole number from %d to %d, not “%s”"), option, min, max, text);
      return FALSE;
    }
  *value = (int) number;
  return TRUE;
}

static gboolean
parse_seconds (const char  *option,
               const char  *text,
               double      *value,
               GError     **error)
{
  char *end = NULL;
  double seconds;

  if (text == NULL)
    return TRUE;

  seconds = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !(seconds > 0 && seconds <= 86400))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   /* Translators: "--timeout must be a number of seconds, more than 0 and…" */
                   _("%s must be a number of seconds, more than 0 and at most 86400, not “%s”"),
                   option, text);
      return FALSE;
    }
  *value = seconds;
  return TRUE;
}

/* A number of bytes, more than 0, with an optional K, M, G or T (binary
 * multiples, as curl's --max-filesize takes them). */
static gboolean
parse_size (const char  *option,
            const char  *text,
            gint64      *value,
            GError     **error)
{
  g_autofree char *digits = NULL;
  guint64 number, multiple = 1;
  gsize len;

  if (text == NULL)
    return TRUE;

  len = strlen (text);
  if (len > 0)
    switch (g_ascii_toupper (text[len - 1]))
      {
      case 'K': multiple = G_GUINT64_CONSTANT (1) << 10; len--; break;
      case 'M': multiple = G_GUINT64_CONSTANT (1) << 20; len--; break;
      case 'G': multiple = G_GUINT64_CONSTANT (1) << 30; len--; break;
      case 'T': multiple = G_GUINT64_CONSTANT (1) << 40; len--; break;
      default: break;
      }
  digits = g_strndup (text, len);
  if (!g_ascii_string_to_unsigned (digits, 10, 1, G_MAXINT64 / multiple, &number, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   /* Translators: "--max-filesize must be a number of bytes, optionally
                    * followed by K, M, G or T, not “x”"; K, M, G and T stay as they are */
                   _("%s must be a number of bytes, optionally followed by K, M, G or T, "
                     "not “%s”"), option, text);
      return FALSE;
    }
  *value = (gint64) (number * multiple);
  return TRUE;
}

/* "--option: message", for an error about what an option gave. */
static void
prefix_option_error (GError     **error,
                     const char  *option)
{
  g_autofree char *message = g_strdup ((*error)->message);

  g_clear_error (error);
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               /* Translators: "--header: “X Y” is not a valid header name"; the
                * first %s is the option */
               _("%s: %s"), option, message);
}

/* The request options of the command line, for every URL: cli->options
 * stays NULL without any. */
static gboolean
parse_request_options (Cli         *cli,
                       GStrv        headers,
                       const char  *user_agent,
                       const char  *referer,
                       const char  *cookies_file,
                       GError     **error)
{
  g_autoptr(DlRequestOptions) options = dl_request_options_new ();

  for (guint i = 0; headers != NULL && headers[i] != NULL; i++)
    if (!dl_request_options_add_header (options, headers[i], error))
      {
        prefix_option_error (error, "--header");
        return FALSE;
      }
  if (user_agent != NULL && !dl_request_options_set_user_agent (options, user_agent, error))
    {
      prefix_option_error (error, "--user-agent");
      return FALSE;
    }
  if (referer != NULL && !dl_request_options_set_referer (options, referer, error))
    {
      prefix_option_error (error, "--referer");
      return FALSE;
    }
  if (cookies_file != NULL && !dl_request_options_set_cookies_file (options, cookies_file, error))
    {
      prefix_option_error (error, "--load-cookies");
      return FALSE;
    }

  if (!dl_request_options_is_empty (options))
    cli->options = g_steal_pointer (&options);
  return TRUE;
}

/* Creates @dir if needed and makes sure a file can be created in it, with
 * the system's own reason when not (permission denied, no such folder, a
 * read-only disk). The probe file is made in @dir itself and removed. */
static gboolean
check_output_dir (const char  *dir,
                  GError     **error)
{
  g_autofree char *probe = NULL;
  int saved_errno;
  int fd;

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   /* Translators: "Cannot create the output folder /x/y: Permission denied" */
                   _("Cannot create the output folder %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  probe = g_build_filename (dir, ".bridge-downloader-XXXXXX", NULL);
  fd = g_mkstemp_full (probe, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   /* Translators: "Cannot save into /x/y: Permission denied" */
                   _("Cannot save into %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }
  close (fd);
  g_unlink (probe);
  return TRUE;
}

static int
parse_options (Cli   *cli,
               int    argc,
               char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *description = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) urls = NULL;
  g_auto(GStrv) checksums = NULL;
  g_auto(GStrv) input_files = NULL;
  g_autofree char *output_dir = NULL;
  g_autofree char *jobs = NULL;
  g_autofree char *per_host = NULL;
  g_autofree char *retries = NULL;
  g_autofree char *timeout = NULL;
  g_autofree char *connect_timeout = NULL;
  g_autofree char *max_time = NULL;
  g_autofree char *limit_rate = NULL;
  g_autofree char *max_retry_after = NULL;
  g_autofree char *max_file_size = NULL;
  g_autofree char *user = NULL;
  g_auto(GStrv) headers = NULL;
  g_autofree char *user_agent = NULL;
  g_autofree char *referer = NULL;
  g_autofree char *cookies_file = NULL;
  g_autofree char *connections = NULL;
  g_autofree char *min_split_size = NULL;
  gboolean headless = FALSE;
  guint n_urls;
  GOptionEntry entries[] = {
    { "headless", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &headless, NULL, NULL },
    { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &output_dir,
      /* Translators: DIR, N, SECONDS, HEX and FILE in the option
       * descriptions are the options' argument names (translated on
       * their own, just below each): translate them the same way */
      N_("Save the files in DIR (default: the Downloads folder, else the current one)"),
      N_("DIR") },
    { "jobs", 'j', 0, G_OPTION_ARG_STRING, &jobs,
      N_("Download at most N files at once (default: 4)"), N_("N") },
    { "per-host", 0, 0, G_OPTION_ARG_STRING, &per_host,
      N_("At most N connections to the same host (default: 2)"), N_("N") },
    { "connections", 0, 0, G_OPTION_ARG_STRING, &connections,
      N_("Receive each file over at most N connections at once when the server allows "
         "ranges; 1 for one (default: 4, at most 16)"), N_("N") },
    { "min-split-size", 0, 0, G_OPTION_ARG_STRING, &min_split_size,
      N_("Never split a file into ranges smaller than SIZE bytes (K, M, G: binary "
         "multiples; default: 4M)"),
      N_("SIZE") },
    { "retries", 0, 0, G_OPTION_ARG_STRING, &retries,
      N_("Give a download up after N failed attempts in a row (default: 5)"), N_("N") },
    { "timeout", 0, 0, G_OPTION_ARG_STRING, &timeout,
      N_("Retry when no data arrives for SECONDS (default: 30)"), N_("SECONDS") },
    { "connect-timeout", 0, 0, G_OPTION_ARG_STRING, &connect_timeout,
      N_("Retry when there is no response within SECONDS (default: 30)"), N_("SECONDS") },
    { "max-time", 0, 0, G_OPTION_ARG_STRING, &max_time,
      N_("Fail a download that takes longer than SECONDS, retries included (default: no limit)"),
      N_("SECONDS") },
    { "limit-rate", 0, 0, G_OPTION_ARG_STRING, &limit_rate,
      /* Translators: keep k, M and G, they are what the option reads */
      N_("Receive at most RATE bytes per second in all; k, M or G after the number "
         "mean KiB, MiB or GiB (default: no limit)"),
      N_("RATE") },
    { "max-filesize", 0, 0, G_OPTION_ARG_STRING, &max_file_size,
      N_("Fail a download whose file is larger than SIZE bytes (K, M, G: binary multiples)"),
      N_("SIZE") },
    { "max-retry-after", 0, 0, G_OPTION_ARG_STRING, &max_retry_after,
      N_("Wait at most SECONDS when a server asks to retry later (default: 600)"),
      N_("SECONDS") },
    { "sha256", 0, 0, G_OPTION_ARG_STRING_ARRAY, &checksums,
      N_("Expected SHA-256 of the files, once per URL on the command line, in the same order"),
      N_("HEX") },
    { "input-file", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &input_files,
      N_("Read URLs from FILE, one per line (“-” for the standard input), starting each "
         "as soon as its line is read"), N_("FILE") },
    { "header", 'H', 0, G_OPTION_ARG_STRING_ARRAY, &headers,
      /* Translators: do not translate "Name: value", Authorization and Cookie */
      N_("Send the header “Name: value” with every request (repeatable); an Authorization "
         "or Cookie header is kept in memory only, never in the history"), N_("HEADER") },
    { "user-agent", 'A', 0, G_OPTION_ARG_STRING, &user_agent,
      N_("Send UA as the User-Agent instead of the downloader's own"), N_("UA") },
    { "referer", 'e', 0, G_OPTION_ARG_STRING, &referer,
      N_("Send URL as the Referer"), N_("URL") },
    { "load-cookies", 'b', 0, G_OPTION_ARG_FILENAME, &cookies_file,
      N_("Send the cookies of FILE (cookies.txt, as curl, wget and browsers' extensions write "
         "it) to the URLs they match"), N_("FILE") },
    { "proxy", 'x', 0, G_OPTION_ARG_STRING, &cli->proxy,
      /* Translators: keep http:// and socks5:// */
      N_("Connect through the proxy at URL (http://HOST:PORT or socks5://HOST:PORT) instead "
         "of the ones the environment names (see below)"), N_("URL") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json,
      N_("Report progress as one JSON event per line on the standard output"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &cli->quiet,
      N_("Print nothing on the standard error"), NULL },
    { "user", 'u', 0, G_OPTION_ARG_STRING, &user,
      N_("Send USER and PASSWORD when a server asks for them (to the URLs’ own hosts only)"),
      /* Translators: the argument of --user; keep the colon */
      N_("USER:PASSWORD") },
    { "fresh", 0, 0, G_OPTION_ARG_NONE, &cli->fresh,
      N_("Download every URL from the start, even when an earlier run of the same command "
         "saved or started it"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &urls, NULL, NULL },
    { NULL }
  };

  cli->jobs = -1;
  cli->per_host = -1;
  cli->connections = -1;
  cli->retries = -1;
  cli->timeout = -1;
  cli->connect_timeout = -1;
  cli->max_time = -1;
  cli->max_retry_after = -1;

  /* Translators: the usage line, after "bridge-downloader [OPTION…]" */
  context = g_option_context_new (N_("--headless URL…"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                /* Translators: the --help summary; "\n" breaks the lines
                                 * to fit 80 columns, break yours where it suits */
                                _("Downloads files without a window. Runs several downloads at "
                                  "once, retries\nwhat fails, and resumes an interrupted run when "
                                  "the same command runs again."));
  description = g_strconcat (
                             /* Translators: the end of the --help text. Do not
                              * translate sha256=HEX, --json, the event names
                              * (queued, started, progress, retrying, done, failed,
                              * stopped, summary) nor the keys ("event", "time",
                              * "index", "id", "url", path, size, sha256, domain,
                              * code, message): they are what the program prints */
                             _("Input files: one URL per line, optionally followed by "
                               "sha256=HEX;\nblank lines and lines starting with # are "
                               "skipped.\n\n"
                               "A line may also set its own request: header=\"Name: "
                               "value\" (repeatable),\nuser-agent=UA, referer=URL, "
                               "cookies=FILE and limit=RATE (a speed limit of\nits own). "
                               "Quote a value that has spaces. Headers, cookies and limits "
                               "are kept\nin the download history, so that a resumed "
                               "download sends the same\nrequest; Authorization and Cookie "
                               "headers are not: give them again.\n\n"
                               "--json events (one object per line, each with \"event\", "
                               "\"time\", \"index\",\n\"id\" and \"url\"): queued, started, "
                               "progress, retrying, done (path, size,\nsha256), failed "
                               "(domain, code, message), stopped, and a final summary.\n\n"
                               "Exit status: 0 when every download completed, 1 when any "
                               "failed, 2 for\nusage errors, 130 when interrupted with "
                               "Ctrl+C (the partial files are kept\nand the same command "
                               "resumes them)."),
                             "\n\n",
                             /* Translators: the last paragraph of the --help text. Do not
                              * translate http_proxy, https_proxy, all_proxy, no_proxy,
                              * http://, https:// and --proxy */
                             _("Proxies come from the environment, as for curl and wget, not "
                               "from the\ndesktop's settings: http_proxy for http://, "
                               "https_proxy for https://,\nall_proxy for both; no_proxy lists "
                               "the hosts, domains and address ranges\nreached directly (\"*\" "
                               "for all). --proxy overrides them."),
                             NULL);
  g_option_context_set_description (context, description);

  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);
  dl_cli_credentials_scrub_argv (argc, argv);

  if (!g_option_context_parse_strv (context, &args, &error))
    goto usage;

  if (!parse_count ("--jobs", jobs, 1, 1024, &cli->jobs, &error) ||
      !parse_count ("--per-host", per_host, 1, 1024, &cli->per_host, &error) ||
      !parse_count ("--retries", retries, 0, 1000, &cli->retries, &error) ||
      !parse_seconds ("--timeout", timeout, &cli->timeout, &error) ||
      !parse_seconds ("--connect-timeout", connect_timeout, &cli->connect_timeout, &error) ||
      !parse_seconds ("--max-time", max_time, &cli->max_time, &error) ||
      !dl_cli_parse_rate ("--limit-rate", limit_rate, &cli->limit_rate, &error) ||
      !parse_seconds ("--max-retry-after", max_retry_after, &cli->max_retry_after, &error) ||
      !parse_size ("--max-filesize", max_file_size, &cli->max_file_size, &error) ||
      (user != NULL && (cli->credentials = dl_cli_credentials_parse (user, &error)) == NULL) ||
      !parse_count ("--connections", connections, 1, DL_MANAGER_MAX_CONNECTIONS,
                    &cli->connections, &error) ||
      !parse_size ("--min-split-size", min_split_size, &cli->min_split_size, &error))
    goto usage;

  n_urls = urls != NULL ? g_strv_length (urls) : 0;
  for (guint i = 0; checksums != NULL && checksums[i] != NULL; i++)
    if (!is_sha256 (checksums[i]))
      {
        g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     _("“%s” is not a SHA-256 checksum (64 hexadecimal digits)"), checksums[i]);
        goto usage;
      }
  if (checksums != NULL && g_strv_length (checksums) != n_urls)
    {
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   /* Translators: "3 --sha256 given for 2 URLs on the command line…";
                    * the plural follows the number of URLs */
                   ngettext ("%u --sha256 given for %u URL on the command line: give one per "
                             "URL, in the same order",
                             "%u --sha256 given for %u URLs on the command line: give one per "
                             "URL, in the same order",
                             n_urls),
                   g_strv_length (checksums), n_urls);
      goto usage;
    }

  if (n_urls == 0 && input_files == NULL)
    {
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, _("No URL to download"));
      goto usage;
    }

  if (!parse_request_options (cli, headers, user_agent, referer, cookies_file, &error))
    goto usage;
  if (cli->proxy != NULL)
    {
      if (!dl_manager_check_proxy (cli->proxy, &error))
        {
          prefix_option_error (&error, "--proxy");
          goto usage;
        }
    }
  else
    {
      if (!dl_cli_proxy_from_environment (&cli->environment_proxies, &error))
        goto usage;
    }

  cli->items = g_ptr_array_new_with_free_func (cli_item_free);
  for (guint i = 0; i < n_urls; i++)
    {
      CliItem *item = add_item (cli, urls[i], checksums != NULL ? checksums[i] : NULL);

      item->options = cli->options != NULL ? dl_request_options_ref (cli->options) : NULL;
    }
  /* Opened now, so that a missing file is a usage error before anything
   * starts; read as the run goes. */
  cli->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) dl_cli_input_free);
  cli->checked_cookie_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; input_files != NULL && input_files[i] != NULL; i++)
    {
      DlCliInput *input = dl_cli_input_open (input_files[i], &error);

      if (input == NULL)
        goto usage;
      g_ptr_array_add (cli->inputs, input);
    }

  if (output_dir == NULL)
    {
      const char *downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);

      if (downloads != NULL && g_file_test (downloads, G_FILE_TEST_IS_DIR))
        output_dir = g_strdup (downloads);
      else
        output_dir = g_get_current_dir ();
    }
  cli->output_dir = g_canonicalize_filename (output_dir, NULL);

  /* Every download would fail the same way: a person is told once, before
   * any request. --json keeps its contract of an outcome per download, so
   * there each download reports the folder's problem. */
  if (cli->json)
    g_mkdir_with_parents (cli->output_dir, 0755);
  else if (!check_output_dir (cli->output_dir, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return DL_CLI_EXIT_FAILED;
    }

  return -1;

usage:
  /* Usage errors are printed even with --quiet: nothing else tells. The
   * message may quote an input file's line, which may come from anywhere. */
  {
    g_autofree char *safe = dl_safe_text_for_terminal (error->message);

    g_printerr ("%s: %s\n", g_get_prgname (), safe);
  }
  g_printerr (_("Run “%s --headless --help” to see a full list of options.\n"), g_get_prgname ());
  return DL_CLI_EXIT_USAGE;
}

/**
 * dl_cli_is_requested:
 * @argc: the program's argument count
 * @argv: its arguments
 *
 * Returns: whether the arguments ask for the headless mode (`--headless`
 *   before any `--`)
 */
gboolean
dl_cli_is_requested (int    argc,
                     char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--"))
        return FALSE;
      if (g_str_equal (argv[i], "--headless"))
        return TRUE;
    }
  return FALSE;
}

/**
 * dl_cli_run:
 * @argc: the program's argument count
 * @argv: its arguments, `--headless` among them
 *
 * Runs `bridge-downloader --headless`: parses the options, downloads every
 * URL and returns when all are done or the run was interrupted.
 *
 * Returns: the exit status, a #DlCliExit (or 128 + a signal's number)
 */
int
dl_cli_run (int    argc,
            char **argv)
{
  g_autoptr(GError) error = NULL;
  Cli cli = { 0, };
  int status;

  cli.output_dir_fd = -1;
  status = parse_options (&cli, argc, argv);
  if (status >= 0)
    goto out;

  cli.messages = !cli.quiet && !cli.json;
  if (!cli.messages)
    cli.progress = dl_cli_progress_new (DL_CLI_PROGRESS_SILENT, cli.items->len);
  else if (isatty (STDERR_FILENO) && g_strcmp0 (g_getenv ("TERM"), "dumb") != 0)
    cli.progress = dl_cli_progress_new (DL_CLI_PROGRESS_LIVE, cli.items->len);
  else
    cli.progress = dl_cli_progress_new (DL_CLI_PROGRESS_LINES, cli.items->len);

  cli.start_time = g_get_monotonic_time ();

  /* The disk threads are made while the history is opened, and GIO's
   * default proxy resolver when a proxy may be used (GIO's connections
   * load it then, and it takes milliseconds): the first request waits for
   * it. Without a proxy in the environment or --proxy, it is never loaded.
   * URLs still to come from input files count as a full set of jobs. */
  dl_manager_warm_up (MIN (cli.jobs > 0 ? (guint) cli.jobs : DL_MANAGER_DEFAULT_MAX_CONCURRENT,
                           cli.inputs->len > 0 ? G_MAXUINT : cli.items->len),
                      cli.proxy != NULL || cli.environment_proxies != NULL);

  /* Before the loop runs, on this thread: a task would wait for a worker
   * thread to do it, which costs a turn of the scheduler, and nothing else
   * runs yet that it could hold up. */
  open_history (&cli);

  /* The output folder too, for the same reason: the first download would
   * wait for a disk thread to open it before sending its request. Checked
   * already (unless --json, where each download reports a problem with
   * it): if it cannot be opened, the downloads say why. */
  cli.output_dir_fd = dl_file_name_open_dir (cli.output_dir, NULL);

  if (!bridge_run (cli_main, &cli, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      status = DL_CLI_EXIT_FAILED;
      goto out;
    }
  status = cli.exit_status;

out:
  /* Closed by the run, unless the loop never ran. */
  g_clear_object (&cli.store);
  g_clear_pointer (&cli.progress, dl_cli_progress_free);
  g_clear_pointer (&cli.items, g_ptr_array_unref);
  g_clear_pointer (&cli.credentials, dl_cli_credentials_free);
  g_clear_pointer (&cli.inputs, g_ptr_array_unref);
  g_clear_pointer (&cli.checked_cookie_files, g_hash_table_unref);
  g_clear_pointer (&cli.options, dl_request_options_unref);
  g_clear_error (&cli.input_failure);
  g_free (cli.proxy);
  g_clear_object (&cli.environment_proxies);
  if (cli.output_dir_fd >= 0)
    close (cli.output_dir_fd);
  g_free (cli.output_dir);
  return status;
}
