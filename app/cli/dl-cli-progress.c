/* dl-cli-progress.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What the headless mode shows a person on stderr while it runs: on a
 * terminal, a line per active download (name, bar, percentage, sizes,
 * speed, time left) redrawn in place under the lines that stay; elsewhere
 * the same lines printed now and then; and at the end a table of every
 * download like aria2c's "Download Results", with the run's total time and
 * average speed. Sizes, speeds and times are dl-format.c's, as in the
 * app's window. */

#define G_LOG_DOMAIN "dl-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dl-cli-progress.h"
#include "dl-format.h"
#include "dl-safe-text.h"

/* At most ten redraws a second on a terminal. */
#define LIVE_INTERVAL_MS 100
/* Piped output is a log: a line per active download every few seconds. */
#define LINES_INTERVAL_MS 3000

typedef struct
{
  char         *url;
  DlDownload   *download;
  char         *detail;         /* the saved path, or why it failed */
  DlCliOutcome  outcome;
  gint64        tracked_at;     /* monotonic */
  gint64        started_at;     /* first transferring, or 0 */
  gint64        start_bytes;    /* on disk when queued (a resume's offset) */
  gulong        state_handler;
  gint64        finished_at;
  gint64        final_bytes;
} Entry;

struct _DlCliProgress
{
  DlCliProgressMode  mode;
  GPtrArray         *entries;   /* Entry, by input index; NULL until tracked */
  GSource           *tick;
  gint64             start_time;
  guint              drawn_lines;
};

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  if (entry == NULL)
    return;
  g_free (entry->url);
  if (entry->state_handler != 0)
    g_clear_signal_handler (&entry->state_handler, entry->download);
  g_clear_object (&entry->download);
  g_free (entry->detail);
  g_free (entry);
}

DlCliProgress *
dl_cli_progress_new (DlCliProgressMode mode,
                     guint             n_items)
{
  DlCliProgress *self = g_new0 (DlCliProgress, 1);

  self->mode = mode;
  self->entries = g_ptr_array_new_full (n_items, entry_free);
  g_ptr_array_set_size (self->entries, n_items);
  self->start_time = g_get_monotonic_time ();
  return self;
}

void
dl_cli_progress_free (DlCliProgress *self)
{
  if (self == NULL)
    return;

  dl_cli_progress_stop (self);
  g_ptr_array_unref (self->entries);
  g_free (self);
}

/* ---- formatting ---------------------------------------------------------------- */

static void
write_stderr (const GString *text)
{
  fwrite (text->str, 1, text->len, stderr);
  fflush (stderr);
}

static guint
terminal_columns (void)
{
  struct winsize ws;

  if (ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 80;
}

static guint
terminal_rows (void)
{
  struct winsize ws;

  if (ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
    return ws.ws_row;
  return 24;
}

/* Appends @text cut to @width characters (with an ellipsis when cut), so
 * that a line never wraps and the cursor arithmetic stays right. */
static void
append_clipped (GString    *out,
                const char *text,
                guint       width)
{
  glong len = g_utf8_strlen (text, -1);

  if (width == 0)
    return;
  if ((gulong) len <= width)
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_len (out, text, g_utf8_offset_to_pointer (text, width - 1) - text);
  g_string_append (out, "…");
}

static void
append_bar (GString *out,
            double   fraction,
            guint    width)
{
  guint filled = (guint) (CLAMP (fraction, 0.0, 1.0) * width);

  g_string_append_c (out, '[');
  for (guint i = 0; i < width; i++)
    g_string_append_c (out, i < filled ? '#' : '-');
  g_string_append (out, "]  ");
}

/**
 * dl_cli_progress_format_line:
 * @download: an active download
 * @name: what to call it
 * @width: the columns the line may take
 * @now: the monotonic time
 *
 * Returns: one line for @download, at most @width characters: its name, a
 *   bar, the percentage, the sizes, the speed and the time left. Until a
 *   speed is measured, neither it nor the time left is shown ("0 B/s" and
 *   "--:--" would only alarm).
 */
char *
dl_cli_progress_format_line (DlDownload *download,
                             const char *name,
                             guint       width,
                             gint64      now)
{
  g_autoptr(GString) line = g_string_new ("  ");
  g_autoptr(GString) status = g_string_new (NULL);
  g_autoptr(GString) clipped = g_string_new (NULL);
  g_autofree char *safe = NULL;
  gint64 received = dl_download_get_bytes_received (download);
  gint64 total = dl_download_get_total_bytes (download);
  double speed = dl_download_get_speed (download);
  g_autofree char *received_text = dl_format_size (MAX (received, 0));
  g_autofree char *total_text = NULL;
  g_autofree char *speed_text = NULL;
  g_autofree char *left = NULL;
  guint name_width;

  switch (dl_download_get_state (download))
    {
    case DL_DOWNLOAD_STATE_CONNECTING:
      g_string_append (status, _("connecting…"));
      break;

    case DL_DOWNLOAD_STATE_VERIFYING:
      g_string_append (status, _("verifying…"));
      break;

    case DL_DOWNLOAD_STATE_RETRYING:
      {
        gint64 wait = dl_download_get_retry_at (download) - now;
        guint seconds = wait > 0 ? (guint) ((wait + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC) : 0;
        const char *reason = dl_download_get_error_message (download);

        if (seconds == 0)
          /* Translators: "retrying…: HTTP 503 Service Unavailable" */
          g_string_append_printf (status, _("retrying…: %s"), reason != NULL ? reason : "");
        else
          /* Translators: "retrying in 5 s: HTTP 503 Service Unavailable" */
          g_string_append_printf (status, _("retrying in %d s: %s"), (int) seconds,
                                  reason != NULL ? reason : "");
      }
      break;

    case DL_DOWNLOAD_STATE_DOWNLOADING:
      if (speed > 0)
        speed_text = dl_format_speed (speed);
      /* Fetched in parts: how many connections (×4) before the figures. */
      if (dl_download_get_n_connections (download) > 1)
        g_string_append_printf (status, "×%u  ", dl_download_get_n_connections (download));
      if (total > 0)
        {
          total_text = dl_format_size (total);
          append_bar (status, (double) received / (double) total, width >= 100 ? 24 : 12);
          if (speed_text != NULL && dl_download_get_eta (download) >= 0)
            {
              left = dl_format_clock (dl_download_get_eta (download));
              /* Translators: percent, bytes received / total, speed, time left */
              g_string_append_printf (status, _("%3d%%  %s / %s  %s  %s"),
                                      (int) (100 * received / total), received_text, total_text,
                                      speed_text, left);
            }
          else
            /* Translators: percent, bytes received / total */
            g_string_append_printf (status, _("%3d%%  %s / %s"),
                                    (int) (100 * received / total), received_text, total_text);
        }
      else if (speed_text != NULL)
        /* Translators: bytes received, speed (the total is unknown) */
        g_string_append_printf (status, _("%s  %s"), received_text, speed_text);
      else
        g_string_append (status, received_text);
      break;

    case DL_DOWNLOAD_STATE_QUEUED:
    case DL_DOWNLOAD_STATE_PAUSED:
    case DL_DOWNLOAD_STATE_DONE:
    case DL_DOWNLOAD_STATE_FAILED:
    case DL_DOWNLOAD_STATE_CANCELLED:
    default:
      break;
    }

  /* The name gets what the status leaves, and at least a dozen columns. */
  name_width = width > (guint) g_utf8_strlen (status->str, -1) + 6
                 ? width - (guint) g_utf8_strlen (status->str, -1) - 6 : 12;
  name_width = MAX (MIN (name_width, width / 2), 12);
  append_clipped (line, name, name_width);
  g_string_append (line, "  ");
  g_string_append (line, status->str);

  /* The name and a retry's reason came from the server: made safe before
   * the line is measured and clipped, since escaping lengthens it. */
  safe = dl_safe_text_for_terminal (line->str);
  append_clipped (clipped, safe, width);
  return g_string_free (g_steal_pointer (&clipped), FALSE);
}

/* ---- the running display ------------------------------------------------------------ */

static char *
entry_name (Entry *entry)
{
  const char *name = entry->download != NULL ? dl_download_get_file_name (entry->download) : NULL;
  const char *slash;

  if (name != NULL)
    return g_strdup (name);
  slash = strrchr (entry->url, '/');
  if (slash != NULL && slash[1] != '\0')
    return g_strdup (slash + 1);
  return g_strdup (entry->url);
}

static gboolean
is_shown (DlDownloadState state)
{
  return state == DL_DOWNLOAD_STATE_CONNECTING ||
         state == DL_DOWNLOAD_STATE_DOWNLOADING ||
         state == DL_DOWNLOAD_STATE_RETRYING ||
         state == DL_DOWNLOAD_STATE_VERIFYING;
}

/* The average speed counts from the first byte, not from the queue. */
static void
state_cb (DlDownload *download,
          GParamSpec *pspec,
          Entry      *entry)
{
  if (entry->started_at == 0 && dl_download_get_state (download) == DL_DOWNLOAD_STATE_DOWNLOADING)
    entry->started_at = g_get_monotonic_time ();
}

/* Moves the cursor back over the live view and clears it. */
static void
erase (DlCliProgress *self,
       GString       *out)
{
  if (self->drawn_lines > 0)
    g_string_append_printf (out, "\r\033[%uA\033[J", self->drawn_lines);
  self->drawn_lines = 0;
}

static void
draw_live (DlCliProgress *self)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *bytes_text = NULL;
  g_autofree char *speed_text = NULL;
  g_autofree char *total = NULL;
  guint columns = terminal_columns ();
  guint rows = terminal_rows ();
  /* Leave room for the total and one line of what scrolls above. */
  guint max_lines = rows > 3 ? rows - 3 : 1;
  guint shown = 0, hidden = 0;
  guint n_done = 0, n_failed = 0, n_active = 0, n_queued = 0, n_tracked = 0;
  gint64 now = g_get_monotonic_time ();
  gint64 bytes = 0;
  double speed = 0;

  erase (self, out);

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);
      DlDownloadState state;

      if (entry == NULL)
        continue;
      n_tracked++;
      if (entry->outcome == DL_CLI_OUTCOME_DONE)
        n_done++;
      else if (entry->outcome == DL_CLI_OUTCOME_FAILED)
        n_failed++;
      if (entry->download == NULL)
        continue;

      bytes += dl_download_get_bytes_received (entry->download);
      if (entry->outcome != DL_CLI_OUTCOME_PENDING)
        continue;

      state = dl_download_get_state (entry->download);
      if (state == DL_DOWNLOAD_STATE_QUEUED)
        n_queued++;
      if (!is_shown (state))
        continue;

      n_active++;
      speed += dl_download_get_speed (entry->download);
      if (shown < max_lines)
        {
          g_autofree char *name = entry_name (entry);
          g_autofree char *line = dl_cli_progress_format_line (entry->download, name,
                                                               columns - 1, now);

          g_string_append (out, line);
          g_string_append_c (out, '\n');
          shown++;
        }
      else
        hidden++;
    }

  if (hidden > 0)
    {
      g_autofree char *line = NULL;

      /* Translators: the last line of the live view when the terminal is too
       * short to show every active download: "  … and 3 more"; keep the two
       * leading spaces, which indent it like the lines above */
      line = g_strdup_printf (ngettext ("  … and %u more", "  … and %u more", hidden), hidden);
      append_clipped (out, line, columns - 1);
      g_string_append_c (out, '\n');
      shown++;
    }

  bytes_text = dl_format_size (MAX (bytes, 0));
  if (speed > 0)
    {
      speed_text = dl_format_speed (speed);
      /* Translators: the total line of the live view: "3/10 done, 1 failed,
       * 4 active, 2 queued, 120 MB, 25.3 MB/s" */
      total = g_strdup_printf (_("%u/%u done, %u failed, %u active, %u queued, %s, %s"),
                               n_done, self->entries->len, n_failed, n_active, n_queued,
                               bytes_text, speed_text);
    }
  else
    /* Translators: the total line of the live view while nothing moves:
     * "3/10 done, 1 failed, 0 active, 2 queued, 120 MB" */
    total = g_strdup_printf (_("%u/%u done, %u failed, %u active, %u queued, %s"),
                             n_done, self->entries->len, n_failed, n_active, n_queued,
                             bytes_text);
  append_clipped (out, total, columns - 1);
  g_string_append_c (out, '\n');
  shown++;

  self->drawn_lines = shown;
  write_stderr (out);
}

/* Not a terminal: a plain line per download that moves, no escapes. */
static void
print_lines (DlCliProgress *self)
{
  g_autoptr(GString) out = g_string_new (NULL);
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (entry == NULL || entry->download == NULL || entry->outcome != DL_CLI_OUTCOME_PENDING)
        continue;

      if (dl_download_get_state (entry->download) == DL_DOWNLOAD_STATE_DOWNLOADING)
        {
          g_autofree char *name = entry_name (entry);
          g_autofree char *line = dl_cli_progress_format_line (entry->download, name, 200, now);

          g_string_append (out, line);
          g_string_append_c (out, '\n');
        }
    }

  if (out->len > 0)
    write_stderr (out);
}

static gboolean
tick_cb (gpointer user_data)
{
  DlCliProgress *self = user_data;

  if (self->mode == DL_CLI_PROGRESS_LIVE)
    draw_live (self);
  else
    print_lines (self);
  return G_SOURCE_CONTINUE;
}

/**
 * dl_cli_progress_start:
 * @self: a #DlCliProgress
 * @context: the run's main context
 *
 * Starts redrawing (on a terminal) or printing lines now and then.
 */
void
dl_cli_progress_start (DlCliProgress *self,
                       GMainContext  *context)
{
  g_return_if_fail (self != NULL);

  self->start_time = g_get_monotonic_time ();
  if (self->mode == DL_CLI_PROGRESS_SILENT || self->tick != NULL)
    return;

  self->tick = g_timeout_source_new (self->mode == DL_CLI_PROGRESS_LIVE ? LIVE_INTERVAL_MS
                                                                        : LINES_INTERVAL_MS);
  g_source_set_callback (self->tick, tick_cb, self, NULL);
  g_source_set_static_name (self->tick, "[dl-cli] progress");
  g_source_attach (self->tick, context);
}

/**
 * dl_cli_progress_stop:
 * @self: a #DlCliProgress
 *
 * Stops drawing and clears the live view, for the summary to take its
 * place.
 */
void
dl_cli_progress_stop (DlCliProgress *self)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_return_if_fail (self != NULL);

  if (self->tick != NULL)
    {
      g_source_destroy (self->tick);
      g_clear_pointer (&self->tick, g_source_unref);
    }

  erase (self, out);
  if (out->len > 0)
    write_stderr (out);
}

void
dl_cli_progress_track (DlCliProgress *self,
                       guint          index,
                       const char    *url,
                       DlDownload    *download)
{
  Entry *entry;

  g_return_if_fail (self != NULL);

  /* Input files are read as the run goes: the list grows. */
  if (index >= self->entries->len)
    g_ptr_array_set_size (self->entries, index + 1);

  entry = g_new0 (Entry, 1);
  entry->url = g_strdup (url);
  entry->download = download != NULL ? g_object_ref (download) : NULL;
  entry->tracked_at = g_get_monotonic_time ();
  entry->start_bytes = download != NULL ? dl_download_get_bytes_received (download) : 0;
  if (download != NULL)
    entry->state_handler = g_signal_connect (download, "notify::state", G_CALLBACK (state_cb),
                                             entry);
  entry_free (g_ptr_array_index (self->entries, index));
  g_ptr_array_index (self->entries, index) = entry;
}

/**
 * dl_cli_progress_finish:
 * @self: a #DlCliProgress
 * @index: the download's place in the input
 * @outcome: how it ended
 * @detail: (nullable): the saved path, or why it failed
 */
void
dl_cli_progress_finish (DlCliProgress *self,
                        guint          index,
                        DlCliOutcome   outcome,
                        const char    *detail)
{
  Entry *entry;

  g_return_if_fail (self != NULL);
  g_return_if_fail (index < self->entries->len);

  entry = g_ptr_array_index (self->entries, index);
  if (entry == NULL)
    return;

  entry->outcome = outcome;
  g_free (entry->detail);
  entry->detail = g_strdup (detail);
  entry->finished_at = g_get_monotonic_time ();
  entry->final_bytes = entry->download != NULL ? dl_download_get_bytes_received (entry->download)
                                               : 0;
}

/**
 * dl_cli_progress_message:
 * @self: (nullable): a #DlCliProgress
 * @text: a line that stays
 *
 * Prints @text above the live view, which is drawn again under it.
 */
void
dl_cli_progress_message (DlCliProgress *self,
                         const char    *text)
{
  g_autoptr(GString) out = g_string_new (NULL);

  if (self != NULL)
    erase (self, out);
  g_string_append (out, text);
  g_string_append_c (out, '\n');
  write_stderr (out);

  if (self != NULL && self->mode == DL_CLI_PROGRESS_LIVE && self->tick != NULL)
    draw_live (self);
}

/* ---- the summary ------------------------------------------------------------------- */

static void
append_padded (GString    *out,
               const char *text,
               guint       width)
{
  glong len = g_utf8_strlen (text, -1);

  g_string_append (out, text);
  for (glong i = len; i < (glong) width; i++)
    g_string_append_c (out, ' ');
  g_string_append (out, "  ");
}

/**
 * dl_cli_progress_print_summary:
 * @self: a #DlCliProgress
 *
 * Prints a table of every download (status, size, average speed, path or
 * reason) and the run's total time and average speed, as aria2c does.
 */
void
dl_cli_progress_print_summary (DlCliProgress *self)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
  const char *headings[3];
  guint widths[3];
  gint64 now = g_get_monotonic_time ();
  gint64 elapsed = MAX (now - self->start_time, 1);
  gint64 all_bytes = 0;
  g_autofree char *elapsed_text = NULL;
  g_autofree char *all_text = NULL;
  g_autofree char *all_speed = NULL;

  g_return_if_fail (self != NULL);

  if (self->mode == DL_CLI_PROGRESS_SILENT)
    return;

  /* Translators: the column headings of the final table: a download's
   * status ("OK", "failed", "stopped"), its size, its average speed */
  headings[0] = _("Status");
  headings[1] = _("Size");
  headings[2] = _("Average speed");
  for (guint c = 0; c < 3; c++)
    widths[c] = g_utf8_strlen (headings[c], -1);

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);
      const char *status;
      char *size = NULL;
      char *speed = NULL;
      gint64 began, ended, moved;

      if (entry == NULL)
        continue;

      switch (entry->outcome)
        {
        case DL_CLI_OUTCOME_DONE:
          /* Translators: a status in the final table */
          status = _("OK");
          break;
        case DL_CLI_OUTCOME_FAILED:
          /* Translators: a status in the final table */
          status = _("failed");
          break;
        case DL_CLI_OUTCOME_STOPPED:
        case DL_CLI_OUTCOME_PENDING:
        default:
          /* Translators: a status in the final table: interrupted, resumable */
          status = _("stopped");
          break;
        }

      ended = entry->finished_at > 0 ? entry->finished_at : now;
      began = entry->started_at > 0 ? entry->started_at : entry->tracked_at;
      moved = MAX ((entry->finished_at > 0 ? entry->final_bytes
                    : entry->download != NULL ? dl_download_get_bytes_received (entry->download)
                    : 0) - entry->start_bytes, 0);
      all_bytes += moved;

      if (entry->download != NULL && (entry->outcome != DL_CLI_OUTCOME_FAILED || moved > 0))
        size = dl_format_size (MAX (entry->outcome == DL_CLI_OUTCOME_DONE
                                     ? entry->final_bytes
                                     : dl_download_get_bytes_received (entry->download), 0));
      else
        size = g_strdup ("—");
      if (moved > 0 && ended > began)
        speed = dl_format_speed (moved * (double) G_USEC_PER_SEC / (double) (ended - began));
      else
        speed = g_strdup ("—");

      g_ptr_array_add (cells, g_strdup (status));
      g_ptr_array_add (cells, size);
      g_ptr_array_add (cells, speed);
      /* Paths, URLs and reasons came from the network: made safe for the
       * terminal (the URL was stripped of its password by the caller). */
      if (entry->outcome == DL_CLI_OUTCOME_DONE && entry->detail != NULL)
        g_ptr_array_add (cells, dl_safe_text_for_terminal (entry->detail));
      else if (entry->detail != NULL)
        {
          /* Translators: the last column of the final table for a download
           * that did not finish: "https://example.com/f.iso: HTTP 404 Not Found" */
          g_autofree char *cell = g_strdup_printf (_("%s: %s"), entry->url, entry->detail);

          g_ptr_array_add (cells, dl_safe_text_for_terminal (cell));
        }
      else
        g_ptr_array_add (cells, dl_safe_text_for_terminal (entry->url));

      for (guint c = 0; c < 3; c++)
        widths[c] = MAX (widths[c], (guint) g_utf8_strlen (g_ptr_array_index (cells, cells->len - 4 + c), -1));
    }

  g_string_append_c (out, '\n');
  /* Translators: the title of the final table */
  g_string_append_printf (out, "%s\n", _("Download results:"));
  for (guint c = 0; c < 3; c++)
    append_padded (out, headings[c], widths[c]);
  /* Translators: the heading of the last column of the final table */
  g_string_append_printf (out, "%s\n", _("Path or reason"));

  for (guint r = 0; r < cells->len; r += 4)
    {
      for (guint c = 0; c < 3; c++)
        append_padded (out, g_ptr_array_index (cells, r + c), widths[c]);
      g_string_append_printf (out, "%s\n", (const char *) g_ptr_array_index (cells, r + 3));
    }

  elapsed_text = dl_format_clock (elapsed / G_USEC_PER_SEC);
  all_text = dl_format_size (all_bytes);
  all_speed = dl_format_speed (all_bytes * (double) G_USEC_PER_SEC / (double) elapsed);
  /* Translators: under the final table: "Total time 0:42, 120.5 MB at
   * 2.9 MB/s on average" */
  g_string_append_printf (out, _("Total time %s, %s at %s on average"),
                          elapsed_text, all_text, all_speed);

  dl_cli_progress_message (self, out->str);
}
