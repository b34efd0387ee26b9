/* dl-cli-credentials.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dl-cli-credentials.h"
#include "dl-credentials.h"

/* `--user USER:PASSWORD`, as curl spells it: credentials for the servers of
 * the URLs given, which the engine sends to each download's own host only
 * (never after a redirect to another one). A password in a URL wins over
 * them. They live in this run's memory only: the history keeps no
 * password, so a re-run needs the option again, as it needs the URLs. */

struct _DlCliCredentials
{
  char *user;
  char *password;
};

/* Splits @option at its first ':', as curl does (a user name has none, a
 * password may). NULL with @error set when there is no ':' or no user. */
DlCliCredentials *
dl_cli_credentials_parse (const char  *option,
                          GError     **error)
{
  const char *colon;
  DlCliCredentials *self;

  g_return_val_if_fail (option != NULL, NULL);

  colon = strchr (option, ':');
  if (colon == NULL || colon == option)
    {
      /* The message never repeats the option's text: it may be a password
       * typed without its user name. */
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--user needs a user name and a password: USER:PASSWORD"));
      return NULL;
    }

  self = g_new0 (DlCliCredentials, 1);
  self->user = g_strndup (option, (gsize) (colon - option));
  self->password = g_strdup (colon + 1);
  return self;
}

/* Gives @download the credentials. */
void
dl_cli_credentials_apply (DlCliCredentials *self,
                          DlDownload       *download)
{
  if (self == NULL || download == NULL)
    return;
  dl_download_set_credentials (download, self->user, self->password);
}

/* Blanks the password in the program's own arguments, so that other users
 * do not read it in `ps` or /proc/PID/cmdline for the length of the run
 * (curl does the same). The brief moment before this runs cannot be
 * helped; an input file or a URL typed in the app keeps it out entirely. */
void
dl_cli_credentials_scrub_argv (int    argc,
                               char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      char *value = NULL;
      char *colon;

      if (g_str_equal (argv[i], "--"))
        return;
      if ((g_str_equal (argv[i], "--user") || g_str_equal (argv[i], "-u")) && i + 1 < argc)
        value = argv[++i];
      else if (g_str_has_prefix (argv[i], "--user="))
        value = argv[i] + strlen ("--user=");
      else if (g_str_has_prefix (argv[i], "-u") && argv[i][2] != '\0' && argv[i][1] != '-')
        value = argv[i] + 2;
      if (value == NULL)
        continue;
      colon = strchr (value, ':');
      if (colon != NULL)
        memset (colon + 1, '*', strlen (colon + 1));
    }
}

void
dl_cli_credentials_free (DlCliCredentials *self)
{
  if (self == NULL)
    return;
  g_free (self->user);
  dl_password_free (self->password);
  g_free (self);
}
