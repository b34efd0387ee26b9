/* dl-url-password.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "dl-url-password.h"

/* A URL may carry a password ("http://alice:secret@host/file"). It is
 * needed to fetch the file, and must appear nowhere else: not in an event,
 * a message, a log line or the window. What is shown is the URL with the
 * password cut out of its user info ("http://alice@host/file"), the rest
 * exactly as given: a parse and rebuild through GUri would normalise the
 * escapes, and the text shown would no longer be the one the user typed. */

/* Finds the password of @url: *start at the ':' before it, *end at the '@'
 * after it. FALSE when there is none. */
static gboolean
find_password (const char  *url,
               const char **start,
               const char **end)
{
  const char *authority, *authority_end, *at, *colon;

  if (url == NULL)
    return FALSE;
  authority = strstr (url, "://");
  if (authority == NULL)
    return FALSE;
  /* The scheme is letters, digits, '+', '-' and '.' (RFC 3986 §3.1). */
  for (const char *p = url; p < authority; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '-' && *p != '.')
      return FALSE;
  authority += 3;
  authority_end = authority + strcspn (authority, "/?#");

  /* The user info ends at the last '@' of the authority: an unescaped '@'
   * in a password is a common mistake, and cutting at the first one would
   * show the rest of the password as the host. */
  at = NULL;
  for (const char *p = authority; p < authority_end; p++)
    if (*p == '@')
      at = p;
  if (at == NULL)
    return FALSE;
  colon = memchr (authority, ':', (gsize) (at - authority));
  if (colon == NULL)
    return FALSE;
  *start = colon;
  *end = at;
  return TRUE;
}

/**
 * dl_url_has_password:
 * @url: (nullable): a URL
 *
 * Returns: whether the user info of @url has a password (even an empty
 *   one: "http://alice:@host/")
 */
gboolean
dl_url_has_password (const char *url)
{
  const char *start, *end;

  return find_password (url, &start, &end);
}

/**
 * dl_url_without_password:
 * @url: (nullable): a URL
 *
 * Returns: (transfer full) (nullable): @url without the password of its
 *   user info (and without the ':' before it); the user name and everything
 *   else stay as they were. %NULL for %NULL.
 */
char *
dl_url_without_password (const char *url)
{
  const char *start, *end;

  if (!find_password (url, &start, &end))
    return g_strdup (url);
  {
    GString *out = g_string_new_len (url, start - url);

    g_string_append (out, end);
    return g_string_free (out, FALSE);
  }
}
