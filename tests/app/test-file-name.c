/* test-file-name.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "dl-file-name.h"

/* ---- helpers ---------------------------------------------------------------- */

/* The properties every name coming out of the sanitiser must have. */
static void
assert_safe_name (const char *input,
                  gsize       input_len,
                  const char *name)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *escaped = g_strescape (input != NULL ? input : "(null)", NULL);

  if (name == NULL || *name == '\0' ||
      strlen (name) > DL_FILE_NAME_MAX ||
      !g_utf8_validate (name, -1, NULL) ||
      name[0] == '.' || name[0] == '-' ||
      strchr (name, '/') != NULL || strchr (name, '\\') != NULL ||
      !dl_file_name_is_safe (name))
    g_error ("unsafe name “%s” from input “%s” (%zu bytes)", name, escaped, input_len);

  for (const char *p = name; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || (guchar) *p == 0x7f)
      g_error ("control character in “%s” from “%s”", name, escaped);

  /* Joined to a folder, it stays a direct child of that folder. */
  dir = g_strdup ("/srv/downloads");
  path = g_canonicalize_filename (name, dir);
  parent = g_path_get_dirname (path);
  if (g_strcmp0 (parent, dir) != 0)
    g_error ("“%s” from “%s” escapes the folder: %s", name, escaped, path);
}

static char *
make_temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("dl-file-name-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static gboolean
exists (const char *dir,
        const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  struct stat st;

  return lstat (path, &st) == 0;
}

static void
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
read_file (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_chmod (path, 0700);
      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

/* ---- sanitising ------------------------------------------------------------- */

typedef struct
{
  const char *input;
  const char *expected;
} Case;

static void
check_cases (const Case *cases,
             gsize       n_cases)
{
  for (gsize i = 0; i < n_cases; i++)
    {
      g_autofree char *name = dl_file_name_sanitize (cases[i].input, -1);

      assert_safe_name (cases[i].input, strlen (cases[i].input), name);
      g_assert_cmpstr (name, ==, cases[i].expected);
    }
}

static void
test_sanitize_plain (void)
{
  static const Case cases[] = {
    { "file.iso", "file.iso" },
    { "Ünïcødé файл.txt", "Ünïcødé файл.txt" },
    { "a b  c.tar.gz", "a b  c.tar.gz" },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_sanitize_path_components (void)
{
  static const Case cases[] = {
    { "/etc/passwd", "passwd" },
    { "../../../etc/passwd", "passwd" },
    { "..\\..\\windows\\system32\\evil.dll", "evil.dll" },
    { "dir/file.txt/", "file.txt" },
    { "dir/file.txt/..", "file.txt" },
    { "..", DL_FILE_NAME_FALLBACK },
    { "\\..\\", DL_FILE_NAME_FALLBACK },
    { "/", DL_FILE_NAME_FALLBACK },
    { "", DL_FILE_NAME_FALLBACK },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_sanitize_leading (void)
{
  static const Case cases[] = {
    { ".bashrc", "bashrc" },
    { "-rf", "rf" },
    { "--help", "help" },
    { " . - .x", "x" },
    { "...", DL_FILE_NAME_FALLBACK },
    { "name. . ", "name" },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_sanitize_control (void)
{
  static const Case cases[] = {
    { "a\tb\nc\rd\x7f" "e\x1b[31mf", "abcde[31mf" },
    /* U+202E RIGHT-TO-LEFT OVERRIDE would show "harmlessexe.txt" */
    { "harmless\xe2\x80\xaetxt.exe", "harmlesstxt.exe" },
    /* zero-width space, BOM, U+2066 isolate, U+0085 (C1 control) */
    { "a\xe2\x80\x8b" "b\xef\xbb\xbf" "c\xe2\x81\xa6" "d\xc2\x85" "e", "abcde" },
    { "what?<>:\"|*.txt", "what_______.txt" },
    /* no-break space becomes a plain space */
    { "a\xc2\xa0" "b", "a b" },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_sanitize_nul (void)
{
  static const char input[] = "evil.txt\0.exe";
  g_autofree char *name = dl_file_name_sanitize (input, sizeof input - 1);

  assert_safe_name (input, sizeof input - 1, name);
  g_assert_cmpstr (name, ==, "evil.txt.exe");
}

static void
test_sanitize_invalid_utf8 (void)
{
  static const char input[] = "bad\xff\xfe" "name\xc3.bin";
  g_autofree char *name = dl_file_name_sanitize (input, -1);

  assert_safe_name (input, strlen (input), name);
  g_assert_cmpstr (name, ==, "bad\xef\xbf\xbd\xef\xbf\xbdname\xef\xbf\xbd.bin");
}

static void
test_sanitize_reserved (void)
{
  static const Case cases[] = {
    { "CON", "_CON" },
    { "con.txt", "_con.txt" },
    { "LPT1", "_LPT1" },
    { "nul.tar.gz", "_nul.tar.gz" },
    { "CONSOLE", "CONSOLE" },
    { "COM10", "COM10" },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_sanitize_long (void)
{
  g_autoptr(GString) input = g_string_new (NULL);
  g_autofree char *name = NULL;

  /* 400 three-byte characters (1200 bytes) and an extension */
  for (guint i = 0; i < 400; i++)
    g_string_append (input, "\xe2\x82\xac");
  g_string_append (input, ".tar");
  name = dl_file_name_sanitize (input->str, -1);

  assert_safe_name (input->str, input->len, name);
  g_assert_true (g_str_has_suffix (name, ".tar"));
  g_assert_cmpuint (strlen (name), <=, DL_FILE_NAME_MAX);
  /* cut at a character boundary: the stem is whole euro signs */
  g_assert_cmpuint ((strlen (name) - 4) % 3, ==, 0);
  g_assert_cmpuint (strlen (name), >, DL_FILE_NAME_MAX - 3);
}

static void
test_sanitize_long_extension (void)
{
  g_autoptr(GString) input = g_string_new ("a.");
  g_autofree char *name = NULL;

  /* An "extension" of 1000 bytes is not one: the name is simply cut. */
  for (guint i = 0; i < 1000; i++)
    g_string_append_c (input, 'x');
  name = dl_file_name_sanitize (input->str, -1);

  assert_safe_name (input->str, input->len, name);
  g_assert_cmpuint (strlen (name), ==, DL_FILE_NAME_MAX);
  g_assert_true (g_str_has_prefix (name, "a.xxx"));
}

/* ---- sources of names ------------------------------------------------------ */

static void
test_from_content_disposition (void)
{
  static const Case cases[] = {
    { "attachment; filename=\"report.pdf\"", "report.pdf" },
    { "attachment; filename=plain.txt", "plain.txt" },
    /* RFC 5987: filename* wins and is decoded */
    { "attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt",
      "\xe2\x82\xac rates.txt" },
    { "attachment; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd", "passwd" },
    { "attachment; filename=\"../../.bashrc\"", "bashrc" },
    { "inline; filename=\"/etc/shadow\"", "shadow" },
    { "attachment; filename=\"C:\\\\Windows\\\\evil.exe\"", "evil.exe" },
  };
  g_autofree char *none1 = dl_file_name_from_content_disposition ("attachment");
  g_autofree char *none2 = dl_file_name_from_content_disposition (NULL);
  g_autofree char *none3 = dl_file_name_from_content_disposition ("attachment; filename=\"\"");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = dl_file_name_from_content_disposition (cases[i].input);

      assert_safe_name (cases[i].input, strlen (cases[i].input), name);
      g_assert_cmpstr (name, ==, cases[i].expected);
    }

  g_assert_null (none1);
  g_assert_null (none2);
  g_assert_null (none3);
}

static void
test_from_url (void)
{
  static const Case cases[] = {
    { "https://example.com/files/archive.tar.gz", "archive.tar.gz" },
    { "https://example.com/files/archive.tar.gz?token=1#frag", "archive.tar.gz" },
    { "https://example.com/a%20b%C3%A9.txt", "a bé.txt" },
    { "https://example.com/..%2F..%2Fetc%2Fpasswd", "passwd" },
    { "https://example.com/x%00.exe", "x.exe" },
    { "https://example.com/%2e%2e", DL_FILE_NAME_FALLBACK },
    { "https://example.com/%FF%FE.bin", "\xef\xbf\xbd\xef\xbf\xbd.bin" },
  };
  g_autofree char *none1 = dl_file_name_from_url ("https://example.com/");
  g_autofree char *none2 = dl_file_name_from_url ("https://example.com");
  g_autofree char *chosen1 = dl_file_name_choose (NULL, "https://example.com/");
  g_autofree char *chosen2 = dl_file_name_choose ("attachment; filename=b.txt", "https://example.com/a.txt");
  g_autofree char *chosen3 = dl_file_name_choose ("attachment", "https://example.com/a.txt");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = dl_file_name_choose (NULL, cases[i].input);

      assert_safe_name (cases[i].input, strlen (cases[i].input), name);
      g_assert_cmpstr (name, ==, cases[i].expected);
    }

  g_assert_null (none1);
  g_assert_null (none2);
  g_assert_cmpstr (chosen1, ==, DL_FILE_NAME_FALLBACK);
  g_assert_cmpstr (chosen2, ==, "b.txt");
  g_assert_cmpstr (chosen3, ==, "a.txt");
}

static void
test_with_index (void)
{
  g_autoptr(GString) long_name = g_string_new (NULL);
  g_autofree char *a = dl_file_name_with_index ("name.ext", 0);
  g_autofree char *b = dl_file_name_with_index ("name.ext", 1);
  g_autofree char *c = dl_file_name_with_index ("name.tar.gz", 12);
  g_autofree char *d = dl_file_name_with_index ("noext", 2);
  g_autofree char *e = NULL;

  g_assert_cmpstr (a, ==, "name.ext");
  g_assert_cmpstr (b, ==, "name (1).ext");
  g_assert_cmpstr (c, ==, "name.tar (12).gz");
  g_assert_cmpstr (d, ==, "noext (2)");

  for (guint i = 0; i < DL_FILE_NAME_MAX - 4; i++)
    g_string_append_c (long_name, 'n');
  g_string_append (long_name, ".ext");
  e = dl_file_name_with_index (long_name->str, 9999);
  g_assert_cmpuint (strlen (e), ==, DL_FILE_NAME_MAX);
  g_assert_true (g_str_has_suffix (e, "n (9999).ext"));
}

/* ---- the property test --------------------------------------------------------- */

static const char * const hostile[] = {
  "..", ".", "/", "\\", "/etc/passwd", "\\..\\", "../", "..\\", "-rf", "--", ".bashrc",
  "CON", "aux", "com1", "\xe2\x80\xae", "\xe2\x81\xa6", "\xef\xbb\xbf", "\xc2\xa0",
  "\xff", "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", " ", "\t", "\n",
  "\x1b", "\x7f", "~", "$HOME", "`x`", "*", "?", ":", "\"", "|", ".part", "%2F",
  "a", "b", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xd8\xa7", "\xe4\xb8\xad", ".",
};

static GString *
random_name (GRand *rand)
{
  GString *s = g_string_new (NULL);
  guint kind = g_rand_int_range (rand, 0, 4);
  guint pieces = g_rand_int_range (rand, 0, kind == 3 ? 400 : 24);

  for (guint i = 0; i < pieces; i++)
    {
      switch (g_rand_int_range (rand, 0, 3))
        {
        case 0:
          g_string_append (s, hostile[g_rand_int_range (rand, 0, G_N_ELEMENTS (hostile))]);
          break;
        case 1:
          /* any byte at all, NUL included */
          g_string_append_c (s, (char) g_rand_int_range (rand, 0, 256));
          break;
        default:
          /* any code point, encoded, surrogates and non-characters included */
          {
            char buf[6];
            gunichar c = g_rand_int_range (rand, 0, 0x110000);
            int len = g_unichar_to_utf8 (c, buf);

            g_string_append_len (s, buf, len);
          }
          break;
        }
    }

  if (kind == 2)
    {
      /* a 1,000-byte name */
      while (s->len < 1000)
        g_string_append_c (s, "abc./\\-"[g_rand_int_range (rand, 0, 7)]);
    }

  return s;
}

static void
test_property_random (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260101);
  guint n = g_test_slow () ? 1000000 : 100000;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GString) input = random_name (rand);
      g_autofree char *name = dl_file_name_sanitize (input->str, input->len);
      g_autofree char *indexed = dl_file_name_with_index (name, g_rand_int_range (rand, 0, 10000));
      g_autofree char *cd = NULL;
      g_autofree char *cd_name = NULL;
      g_autofree char *url_name = NULL;
      g_autofree char *escaped = NULL;
      g_autofree char *url = NULL;

      assert_safe_name (input->str, input->len, name);
      assert_safe_name (input->str, input->len, indexed);

      /* The same bytes through the other two doors. */
      escaped = g_uri_escape_bytes ((const guint8 *) input->str, input->len, NULL);
      url = g_strconcat ("https://example.com/dir/", escaped, NULL);
      url_name = dl_file_name_choose (NULL, url);
      assert_safe_name (input->str, input->len, url_name);

      cd = g_strconcat ("attachment; filename*=UTF-8''", escaped, NULL);
      cd_name = dl_file_name_choose (cd, url);
      assert_safe_name (input->str, input->len, cd_name);
    }
}

/* ---- safe creation ------------------------------------------------------------ */

static void
test_create_part_and_commit (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *name = NULL;
  g_autofree char *final_name = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  int dirfd = dl_file_name_open_dir (dir, &error);
  int fd;

  g_assert_no_error (error);
  g_assert_cmpint (dirfd, >=, 0);

  fd = dl_file_name_create_part (dirfd, "file.bin", &name, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpstr (name, ==, "file.bin");
  g_assert_true (exists (dir, "file.bin.part"));
  g_assert_false (exists (dir, "file.bin"));
  g_assert_cmpint (write (fd, "hello", 5), ==, 5);
  close (fd);

  g_assert_true (dl_file_name_commit (dirfd, name, &final_name, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (final_name, ==, "file.bin");
  g_assert_false (exists (dir, "file.bin.part"));
  contents = read_file (dir, "file.bin");
  g_assert_cmpstr (contents, ==, "hello");

  close (dirfd);
  remove_tree (dir);
}

static void
test_collisions (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *n1 = NULL;
  g_autofree char *n2 = NULL;
  g_autofree char *n3 = NULL;
  g_autofree char *link = NULL;
  g_autoptr(GError) error = NULL;
  int dirfd = dl_file_name_open_dir (dir, &error);
  int fd1, fd2, fd3;

  /* An existing final file, and another download's partial file. */
  write_file (dir, "x.txt", "mine");
  fd1 = dl_file_name_create_part (dirfd, "x.txt", &n1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (n1, ==, "x (1).txt");

  fd2 = dl_file_name_create_part (dirfd, "x.txt", &n2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (n2, ==, "x (2).txt");

  /* A symlink in the way counts as taken, even dangling. */
  link = g_build_filename (dir, "x (3).txt.part", NULL);
  g_assert_cmpint (symlink ("/nonexistent", link), ==, 0);
  fd3 = dl_file_name_create_part (dirfd, "x.txt", &n3, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (n3, ==, "x (4).txt");

  close (fd1);
  close (fd2);
  close (fd3);
  close (dirfd);
  remove_tree (dir);
}

static void
test_commit_never_overwrites (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *name = NULL;
  g_autofree char *final_name = NULL;
  g_autofree char *mine = NULL;
  g_autofree char *theirs = NULL;
  g_autoptr(GError) error = NULL;
  int dirfd = dl_file_name_open_dir (dir, &error);
  int fd;

  fd = dl_file_name_create_part (dirfd, "race.bin", &name, &error);
  g_assert_cmpstr (name, ==, "race.bin");
  g_assert_cmpint (write (fd, "downloaded", 10), ==, 10);
  close (fd);

  /* Someone creates the final name while the download runs. */
  write_file (dir, "race.bin", "precious");

  g_assert_true (dl_file_name_commit (dirfd, name, &final_name, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (final_name, ==, "race (1).bin");

  mine = read_file (dir, "race (1).bin");
  theirs = read_file (dir, "race.bin");
  g_assert_cmpstr (mine, ==, "downloaded");
  g_assert_cmpstr (theirs, ==, "precious");

  close (dirfd);
  remove_tree (dir);
}

static void
test_open_part_refuses_symlink (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *target = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *link = NULL;
  g_autoptr(GError) error = NULL;
  int dirfd = dl_file_name_open_dir (dir, &error);
  int fd;

  write_file (dir, "victim", "untouched");
  target = g_build_filename (dir, "victim", NULL);
  link = g_build_filename (dir, "f.bin.part", NULL);
  g_assert_cmpint (symlink (target, link), ==, 0);

  fd = dl_file_name_open_part (dirfd, "f.bin", &error);
  g_assert_cmpint (fd, ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS);

  contents = read_file (dir, "victim");
  g_assert_cmpstr (contents, ==, "untouched");

  close (dirfd);
  remove_tree (dir);
}

static void
test_open_part_refuses_hard_link (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autoptr(GError) error = NULL;
  int dirfd = dl_file_name_open_dir (dir, &error);
  int fd;

  write_file (dir, "victim", "untouched");
  g_assert_cmpint (linkat (dirfd, "victim", dirfd, "f.bin.part", 0), ==, 0);

  fd = dl_file_name_open_part (dirfd, "f.bin", &error);
  g_assert_cmpint (fd, ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);

  close (dirfd);
  remove_tree (dir);
}

static void
test_refuses_unsafe_names (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  int dirfd = dl_file_name_open_dir (dir, &error);

  g_assert_cmpint (dl_file_name_create_part (dirfd, "../escape", &name, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME);
  g_clear_error (&error);

  g_assert_cmpint (dl_file_name_create_part (dirfd, ".hidden", &name, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME);
  g_clear_error (&error);

  g_assert_false (dl_file_name_commit (dirfd, "a/b", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME);

  close (dirfd);
  remove_tree (dir);
}

static void
test_missing_dir (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *missing = g_build_filename (dir, "nope", NULL);
  g_autofree char *file = g_build_filename (dir, "file", NULL);

  g_assert_cmpint (dl_file_name_open_dir (missing, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "does not exist"));
  g_clear_error (&error);

  write_file (dir, "file", "x");
  g_assert_cmpint (dl_file_name_open_dir (file, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);

  remove_tree (dir);
}

static void
test_read_only_dir (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  int dirfd;

  if (geteuid () == 0)
    {
      g_test_skip ("root ignores directory permissions");
      remove_tree (dir);
      return;
    }

  g_chmod (dir, 0500);
  dirfd = dl_file_name_open_dir (dir, &error);
  g_assert_no_error (error);

  g_assert_cmpint (dl_file_name_create_part (dirfd, "f.bin", &name, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);

  close (dirfd);
  remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/downloader/file-name/sanitize/plain", test_sanitize_plain);
  g_test_add_func ("/downloader/file-name/sanitize/path-components", test_sanitize_path_components);
  g_test_add_func ("/downloader/file-name/sanitize/leading-dots-dashes", test_sanitize_leading);
  g_test_add_func ("/downloader/file-name/sanitize/control-bidi", test_sanitize_control);
  g_test_add_func ("/downloader/file-name/sanitize/nul", test_sanitize_nul);
  g_test_add_func ("/downloader/file-name/sanitize/invalid-utf8", test_sanitize_invalid_utf8);
  g_test_add_func ("/downloader/file-name/sanitize/reserved", test_sanitize_reserved);
  g_test_add_func ("/downloader/file-name/sanitize/long", test_sanitize_long);
  g_test_add_func ("/downloader/file-name/sanitize/long-extension", test_sanitize_long_extension);
  g_test_add_func ("/downloader/file-name/content-disposition", test_from_content_disposition);
  g_test_add_func ("/downloader/file-name/url", test_from_url);
  g_test_add_func ("/downloader/file-name/with-index", test_with_index);
  g_test_add_func ("/downloader/file-name/property/random-hostile", test_property_random);
  g_test_add_func ("/downloader/file-name/create/part-and-commit", test_create_part_and_commit);
  g_test_add_func ("/downloader/file-name/create/collisions", test_collisions);
  g_test_add_func ("/downloader/file-name/create/never-overwrites", test_commit_never_overwrites);
  g_test_add_func ("/downloader/file-name/create/refuses-symlink", test_open_part_refuses_symlink);
  g_test_add_func ("/downloader/file-name/create/refuses-hard-link", test_open_part_refuses_hard_link);
  g_test_add_func ("/downloader/file-name/create/refuses-unsafe-names", test_refuses_unsafe_names);
  g_test_add_func ("/downloader/file-name/create/missing-dir", test_missing_dir);
  g_test_add_func ("/downloader/file-name/create/read-only-dir", test_read_only_dir);

  return g_test_run ();
}
