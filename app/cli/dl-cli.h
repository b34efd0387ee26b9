/* dl-cli.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * DlCliExit:
 * @DL_CLI_EXIT_OK: every download completed
 * @DL_CLI_EXIT_FAILED: at least one download failed (the others completed)
 * @DL_CLI_EXIT_USAGE: bad options or arguments; nothing was downloaded
 * @DL_CLI_EXIT_INTERRUPTED: stopped by SIGINT (Ctrl+C); every partial file
 *   was synced and recorded, and running the same command again resumes
 *   (SIGTERM gives 143, 128 + its number, the same way)
 *
 * The exit status of `bridge-downloader --headless`.
 */
typedef enum
{
  DL_CLI_EXIT_OK          = 0,
  DL_CLI_EXIT_FAILED      = 1,
  DL_CLI_EXIT_USAGE       = 2,
  DL_CLI_EXIT_INTERRUPTED = 130,
} DlCliExit;

gboolean  dl_cli_is_requested  (int    argc,
                                char **argv);
int       dl_cli_run           (int    argc,
                                char **argv);

G_END_DECLS
