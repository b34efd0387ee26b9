/* test-safe-text.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "dl-safe-text.h"
#include "dl-url-password.h"

/* Text from the network on its way to a terminal, and URLs on their way to
 * anything a person or a file can read. */

static void
assert_safe (const char *text,
             const char *expected)
{
  g_autofree char *safe = dl_safe_text_for_terminal (text);

  g_assert_cmpstr (safe, ==, expected);
}

static void
test_plain_text_unchanged (void)
{
  assert_safe ("HTTP 404 Not Found", "HTTP 404 Not Found");
  assert_safe ("Größe – 東京 – файл.iso", "Größe – 東京 – файл.iso");
  assert_safe ("back\\slash", "back\\slash");
  assert_safe ("", "");
  assert_safe (NULL, "");
}

static void
test_c0_and_del_escaped (void)
{
  /* Clear the screen, set the window title, carriage return, backspace. */
  assert_safe ("Bad\033]0;pwned\a\033[2J", "Bad\\x1b]0;pwned\\x07\\x1b[2J");
  assert_safe ("ok\rFAKE\b\t\n", "ok\\x0dFAKE\\x08\\x09\\x0a");
  assert_safe ("del\177", "del\\x7f");
}

static void
test_c1_escaped (void)
{
  /* U+009B is CSI on terminals that take 8-bit controls; U+0085 NEL. */
  assert_safe ("a\302\233" "2Jb\302\205", "a\\u009b2Jb\\u0085");
}

static void
test_bidi_escaped (void)
{
  /* "exe.txt" behind a right-to-left override reads "txt.exe". */
  assert_safe ("photo\342\200\256gpj.exe", "photo\\u202egpj.exe");
  assert_safe ("\342\200\252\342\200\253\342\200\254\342\200\255"
               "\342\201\246\342\201\247\342\201\250\342\201\251"
               "\342\200\216\342\200\217\330\234",
               "\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069"
               "\\u200e\\u200f\\u061c");
}

static void
test_invalid_utf8_escaped (void)
{
  /* A lone continuation byte, a truncated sequence, an overlong ESC. */
  assert_safe ("a\200b\342\202", "a\\x80b\\xe2\\x82");
  assert_safe ("\300\233[2J", "\\xc0\\x9b[2J");
}

static void
assert_masked (const char *url,
               const char *expected)
{
  g_autofree char *masked = dl_url_without_password (url);

  g_assert_cmpstr (masked, ==, expected);
  g_assert_false (dl_url_has_password (masked));
}

static void
test_url_password_removed (void)
{
  g_assert_true (dl_url_has_password ("http://alice:Pa55w0rd@127.0.0.1:8080/f.iso"));
  assert_masked ("http://alice:Pa55w0rd@127.0.0.1:8080/f.iso", "http://alice@127.0.0.1:8080/f.iso");
  assert_masked ("https://alice:@[::1]/a?b=c:d@e", "https://alice@[::1]/a?b=c:d@e");
  /* An unescaped '@' in the password: all of it goes. */
  assert_masked ("http://bob:p@ss:w@127.0.0.1/x", "http://bob@127.0.0.1/x");
  /* Escapes elsewhere stay exactly as given. */
  assert_masked ("http://u:%70w@127.0.0.1/a%2Fb%20c", "http://u@127.0.0.1/a%2Fb%20c");
}

static void
test_url_without_password_unchanged (void)
{
  const char *urls[] = {
    "http://127.0.0.1:8080/f.iso",
    "http://alice@127.0.0.1/f.iso",
    "http://127.0.0.1/path:with@signs",
    "http://127.0.0.1/?q=a:b@c",
    "not a url: at all@",
    "mailto:alice:x@example",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_assert_false (dl_url_has_password (urls[i]));
      assert_masked (urls[i], urls[i]);
    }
  g_assert_null (dl_url_without_password (NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/downloader/safe-text/plain-unchanged", test_plain_text_unchanged);
  g_test_add_func ("/downloader/safe-text/c0-and-del", test_c0_and_del_escaped);
  g_test_add_func ("/downloader/safe-text/c1", test_c1_escaped);
  g_test_add_func ("/downloader/safe-text/bidi", test_bidi_escaped);
  g_test_add_func ("/downloader/safe-text/invalid-utf8", test_invalid_utf8_escaped);
  g_test_add_func ("/downloader/url-password/removed", test_url_password_removed);
  g_test_add_func ("/downloader/url-password/none", test_url_without_password_unchanged);

  return g_test_run ();
}
