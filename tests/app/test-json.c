/* test-json.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The JSON reader and writer of the browser's native messages. */

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "dl-json.h"

static GVariant *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  GVariant *value = dl_json_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (value);
  return value;
}

static void
assert_invalid (const char *text,
                gsize       length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) value = dl_json_parse (text, length, &error);
  g_autofree char *escaped = g_strescape (text, NULL);

  g_test_message ("%s", escaped);
  g_assert_null (value);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void
test_types (void)
{
  g_autoptr(GVariant) value = parse (" {\"s\": \"x\", \"n\": -1.5e2, \"t\": true, \"f\": false,"
                                     " \"z\": null, \"a\": [1, \"two\"], \"o\": {}} ");
  g_autoptr(GVariant) array = NULL;
  g_autoptr(GVariant) null = NULL;
  g_autoptr(GVariant) object = NULL;
  const char *s = NULL;
  double n = 0;
  gboolean t = FALSE, f = TRUE;

  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_VARDICT));
  g_assert_true (g_variant_lookup (value, "s", "&s", &s));
  g_assert_cmpstr (s, ==, "x");
  g_assert_true (g_variant_lookup (value, "n", "d", &n));
  g_assert_cmpfloat (n, ==, -150.0);
  g_assert_true (g_variant_lookup (value, "t", "b", &t));
  g_assert_true (t);
  g_assert_true (g_variant_lookup (value, "f", "b", &f));
  g_assert_false (f);

  null = g_variant_lookup_value (value, "z", NULL);
  g_assert_true (g_variant_is_of_type (null, G_VARIANT_TYPE ("mv")));
  g_assert_cmpuint (g_variant_n_children (null), ==, 0);

  array = g_variant_lookup_value (value, "a", G_VARIANT_TYPE ("av"));
  g_assert_nonnull (array);
  g_assert_cmpuint (g_variant_n_children (array), ==, 2);

  object = g_variant_lookup_value (value, "o", G_VARIANT_TYPE_VARDICT);
  g_assert_nonnull (object);
  g_assert_cmpuint (g_variant_n_children (object), ==, 0);
}

static void
test_string_escapes (void)
{
  g_autoptr(GVariant) value = parse ("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00\"");

  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "q\" b\\ s/ \b\f\n\r\t é 😀");
}

static void
test_repeated_key_last_wins (void)
{
  g_autoptr(GVariant) value = parse ("{\"k\": \"first\", \"k\": \"last\"}");
  const char *k = NULL;

  g_assert_true (g_variant_lookup (value, "k", "&s", &k));
  g_assert_cmpstr (k, ==, "last");
}

static void
test_invalid (void)
{
  const char *bad[] = {
    "", " ", "{", "}", "[", "[1,]", "[,1]", "{\"a\" 1}", "{\"a\":}", "{a: 1}", "{\"a\":1,}",
    "'single'", "\"unclosed", "tru", "nul", "01", "1.", ".5", "1e", "-", "+1", "NaN",
    "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\u0000\"",
    "\"a\tb\"", "\"a\nb\"", "1 2", "{} x", "[1] ]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_invalid (bad[i], strlen (bad[i]));

  /* Invalid UTF-8, and a NUL byte inside the text. */
  assert_invalid ("\"\xc3\x28\"", 4);
  assert_invalid ("{}\0{}", 5);
}

static void
test_nesting_is_bounded (void)
{
  g_autoptr(GString) ok = g_string_new (NULL);
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;

  for (int i = 0; i < DL_JSON_MAX_DEPTH; i++)
    g_string_append_c (ok, '[');
  for (int i = 0; i < DL_JSON_MAX_DEPTH; i++)
    g_string_append_c (ok, ']');
  value = dl_json_parse (ok->str, ok->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (value);

  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  assert_invalid (deep->str, deep->len);
}

static void
test_serialize (void)
{
  g_autoptr(GVariant) value = NULL;
  g_autofree char *json = NULL;
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&builder, "{sv}", "s", g_variant_new_string ("\"quoted\" \\ \n\t\x01 é"));
  value = g_variant_ref_sink (g_variant_builder_end (&builder));
  json = dl_json_serialize (value);
  g_assert_cmpstr (json, ==, "{\"s\":\"\\\"quoted\\\" \\\\ \\n\\t\\u0001 é\"}");
}

static void
test_round_trip (void)
{
  const char *text = "{\"a\":[true,false,null,\"x\",2.5,{\"b\":\"c\"}]}";
  g_autoptr(GVariant) value = parse (text);
  g_autofree char *json = dl_json_serialize (value);

  g_assert_cmpstr (json, ==, text);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/downloader/json/types", test_types);
  g_test_add_func ("/downloader/json/string-escapes", test_string_escapes);
  g_test_add_func ("/downloader/json/repeated-key-last-wins", test_repeated_key_last_wins);
  g_test_add_func ("/downloader/json/invalid", test_invalid);
  g_test_add_func ("/downloader/json/nesting-is-bounded", test_nesting_is_bounded);
  g_test_add_func ("/downloader/json/serialize", test_serialize);
  g_test_add_func ("/downloader/json/round-trip", test_round_trip);

  return g_test_run ();
}
