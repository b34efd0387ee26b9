/* dl-add-request.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "dl-add-request"

#include <string.h>

#include "dl-add-request.h"
#include "dl-cookies.h"

/* The request comes from another program over D-Bus or from a web page
 * through the browser, so it is checked field by field, and the error
 * names the field: a caller learns what it got wrong. Unknown keys are
 * ignored, so a newer browser extension still works with an older app. */

static gboolean
invalid (GError    **error,
         const char *field,
         const char *why)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "“%s”: %s", field, why);
  return FALSE;
}

/* Errors quote what they refuse, but a browser takes replies of at most
 * 1 MiB: quote the start of a long text only. */
#define MAX_QUOTED_CHARS 200

static char *
shorten (const char *text)
{
  g_autofree char *start = NULL;

  if (g_utf8_strlen (text, -1) <= MAX_QUOTED_CHARS)
    return g_strdup (text);
  start = g_utf8_substring (text, 0, MAX_QUOTED_CHARS);
  return g_strconcat (start, "…", NULL);
}

static gboolean
is_web_url (const char *text)
{
  g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_ENCODED, NULL);
  const char *scheme;

  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  return g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0;
}

/* A string, or a variant holding one (what a JSON array's elements are). */
static const char *
peek_string (GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr(GVariant) inner = g_variant_get_variant (value);

      /* The child of a variant lives as long as the variant. */
      if (g_variant_is_of_type (inner, G_VARIANT_TYPE_STRING))
        return g_variant_get_string (inner, NULL);
      return NULL;
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return g_variant_get_string (value, NULL);
  return NULL;
}

/* `as`, or `av` of strings (from JSON). */
static GStrv
get_string_list (GVariant   *value,
                 const char *field,
                 GError    **error)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  gsize n;

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING_ARRAY) &&
      !g_variant_is_of_type (value, G_VARIANT_TYPE ("av")))
    {
      invalid (error, field, "must be a list of strings");
      return NULL;
    }

  builder = g_strv_builder_new ();
  n = g_variant_n_children (value);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (value, i);
      const char *string = peek_string (child);

      if (string == NULL)
        {
          invalid (error, field, "must be a list of strings");
          return NULL;
        }
      g_strv_builder_add (builder, string);
    }
  return g_strv_builder_end (builder);
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
    if (!g_ascii_isalnum (name[i]) && strchr (extra, name[i]) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
is_header_value (const char *value)
{
  for (const char *p = value; *p != '\0'; p++)
    if ((guchar) *p < 0x20 && *p != '\t')
      return FALSE;
  return g_utf8_validate (value, -1, NULL);
}

/* Headers the engine sets itself, or that frame the message: a caller's
 * would break ranges, resuming or the connection. Lowercase. */
static const char * const reserved_headers[] = {
  "accept-encoding", "connection", "content-length", "cookie", "expect", "host",
  "if-range", "keep-alive", "range", "referer", "te", "trailer", "transfer-encoding",
  "upgrade", NULL
};

/**
 * dl_add_request_is_reserved_header:
 * @name: a header name
 *
 * Returns: whether a caller may not set @name: the engine sets it itself,
 *   or it frames the message (`Range`, `Cookie`, `Proxy-*`, …)
 */
gboolean
dl_add_request_is_reserved_header (const char *name)
{
  g_autofree char *lower = NULL;

  g_return_val_if_fail (name != NULL, FALSE);

  lower = g_ascii_strdown (name, -1);
  return g_strv_contains (reserved_headers, lower) || g_str_has_prefix (lower, "proxy-");
}

/* `as` of "Name: value", or a dictionary `a{ss}` / `a{sv}` of strings. */
static GStrv
get_headers (GVariant  *value,
             GError   **error)
{
  g_auto(GStrv) headers = NULL;

  if (g_variant_is_of_type (value, G_VARIANT_TYPE ("a{ss}")) ||
      g_variant_is_of_type (value, G_VARIANT_TYPE_VARDICT))
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      gsize n = g_variant_n_children (value);

      for (gsize i = 0; i < n; i++)
        {
          g_autoptr(GVariant) entry = g_variant_get_child_value (value, i);
          g_autoptr(GVariant) name = g_variant_get_child_value (entry, 0);
          g_autoptr(GVariant) member = g_variant_get_child_value (entry, 1);
          const char *text = peek_string (member);
          g_autofree char *line = NULL;

          if (text == NULL)
            {
              invalid (error, "headers", "every header value must be a string");
              return NULL;
            }
          line = g_strdup_printf ("%s: %s", g_variant_get_string (name, NULL), text);

          g_strv_builder_add (builder, line);
        }
      headers = g_strv_builder_end (builder);
    }
  else
    {
      headers = get_string_list (value, "headers", error);
      if (headers == NULL)
        return NULL;
    }

  for (guint i = 0; headers[i] != NULL; i++)
    {
      const char *colon = strchr (headers[i], ':');
      const char *field_value;
      g_autofree char *name = NULL;
      g_autofree char *lower = NULL;

      if (colon == NULL || !is_header_name (headers[i], colon - headers[i]))
        {
          invalid (error, "headers", "each must be “Name: value” with a valid name");
          return NULL;
        }
      name = g_strndup (headers[i], colon - headers[i]);
      lower = g_ascii_strdown (name, -1);
      if (dl_add_request_is_reserved_header (name))
        {
          const char *hint = g_str_equal (lower, "cookie") ? " (use “cookies”)"
                             : g_str_equal (lower, "referer") ? " (use “referer”)" : "";
          g_autofree char *why = g_strdup_printf ("“%s” is not a header a caller may set%s",
                                                  name, hint);

          invalid (error, "headers", why);
          return NULL;
        }

      field_value = colon + 1;
      if (!is_header_value (field_value))
        {
          invalid (error, "headers", "a value must not hold a line break or control character");
          return NULL;
        }
    }

  return g_steal_pointer (&headers);
}

static char *
get_string (GVariant   *value,
            const char *field,
            GError    **error)
{
  const char *string = peek_string (value);

  if (string == NULL)
    {
      invalid (error, field, "must be a string");
      return NULL;
    }
  return g_strdup (string);
}

/**
 * dl_add_request_new_from_variant:
 * @options: an `a{sv}` with "urls" (`as`, or `av` of strings), and
 *   optionally "headers" (`as` of "Name: value", or `a{ss}`), "referer"
 *   (`s`), "cookies" (`s`, the text of a cookies.txt) and "folder" (`s`)
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the checked request, or %NULL with
 *   %G_IO_ERROR_INVALID_ARGUMENT naming the field at fault
 */
DlAddRequest *
dl_add_request_new_from_variant (GVariant  *options,
                                 GError   **error)
{
  g_autoptr(DlAddRequest) self = NULL;
  g_autoptr(GVariant) value = NULL;

  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_variant_is_of_type (options, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The request must be a dictionary (a{sv}), not “%s”",
                   g_variant_get_type_string (options));
      return NULL;
    }

  self = g_new0 (DlAddRequest, 1);

  value = g_variant_lookup_value (options, "urls", NULL);
  if (value == NULL)
    {
      invalid (error, "urls", "is missing");
      return NULL;
    }
  self->urls = get_string_list (value, "urls", error);
  if (self->urls == NULL)
    return NULL;
  if (self->urls[0] == NULL)
    {
      invalid (error, "urls", "is empty");
      return NULL;
    }
  if (g_strv_length (self->urls) > DL_ADD_REQUEST_MAX_URLS)
    {
      invalid (error, "urls", "holds too many links");
      return NULL;
    }
  for (guint i = 0; self->urls[i] != NULL; i++)
    if (!is_web_url (self->urls[i]))
      {
        g_autofree char *shown = shorten (self->urls[i]);
        g_autofree char *why = g_strdup_printf ("“%s” is not an http or https URL", shown);

        invalid (error, "urls", why);
        return NULL;
      }
  g_clear_pointer (&value, g_variant_unref);

  value = g_variant_lookup_value (options, "headers", NULL);
  if (value != NULL)
    {
      self->headers = get_headers (value, error);
      if (self->headers == NULL)
        return NULL;
      g_clear_pointer (&value, g_variant_unref);
    }

  value = g_variant_lookup_value (options, "referer", NULL);
  if (value != NULL)
    {
      self->referer = get_string (value, "referer", error);
      if (self->referer == NULL)
        return NULL;
      if (self->referer[0] == '\0')
        g_clear_pointer (&self->referer, g_free);
      else if (!is_web_url (self->referer))
        {
          invalid (error, "referer", "is not an http or https URL");
          return NULL;
        }
      g_clear_pointer (&value, g_variant_unref);
    }

  value = g_variant_lookup_value (options, "cookies", NULL);
  if (value != NULL)
    {
      g_autoptr(DlCookies) cookies = dl_cookies_new ();

      self->cookies = get_string (value, "cookies", error);
      if (self->cookies == NULL)
        return NULL;
      /* Text, not a path: the caller may not share our file system (a
       * sandbox), and we never read a file another program names. */
      if (self->cookies[0] != '\0' &&
          dl_cookies_add_from_text (cookies, self->cookies, -1) == 0 &&
          dl_cookies_get_n_skipped (cookies) > 0)
        {
          invalid (error, "cookies", "is not the text of a cookies.txt");
          return NULL;
        }
      if (self->cookies[0] == '\0')
        g_clear_pointer (&self->cookies, g_free);
      g_clear_pointer (&value, g_variant_unref);
    }

  value = g_variant_lookup_value (options, "folder", NULL);
  if (value != NULL)
    {
      self->folder = get_string (value, "folder", error);
      if (self->folder == NULL)
        return NULL;
      if (self->folder[0] == '\0')
        g_clear_pointer (&self->folder, g_free);
      else if (!g_path_is_absolute (self->folder))
        {
          invalid (error, "folder", "must be an absolute path");
          return NULL;
        }
      g_clear_pointer (&value, g_variant_unref);
    }

  return g_steal_pointer (&self);
}

/**
 * dl_add_request_to_variant:
 * @self: a #DlAddRequest
 *
 * Returns: (transfer floating): the `a{sv}` the `app.add-downloads` action
 *   takes
 */
GVariant *
dl_add_request_to_variant (DlAddRequest *self)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);

  g_return_val_if_fail (self != NULL, NULL);

  g_variant_dict_insert (&dict, "urls", "^as", self->urls);
  if (self->headers != NULL)
    g_variant_dict_insert (&dict, "headers", "^as", self->headers);
  if (self->referer != NULL)
    g_variant_dict_insert (&dict, "referer", "s", self->referer);
  if (self->cookies != NULL)
    g_variant_dict_insert (&dict, "cookies", "s", self->cookies);
  if (self->folder != NULL)
    g_variant_dict_insert (&dict, "folder", "s", self->folder);
  return g_variant_dict_end (&dict);
}

void
dl_add_request_free (DlAddRequest *self)
{
  if (self == NULL)
    return;

  g_strfreev (self->urls);
  g_strfreev (self->headers);
  g_free (self->referer);
  g_free (self->cookies);
  g_free (self->folder);
  g_free (self);
}
