/* dl-cli-input.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "dl-request-options.h"

G_BEGIN_DECLS

/* The longest line an input file (-i) may have: a URL with its options is
 * far shorter, and a file without line breaks (say /dev/zero) must not be
 * read into memory whole. */
#define DL_CLI_INPUT_LINE_MAX (64 * 1024)

typedef struct _DlCliInput DlCliInput;

/* One line of an input file, parsed. */
typedef struct
{
  char             *url;
  char             *sha256;        /* as given, or NULL */
  DlRequestOptions *options;       /* the run's, with the line's own added */
  guint64           rate_limit;    /* limit=RATE, or 0 */
} DlCliInputLine;

DlCliInput     *dl_cli_input_open        (const char        *file,
                                          GError           **error) G_GNUC_WARN_UNUSED_RESULT;
void            dl_cli_input_free        (DlCliInput        *self);
const char     *dl_cli_input_get_name    (DlCliInput        *self);
char           *dl_cli_input_read_line   (DlCliInput        *self,
                                          guint             *number,
                                          GError           **error) G_GNUC_WARN_UNUSED_RESULT;

DlCliInputLine *dl_cli_input_parse_line  (const char        *name,
                                          guint              number,
                                          const char        *line,
                                          DlRequestOptions  *options,
                                          GHashTable        *checked_cookie_files,
                                          GError           **error) G_GNUC_WARN_UNUSED_RESULT;
void            dl_cli_input_line_free   (DlCliInputLine    *line);

gboolean        dl_cli_parse_rate        (const char        *option,
                                          const char        *text,
                                          guint64           *value,
                                          GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlCliInput, dl_cli_input_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlCliInputLine, dl_cli_input_line_free)

G_END_DECLS
