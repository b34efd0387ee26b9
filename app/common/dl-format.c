/* dl-format.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-format"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dl-format.h"

char *
dl_format_size (gint64 bytes)
{
  return g_format_size (MAX (bytes, 0));
}

/* For a terminal, where sizes go in powers of two (as with ls -h). */
char *
dl_format_size_iec (gint64 bytes)
{
  return g_format_size_full (MAX (bytes, 0), G_FORMAT_SIZE_IEC_UNITS);
}

char *
dl_format_speed (double bytes_per_second)
{
  g_autofree char *size = g_format_size ((guint64) MAX (bytes_per_second, 0));

  /* Translators: a transfer speed, %s is a size such as "2.1 MB" */
  return g_strdup_printf (_("%s/s"), size);
}

/* Rounded up, so that "1 second left" is never shown while two remain, and
 * coarse, because a time left that changes every tick is noise. */
char *
dl_format_time_left (gint64 seconds)
{
  guint n;

  if (seconds < 0)
    return NULL;

  if (seconds < 60)
    {
      n = (guint) MAX (seconds, 1);
      return g_strdup_printf (ngettext ("%u second left", "%u seconds left", n), n);
    }

  if (seconds < 60 * 60)
    {
      n = (guint) ((seconds + 59) / 60);
      return g_strdup_printf (ngettext ("%u minute left", "%u minutes left", n), n);
    }

  if (seconds < 48 * 60 * 60)
    {
      n = (guint) ((seconds + 3599) / 3600);
      return g_strdup_printf (ngettext ("%u hour left", "%u hours left", n), n);
    }

  n = (guint) MIN ((seconds + 86399) / 86400, G_MAXUINT);
  return g_strdup_printf (ngettext ("%u day left", "%u days left", n), n);
}

/* A clock-style time left for a terminal's progress line: "1:02:03",
 * "2:03", or "--:--" when unknown. */
char *
dl_format_clock (gint64 seconds)
{
  if (seconds < 0)
    return g_strdup ("--:--");
  if (seconds >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d", seconds / 3600,
                            (int) (seconds / 60 % 60), (int) (seconds % 60));
  return g_strdup_printf ("%d:%02d", (int) (seconds / 60), (int) (seconds % 60));
}

/* For the inspector: how long a task has been parked. */
char *
dl_format_duration (gint64 usec)
{
  double seconds = usec / (double) G_USEC_PER_SEC;

  if (usec < 1000)
    /* Translators: a short duration in microseconds */
    return g_strdup_printf (_("%u µs"), (guint) MAX (usec, 0));
  if (usec < G_USEC_PER_SEC)
    /* Translators: a short duration in milliseconds */
    return g_strdup_printf (_("%.1f ms"), usec / 1000.0);
  if (seconds < 60)
    /* Translators: a duration in seconds */
    return g_strdup_printf (_("%.1f s"), seconds);
  if (seconds < 3600)
    /* Translators: a duration in minutes and seconds */
    return g_strdup_printf (_("%u min %02u s"), (guint) seconds / 60, (guint) seconds % 60);
  /* Translators: a duration in hours and minutes */
  return g_strdup_printf (_("%u h %02u min"), (guint) seconds / 3600, ((guint) seconds / 60) % 60);
}

char *
dl_format_host (const char *url)
{
  g_autoptr(GUri) uri = NULL;
  const char *host;

  if (url == NULL)
    return g_strdup ("");

  uri = g_uri_parse (url, G_URI_FLAGS_PARSE_RELAXED, NULL);
  host = uri != NULL ? g_uri_get_host (uri) : NULL;
  if (host == NULL || *host == '\0')
    return g_strdup (url);

  if (g_uri_get_port (uri) > 0)
    return g_strdup_printf ("%s:%d", host, g_uri_get_port (uri));
  return g_strdup (host);
}

/* Until the response names the file, show what the URL suggests. */
char *
dl_format_display_name (DlDownload *download)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *path = NULL;
  const char *name = dl_download_get_file_name (download);
  const char *slash;

  if (name != NULL && *name != '\0')
    return g_strdup (name);

  uri = g_uri_parse (dl_download_get_url (download), G_URI_FLAGS_PARSE_RELAXED, NULL);
  if (uri != NULL)
    path = g_uri_unescape_string (g_uri_get_path (uri), NULL);
  if (path != NULL)
    {
      g_strchomp (path);
      while (g_str_has_suffix (path, "/"))
        path[strlen (path) - 1] = '\0';
      slash = strrchr (path, '/');
      if (slash != NULL && slash[1] != '\0')
        return g_strdup (slash + 1);
    }

  if (uri != NULL && g_uri_get_host (uri) != NULL)
    return g_strdup (g_uri_get_host (uri));
  return g_strdup (dl_download_get_url (download));
}

static guint
http_status_of (const char *message)
{
  /* The engine's HTTP errors carry the status code; find a three-digit
   * number between 400 and 599 in the message. */
  for (const char *p = message; p != NULL && *p != '\0'; p++)
    {
      if (g_ascii_isdigit (p[0]) && g_ascii_isdigit (p[1]) && g_ascii_isdigit (p[2]) &&
          !g_ascii_isdigit (p[3]) && (p == message || !g_ascii_isdigit (p[-1])))
        {
          guint code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');

          if (code >= 400 && code < 600)
            return code;
        }
    }
  return 0;
}

/* Why a download failed (or is being retried), in plain words. The engine's
 * messages are developer English; the common causes get a translated
 * sentence, anything else shows the engine's text. */
char *
dl_format_reason (DlDownload *download)
{
  const GError *error = dl_download_get_error (download);
  const char *message = dl_download_get_error_message (download);
  guint status;

  if (message == NULL && error == NULL)
    return NULL;

  if (error != NULL && error->domain == DL_DOWNLOAD_ERROR)
    {
      switch ((DlDownloadError) error->code)
        {
        case DL_DOWNLOAD_ERROR_LENGTH:
          return g_strdup (_("The file arrived incomplete"));
        case DL_DOWNLOAD_ERROR_CHECKSUM:
          return g_strdup (_("The file is damaged: its checksum does not match"));
        case DL_DOWNLOAD_ERROR_TLS:
          return g_strdup (_("The server’s security certificate is not trusted"));
        case DL_DOWNLOAD_ERROR_REDIRECT:
          return g_strdup (_("The server redirects in circles"));
        case DL_DOWNLOAD_ERROR_INSECURE_REDIRECT:
          return g_strdup (_("The server redirects to an insecure address"));
        case DL_DOWNLOAD_ERROR_AUTH:
          return g_strdup (_("Authentication failed: the user name or password was not accepted"));
        case DL_DOWNLOAD_ERROR_HTTP:
        case DL_DOWNLOAD_ERROR_FAILED:
        case DL_DOWNLOAD_ERROR_PROTOCOL:
        default:
          break;
        }
    }
  else if (error != NULL && error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_TIMED_OUT:
          return g_strdup (_("The server stopped responding"));
        case G_IO_ERROR_CONNECTION_REFUSED:
          return g_strdup (_("The server refused the connection"));
        case G_IO_ERROR_HOST_NOT_FOUND:
        case G_IO_ERROR_HOST_UNREACHABLE:
        case G_IO_ERROR_NETWORK_UNREACHABLE:
          return g_strdup (_("The server cannot be reached"));
        case G_IO_ERROR_NO_SPACE:
          return g_strdup (_("The disk is full"));
        case G_IO_ERROR_PERMISSION_DENIED:
          return g_strdup (_("No permission to write to the download folder"));
        default:
          break;
        }
    }
  else if (error != NULL && error->domain == G_RESOLVER_ERROR)
    return g_strdup (_("The server cannot be found"));

  status = http_status_of (message);
  switch (status)
    {
    case 0:
      break;
    case 401:
    case 403:
      /* Translators: %u is an HTTP status code such as 403 */
      return g_strdup_printf (_("Access denied by the server (%u)"), status);
    case 404:
    case 410:
      /* Translators: %u is an HTTP status code such as 404 */
      return g_strdup_printf (_("The file is not on the server (%u)"), status);
    case 429:
      /* Translators: %u is an HTTP status code (429) */
      return g_strdup_printf (_("The server is busy (%u)"), status);
    default:
      if (status >= 500)
        /* Translators: %u is an HTTP status code such as 503 */
        return g_strdup_printf (_("Server error (%u)"), status);
      /* Translators: %u is an HTTP status code such as 400 */
      return g_strdup_printf (_("The server refused the request (%u)"), status);
    }

  return g_strdup (message != NULL ? message : error->message);
}

/* The one line under the progress bar: the state in plain words plus
 * whatever numbers matter in that state. */
char *
dl_format_status (DlDownload *download,
                  gint64      now)
{
  g_autofree char *received = NULL;
  g_autofree char *total = NULL;
  g_autofree char *amount = NULL;
  g_autofree char *speed = NULL;
  g_autofree char *left = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *limit = NULL;
  gint64 bytes = dl_download_get_bytes_received (download);
  gint64 size = dl_download_get_total_bytes (download);
  gint64 retry_at;
  guint seconds;

  received = dl_format_size (bytes);
  if (size >= 0)
    {
      total = dl_format_size (size);
      /* Translators: progress, e.g. "12.3 MB of 50.0 MB" */
      amount = g_strdup_printf (_("%s of %s"), received, total);
    }
  else
    amount = g_strdup (received);

  /* A speed limit of its own shows while the download transfers or waits
   * to, beside its speed. */
  if (dl_download_get_rate_limit (download) > 0)
    limit = dl_format_speed ((double) dl_download_get_rate_limit (download));

  switch (dl_download_get_state (download))
    {
    case DL_DOWNLOAD_STATE_QUEUED:
      if (limit != NULL)
        /* Translators: "Queued — max 500.0 kB/s", a download's own speed limit */
        return g_strdup_printf (_("Queued — max %s"), limit);
      return g_strdup (_("Queued"));

    case DL_DOWNLOAD_STATE_CONNECTING:
      if (limit != NULL)
        /* Translators: "Connecting… — max 500.0 kB/s", a download's own speed limit */
        return g_strdup_printf (_("Connecting… — max %s"), limit);
      return g_strdup (_("Connecting…"));

    case DL_DOWNLOAD_STATE_DOWNLOADING:
      /* No speed yet (the first tenth of a second), or a stalled server:
       * "0 bytes/s" would only alarm. */
      if (dl_download_get_speed (download) <= 0 && limit != NULL)
        /* Translators: "12.3 MB of 50.0 MB — max 500.0 kB/s", a download's own speed limit */
        return g_strdup_printf (_("%s — max %s"), amount, limit);
      if (dl_download_get_speed (download) <= 0)
        return g_steal_pointer (&amount);
      speed = dl_format_speed (dl_download_get_speed (download));
      if (limit != NULL)
        {
          char *with_limit;

          /* Translators: a speed and the download's own speed limit,
           * "480.0 kB/s (max 500.0 kB/s)" */
          with_limit = g_strdup_printf (_("%s (max %s)"), speed, limit);
          g_free (speed);
          speed = with_limit;
        }
      if (dl_download_get_n_connections (download) > 1)
        {
          guint n = dl_download_get_n_connections (download);
          char *over = g_strdup_printf (/* Translators: "2.1 MB/s over 4 connections" */
                                        ngettext ("%s over %u connection",
                                                  "%s over %u connections", n), speed, n);

          g_free (speed);
          speed = over;
        }
      left = dl_format_time_left (dl_download_get_eta (download));
      if (left != NULL)
        /* Translators: "12.3 MB of 50.0 MB — 2.1 MB/s — 20 seconds left" */
        return g_strdup_printf (_("%s — %s — %s"), amount, speed, left);
      /* Translators: "12.3 MB of 50.0 MB — 2.1 MB/s" */
      return g_strdup_printf (_("%s — %s"), amount, speed);

    case DL_DOWNLOAD_STATE_PAUSED:
      if (dl_download_get_metered_paused (download) && bytes > 0)
        /* Translators: waiting for a connection that is not metered (not a
         * mobile hotspot or a capped plan): "Paused: metered connection — 12.3 MB of 50.0 MB" */
        return g_strdup_printf (_("Paused: metered connection — %s"), amount);
      if (dl_download_get_metered_paused (download))
        return g_strdup (_("Paused: metered connection"));
      if (bytes > 0)
        /* Translators: "Paused — 12.3 MB of 50.0 MB" */
        return g_strdup_printf (_("Paused — %s"), amount);
      return g_strdup (_("Paused"));

    case DL_DOWNLOAD_STATE_RETRYING:
      retry_at = dl_download_get_retry_at (download);
      seconds = retry_at > now ? (guint) ((retry_at - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC) : 0;
      reason = dl_format_reason (download);
      if (seconds == 0)
        return g_strdup (_("Retrying…"));
      if (reason != NULL)
        /* Translators: "Retrying in 5 s — Server error (503)" */
        return g_strdup_printf (_("Retrying in %u s — %s"), seconds, reason);
      /* Translators: "Retrying in 5 s" */
      return g_strdup_printf (_("Retrying in %u s"), seconds);

    case DL_DOWNLOAD_STATE_VERIFYING:
      return g_strdup (_("Verifying…"));

    case DL_DOWNLOAD_STATE_DONE:
      /* Translators: "Done — 50.0 MB" */
      return g_strdup_printf (_("Done — %s"), received);

    case DL_DOWNLOAD_STATE_FAILED:
      reason = dl_format_reason (download);
      if (reason != NULL)
        /* Translators: "Failed: The file is not on the server (404)" */
        return g_strdup_printf (_("Failed: %s"), reason);
      return g_strdup (_("Failed"));

    case DL_DOWNLOAD_STATE_CANCELLED:
      return g_strdup (_("Cancelled"));

    default:
      return g_strdup ("");
    }
}

static char *
trim_link (const char *token)
{
  static const char leading[] = "<(\"'[";
  static const char trailing[] = ">)\"',;.]";
  const char *start = token;
  const char *end = token + strlen (token);

  while (*start != '\0' && strchr (leading, *start) != NULL)
    start++;
  while (end > start && strchr (trailing, end[-1]) != NULL)
    end--;
  return g_strndup (start, end - start);
}

/**
 * dl_parse_links:
 * @text: pasted or dropped text: one or many links separated by white space,
 *   a text/uri-list, or prose with links in it
 * @rejected: (out) (optional): links with a scheme that cannot be
 *   downloaded (ftp://, file://…)
 *
 * Words that are not links are skipped silently, so a paragraph with a link
 * in it gives the link. A bare "example.com/file.zip" is taken as https.
 * Duplicates are dropped, order is kept.
 *
 * Returns: (transfer full): the http and https links
 */
GStrv
dl_parse_links (const char  *text,
                GStrv       *rejected)
{
  g_autoptr(GStrvBuilder) links = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) refused = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) tokens = NULL;

  tokens = g_strsplit_set (text != NULL ? text : "", " \t\r\n", -1);
  for (guint i = 0; tokens[i] != NULL; i++)
    {
      g_autofree char *token = trim_link (tokens[i]);
      g_autofree char *link = NULL;
      const char *sep;

      if (*token == '\0' || token[0] == '#')
        continue;

      sep = strstr (token, "://");
      if (sep != NULL)
        {
          g_autofree char *scheme = g_ascii_strdown (token, sep - token);

          if (!g_str_equal (scheme, "http") && !g_str_equal (scheme, "https"))
            {
              g_strv_builder_add (refused, token);
              continue;
            }
          link = g_steal_pointer (&token);
        }
      else if (strchr (token, '/') != NULL && strchr (token, '.') != NULL &&
               strchr (token, '.') < strchr (token, '/') && strchr (token, '@') == NULL &&
               token[0] != '/' && token[0] != '.')
        link = g_strconcat ("https://", token, NULL);
      else
        continue;

      if (!g_uri_is_valid (link, G_URI_FLAGS_PARSE_RELAXED, NULL))
        {
          g_strv_builder_add (refused, link);
          continue;
        }

      if (g_hash_table_contains (seen, link))
        continue;
      g_hash_table_add (seen, g_strdup (link));
      g_strv_builder_add (links, link);
    }

  if (rejected != NULL)
    *rejected = g_strv_builder_end (refused);
  return g_strv_builder_end (links);
}
