/* dl-cookies.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "dl-cookies"

#include <errno.h>
#include <string.h>

#include <libsoup/soup.h>

#include "dl-cookies.h"

/* The Netscape cookies.txt format, as curl, wget and aria2 read it and as
 * browser extensions export it: one cookie a line, seven fields separated by
 * tabs,
 *
 *   domain  include-subdomains  path  secure  expires  name  value
 *
 * "TRUE"/"FALSE" flags, expiry in Unix seconds (0: a session cookie). Lines
 * starting with '#' are comments, except the "#HttpOnly_" prefix curl writes
 * before the domain of an HttpOnly cookie. The file may come from anywhere,
 * so a line that does not fit exactly is skipped rather than guessed at, and
 * nothing in a name or value can end or extend the Cookie header (no ';', no
 * control characters). */

#define HTTP_ONLY_PREFIX "#HttpOnly_"
#define N_FIELDS 7

/* Matching a cookie to a request (domain, path, secure) is libsoup's
 * soup_cookie_domain_matches() and soup_cookie_applies_to_uri(); what this
 * file adds is reading the format, and expiry judged at a time the caller
 * gives. */
typedef struct
{
  SoupCookie *cookie;           /* its domain starts with '.' to include subdomains */
  gint64      expires;          /* Unix seconds, 0 for a session cookie */
  guint       order;            /* when it was added, for a stable header */
} Cookie;

struct _DlCookies
{
  GPtrArray *cookies;
  guint      n_skipped;
  guint      next_order;
};

static void
cookie_free (gpointer data)
{
  Cookie *cookie = data;

  soup_cookie_free (cookie->cookie);
  g_free (cookie);
}

/**
 * dl_cookies_new:
 *
 * Returns: (transfer full): an empty cookie jar
 */
DlCookies *
dl_cookies_new (void)
{
  DlCookies *self = g_new0 (DlCookies, 1);

  self->cookies = g_ptr_array_new_with_free_func (cookie_free);
  return self;
}

void
dl_cookies_free (DlCookies *self)
{
  if (self == NULL)
    return;

  g_ptr_array_unref (self->cookies);
  g_free (self);
}

static gboolean
parse_flag (const char *field,
            gboolean   *out)
{
  if (g_ascii_strcasecmp (field, "TRUE") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (field, "FALSE") == 0)
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

/* Printable ASCII or UTF-8 without the characters that would end the
 * cookie (';') or the header line. */
static gboolean
is_header_safe (const char *text)
{
  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      guchar c = *p;

      if (c < 0x20 || c == 0x7f || c == ';')
        return FALSE;
    }
  return TRUE;
}

static gboolean
is_valid_name (const char *name)
{
  if (*name == '\0' || !is_header_safe (name))
    return FALSE;

  for (const char *p = name; *p != '\0'; p++)
    if (*p == '=' || *p == ' ' || *p == ',')
      return FALSE;
  return TRUE;
}

static gboolean
is_valid_domain (const char *domain)
{
  if (*domain == '\0')
    return FALSE;

  for (const char *p = domain; *p != '\0'; p++)
    {
      guchar c = *p;

      if (c <= 0x20 || c == 0x7f || c == '/' || c == ';' || c == ',')
        return FALSE;
    }
  return TRUE;
}

static gboolean
is_blank (const char *line)
{
  for (const char *p = line; *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      return FALSE;
  return TRUE;
}

/* Returns a new cookie for @line, or %NULL if it is not one. */
static Cookie *
parse_line (const char *line)
{
  g_auto(GStrv) fields = NULL;
  const char *domain;
  gboolean include_subdomains, secure;
  gint64 expires;
  char *end = NULL;
  g_autofree char *lower_domain = NULL;
  g_autofree char *soup_domain = NULL;
  Cookie *cookie;

  if (g_str_has_prefix (line, HTTP_ONLY_PREFIX))
    line += strlen (HTTP_ONLY_PREFIX);

  fields = g_strsplit (line, "\t", -1);
  if (g_strv_length (fields) != N_FIELDS)
    return NULL;

  domain = fields[0];
  /* A leading dot is the old way of saying "and its subdomains". */
  if (domain[0] == '.')
    domain++;
  if (!is_valid_domain (domain))
    return NULL;

  if (!parse_flag (fields[1], &include_subdomains) || !parse_flag (fields[3], &secure))
    return NULL;

  if (fields[2][0] != '/' || !is_header_safe (fields[2]))
    return NULL;

  errno = 0;
  expires = g_ascii_strtoll (fields[4], &end, 10);
  if (errno != 0 || end == fields[4] || *end != '\0' || expires < 0)
    return NULL;

  if (!is_valid_name (fields[5]) || !is_header_safe (fields[6]))
    return NULL;

  /* libsoup's convention: a leading dot includes the subdomains, a bare
   * domain is that host only. */
  soup_domain = g_strconcat (include_subdomains || fields[0][0] == '.' ? "." : "",
                             lower_domain = g_ascii_strdown (domain, -1), NULL);
  cookie = g_new0 (Cookie, 1);
  cookie->cookie = soup_cookie_new (fields[5], fields[6], soup_domain, fields[2], -1);
  soup_cookie_set_secure (cookie->cookie, secure);
  cookie->expires = expires;
  return cookie;
}

/* A later line for the same cookie replaces the earlier one, as in a
 * browser's jar. */
static void
add_cookie (DlCookies *self,
            Cookie    *cookie)
{
  cookie->order = self->next_order++;

  for (guint i = 0; i < self->cookies->len; i++)
    {
      Cookie *old = g_ptr_array_index (self->cookies, i);

      if (strcmp (soup_cookie_get_domain (old->cookie), soup_cookie_get_domain (cookie->cookie)) == 0 &&
          strcmp (soup_cookie_get_path (old->cookie), soup_cookie_get_path (cookie->cookie)) == 0 &&
          strcmp (soup_cookie_get_name (old->cookie), soup_cookie_get_name (cookie->cookie)) == 0)
        {
          g_ptr_array_remove_index (self->cookies, i);
          break;
        }
    }

  g_ptr_array_add (self->cookies, cookie);
}

/**
 * dl_cookies_add_from_text:
 * @self: a #DlCookies
 * @text: the contents of a cookies.txt
 * @length: the length of @text in bytes, or -1 if it is nul-terminated
 *
 * Adds every cookie of @text. Comments and blank lines are ignored; lines
 * that are not a well-formed cookie are skipped and counted (see
 * dl_cookies_get_n_skipped()). Expired cookies are kept: whether one is
 * sent depends on the time of the request.
 *
 * Returns: how many cookies were added
 */
guint
dl_cookies_add_from_text (DlCookies  *self,
                          const char *text,
                          gssize      length)
{
  g_autofree char *copy = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_added = 0;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (text != NULL || length == 0, 0);

  if (length == 0)
    return 0;

  copy = length < 0 ? g_strdup (text) : g_strndup (text, length);
  lines = g_strsplit (copy, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = lines[i];
      gsize len = strlen (line);
      Cookie *cookie;

      /* Files written on Windows end their lines with CR LF. */
      if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';

      if (is_blank (line))
        continue;

      if (line[0] == '#' && !g_str_has_prefix (line, HTTP_ONLY_PREFIX))
        continue;

      cookie = parse_line (line);
      if (cookie == NULL)
        {
          self->n_skipped++;
          g_debug ("Skipping line %u of a cookies file: not a cookie", i + 1);
          continue;
        }

      add_cookie (self, cookie);
      n_added++;
    }

  return n_added;
}

/**
 * dl_cookies_add_from_file:
 * @self: a #DlCookies
 * @path: a cookies.txt file
 * @error: return location for a #GError
 *
 * Adds the cookies of the file at @path, as dl_cookies_add_from_text().
 *
 * Returns: %FALSE if the file cannot be read or is larger than
 *   %DL_COOKIES_MAX_FILE_SIZE
 */
gboolean
dl_cookies_add_from_file (DlCookies   *self,
                          const char  *path,
                          GError     **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  file = g_file_new_for_path (path);
  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                            NULL, error);
  if (info == NULL)
    return FALSE;

  if (g_file_info_get_size (info) > DL_COOKIES_MAX_FILE_SIZE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s is larger than %d MiB: not a cookies file", path,
                   DL_COOKIES_MAX_FILE_SIZE / (1024 * 1024));
      return FALSE;
    }

  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;

  dl_cookies_add_from_text (self, contents, length);
  return TRUE;
}

guint
dl_cookies_get_n_cookies (DlCookies *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->cookies->len;
}

/**
 * dl_cookies_get_n_skipped:
 * @self: a #DlCookies
 *
 * Returns: how many lines were not comments, not blank, and not cookies
 */
guint
dl_cookies_get_n_skipped (DlCookies *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_skipped;
}

/* Longer paths first (RFC 6265 §5.4), then in the order they were added. */
static int
compare_for_header (gconstpointer a,
                    gconstpointer b)
{
  const Cookie *ca = *(const Cookie * const *) a;
  const Cookie *cb = *(const Cookie * const *) b;
  gsize la = strlen (soup_cookie_get_path (ca->cookie));
  gsize lb = strlen (soup_cookie_get_path (cb->cookie));

  if (la != lb)
    return la > lb ? -1 : 1;
  return ca->order < cb->order ? -1 : (ca->order > cb->order ? 1 : 0);
}

/**
 * dl_cookies_build_header:
 * @self: a #DlCookies
 * @uri: the URL of a request
 * @now_unix: the time of the request, in Unix seconds
 *
 * The value of the Cookie header for a request to @uri: the cookies whose
 * domain and path match it, that have not expired at @now_unix, and, for
 * secure ones, only over https.
 *
 * Returns: (transfer full) (nullable): "name=value; name2=value2", or
 *   %NULL if no cookie applies
 */
char *
dl_cookies_build_header (DlCookies *self,
                         GUri      *uri,
                         gint64     now_unix)
{
  g_autoptr(GPtrArray) matching = NULL;
  g_autoptr(GString) header = NULL;
  g_autoptr(GUri) request_uri = NULL;
  g_autofree char *host = NULL;
  gsize host_len;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  if (g_uri_get_host (uri) == NULL)
    return NULL;
  /* "example.com." is example.com, and a URL without a path asks for "/". */
  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  host_len = strlen (host);
  if (host_len > 1 && host[host_len - 1] == '.')
    host[host_len - 1] = '\0';
  request_uri = g_uri_build (G_URI_FLAGS_ENCODED, g_uri_get_scheme (uri), NULL, host,
                             g_uri_get_port (uri),
                             g_uri_get_path (uri)[0] == '/' ? g_uri_get_path (uri) : "/",
                             NULL, NULL);

  matching = g_ptr_array_new ();
  for (guint i = 0; i < self->cookies->len; i++)
    {
      Cookie *cookie = g_ptr_array_index (self->cookies, i);

      if (cookie->expires != 0 && cookie->expires <= now_unix)
        continue;
      /* applies_to_uri() judges path and secure; the domain is separate. */
      if (!soup_cookie_domain_matches (cookie->cookie, host) ||
          !soup_cookie_applies_to_uri (cookie->cookie, request_uri))
        continue;
      g_ptr_array_add (matching, cookie);
    }

  if (matching->len == 0)
    return NULL;

  g_ptr_array_sort (matching, compare_for_header);

  header = g_string_new (NULL);
  for (guint i = 0; i < matching->len; i++)
    {
      Cookie *cookie = g_ptr_array_index (matching, i);

      if (i > 0)
        g_string_append (header, "; ");
      g_string_append_printf (header, "%s=%s", soup_cookie_get_name (cookie->cookie),
                              soup_cookie_get_value (cookie->cookie));
    }

  return g_string_free (g_steal_pointer (&header), FALSE);
}

/**
 * dl_cookies_build_header_for_url:
 * @self: a #DlCookies
 * @url: the URL of a request
 * @now_unix: the time of the request, in Unix seconds
 *
 * As dl_cookies_build_header(), for a URL as text.
 *
 * Returns: (transfer full) (nullable): the header value, or %NULL if no
 *   cookie applies or @url is not a URL
 */
char *
dl_cookies_build_header_for_url (DlCookies  *self,
                                 const char *url,
                                 gint64      now_unix)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (url != NULL, NULL);

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL)
    return NULL;
  return dl_cookies_build_header (self, uri, now_unix);
}
