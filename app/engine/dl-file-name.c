/* dl-file-name.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-file-name"

#include "config.h"

#include <glib/gi18n.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "dl-file-name.h"

/* Names come from whoever runs the server, so every rule here assumes the
 * worst: the name tries to leave the folder ("../", "/etc/passwd", "\\..\\"),
 * to hide its real extension (RTL overrides), to look like an option to a
 * shell command ("-rf"), to hide itself (".bashrc"), to be invalid UTF-8 that
 * breaks the UI, or to be longer than the file system allows. The result is a
 * plain base name in any case, never empty. */

/* Extensions longer than this are not kept when a name is cut: such a "suffix"
 * is more likely part of the name than a file type. */
#define MAX_EXTENSION_BYTES 32

/* How many "name (N).ext" variants are tried before giving up. */
#define MAX_COLLISION_INDEX 9999

static gboolean
is_dropped_char (gunichar c)
{
  /* C0 and C1 controls, DEL */
  if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f))
    return TRUE;

  /* Non-characters: valid UTF-8, but nothing a name needs. */
  if ((c & 0xfffe) == 0xfffe || (c >= 0xfdd0 && c <= 0xfdef))
    return TRUE;

  switch (g_unichar_type (c))
    {
    /* Bidi overrides and isolates, zero-width joiners and spaces, BOM, soft
     * hyphen: invisible characters that make a name display as something it
     * is not ("harmless\u202Etxt.exe"). */
    case G_UNICODE_FORMAT:
    case G_UNICODE_CONTROL:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
    case G_UNICODE_SURROGATE:
      return TRUE;

    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_UNASSIGNED:
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_SPACING_MARK:
    case G_UNICODE_ENCLOSING_MARK:
    case G_UNICODE_NON_SPACING_MARK:
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
    case G_UNICODE_CONNECT_PUNCTUATION:
    case G_UNICODE_DASH_PUNCTUATION:
    case G_UNICODE_CLOSE_PUNCTUATION:
    case G_UNICODE_FINAL_PUNCTUATION:
    case G_UNICODE_INITIAL_PUNCTUATION:
    case G_UNICODE_OTHER_PUNCTUATION:
    case G_UNICODE_OPEN_PUNCTUATION:
    case G_UNICODE_CURRENCY_SYMBOL:
    case G_UNICODE_MODIFIER_SYMBOL:
    case G_UNICODE_MATH_SYMBOL:
    case G_UNICODE_OTHER_SYMBOL:
    case G_UNICODE_SPACE_SEPARATOR:
    default:
      return FALSE;
    }
}

static gboolean
is_leading_junk (char c)
{
  return c == '.' || c == '-' || c == ' ';
}

static gboolean
is_trailing_junk (char c)
{
  /* Windows and FAT drop trailing dots and spaces silently, which would make
   * two different names collide on a USB stick. */
  return c == '.' || c == ' ';
}

static void
trim (GString *s)
{
  gsize start = 0;

  while (start < s->len && is_leading_junk (s->str[start]))
    start++;
  g_string_erase (s, 0, start);

  while (s->len > 0 && is_trailing_junk (s->str[s->len - 1]))
    g_string_truncate (s, s->len - 1);
}

/* DOS device names still open the device on Windows file systems and confuse
 * Samba shares; "CON.txt" is as bad as "CON". */
static gboolean
is_reserved (const char *name)
{
  static const char * const reserved[] = {
    "CON", "PRN", "AUX", "NUL",
    "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
    "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
  };
  gsize stem_len = strcspn (name, ". ");

  for (guint i = 0; i < G_N_ELEMENTS (reserved); i++)
    {
      if (strlen (reserved[i]) == stem_len &&
          g_ascii_strncasecmp (name, reserved[i], stem_len) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Returns the length of the extension of @name (".ext"), or 0 when it has
 * none worth keeping. */
static gsize
extension_length (const char *name,
                  gsize       len)
{
  const char *dot = g_strrstr_len (name, len, ".");
  gsize ext_len;

  if (dot == NULL || dot == name)
    return 0;
  ext_len = len - (dot - name);
  if (ext_len <= 1 || ext_len > MAX_EXTENSION_BYTES)
    return 0;
  return ext_len;
}

/* Largest cut <= @max that falls on a UTF-8 character boundary of @s. */
static gsize
utf8_boundary_before (const char *s,
                      gsize       len,
                      gsize       max)
{
  gsize cut = MIN (len, max);

  while (cut > 0 && cut < len && (s[cut] & 0xc0) == 0x80)
    cut--;
  return cut;
}

/* Builds STEM + INSERT + EXT from @name within DL_FILE_NAME_MAX bytes, cutting
 * the stem (never the extension or the inserted part) at a character
 * boundary. */
static char *
compose_within_limit (const char *name,
                      const char *insert)
{
  gsize len = strlen (name);
  gsize ext_len = extension_length (name, len);
  gsize stem_len = len - ext_len;
  gsize insert_len = strlen (insert);
  gsize room;
  GString *out;

  if (stem_len + insert_len + ext_len <= DL_FILE_NAME_MAX)
    return g_strdup_printf ("%.*s%s%s", (int) stem_len, name, insert, name + stem_len);

  room = DL_FILE_NAME_MAX - insert_len - ext_len;
  out = g_string_new_len (name, utf8_boundary_before (name, stem_len, room));
  while (out->len > 0 && is_trailing_junk (out->str[out->len - 1]))
    g_string_truncate (out, out->len - 1);
  if (out->len == 0)
    g_string_assign (out, DL_FILE_NAME_FALLBACK);
  g_string_append (out, insert);
  g_string_append_len (out, name + stem_len, ext_len);
  return g_string_free (out, FALSE);
}

/* Cleans one path component; returns an empty string when nothing usable is
 * left. */
static GString *
sanitize_component (const char *start,
                    const char *end)
{
  GString *out = g_string_sized_new (end - start);
  const char *p = start;

  while (p < end)
    {
      gunichar c;

      if (*p == '\0')
        {
          /* An embedded NUL (from "%00"): dropped like any control. */
          p++;
          continue;
        }

      c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          /* Invalid or truncated sequence: one replacement character per
           * bad byte keeps the name readable and its length honest. */
          g_string_append_unichar (out, 0xfffd);
          p++;
          continue;
        }

      p = g_utf8_next_char (p);

      if (is_dropped_char (c))
        continue;

      switch (c)
        {
        /* Characters that FAT, NTFS and SMB refuse: the folder might be a USB
         * stick or a network share. */
        case '<': case '>': case ':': case '"': case '|': case '?': case '*':
          g_string_append_c (out, '_');
          break;

        default:
          if (g_unichar_type (c) == G_UNICODE_SPACE_SEPARATOR)
            g_string_append_c (out, ' ');
          else
            g_string_append_unichar (out, c);
          break;
        }
    }

  trim (out);

  if (out->len > 0 && is_reserved (out->str))
    g_string_prepend_c (out, '_');

  return out;
}

/* A final name never ends in the partial suffix: a server naming its file
 * "foo.bin.part" would otherwise create what looks like the partial file
 * of an interrupted "foo.bin", and a resume of that could adopt its bytes.
 * "foo.bin.part" becomes "foo.bin_part" (any case: a FAT or NTFS folder
 * does not tell ".PART" from ".part"). Takes @name. */
static char *
without_part_suffix (char *name)
{
  gsize len = strlen (name);
  gsize suffix_len = strlen (DL_FILE_NAME_PART_SUFFIX);

  if (len > suffix_len &&
      g_ascii_strcasecmp (name + len - suffix_len, DL_FILE_NAME_PART_SUFFIX) == 0)
    name[len - suffix_len] = '_';
  return name;
}

/**
 * dl_file_name_sanitize:
 * @name: (nullable): a proposed name, possibly hostile, possibly not UTF-8
 * @length: its length in bytes, or -1 if it is NUL-terminated
 *
 * Turns anything into a safe base name: only the last path component that
 * has something usable in it (both `/` and `\` separate), valid UTF-8 (bad
 * bytes become U+FFFD), no control, format or bidi characters, no characters
 * that FAT/NTFS refuse, no leading dots, dashes or spaces, no trailing dots or
 * spaces, no DOS device names, no partial suffix at the end (".part" becomes
 * "_part"), at most %DL_FILE_NAME_MAX bytes (cut at a
 * character boundary, keeping the extension), and %DL_FILE_NAME_FALLBACK when
 * nothing is left. @name may contain NUL bytes when @length is given.
 *
 * Returns: (transfer full): the safe name, never empty
 */
char *
dl_file_name_sanitize (const char *name,
                       gssize      length)
{
  const char *end;
  const char *component_end;

  if (name == NULL)
    return g_strdup (DL_FILE_NAME_FALLBACK);
  if (length < 0)
    length = strlen (name);

  end = name + length;
  component_end = end;

  /* Walk the components from the last one back: "dir/file" gives "file",
   * "file/" and "file/.." give "file". */
  while (component_end >= name)
    {
      const char *component_start = component_end;
      g_autoptr(GString) cleaned = NULL;

      while (component_start > name &&
             component_start[-1] != '/' &&
             component_start[-1] != '\\')
        component_start--;

      cleaned = sanitize_component (component_start, component_end);
      if (cleaned->len > 0)
        return without_part_suffix (compose_within_limit (cleaned->str, ""));

      if (component_start == name)
        break;
      component_end = component_start - 1;
    }

  return g_strdup (DL_FILE_NAME_FALLBACK);
}

/**
 * dl_file_name_from_content_disposition:
 * @header_value: (nullable): a `Content-Disposition` header value
 *
 * Takes the `filename` parameter (libsoup prefers and decodes the RFC 5987
 * `filename*` form) and sanitises it.
 *
 * Returns: (transfer full) (nullable): the safe name, or %NULL if the header
 *   names no file
 */
char *
dl_file_name_from_content_disposition (const char *header_value)
{
  GHashTable *params;
  const char *filename;
  char *ret = NULL;

  if (header_value == NULL || *header_value == '\0')
    return NULL;

  params = soup_header_parse_semi_param_list (header_value);
  filename = g_hash_table_lookup (params, "filename");
  if (filename != NULL && *filename != '\0')
    ret = dl_file_name_sanitize (filename, -1);
  soup_header_free_param_list (params);

  return ret;
}

/**
 * dl_file_name_from_url:
 * @url: an absolute URL
 *
 * Takes the last segment of the URL's path, percent-decodes it (an encoded
 * `%2F` or `%00` is then just another hostile byte for the sanitiser), and
 * sanitises it.
 *
 * Returns: (transfer full) (nullable): the safe name, or %NULL if the URL's
 *   path names no file
 */
char *
dl_file_name_from_url (const char *url)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GBytes) decoded = NULL;
  g_autofree char *segment = NULL;
  const char *path;
  const char *slash;
  const char *data;
  gsize len;

  if (url == NULL)
    return NULL;

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, NULL);
  if (uri == NULL)
    return NULL;

  path = g_uri_get_path (uri);
  slash = strrchr (path, '/');
  segment = g_strdup (slash != NULL ? slash + 1 : path);
  if (*segment == '\0')
    return NULL;

  decoded = g_uri_unescape_bytes (segment, -1, NULL, NULL);
  if (decoded == NULL)
    return dl_file_name_sanitize (segment, -1);

  data = g_bytes_get_data (decoded, &len);
  if (len == 0)
    return NULL;
  return dl_file_name_sanitize (data, len);
}

/**
 * dl_file_name_choose:
 * @content_disposition: (nullable): the response's `Content-Disposition`
 * @url: (nullable): the final URL (after redirects)
 *
 * The server's suggested name if it gave a usable one, else the URL's,
 * else %DL_FILE_NAME_FALLBACK.
 *
 * Returns: (transfer full): a safe name
 */
char *
dl_file_name_choose (const char *content_disposition,
                     const char *url)
{
  char *name;

  name = dl_file_name_from_content_disposition (content_disposition);
  if (name == NULL)
    name = dl_file_name_from_url (url);
  if (name == NULL)
    name = g_strdup (DL_FILE_NAME_FALLBACK);
  return name;
}

/**
 * dl_file_name_with_index:
 * @name: a safe name
 * @index: 0 for the name itself, N for "name (N).ext"
 *
 * Returns: (transfer full): the collision variant of @name, still at most
 *   %DL_FILE_NAME_MAX bytes
 */
char *
dl_file_name_with_index (const char *name,
                         guint       index)
{
  g_autofree char *insert = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  if (index == 0)
    return compose_within_limit (name, "");

  insert = g_strdup_printf (" (%u)", index);
  return compose_within_limit (name, insert);
}

/**
 * dl_file_name_part_name:
 * @name: a final name
 *
 * Returns: (transfer full): the name of its partial file
 */
char *
dl_file_name_part_name (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  return g_strconcat (name, DL_FILE_NAME_PART_SUFFIX, NULL);
}

/**
 * dl_file_name_is_safe:
 * @name: (nullable): a name
 *
 * Whether @name is one the sanitiser could have produced: non-empty, valid
 * UTF-8, at most %DL_FILE_NAME_MAX bytes, no separators or control
 * characters, not starting with a dot or a dash. The file functions below
 * refuse anything else, whatever their caller passes.
 */
gboolean
dl_file_name_is_safe (const char *name)
{
  gsize len;

  if (name == NULL)
    return FALSE;
  len = strlen (name);
  if (len == 0 || len > DL_FILE_NAME_MAX)
    return FALSE;
  if (name[0] == '.' || name[0] == '-')
    return FALSE;
  if (!g_utf8_validate (name, len, NULL))
    return FALSE;
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '/' || c == '\\' || is_dropped_char (c))
        return FALSE;
    }
  return TRUE;
}

static gboolean set_error_from_errno (GError     **error,
                                      int          saved_errno,
                                      const char  *format,
                                      ...) G_GNUC_PRINTF (3, 4);

/* Sets "FORMAT…: strerror (saved_errno)" with the matching GIOErrorEnum. */
static gboolean
set_error_from_errno (GError     **error,
                      int          saved_errno,
                      const char  *format,
                      ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s: %s", what, g_strerror (saved_errno));
  return FALSE;
}

/**
 * dl_file_name_open_dir:
 * @path: the output folder
 * @error: return location for a #GError
 *
 * Opens the output folder. Every file operation after this is relative to the
 * returned descriptor, so renaming or replacing the folder's path while a
 * download runs cannot redirect the writes elsewhere.
 *
 * Returns: a directory descriptor, or -1 with @error set
 */
int
dl_file_name_open_dir (const char  *path,
                       GError     **error)
{
  int fd;

  g_return_val_if_fail (path != NULL, -1);

  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     /* Translators: %s is a folder */
                     _("Output folder “%s” does not exist"), path);
      else if (saved_errno == ENOTDIR)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY,
                     /* Translators: %s is a path */
                     _("Output folder “%s” is not a folder"), path);
      else
        set_error_from_errno (error, saved_errno, "Cannot open output folder “%s”", path);
      return -1;
    }
  return fd;
}

static gboolean
check_name (const char  *name,
            GError     **error)
{
  if (dl_file_name_is_safe (name))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
               "Refusing unsafe file name “%s”", name != NULL ? name : "(null)");
  return FALSE;
}

/**
 * dl_file_name_create_part:
 * @dirfd: the output folder, from dl_file_name_open_dir()
 * @name: the wanted (safe) final name
 * @out_name: (out) (transfer full): the final name actually reserved
 * @error: return location for a #GError
 *
 * Creates `NAME.part` for a new download, where neither `NAME` nor
 * `NAME.part` exists yet, trying "name (1).ext", "name (2).ext"… on
 * collisions. The partial file is created with `O_CREAT | O_EXCL |
 * O_NOFOLLOW`, so it is always a new file in this folder: never an existing
 * file, never through a symlink. The `.part` file also reserves the final
 * name against other downloads of this engine.
 *
 * Returns: a descriptor open for reading (to verify) and writing, or -1 with @error set
 */
int
dl_file_name_create_part (int           dirfd,
                          const char   *name,
                          char        **out_name,
                          GError      **error)
{
  g_return_val_if_fail (dirfd >= 0, -1);
  g_return_val_if_fail (out_name != NULL, -1);

  if (!check_name (name, error))
    return -1;

  for (guint index = 0; index <= MAX_COLLISION_INDEX; index++)
    {
      g_autofree char *candidate = dl_file_name_with_index (name, index);
      g_autofree char *part = dl_file_name_part_name (candidate);
      struct stat st;
      int fd;

      if (fstatat (dirfd, candidate, &st, AT_SYMLINK_NOFOLLOW) == 0)
        continue;
      if (errno != ENOENT)
        {
          set_error_from_errno (error, errno, "Cannot check “%s”", candidate);
          return -1;
        }

      fd = openat (dirfd, part, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd >= 0)
        {
          *out_name = g_steal_pointer (&candidate);
          return fd;
        }
      if (errno == EEXIST)
        continue;

      set_error_from_errno (error, errno, "Cannot create “%s”", part);
      return -1;
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
               "Too many files named like “%s” already exist", name);
  return -1;
}

/**
 * dl_file_name_open_part:
 * @dirfd: the output folder
 * @name: the final name whose `NAME.part` the engine created earlier
 * @error: return location for a #GError
 *
 * Reopens a partial file to resume it. It must be a regular file with no
 * other link (so a hard link planted in its place cannot make us write into
 * another file) and owned by us; symlinks are refused.
 *
 * Returns: a descriptor open for reading (to verify) and writing, or -1 with @error set
 *   (%G_IO_ERROR_NOT_FOUND when it is gone)
 */
int
dl_file_name_open_part (int          dirfd,
                        const char  *name,
                        GError     **error)
{
  g_autofree char *part = NULL;
  struct stat st;
  int fd;

  g_return_val_if_fail (dirfd >= 0, -1);

  if (!check_name (name, error))
    return -1;

  part = dl_file_name_part_name (name);
  fd = openat (dirfd, part, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ELOOP)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS,
                     "Refusing to write through the symbolic link “%s”", part);
      else
        set_error_from_errno (error, errno, "Cannot open “%s”", part);
      return -1;
    }

  if (fstat (fd, &st) != 0)
    {
      set_error_from_errno (error, errno, "Cannot check “%s”", part);
      close (fd);
      return -1;
    }

  if (!S_ISREG (st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid ())
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   "Refusing to resume “%s”: it is not a file this program created", part);
      close (fd);
      return -1;
    }

  return fd;
}

/**
 * dl_file_name_remove_part:
 * @dirfd: the output folder
 * @name: the final name whose `NAME.part` should go
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the partial file is gone (also when it never existed)
 */
gboolean
dl_file_name_remove_part (int          dirfd,
                          const char  *name,
                          GError     **error)
{
  g_autofree char *part = NULL;

  if (!check_name (name, error))
    return FALSE;

  part = dl_file_name_part_name (name);
  if (unlinkat (dirfd, part, 0) != 0 && errno != ENOENT)
    return set_error_from_errno (error, errno, "Cannot remove “%s”", part);
  return TRUE;
}

/* Moves @from to @to in @dirfd only if @to does not exist. */
static int
rename_noreplace (int         dirfd,
                  const char *from,
                  const char *to)
{
  struct stat st;

  if (renameat2 (dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
    return -1;

  /* The file system does not do RENAME_NOREPLACE: a hard link fails on an
   * existing target just as atomically. */
  if (linkat (dirfd, from, dirfd, to, 0) == 0)
    {
      if (unlinkat (dirfd, from, 0) != 0)
        g_debug ("Cannot remove “%s” after linking it to “%s”: %s",
                 from, to, g_strerror (errno));
      return 0;
    }
  if (errno == EEXIST)
    return -1;
  if (errno != EPERM && errno != EOPNOTSUPP && errno != EMLINK)
    return -1;

  /* Neither atomic way exists here (some FUSE and network file systems): a
   * check right before a plain rename is the best left. The window is a few
   * microseconds in a folder the user chose, and it is only ever our own
   * partial file that moves. */
  if (fstatat (dirfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      errno = EEXIST;
      return -1;
    }
  return renameat (dirfd, from, dirfd, to);
}

/**
 * dl_file_name_rename_part:
 * @dirfd: the output folder
 * @name: the final name reserved by dl_file_name_create_part()
 * @out_name: (out) (transfer full) (optional): the name the file got
 * @error: return location for a #GError
 *
 * Atomically renames `NAME.part` to `NAME`, never over an existing file: if
 * something appeared under `NAME` since the download started, the file
 * becomes "name (1).ext" and so on. Unlike dl_file_name_commit(), this does
 * not sync the folder: the caller does, and may do it once for several
 * renames.
 *
 * Returns: %TRUE on success
 */
gboolean
dl_file_name_rename_part (int          dirfd,
                          const char  *name,
                          char       **out_name,
                          GError     **error)
{
  g_autofree char *part = NULL;

  g_return_val_if_fail (dirfd >= 0, FALSE);

  if (!check_name (name, error))
    return FALSE;

  part = dl_file_name_part_name (name);

  for (guint index = 0; index <= MAX_COLLISION_INDEX; index++)
    {
      g_autofree char *candidate = dl_file_name_with_index (name, index);

      if (rename_noreplace (dirfd, part, candidate) == 0)
        {
          if (out_name != NULL)
            *out_name = g_steal_pointer (&candidate);
          return TRUE;
        }
      if (errno != EEXIST)
        return set_error_from_errno (error, errno, "Cannot rename “%s”", part);
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
               "Too many files named like “%s” already exist", name);
  return FALSE;
}

/**
 * dl_file_name_commit:
 * @dirfd: the output folder
 * @name: the final name reserved by dl_file_name_create_part()
 * @out_name: (out) (transfer full) (optional): the name the file got
 * @error: return location for a #GError
 *
 * dl_file_name_rename_part(), then an fsync of the folder so the new name
 * survives a power cut. The caller syncs the data first.
 *
 * Returns: %TRUE on success
 */
gboolean
dl_file_name_commit (int          dirfd,
                     const char  *name,
                     char       **out_name,
                     GError     **error)
{
  if (!dl_file_name_rename_part (dirfd, name, out_name, error))
    return FALSE;

  /* Not every file system can sync a folder (EINVAL): then there is
   * nothing more we can do, and the rename itself has happened. */
  (void) fsync (dirfd);
  return TRUE;
}
