/* dl-cli-input.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-cli"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>
#include <libbridge.h>

#include "dl-cli-input.h"
#include "dl-url-password.h"

/* Input files (-i): one URL a line, read in the run's task a chunk at a
 * time, so that each URL is queued as soon as its line is in. A pipe that
 * stays open starts its first download at once, and a huge input is never
 * held in memory whole: at most one line (DL_CLI_INPUT_LINE_MAX) and one
 * chunk.
 *
 * A line is a URL, then optionally words of the form KEY=VALUE:
 * sha256=HEX, header=NAME:VALUE (repeatable), user-agent=UA, referer=URL,
 * cookies=FILE and limit=RATE. A value with spaces goes in double quotes
 * (header="X-Name: a value"), where \" and \\ stand for " and \. */

#define READ_CHUNK (64 * 1024)

struct _DlCliInput
{
  char         *name;          /* for messages: the path, or "standard input" */
  GInputStream *stream;
  GBytes       *chunk;         /* read and not yet split into lines */
  gsize         chunk_offset;
  GString      *line;
  guint         number;        /* of the last line returned */
  gboolean      at_end;
};

/**
 * dl_cli_input_open:
 * @file: a path, or "-" for the standard input
 * @error: return location for a #GError
 *
 * Opens an input file; nothing is read yet.
 *
 * Returns: (transfer full): the input, or %NULL with @error set
 */
DlCliInput *
dl_cli_input_open (const char  *file,
                   GError     **error)
{
  DlCliInput *self;
  int fd;

  if (g_str_equal (file, "-"))
    fd = -1;
  else
    {
      fd = g_open (file, O_RDONLY | O_CLOEXEC, 0);
      if (fd < 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       /* Translators: "Cannot read urls.txt: No such file or directory" */
                       _("Cannot read %s: %s"), file, g_strerror (saved_errno));
          return NULL;
        }
    }

  self = g_new0 (DlCliInput, 1);
  self->name = fd < 0 ? g_strdup (_("standard input")) : g_strdup (file);
  self->stream = fd < 0 ? g_unix_input_stream_new (STDIN_FILENO, FALSE)
                        : g_unix_input_stream_new (fd, TRUE);
  self->line = g_string_new (NULL);
  return self;
}

void
dl_cli_input_free (DlCliInput *self)
{
  if (self == NULL)
    return;

  g_free (self->name);
  g_clear_object (&self->stream);
  g_clear_pointer (&self->chunk, g_bytes_unref);
  g_string_free (self->line, TRUE);
  g_free (self);
}

const char *
dl_cli_input_get_name (DlCliInput *self)
{
  return self->name;
}

/**
 * dl_cli_input_read_line:
 * @self: an input
 * @number: (out): the line's number, from 1
 * @error: return location for a #GError
 *
 * In a task: waits for the next line, while the loop runs on.
 *
 * Returns: (transfer full) (nullable): the line without its '\n', or
 *   %NULL at the end (@error unset) or when the input cannot be read or
 *   a line is longer than %DL_CLI_INPUT_LINE_MAX (@error set)
 */
char *
dl_cli_input_read_line (DlCliInput  *self,
                        guint       *number,
                        GError     **error)
{
  g_string_truncate (self->line, 0);

  for (;;)
    {
      const char *data;
      const char *newline;
      gsize size;

      if (self->chunk == NULL || self->chunk_offset == g_bytes_get_size (self->chunk))
        {
          g_autoptr(GError) local_error = NULL;

          g_clear_pointer (&self->chunk, g_bytes_unref);
          self->chunk_offset = 0;
          if (!self->at_end)
            {
              self->chunk = bridge_input_stream_read_bytes (self->stream, READ_CHUNK,
                                                            G_PRIORITY_DEFAULT, &local_error);
              if (self->chunk == NULL)
                {
                  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                    g_propagate_error (error, g_steal_pointer (&local_error));
                  else
                    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO,
                                 _("Cannot read %s: %s"), self->name, local_error->message);
                  return NULL;
                }
              if (g_bytes_get_size (self->chunk) == 0)
                self->at_end = TRUE;
            }
          if (self->at_end)
            {
              if (self->line->len == 0)
                return NULL;
              *number = ++self->number;
              return g_strndup (self->line->str, self->line->len);
            }
        }

      data = (const char *) g_bytes_get_data (self->chunk, &size) + self->chunk_offset;
      size -= self->chunk_offset;
      newline = memchr (data, '\n', size);
      if (newline != NULL)
        size = newline - data;

      if (self->line->len + size > DL_CLI_INPUT_LINE_MAX)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       /* Translators: "urls.txt:3: the line is longer than 65536 bytes" */
                       _("%s:%u: the line is longer than %u bytes"), self->name, self->number + 1,
                       (guint) DL_CLI_INPUT_LINE_MAX);
          return NULL;
        }
      g_string_append_len (self->line, data, size);
      self->chunk_offset += size;

      if (newline != NULL)
        {
          self->chunk_offset++;
          *number = ++self->number;
          return g_strndup (self->line->str, self->line->len);
        }
    }
}

/* ---- parsing a line ----------------------------------------------------------------- */

/* The next word of @p: up to a space or tab, except in double quotes.
 * NULL at the end of the line, or with @error set for an open quote. */
static char *
next_word (const char **p,
           gboolean    *unclosed)
{
  const char *s = *p;
  g_autoptr(GString) word = g_string_new (NULL);
  gboolean quoted = FALSE;

  while (*s == ' ' || *s == '\t')
    s++;
  if (*s == '\0')
    {
      *p = s;
      return NULL;
    }

  for (; *s != '\0'; s++)
    {
      if (!quoted && (*s == ' ' || *s == '\t'))
        break;
      /* Quotes open only after KEY=, so that a URL keeps its quotes. */
      if (!quoted && *s == '"' && word->len > 0 &&
          strchr (word->str, '=') == word->str + word->len - 1)
        {
          quoted = TRUE;
          continue;
        }
      if (quoted && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
        {
          g_string_append_c (word, *++s);
          continue;
        }
      if (quoted && *s == '"')
        {
          quoted = FALSE;
          continue;
        }
      g_string_append_c (word, *s);
    }

  *unclosed = quoted;
  *p = s;
  return g_string_free (g_steal_pointer (&word), FALSE);
}

static gboolean
is_sha256 (const char *text)
{
  return strlen (text) == 64 && strspn (text, "0123456789abcdefABCDEF") == 64;
}

/* Prefixes @error's message with the line's place and the key. */
static void
prefix_error (GError    **error,
              GError     *cause,
              const char *name,
              guint       number,
              const char *key)
{
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               /* Translators: "urls.txt:3: header: “X Y” is not a valid header name";
                * the third %s is a key of the input syntax (header, referer,
                * cookies, limit), not to be translated */
               _("%s:%u: %s: %s"), name, number, key, cause->message);
}

/**
 * dl_cli_input_parse_line:
 * @name: the input's name, for messages
 * @number: the line's number, for messages
 * @line: the line
 * @options: (nullable): the run's request options, which the line's add to
 * @checked_cookie_files: paths of cookies files read already (a set): each
 *   is read once to check it, however many lines name it
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the line's URL and options; %NULL
 *   for a blank line or a comment (#). When the line is malformed, @error
 *   is set and the URL is still there, so that the line can fail alone.
 */
DlCliInputLine *
dl_cli_input_parse_line (const char        *name,
                         guint              number,
                         const char        *line,
                         DlRequestOptions  *options,
                         GHashTable        *checked_cookie_files,
                         GError           **error)
{
  g_autoptr(DlCliInputLine) parsed = g_new0 (DlCliInputLine, 1);
  g_autoptr(DlRequestOptions) own = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *trimmed = g_strstrip (g_strdup (line));
  const char *p = trimmed;
  char *word;
  gboolean unclosed = FALSE;

  if (*trimmed == '\0' || *trimmed == '#')
    return NULL;

  parsed->url = next_word (&p, &unclosed);

  while (local_error == NULL && (word = next_word (&p, &unclosed)) != NULL)
    {
      g_autofree char *owned = word;
      const char *eq = strchr (owned, '=');
      g_autofree char *key = eq != NULL ? g_ascii_strdown (owned, eq - owned) : NULL;
      const char *value = eq != NULL ? eq + 1 : NULL;
      g_autoptr(GError) cause = NULL;

      if (*owned == '\0')
        continue;

      if (unclosed)
        {
          g_set_error (&local_error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       /* Translators: "urls.txt:3: a quote is not closed" */
                       _("%s:%u: a quote is not closed"), name, number);
          break;
        }

      if (g_strcmp0 (key, "sha256") == 0 && parsed->sha256 == NULL)
        {
          parsed->sha256 = g_strdup (value);
          if (!is_sha256 (value))
            g_set_error (&local_error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         /* Translators: "urls.txt:3: “abc” is not a SHA-256 checksum…" */
                         _("%s:%u: “%s” is not a SHA-256 checksum (64 hexadecimal digits)"),
                         name, number, value);
          continue;
        }
      if (g_strcmp0 (key, "limit") == 0)
        {
          if (!dl_cli_parse_rate ("limit", value, &parsed->rate_limit, &cause))
            prefix_error (&local_error, cause, name, number, "limit");
          continue;
        }

      if (g_strcmp0 (key, "header") == 0 || g_strcmp0 (key, "user-agent") == 0 ||
          g_strcmp0 (key, "referer") == 0 || g_strcmp0 (key, "cookies") == 0)
        {
          gboolean ok = TRUE;

          if (own == NULL)
            own = options != NULL ? dl_request_options_copy (options) : dl_request_options_new ();

          if (g_str_equal (key, "header"))
            ok = dl_request_options_add_header (own, value, &cause);
          else if (g_str_equal (key, "user-agent"))
            ok = dl_request_options_set_user_agent (own, value, &cause);
          else if (g_str_equal (key, "referer"))
            ok = dl_request_options_set_referer (own, value, &cause);
          else if (checked_cookie_files != NULL &&
                   g_hash_table_contains (checked_cookie_files, value))
            dl_request_options_set_cookies_path (own, value);
          else
            {
              ok = dl_request_options_set_cookies_file (own, value, &cause);
              if (ok && checked_cookie_files != NULL)
                g_hash_table_add (checked_cookie_files, g_strdup (value));
            }

          if (!ok)
            prefix_error (&local_error, cause, name, number, key);
          continue;
        }

      /* Only the key of an unknown key=value is repeated: its value may
       * be a secret (user=alice:password); another URL loses its password. */
      if (eq != NULL)
        {
          g_autofree char *shown = g_strdup_printf ("%.*s=…", (int) (eq - owned), owned);

          g_free (g_steal_pointer (&owned));
          owned = g_steal_pointer (&shown);
        }
      else
        {
          g_autofree char *shown = dl_url_without_password (owned);

          g_free (g_steal_pointer (&owned));
          owned = g_steal_pointer (&shown);
        }
      g_set_error (&local_error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   /* Translators: "urls.txt:3: unexpected “foo” (a line is a URL…)";
                    * do not translate sha256=HEX, header=, user-agent=, referer=,
                    * cookies= and limit=: they are the input syntax */
                   _("%s:%u: unexpected “%s” (a line is a URL, optionally followed by "
                     "sha256=HEX, header=\"NAME: VALUE\", user-agent=UA, referer=URL, "
                     "cookies=FILE and limit=RATE)"),
                   name, number, owned);
    }

  if (local_error != NULL)
    {
      g_clear_pointer (&parsed->sha256, g_free);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return g_steal_pointer (&parsed);
    }

  parsed->options = own != NULL ? g_steal_pointer (&own)
                    : options != NULL ? dl_request_options_ref (options) : NULL;
  return g_steal_pointer (&parsed);
}

void
dl_cli_input_line_free (DlCliInputLine *line)
{
  if (line == NULL)
    return;

  g_free (line->url);
  g_free (line->sha256);
  g_clear_pointer (&line->options, dl_request_options_unref);
  g_free (line);
}

/**
 * dl_cli_parse_rate:
 * @option: the option's name, for the message
 * @text: (nullable): what was given; %NULL leaves @value as it is
 * @value: (out): bytes per second
 * @error: return location for a #GError
 *
 * A speed as curl's --limit-rate takes it: bytes per second, a decimal
 * number with k, M or G (powers of 1024) after it if wanted.
 *
 * Returns: %FALSE with @error set when @text is not such a speed
 */
gboolean
dl_cli_parse_rate (const char  *option,
                   const char  *text,
                   guint64     *value,
                   GError     **error)
{
  char *end = NULL;
  double rate;

  if (text == NULL)
    return TRUE;

  rate = g_ascii_strtod (text, &end);
  if (end != text && end[0] != '\0' && end[1] == '\0')
    {
      switch (g_ascii_tolower (end[0]))
        {
        case 'k': rate *= 1024.0; end++; break;
        case 'm': rate *= 1024.0 * 1024; end++; break;
        case 'g': rate *= 1024.0 * 1024 * 1024; end++; break;
        default: break;
        }
    }
  if (end == text || *end != '\0' || !(rate >= 1 && rate <= 1e15))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   /* Translators: "--limit-rate must be a number of bytes per second…";
                    * keep k, M and G */
                   _("%s must be a number of bytes per second, at least 1, with k, M or G "
                     "after it if wanted, not “%s”"), option, text);
      return FALSE;
    }
  *value = (guint64) rate;
  return TRUE;
}
