/* dl-json.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "dl-json"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "dl-json.h"

/* JSON (RFC 8259) to GVariant and back, for the browser's native messages,
 * which are small: GLib has no JSON reader, and the app needs no more than
 * this. The input comes from another program, so the reader is strict and
 * bounded: valid UTF-8 only, no control characters in strings, no NUL,
 * nesting at most DL_JSON_MAX_DEPTH deep, nothing after the value.
 *
 *   object → a{sv}    array → av    string → s    number → d
 *   true, false → b   null → mv (nothing)
 */

typedef struct
{
  const char *start;
  const char *pos;
  const char *end;
  GError    **error;
} Reader;

static GVariant *read_value (Reader *reader,
                             guint   depth);

static gboolean
fail (Reader     *reader,
      const char *what)
{
  g_set_error (reader->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "Invalid JSON at byte %" G_GSIZE_FORMAT ": %s",
               (gsize) (reader->pos - reader->start), what);
  return FALSE;
}

static void
skip_space (Reader *reader)
{
  while (reader->pos < reader->end &&
         (*reader->pos == ' ' || *reader->pos == '\t' ||
          *reader->pos == '\n' || *reader->pos == '\r'))
    reader->pos++;
}

static gboolean
consume (Reader     *reader,
         const char *literal)
{
  gsize len = strlen (literal);

  if ((gsize) (reader->end - reader->pos) < len || memcmp (reader->pos, literal, len) != 0)
    return FALSE;
  reader->pos += len;
  return TRUE;
}

static int
hex_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_hex4 (Reader   *reader,
           gunichar *out)
{
  gunichar value = 0;

  if (reader->end - reader->pos < 4)
    return fail (reader, "a \\u escape needs four hex digits");

  for (int i = 0; i < 4; i++)
    {
      int digit = hex_digit (reader->pos[i]);

      if (digit < 0)
        return fail (reader, "a \\u escape needs four hex digits");
      value = value * 16 + digit;
    }
  reader->pos += 4;
  *out = value;
  return TRUE;
}

/* Reads a string after its opening quote; %NULL on error. */
static char *
read_string (Reader *reader)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (;;)
    {
      guchar c;

      if (reader->pos >= reader->end)
        {
          fail (reader, "a string is not closed");
          return NULL;
        }

      c = *reader->pos++;
      if (c == '"')
        break;
      if (c < 0x20)
        {
          reader->pos--;
          fail (reader, "a control character in a string");
          return NULL;
        }
      if (c != '\\')
        {
          g_string_append_c (out, c);
          continue;
        }

      if (reader->pos >= reader->end)
        {
          fail (reader, "a string is not closed");
          return NULL;
        }

      c = *reader->pos++;
      switch (c)
        {
        case '"': g_string_append_c (out, '"'); break;
        case '\\': g_string_append_c (out, '\\'); break;
        case '/': g_string_append_c (out, '/'); break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          {
            gunichar unit, low;

            if (!read_hex4 (reader, &unit))
              return NULL;

            if (unit >= 0xd800 && unit <= 0xdbff)
              {
                if (!consume (reader, "\\u") || !read_hex4 (reader, &low) ||
                    low < 0xdc00 || low > 0xdfff)
                  {
                    fail (reader, "a lone UTF-16 surrogate");
                    return NULL;
                  }
                unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
              }
            else if (unit >= 0xdc00 && unit <= 0xdfff)
              {
                fail (reader, "a lone UTF-16 surrogate");
                return NULL;
              }

            /* GVariant strings end at a NUL: one inside is refused. */
            if (unit == 0)
              {
                fail (reader, "a NUL character in a string");
                return NULL;
              }
            g_string_append_unichar (out, unit);
          }
          break;
        default:
          reader->pos--;
          fail (reader, "an unknown escape in a string");
          return NULL;
        }
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static GVariant *
read_number (Reader *reader)
{
  const char *begin = reader->pos;
  g_autofree char *text = NULL;
  const char *p = reader->pos;

  if (p < reader->end && *p == '-')
    p++;
  if (p < reader->end && *p == '0')
    p++;
  else if (p < reader->end && *p >= '1' && *p <= '9')
    while (p < reader->end && g_ascii_isdigit (*p))
      p++;
  else
    {
      fail (reader, "not a value");
      return NULL;
    }

  if (p < reader->end && *p == '.')
    {
      p++;
      if (p >= reader->end || !g_ascii_isdigit (*p))
        {
          reader->pos = p;
          fail (reader, "a digit must follow the decimal point");
          return NULL;
        }
      while (p < reader->end && g_ascii_isdigit (*p))
        p++;
    }

  if (p < reader->end && (*p == 'e' || *p == 'E'))
    {
      p++;
      if (p < reader->end && (*p == '+' || *p == '-'))
        p++;
      if (p >= reader->end || !g_ascii_isdigit (*p))
        {
          reader->pos = p;
          fail (reader, "a digit must follow the exponent");
          return NULL;
        }
      while (p < reader->end && g_ascii_isdigit (*p))
        p++;
    }

  reader->pos = p;
  text = g_strndup (begin, p - begin);
  return g_variant_new_double (g_ascii_strtod (text, NULL));
}

static GVariant *
read_object (Reader *reader,
             guint   depth)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);

  skip_space (reader);
  if (consume (reader, "}"))
    return g_variant_dict_end (&dict);

  for (;;)
    {
      g_autofree char *key = NULL;
      g_autoptr(GVariant) value = NULL;

      skip_space (reader);
      if (!consume (reader, "\""))
        {
          fail (reader, "an object key must be a string");
          return NULL;
        }
      key = read_string (reader);
      if (key == NULL)
        return NULL;

      skip_space (reader);
      if (!consume (reader, ":"))
        {
          fail (reader, "a ':' must follow an object key");
          return NULL;
        }

      value = read_value (reader, depth);
      if (value == NULL)
        return NULL;
      /* A repeated key: the last one counts, as in most readers. */
      g_variant_dict_insert_value (&dict, key, value);

      skip_space (reader);
      if (consume (reader, "}"))
        return g_variant_dict_end (&dict);
      if (!consume (reader, ","))
        {
          fail (reader, "a ',' or '}' must follow an object member");
          return NULL;
        }
    }
}

static GVariant *
read_array (Reader *reader,
            guint   depth)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("av"));

  skip_space (reader);
  if (consume (reader, "]"))
    return g_variant_builder_end (&builder);

  for (;;)
    {
      g_autoptr(GVariant) value = read_value (reader, depth);

      if (value == NULL)
        return NULL;
      g_variant_builder_add (&builder, "v", value);

      skip_space (reader);
      if (consume (reader, "]"))
        return g_variant_builder_end (&builder);
      if (!consume (reader, ","))
        {
          fail (reader, "a ',' or ']' must follow an array element");
          return NULL;
        }
    }
}

/* Returns a new reference (not floating), or %NULL on error. */
static GVariant *
read_value (Reader *reader,
            guint   depth)
{
  GVariant *value = NULL;

  skip_space (reader);
  if (reader->pos >= reader->end)
    {
      fail (reader, "the text ends before a value");
      return NULL;
    }

  if (consume (reader, "{") || consume (reader, "["))
    {
      if (depth >= DL_JSON_MAX_DEPTH)
        {
          fail (reader, "nested too deeply");
          return NULL;
        }
      value = reader->pos[-1] == '{' ? read_object (reader, depth + 1)
                                     : read_array (reader, depth + 1);
    }
  else if (consume (reader, "\""))
    {
      char *string = read_string (reader);

      if (string != NULL)
        value = g_variant_new_take_string (string);
    }
  else if (consume (reader, "true"))
    value = g_variant_new_boolean (TRUE);
  else if (consume (reader, "false"))
    value = g_variant_new_boolean (FALSE);
  else if (consume (reader, "null"))
    value = g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL);
  else
    value = read_number (reader);

  return value != NULL ? g_variant_ref_sink (value) : NULL;
}

/**
 * dl_json_parse:
 * @text: JSON text, not necessarily nul-terminated
 * @length: its length in bytes
 * @error: return location for a #GError
 *
 * Reads one JSON value (objects become `a{sv}`, arrays `av`, strings `s`,
 * numbers `d`, booleans `b`, null an empty `mv`).
 *
 * Returns: (transfer full): the value, or %NULL with
 *   %G_IO_ERROR_INVALID_DATA if @text is not exactly one JSON value
 */
GVariant *
dl_json_parse (const char  *text,
               gsize        length,
               GError     **error)
{
  g_autoptr(GVariant) value = NULL;
  Reader reader = { text, text, text + length, error };

  g_return_val_if_fail (text != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_utf8_validate_len (text, length, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "Invalid JSON: the text is not valid UTF-8");
      return NULL;
    }

  value = read_value (&reader, 0);
  if (value == NULL)
    return NULL;

  skip_space (&reader);
  if (reader.pos != reader.end)
    {
      fail (&reader, "text after the value");
      return NULL;
    }

  return g_steal_pointer (&value);
}

static void
write_string (GString    *out,
              const char *string)
{
  g_string_append_c (out, '"');
  for (const char *p = string; *p != '\0'; p++)
    {
      guchar c = *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, c);
    }
  g_string_append_c (out, '"');
}

static void
write_value (GString  *out,
             GVariant *value)
{
  const GVariantType *type = g_variant_get_type (value);

  if (g_variant_type_is_maybe (type))
    {
      g_autoptr(GVariant) inner = g_variant_get_maybe (value);

      if (inner == NULL)
        g_string_append (out, "null");
      else
        write_value (out, inner);
    }
  else if (g_variant_type_is_variant (type))
    {
      g_autoptr(GVariant) inner = g_variant_get_variant (value);

      write_value (out, inner);
    }
  else if (g_variant_type_is_array (type) &&
           g_variant_type_is_dict_entry (g_variant_type_element (type)) &&
           g_variant_type_equal (g_variant_type_key (g_variant_type_element (type)),
                                 G_VARIANT_TYPE_STRING))
    {
      gsize n = g_variant_n_children (value);

      g_string_append_c (out, '{');
      for (gsize i = 0; i < n; i++)
        {
          g_autoptr(GVariant) entry = g_variant_get_child_value (value, i);
          g_autoptr(GVariant) key = g_variant_get_child_value (entry, 0);
          g_autoptr(GVariant) member = g_variant_get_child_value (entry, 1);

          if (i > 0)
            g_string_append_c (out, ',');
          write_string (out, g_variant_get_string (key, NULL));
          g_string_append_c (out, ':');
          write_value (out, member);
        }
      g_string_append_c (out, '}');
    }
  else if (g_variant_type_is_array (type) || g_variant_type_is_tuple (type))
    {
      gsize n = g_variant_n_children (value);

      g_string_append_c (out, '[');
      for (gsize i = 0; i < n; i++)
        {
          g_autoptr(GVariant) child = g_variant_get_child_value (value, i);

          if (i > 0)
            g_string_append_c (out, ',');
          write_value (out, child);
        }
      g_string_append_c (out, ']');
    }
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) ||
           g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH) ||
           g_variant_is_of_type (value, G_VARIANT_TYPE_SIGNATURE))
    write_string (out, g_variant_get_string (value, NULL));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    g_string_append (out, g_variant_get_boolean (value) ? "true" : "false");
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
    {
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];
      double number = g_variant_get_double (value);

      /* JSON has no infinities or NaN. */
      if (isfinite (number))
        g_string_append (out, g_ascii_dtostr (buffer, sizeof buffer, number));
      else
        g_string_append (out, "null");
    }
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
    g_string_append_printf (out, "%" G_GINT32_FORMAT, g_variant_get_int32 (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    g_string_append_printf (out, "%" G_GUINT32_FORMAT, g_variant_get_uint32 (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    g_string_append_printf (out, "%" G_GINT64_FORMAT, g_variant_get_int64 (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    g_string_append_printf (out, "%" G_GUINT64_FORMAT, g_variant_get_uint64 (value));
  else
    {
      g_critical ("%s: GVariant type '%s' has no JSON form", G_STRFUNC,
                  g_variant_get_type_string (value));
      g_string_append (out, "null");
    }
}

/**
 * dl_json_serialize:
 * @value: a #GVariant made of dictionaries with string keys, arrays,
 *   tuples, strings, booleans, numbers, variants and maybes
 *
 * Returns: (transfer full): @value as compact JSON text
 */
char *
dl_json_serialize (GVariant *value)
{
  GString *out;

  g_return_val_if_fail (value != NULL, NULL);

  out = g_string_new (NULL);
  write_value (out, value);
  return g_string_free (out, FALSE);
}
