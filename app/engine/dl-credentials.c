/* dl-credentials.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "dl-credentials.h"

/* What a server's 401 asks for, and the interface through which the engine
 * gets credentials it was not given with the download (see
 * dl-http-auth.c for when it asks). */

G_DEFINE_BOXED_TYPE (DlAuthChallenge, dl_auth_challenge,
                     dl_auth_challenge_copy, dl_auth_challenge_free)

DlAuthChallenge *
dl_auth_challenge_new (const char *host,
                       const char *realm,
                       const char *auth_scheme,
                       const char *user,
                       gboolean    retrying)
{
  DlAuthChallenge *self;

  g_return_val_if_fail (host != NULL, NULL);

  self = g_new0 (DlAuthChallenge, 1);
  self->host = g_strdup (host);
  self->realm = g_strdup (realm != NULL ? realm : "");
  self->auth_scheme = g_strdup (auth_scheme != NULL ? auth_scheme : "");
  self->user = g_strdup (user);
  self->retrying = retrying;
  return self;
}

DlAuthChallenge *
dl_auth_challenge_copy (const DlAuthChallenge *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return dl_auth_challenge_new (self->host, self->realm, self->auth_scheme, self->user,
                                self->retrying);
}

void
dl_auth_challenge_free (DlAuthChallenge *self)
{
  if (self == NULL)
    return;
  g_free (self->host);
  g_free (self->realm);
  g_free (self->auth_scheme);
  g_free (self->user);
  g_free (self);
}

/**
 * dl_password_free:
 * @password: (nullable): a password
 *
 * Frees @password after overwriting it, so that it does not linger in
 * freed memory (or in a core file) after its use.
 */
void
dl_password_free (char *password)
{
  if (password == NULL)
    return;
  explicit_bzero (password, strlen (password));
  g_free (password);
}

G_DEFINE_INTERFACE (DlCredentialProvider, dl_credential_provider, G_TYPE_OBJECT)

static void
dl_credential_provider_default_init (DlCredentialProviderInterface *iface)
{
}

void
dl_credential_provider_lookup_async (DlCredentialProvider  *self,
                                     DlDownload            *download,
                                     const DlAuthChallenge *challenge,
                                     GCancellable          *cancellable,
                                     GAsyncReadyCallback    callback,
                                     gpointer               user_data)
{
  g_return_if_fail (DL_IS_CREDENTIAL_PROVIDER (self));
  g_return_if_fail (DL_IS_DOWNLOAD (download));
  g_return_if_fail (challenge != NULL);

  DL_CREDENTIAL_PROVIDER_GET_IFACE (self)->lookup_async (self, download, challenge, cancellable,
                                                         callback, user_data);
}

/**
 * dl_credential_provider_lookup_finish:
 * @self: a #DlCredentialProvider
 * @result: the result given to the callback of
 *   dl_credential_provider_lookup_async()
 * @user: (out): the user name
 * @password: (out): the password, to free with dl_password_free()
 * @error: for the reason there are none, if any
 *
 * Returns: %TRUE with the credentials, %FALSE when there are none
 */
gboolean
dl_credential_provider_lookup_finish (DlCredentialProvider  *self,
                                      GAsyncResult          *result,
                                      char                 **user,
                                      char                 **password,
                                      GError               **error)
{
  g_return_val_if_fail (DL_IS_CREDENTIAL_PROVIDER (self), FALSE);
  g_return_val_if_fail (user != NULL && password != NULL, FALSE);

  *user = NULL;
  *password = NULL;
  if (!DL_CREDENTIAL_PROVIDER_GET_IFACE (self)->lookup_finish (self, result, user, password,
                                                               error))
    {
      g_clear_pointer (user, g_free);
      g_clear_pointer (password, dl_password_free);
      return FALSE;
    }
  if (*user == NULL)
    *user = g_strdup ("");
  if (*password == NULL)
    *password = g_strdup ("");
  return TRUE;
}

void
dl_credential_provider_report (DlCredentialProvider  *self,
                               const DlAuthChallenge *challenge,
                               const char            *user,
                               gboolean               accepted)
{
  DlCredentialProviderInterface *iface;

  g_return_if_fail (DL_IS_CREDENTIAL_PROVIDER (self));
  g_return_if_fail (challenge != NULL);

  iface = DL_CREDENTIAL_PROVIDER_GET_IFACE (self);
  if (iface->report != NULL)
    iface->report (self, challenge, user, accepted);
}
