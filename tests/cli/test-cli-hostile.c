/* test-cli-hostile.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "cli-test-util.h"

/* `bridge-downloader --headless` against servers and inputs that mean harm:
 * escape sequences in a status line or a file name, passwords in URLs,
 * input lists without end. Each case is what a user would run, against the
 * fault server in a thread of this process. */

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("expected “%s” in: %s", needle, haystack);
}

static void
assert_lacks (const char *haystack,
              const char *needle,
              const char *what)
{
  if (strstr (haystack, needle) != NULL)
    g_error ("%s in: %s", what, haystack);
}

/* Nothing that acts on a terminal: no ESC, BEL, CR, C1 CSI or bidi
 * override, only the newlines that end the lines. */
static void
assert_terminal_safe (const char *text)
{
  assert_lacks (text, "\033", "ESC");
  assert_lacks (text, "\a", "BEL");
  assert_lacks (text, "\r", "CR");
  assert_lacks (text, "\302\233", "C1 CSI");
  assert_lacks (text, "\342\200\256", "RIGHT-TO-LEFT OVERRIDE");
}

/* ---- terminal escapes ------------------------------------------------------------- */

/* A reason phrase that would set the window title and clear the screen is
 * shown escaped in the failure line. */
static void
test_escape_reason (CliFixture    *fixture,
                    gconstpointer  user_data)
{
  g_autofree char *u = cli_fixture_url (fixture,
                                        "e.bin?status=404&reason=Gone%1B%5D0%3Bpwned%07%1B%5B2J"
                                        "%C2%9B31m%E2%80%AE");
  g_autoptr(CliResult) result = cli_run (fixture->home, NULL, "-o", fixture->out_dir, u, NULL);

  g_assert_cmpint (result->status, ==, 1);
  assert_terminal_safe (result->err);
  /* Escaped, not dropped: the message still says what the server said. */
  assert_contains (result->err, "Gone\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m\\u202e");
}

/* ---- passwords in URLs ------------------------------------------------------------ */

static char *
url_with_password (CliFixture *fixture,
                   const char *path_and_query)
{
  return g_strdup_printf ("http://alice:Pa55w0rd@127.0.0.1:%u/%s",
                          fault_server_get_port (fixture->server), path_and_query);
}

/* Neither the JSON events nor the failure lines show the password; they
 * show the URL without it. */
static void
test_url_password_not_shown (CliFixture    *fixture,
                             gconstpointer  user_data)
{
  g_autofree char *ok = url_with_password (fixture, "ok.bin?size=2000&seed=3");
  g_autofree char *missing = url_with_password (fixture, "missing.bin?status=404");
  g_autoptr(CliResult) json = NULL;
  g_autoptr(CliResult) human = NULL;
  g_autofree char *shown = NULL;

  json = cli_run (fixture->home, NULL, "-o", fixture->out_dir, "--json", ok, missing, NULL);
  g_assert_cmpint (json->status, ==, 1);
  cli_check_json (json->out, "--count", "2", "--expect", "0=done", "--expect", "1=failed", NULL);
  assert_lacks (json->out, "Pa55w0rd", "the password");
  assert_lacks (json->err, "Pa55w0rd", "the password");
  shown = g_strdup_printf ("\"url\":\"http://alice@127.0.0.1:%u/missing.bin?status=404\"",
                           fault_server_get_port (fixture->server));
  assert_contains (json->out, shown);

  human = cli_run (fixture->home, NULL, "-o", fixture->out_dir, missing, NULL);
  g_assert_cmpint (human->status, ==, 1);
  assert_lacks (human->err, "Pa55w0rd", "the password");
  assert_contains (human->err, "http://alice@127.0.0.1");
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_unsetenv ("BRIDGE_DOWNLOADER_STALL_PROBE");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  CLI_FIXTURE_TEST ("/downloader/cli/hostile/escape-reason", test_escape_reason);
  CLI_FIXTURE_TEST ("/downloader/cli/hostile/url-password-not-shown", test_url_password_not_shown);

  return g_test_run ();
}
