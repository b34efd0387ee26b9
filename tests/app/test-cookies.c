/* test-cookies.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The cookies.txt reader: what a line must look like to be a cookie, and
 * which cookies a request to a URL carries. */

#include "config.h"

#include <glib/gstdio.h>

#include "dl-cookies.h"

/* Every cookie below expires well after this moment, unless it says so. */
#define NOW          G_GINT64_CONSTANT (1800000000)
#define LATER        "1900000000"
#define EARLIER      "1700000000"

static char *
header_for (DlCookies  *cookies,
            const char *url)
{
  return dl_cookies_build_header_for_url (cookies, url, NOW);
}

static void
test_basic_line (void)
{
  g_autoptr(DlCookies) cookies = dl_cookies_new ();
  g_autofree char *header = NULL;

  g_assert_cmpuint (dl_cookies_add_from_text (cookies,
                                              "example.com\tFALSE\t/\tFALSE\t" LATER "\tsid\tabc123\n",
                                              -1), ==, 1);
  g_assert_cmpuint (dl_cookies_get_n_cookies (cookies), ==, 1);
  g_assert_cmpuint (dl_cookies_get_n_skipped (cookies), ==, 0);

  header = header_for (cookies, "http://example.com/file.zip");
  g_assert_cmpstr (header, ==, "sid=abc123");
}

static void
test_comments_and_blank_lines (void)
{
  g_autoptr(DlCookies) cookies = dl_cookies_new ();
  g_autofree char *header = NULL;
  const char *text =
    "# Netscape HTTP Cookie File\n"
    "# https://curl.se/docs/http-cookies.html\n"
    "\n"
    "   \n"
    "#example.com\tFALSE\t/\tFALSE\t" LATER "\tcommented\tout\n"
    "example.com\tFALSE\t/\tFALSE\t" LATER "\ta\t1\n";

  g_assert_cmpuint (dl_cookies_add_from_text (cookies, text, -1), ==, 1);
  g_assert_cmpuint (dl_cookies_get_n_skipped (cookies), ==, 0);

  header = header_for (cookies, "http://example.com/");
  g_assert_cmpstr (header, ==, "a=1");
}

static void
test_http_only_prefix (void)
{
  g_autoptr(DlCookies) cookies = dl_cookies_new ();
  g_autofree char *header = NULL;

  g_assert_cmpuint (dl_cookies_add_from_text (cookies,
                                              "#HttpOnly_.example.com\tTRUE\t/\tFALSE\t" LATER "\tsession\tsecret\n",
                                              -1), ==, 1);

  /* Not a comment: the cookie is there, for the domain after the prefix. */
  header = header_for (cookies, "http://www.example.com/a");
  g_assert_cmpstr (header, ==, "session=secret");
}

static void
test_expired_entries (void)
{
  g_autoptr(DlCookies) cookies = dl_cookies_new ();
  g_autofree char *header = NULL;
  const char *text =
    "example.com\tFALSE\t/\tFALSE\t" EARLIER "\told\tgone\n"
    "example.com\tFALSE\t/\tFALSE\t" LATER "\tfresh\tyes\n"
    /* 0: a session cookie, which has no expiry. */
    "example.com\tFALSE\t/\tFALSE\t0\tsession\tkept\n";

  g_assert_cmpuint (dl_cookies_add_from_text (cookies, text, -1), ==, 3);

  header = header_for (cookies, "http://example.com/");
  g_assert_cmpstr (header, ==, "fresh=yes; session=kept");

  /* Expiry is a matter of the request's time, not of reading. */
  g_clear_pointer (&header, g_free);
  header = dl_cookies_build_header_for_url (cookies, "http://example.com/",
                                            g_ascii_strtoll (EARLIER, NULL, 10) - 1);
  g_assert_cmpstr (header, ==, "old=gone; fresh=yes; session=kept");

  /* An expiry equal to the time of the request has passed. */
  g_clear_pointer (&header, g_free);
  header = dl_cookies_build_header_for_url (cookies, "http://example.com/",
                                            g_ascii_strtoll (LATER, NULL, 10));
  g_assert_cmpstr (header, ==, "session=kept");
}

static void
test_malformed_lines (void)
{
  g_autoptr(DlCookies) cookies = dl_cookies_new ();
  g_autofree char *header = NULL;
  const char *bad[] = {
    "example.com FALSE / FALSE " LATER " spaces instead-of-tabs",
    "example.com\tFALSE\t/\tFALSE\t" LATER "\tsix-fields",
    "example.com\tFALSE\t/\tFALSE\t" LATER "\tname\tvalue\textra",
    "example.com\tMAYBE\t/\tFALSE\t" LATER "\tflag\tbad",
    "example.com\tFALSE\t/\tYES\t" LATER "\tsecure\tbad",
    "example.com\tFALSE\tno-slash\tFALSE\t" LATER "\tpath\tbad",
    "example.com\tFALSE\t/\tFALSE\tsoon\texpiry\tbad",
    "example.com\tFALSE\t/\tFALSE\t-5\tnegative\texpiry",
    "example.com\tFALSE\t/\tFALSE\t99999999999999999999999\toverflow\texpiry",
    "\tFALSE\t/\tFALSE\t" LATER "\tno\tdomain",
    "exa mple.com\tFALSE\t/\tFALSE\t" LATER "\tspace\tdomain",
    "example.com\tFALSE\t/\tFALSE\t" LATER "\t\tempty-name",
    "example.com\tFALSE\t/\tFALSE\t" LATER "\tna=me\tequals",
    /* Nothing in a value may end the cookie or the header. */
    "example.com\tFALSE\t/\tFALSE\t" LATER "\tinject\tx; admin=1",
    "example.com\tFALSE\t/\tFALSE\t" LATER "\tinject\tx\rSet-Cookie: y",
    "example.com\tFALSE\t/\tFALSE\t" LATER "\tbad\t\xff\xfe",
  };
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_string_append_printf (text, "%s\n", bad[i]);
  g_string_append (text, "example.com\tFALSE\t/\tFALSE\t" LATER "\tgood\tone\n");

  g_assert_cmpuint (dl_cookies_add_from_text (cookies, text->str, text->len), ==, 1);
  g_assert_cmpuint (dl_cookies_get_n_skipped (cookies), ==, G_N_ELEMENTS (bad));

  header = header_for (cookies, "http://example.com/");
  g_assert_cmpstr (header, ==, "good=one");
}

static void
test_crlf_and_empty_value (void)
{
  g_autoptr(DlCookies) cookies = dl_cookies_new ();
  g_autofree char *header = NULL;

  g_assert_cmpuint (dl_cookies_add_from_text (cookies,
                                              "example.com\tFALSE\t/\tFALSE\t" LATER "\tempty\t\r\n"
                                              "example.com\tFALSE\t/\tFALSE\t" LATER "\tcr\tlf\r\n",
                                              -1), ==, 2);
  header = header_for (cookies, "http://example.com/");
  g_assert_cmpstr (header, ==, "empty=; cr=lf");
}

static void
test_domain_matching (void)
{
  g_autoptr(DlCookies) cookies = dl_cookies_new ();
  const char *text =
    "exact.example\tFALSE\t/\tFALSE\t" LATER "\texact\t1\n"
    "wide.example\tTRUE\t/\tFALSE\t" LATER "\twide\t1\n"
    ".dotted.example\tFALSE\t/\tFALSE\t" LATER "\tdotted\t1\n";
  struct {
    const char *url;
    const char *header;
  } cases[] = {
    { "http://exact.example/", "exact=1" },
    { "http://EXACT.Example./", "exact=1" },
    { "http://sub.exact.example/", NULL },
    { "http://wide.example/", "wide=1" },
    { "http://a.b.wide.example/", "wide=1" },
    /* A suffix is not a subdomain. */
    { "http://notwide.example/", NULL },
    { "http://wide.example.evil/", NULL },
    /* A leading dot includes the subdomains whatever the flag says. */
    { "http://dotted.example/", "dotted=1" },
    { "http://www.dotted.example/", "dotted=1" },
    { "http://127.0.0.1/", NULL },
  };

  dl_cookies_add_from_text (cookies, text, -1);
  g_assert_cmpuint (dl_cookies_get_n_cookies (cookies), ==, 3);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *header = header_for (cookies, cases[i].url);

      g_test_message ("%s", cases[i].url);
      g_assert_cmpstr (header, ==, cases[i].header);
    }
}

static void
test_path_matching (void)
{
  g_autoptr(DlCookies) cookies = dl_cookies_new ();
  const char *text =
    "example.com\tFALSE\t/\tFALSE\t" LATER "\troot\t1\n"
    "example.com\tFALSE\t/docs\tFALSE\t" LATER "\tdocs\t1\n"
    "example.com\tFALSE\t/docs/api/\tFALSE\t" LATER "\tapi\t1\n";
  struct {
    const char *url;
    const char *header;
  } cases[] = {
    { "http://example.com", "root=1" },
    { "http://example.com/other", "root=1" },
    { "http://example.com/docs", "docs=1; root=1" },
    { "http://example.com/docs/", "docs=1; root=1" },
    { "http://example.com/docs/file?x=1", "docs=1; root=1" },
    /* A name that starts with the path is not under it. */
    { "http://example.com/docsearch", "root=1" },
    /* Longer paths come first. */
    { "http://example.com/docs/api/x.html", "api=1; docs=1; root=1" },
    { "http://example.com/docs/api", "docs=1; root=1" },
  };

  dl_cookies_add_from_text (cookies, text, -1);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *header = header_for (cookies, cases[i].url);

      g_test_message ("%s", cases[i].url);
      g_assert_cmpstr (header, ==, cases[i].header);
    }
}

static void
test_secure_only_over_https (void)
{
  g_autoptr(DlCookies) cookies = dl_cookies_new ();
  g_autofree char *plain = NULL;
  g_autofree char *tls = NULL;

  dl_cookies_add_from_text (cookies,
                            "example.com\tFALSE\t/\tTRUE\t" LATER "\tsecure\t1\n"
                            "example.com\tFALSE\t/\tFALSE\t" LATER "\tplain\t1\n",
                            -1);

  plain = header_for (cookies, "http://example.com/");
  g_assert_cmpstr (plain, ==, "plain=1");
  tls = header_for (cookies, "https://example.com/");
  g_assert_cmpstr (tls, ==, "secure=1; plain=1");
}

static void
test_later_line_replaces (void)
{
  g_autoptr(DlCookies) cookies = dl_cookies_new ();
  g_autofree char *header = NULL;

  dl_cookies_add_from_text (cookies,
                            "example.com\tFALSE\t/\tFALSE\t" LATER "\tsid\told\n"
                            "example.com\tFALSE\t/\tFALSE\t" LATER "\tother\tx\n", -1);
  dl_cookies_add_from_text (cookies,
                            "example.com\tFALSE\t/\tFALSE\t" LATER "\tsid\tnew\n", -1);

  g_assert_cmpuint (dl_cookies_get_n_cookies (cookies), ==, 2);
  header = header_for (cookies, "http://example.com/");
  g_assert_cmpstr (header, ==, "other=x; sid=new");
}

static void
test_not_a_url (void)
{
  g_autoptr(DlCookies) cookies = dl_cookies_new ();
  g_autofree char *relative = NULL;
  g_autofree char *garbage = NULL;

  dl_cookies_add_from_text (cookies, "example.com\tFALSE\t/\tFALSE\t0\ta\t1\n", -1);
  relative = header_for (cookies, "/file.zip");
  g_assert_null (relative);
  garbage = header_for (cookies, "http://exa mple.com/");
  g_assert_null (garbage);
}

static void
test_file (void)
{
  g_autoptr(DlCookies) cookies = dl_cookies_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *header = NULL;

  dir = g_dir_make_tmp ("dl-cookies-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "cookies.txt", NULL);
  g_file_set_contents (path, "# Netscape HTTP Cookie File\n"
                             "example.com\tFALSE\t/\tFALSE\t0\tfrom\tfile\n", -1, &error);
  g_assert_no_error (error);

  g_assert_true (dl_cookies_add_from_file (cookies, path, &error));
  g_assert_no_error (error);
  header = header_for (cookies, "http://example.com/");
  g_assert_cmpstr (header, ==, "from=file");

  missing = g_build_filename (dir, "missing.txt", NULL);
  g_assert_false (dl_cookies_add_from_file (cookies, missing, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/downloader/cookies/basic-line", test_basic_line);
  g_test_add_func ("/downloader/cookies/comments-and-blank-lines", test_comments_and_blank_lines);
  g_test_add_func ("/downloader/cookies/http-only-prefix", test_http_only_prefix);
  g_test_add_func ("/downloader/cookies/expired-entries", test_expired_entries);
  g_test_add_func ("/downloader/cookies/malformed-lines", test_malformed_lines);
  g_test_add_func ("/downloader/cookies/crlf-and-empty-value", test_crlf_and_empty_value);
  g_test_add_func ("/downloader/cookies/domain-matching", test_domain_matching);
  g_test_add_func ("/downloader/cookies/path-matching", test_path_matching);
  g_test_add_func ("/downloader/cookies/secure-only-over-https", test_secure_only_over_https);
  g_test_add_func ("/downloader/cookies/later-line-replaces", test_later_line_replaces);
  g_test_add_func ("/downloader/cookies/not-a-url", test_not_a_url);
  g_test_add_func ("/downloader/cookies/file", test_file);

  return g_test_run ();
}
