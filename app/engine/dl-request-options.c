/* dl-request-options.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "dl-request-options"

#include <string.h>

#include <glib/gi18n.h>

#include "dl-cookies.h"
#include "dl-request-options-private.h"
#include "dl-url-password.h"

/* What a download sends besides what the engine sends itself: extra
 * headers (a user agent and a referer among them) and cookies, from a
 * cookies.txt text, a cookies.txt file, or both.
 *
 * The options are stored with the download, so that a resume after a
 * restart sends the same request; a cookies file is stored by its path and
 * read again then, so that the history holds no copy of the jar. Headers
 * that carry credentials (Authorization, Cookie) are the exception: they
 * live in memory only, and a resume after a restart goes without them.
 *
 * One set of options is usually shared by many downloads (every URL of a
 * command line): it is reference counted, and not changed once in use. */

typedef struct
{
  char *name;
  char *value;
} Header;

struct _DlRequestOptions
{
  gatomicrefcount  ref_count;
  GArray          *headers;        /* of Header, in the order given */
  char            *cookies_text;   /* a cookies.txt's text, or NULL */
  char            *cookies_file;   /* an absolute path, or NULL */
  DlCookies       *jar;            /* both, read at the first request */
  gboolean         jar_loaded;
};

G_DEFINE_BOXED_TYPE (DlRequestOptions, dl_request_options,
                     dl_request_options_ref, dl_request_options_unref)

/* Headers the engine sets itself, or that frame the message or the
 * connection: one given by the user would break ranges, resuming or the
 * connection. Lowercase. */
static const char * const reserved_headers[] = {
  "accept-encoding", "connection", "content-length", "expect", "host", "if-range",
  "keep-alive", "range", "te", "trailer", "transfer-encoding", "upgrade", NULL
};

/* Headers that carry credentials: kept in memory only. Lowercase. */
static const char * const secret_headers[] = {
  "authorization", "cookie", NULL
};

static void
header_clear (gpointer data)
{
  Header *header = data;

  g_free (header->name);
  g_free (header->value);
}

/**
 * dl_request_options_new:
 *
 * Returns: (transfer full): options that add nothing to a request yet
 */
DlRequestOptions *
dl_request_options_new (void)
{
  DlRequestOptions *self = g_new0 (DlRequestOptions, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->headers = g_array_new (FALSE, FALSE, sizeof (Header));
  g_array_set_clear_func (self->headers, header_clear);
  return self;
}

DlRequestOptions *
dl_request_options_ref (DlRequestOptions *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
dl_request_options_unref (DlRequestOptions *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_array_unref (self->headers);
  g_free (self->cookies_text);
  g_free (self->cookies_file);
  g_clear_pointer (&self->jar, dl_cookies_free);
  g_free (self);
}

static gboolean
is_header_name (const char *name,
                gsize       length)
{
  /* RFC 9110 token characters. */
  static const char extra[] = "!#$%&'*+-.^_`|~";

  if (length == 0)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum (name[i]) && (name[i] == '\0' || strchr (extra, name[i]) == NULL))
      return FALSE;
  return TRUE;
}

/* No line break (which would end the header and start another one: header
 * injection) and no other control character; tabs are allowed. */
static gboolean
is_header_value (const char *value)
{
  for (const char *p = value; *p != '\0'; p++)
    if (((guchar) *p < 0x20 && *p != '\t') || *p == 0x7f)
      return FALSE;
  return g_utf8_validate (value, -1, NULL);
}

/**
 * dl_request_options_is_secret_header:
 * @name: a header name
 *
 * Returns: whether a header of that name carries credentials, and so is
 *   never stored nor sent to another origin
 */
gboolean
dl_request_options_is_secret_header (const char *name)
{
  g_autofree char *lower = NULL;

  g_return_val_if_fail (name != NULL, FALSE);

  lower = g_ascii_strdown (name, -1);
  return g_strv_contains (secret_headers, lower);
}

/* Headers that a request has once: a new one replaces the old. */
static gboolean
is_single_header (const char *name)
{
  return g_ascii_strcasecmp (name, "User-Agent") == 0 ||
         g_ascii_strcasecmp (name, "Referer") == 0 ||
         g_ascii_strcasecmp (name, "Authorization") == 0 ||
         g_ascii_strcasecmp (name, "Cookie") == 0;
}

static void
put_header (DlRequestOptions *self,
            const char       *name,
            const char       *value)
{
  Header header;

  if (is_single_header (name))
    for (guint i = 0; i < self->headers->len; i++)
      if (g_ascii_strcasecmp (g_array_index (self->headers, Header, i).name, name) == 0)
        {
          g_array_remove_index (self->headers, i);
          break;
        }

  header.name = g_strdup (name);
  header.value = g_strdup (value);
  g_array_append_val (self->headers, header);
}

/* Checks @name and @value; the error says what is wrong, without the
 * value (it may be a password). */
static gboolean
check_header (const char  *name,
              gsize        name_length,
              const char  *value,
              GError     **error)
{
  g_autofree char *lower = NULL;
  g_autofree char *shown = NULL;

  shown = g_utf8_make_valid (name, name_length);
  if (!is_header_name (name, name_length))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   /* Translators: a header is "Name: value"; %s is the name given */
                   _("“%s” is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~ only, "
                     "then a colon and the value)"), shown);
      return FALSE;
    }

  lower = g_ascii_strdown (shown, -1);
  if (g_strv_contains (reserved_headers, lower) || g_str_has_prefix (lower, "proxy-"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   /* Translators: %s is a header name such as "Range" */
                   _("the header “%s” cannot be set: the downloader sets it itself"), shown);
      return FALSE;
    }

  if (!is_header_value (value))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   /* Translators: %s is a header name */
                   _("the value of “%s” must not hold a line break or other control character"),
                   shown);
      return FALSE;
    }
  return TRUE;
}

/**
 * dl_request_options_add_header:
 * @self: options not yet in use
 * @line: "Name: value"
 * @error: return location for a #GError
 *
 * Adds a header to send. User-Agent, Referer, Authorization and Cookie
 * replace one given before; other names may be given several times.
 *
 * Returns: %FALSE with @error set (%G_IO_ERROR_INVALID_ARGUMENT) when
 *   @line is not a header, or one the engine sets itself
 */
gboolean
dl_request_options_add_header (DlRequestOptions  *self,
                               const char        *line,
                               GError           **error)
{
  const char *colon;
  g_autofree char *name = NULL;
  g_autofree char *value = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (line != NULL, FALSE);

  colon = strchr (line, ':');
  if (colon == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   /* Translators: do not translate "Name: value", it is the syntax */
                   _("a header is “Name: value”, with a colon"));
      return FALSE;
    }
  if (!check_header (line, colon - line, colon + 1, error))
    return FALSE;

  name = g_strndup (line, colon - line);
  value = g_strstrip (g_strdup (colon + 1));
  put_header (self, name, value);
  return TRUE;
}

/**
 * dl_request_options_set_user_agent:
 * @self: options not yet in use
 * @user_agent: the User-Agent to send instead of the downloader's
 * @error: return location for a #GError
 *
 * Returns: %FALSE with @error set when @user_agent holds a line break or
 *   another control character
 */
gboolean
dl_request_options_set_user_agent (DlRequestOptions  *self,
                                   const char        *user_agent,
                                   GError           **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (user_agent != NULL, FALSE);

  if (!check_header ("User-Agent", strlen ("User-Agent"), user_agent, error))
    return FALSE;
  put_header (self, "User-Agent", user_agent);
  return TRUE;
}

/**
 * dl_request_options_set_referer:
 * @self: options not yet in use
 * @referer: an http or https URL
 * @error: return location for a #GError
 *
 * Returns: %FALSE with @error set when @referer is not an http or https URL
 */
gboolean
dl_request_options_set_referer (DlRequestOptions  *self,
                                const char        *referer,
                                GError           **error)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (referer != NULL, FALSE);

  if (is_header_value (referer))
    uri = g_uri_parse (referer, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0 &&
       g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0))
    {
      g_autofree char *bare = dl_url_without_password (referer);
      g_autofree char *shown = g_utf8_make_valid (bare, -1);

      g_strdelimit (shown, "\r\n", ' ');
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an http or https URL"), shown);
      return FALSE;
    }
  put_header (self, "Referer", referer);
  return TRUE;
}

/**
 * dl_request_options_set_cookies_text:
 * @self: options not yet in use
 * @text: (nullable): the text of a cookies.txt
 *
 * The cookies to send, each to the URLs it matches. Lines that are not
 * cookies are skipped.
 */
void
dl_request_options_set_cookies_text (DlRequestOptions *self,
                                     const char       *text)
{
  g_return_if_fail (self != NULL);

  g_free (self->cookies_text);
  self->cookies_text = text != NULL && *text != '\0' ? g_strdup (text) : NULL;
  g_clear_pointer (&self->jar, dl_cookies_free);
  self->jar_loaded = FALSE;
}

/**
 * dl_request_options_set_cookies_file:
 * @self: options not yet in use
 * @path: (nullable): a cookies.txt file
 * @error: return location for a #GError
 *
 * The cookies of the file at @path to send, each to the URLs it matches.
 * The file is read now, to tell whether it can be, and again at the
 * first request after a restart.
 *
 * Returns: %FALSE with @error set when the file cannot be read
 */
gboolean
dl_request_options_set_cookies_file (DlRequestOptions  *self,
                                     const char        *path,
                                     GError           **error)
{
  g_autoptr(DlCookies) jar = NULL;
  g_autofree char *absolute = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  if (path != NULL)
    {
      absolute = g_canonicalize_filename (path, NULL);
      jar = dl_cookies_new ();
      if (!dl_cookies_add_from_file (jar, absolute, error))
        return FALSE;
    }

  g_free (self->cookies_file);
  self->cookies_file = g_steal_pointer (&absolute);
  g_clear_pointer (&self->jar, dl_cookies_free);
  self->jar_loaded = FALSE;
  return TRUE;
}

/**
 * dl_request_options_set_cookies_path:
 * @self: options not yet in use
 * @path: (nullable): a cookies.txt file known to be readable
 *
 * As dl_request_options_set_cookies_file(), without reading the file now.
 */
void
dl_request_options_set_cookies_path (DlRequestOptions *self,
                                     const char       *path)
{
  g_return_if_fail (self != NULL);

  g_free (self->cookies_file);
  self->cookies_file = path != NULL ? g_canonicalize_filename (path, NULL) : NULL;
  g_clear_pointer (&self->jar, dl_cookies_free);
  self->jar_loaded = FALSE;
}

/**
 * dl_request_options_copy:
 * @self: options
 *
 * Returns: (transfer full): new options with the same headers and
 *   cookies, to add to
 */
DlRequestOptions *
dl_request_options_copy (DlRequestOptions *self)
{
  DlRequestOptions *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = dl_request_options_new ();
  for (guint i = 0; i < self->headers->len; i++)
    {
      Header *header = &g_array_index (self->headers, Header, i);

      put_header (copy, header->name, header->value);
    }
  copy->cookies_text = g_strdup (self->cookies_text);
  copy->cookies_file = g_strdup (self->cookies_file);
  return copy;
}

/**
 * dl_request_options_new_from_stored:
 * @headers: (nullable): what dl_request_options_dup_stored_headers() gave
 * @cookies: (nullable): the cookies text
 * @cookies_file: (nullable): the cookies file's path
 *
 * Options as the history keeps them. A line that is not a valid header (a
 * row edited by hand) is left out.
 *
 * Returns: (transfer full): the options
 */
DlRequestOptions *
dl_request_options_new_from_stored (const char *headers,
                                    const char *cookies,
                                    const char *cookies_file)
{
  DlRequestOptions *self = dl_request_options_new ();
  g_auto(GStrv) lines = NULL;

  lines = g_strsplit (headers != NULL ? headers : "", "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      if (lines[i][0] != '\0' && !dl_request_options_add_header (self, lines[i], &error))
        g_message ("A stored request header is left out: %s", error->message);
    }
  dl_request_options_set_cookies_text (self, cookies);
  dl_request_options_set_cookies_path (self, cookies_file);
  return self;
}

/**
 * dl_request_options_is_empty:
 * @self: options
 *
 * Returns: whether they add nothing to a request
 */
gboolean
dl_request_options_is_empty (DlRequestOptions *self)
{
  g_return_val_if_fail (self != NULL, TRUE);

  return self->headers->len == 0 && self->cookies_text == NULL && self->cookies_file == NULL;
}

/**
 * dl_request_options_get_header:
 * @self: options
 * @name: a header name
 *
 * Returns: (nullable): the value of the last header called @name
 */
const char *
dl_request_options_get_header (DlRequestOptions *self,
                               const char       *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = self->headers->len; i > 0; i--)
    if (g_ascii_strcasecmp (g_array_index (self->headers, Header, i - 1).name, name) == 0)
      return g_array_index (self->headers, Header, i - 1).value;
  return NULL;
}

/**
 * dl_request_options_dup_stored_headers:
 * @self: options
 *
 * Returns: (nullable): the headers to store, one "Name: value" a line,
 *   without those that carry credentials; %NULL when there is none
 */
char *
dl_request_options_dup_stored_headers (DlRequestOptions *self)
{
  g_autoptr(GString) text = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->headers->len; i++)
    {
      Header *header = &g_array_index (self->headers, Header, i);

      if (dl_request_options_is_secret_header (header->name))
        continue;
      if (text == NULL)
        text = g_string_new (NULL);
      else
        g_string_append_c (text, '\n');
      g_string_append_printf (text, "%s: %s", header->name, header->value);
    }
  return text != NULL ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

const char *
dl_request_options_get_cookies_text (DlRequestOptions *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->cookies_text;
}

const char *
dl_request_options_get_cookies_file (DlRequestOptions *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->cookies_file;
}

static DlCookies *
ensure_jar (DlRequestOptions *self)
{
  g_autoptr(GError) error = NULL;

  if (self->jar_loaded)
    return self->jar;

  self->jar_loaded = TRUE;
  if (self->cookies_text == NULL && self->cookies_file == NULL)
    return NULL;

  self->jar = dl_cookies_new ();
  if (self->cookies_text != NULL)
    dl_cookies_add_from_text (self->jar, self->cookies_text, -1);
  /* Read again after a restart: a file gone since is said once, and the
   * requests go without its cookies, as they would with curl. */
  if (self->cookies_file != NULL && !dl_cookies_add_from_file (self->jar, self->cookies_file, &error))
    g_message ("Sending no cookies from %s: %s", self->cookies_file, error->message);
  return self->jar;
}

static gboolean
same_origin (GUri *a,
             GUri *b)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0 &&
         g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0 &&
         g_uri_get_port (a) == g_uri_get_port (b);
}

/* libsoup sets the session's user agent on every request just before
 * "starting", replacing the message's own: ours goes in after it. */
static void
starting_cb (SoupMessage *msg,
             gpointer     user_data)
{
  soup_message_headers_replace (soup_message_get_request_headers (msg), "User-Agent", user_data);
}

/**
 * _dl_request_options_apply:
 * @self: (nullable): options
 * @msg: a request not yet sent
 * @origin: the download's URL: where the credential headers may go
 *
 * Puts the options into @msg: its cookies that match the request's URL,
 * the user agent, and the other headers when the request goes to the
 * origin of @origin (not when a redirect leads to another server).
 */
void
_dl_request_options_apply (DlRequestOptions *self,
                           SoupMessage      *msg,
                           const char       *origin)
{
  g_autoptr(GUri) origin_uri = NULL;
  SoupMessageHeaders *headers;
  GUri *uri;
  DlCookies *jar;
  gboolean at_origin;

  g_return_if_fail (SOUP_IS_MESSAGE (msg));

  if (self == NULL)
    return;

  headers = soup_message_get_request_headers (msg);
  uri = soup_message_get_uri (msg);
  if (origin != NULL)
    origin_uri = g_uri_parse (origin, SOUP_HTTP_URI_FLAGS, NULL);
  at_origin = origin_uri != NULL && same_origin (uri, origin_uri);

  jar = ensure_jar (self);
  if (jar != NULL)
    {
      g_autofree char *cookie = dl_cookies_build_header (jar, uri,
                                                         g_get_real_time () / G_USEC_PER_SEC);

      if (cookie != NULL)
        soup_message_headers_replace (headers, "Cookie", cookie);
    }

  for (guint i = 0; i < self->headers->len; i++)
    {
      Header *header = &g_array_index (self->headers, Header, i);

      /* A redirect to another server gets the user agent only: what was
       * given for one server (a token, a referer) is not another's. */
      if (!at_origin && g_ascii_strcasecmp (header->name, "User-Agent") != 0)
        continue;

      if (g_ascii_strcasecmp (header->name, "User-Agent") == 0)
        g_signal_connect_data (msg, "starting", G_CALLBACK (starting_cb),
                               g_strdup (header->value), (GClosureNotify) g_free, 0);
      else if (is_single_header (header->name))
        soup_message_headers_replace (headers, header->name, header->value);
      else
        soup_message_headers_append (headers, header->name, header->value);
    }
}
