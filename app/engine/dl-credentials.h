/* dl-credentials.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "dl-download.h"

G_BEGIN_DECLS

/**
 * DlAuthChallenge:
 * @host: the server that asks: its host, and ":PORT" when the port is not
 *   the scheme's default (as in a URL)
 * @realm: the protection space the server names (may be empty)
 * @auth_scheme: "Basic" or "Digest"
 * @user: (nullable): a user name to suggest: the one in the download's URL,
 *   or the one that was just refused
 * @retrying: the credentials given last time were refused
 *
 * What a server said when it answered 401: a provider answers with the
 * credentials for @host and @realm.
 */
typedef struct
{
  char     *host;
  char     *realm;
  char     *auth_scheme;
  char     *user;
  gboolean  retrying;
} DlAuthChallenge;

#define DL_TYPE_AUTH_CHALLENGE (dl_auth_challenge_get_type ())

GType            dl_auth_challenge_get_type  (void) G_GNUC_CONST;
DlAuthChallenge *dl_auth_challenge_new       (const char            *host,
                                              const char            *realm,
                                              const char            *auth_scheme,
                                              const char            *user,
                                              gboolean               retrying) G_GNUC_WARN_UNUSED_RESULT;
DlAuthChallenge *dl_auth_challenge_copy      (const DlAuthChallenge *self) G_GNUC_WARN_UNUSED_RESULT;
void             dl_auth_challenge_free      (DlAuthChallenge       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlAuthChallenge, dl_auth_challenge_free)

#define DL_TYPE_CREDENTIAL_PROVIDER (dl_credential_provider_get_type ())

G_DECLARE_INTERFACE (DlCredentialProvider, dl_credential_provider, DL, CREDENTIAL_PROVIDER, GObject)

/**
 * DlCredentialProviderInterface:
 * @lookup_async: finds (or asks for) the credentials @challenge calls for,
 *   for @download; may take as long as a person takes to answer, and stops
 *   when @cancellable is cancelled (the download was paused or removed)
 * @lookup_finish: returns %TRUE with the user name and password, or %FALSE
 *   when there are none (declined, cancelled): the download then fails
 * @report: optional; tells whether the credentials @lookup_finish gave for
 *   @challenge were accepted by the server (a provider may remember them
 *   now) or refused (it may forget them)
 *
 * Where the engine gets credentials it does not have: the app asks the
 * keyring, then the person. The engine never gives credentials of one
 * server to another, and keeps none beyond the download's run.
 */
struct _DlCredentialProviderInterface
{
  GTypeInterface parent_iface;

  void      (*lookup_async)   (DlCredentialProvider   *self,
                               DlDownload             *download,
                               const DlAuthChallenge  *challenge,
                               GCancellable           *cancellable,
                               GAsyncReadyCallback     callback,
                               gpointer                user_data);
  gboolean  (*lookup_finish)  (DlCredentialProvider   *self,
                               GAsyncResult           *result,
                               char                  **user,
                               char                  **password,
                               GError                **error);
  void      (*report)         (DlCredentialProvider   *self,
                               const DlAuthChallenge  *challenge,
                               const char             *user,
                               gboolean                accepted);
};

void      dl_credential_provider_lookup_async   (DlCredentialProvider   *self,
                                                 DlDownload             *download,
                                                 const DlAuthChallenge  *challenge,
                                                 GCancellable           *cancellable,
                                                 GAsyncReadyCallback     callback,
                                                 gpointer                user_data);
gboolean  dl_credential_provider_lookup_finish  (DlCredentialProvider   *self,
                                                 GAsyncResult           *result,
                                                 char                  **user,
                                                 char                  **password,
                                                 GError                **error);
void      dl_credential_provider_report         (DlCredentialProvider   *self,
                                                 const DlAuthChallenge  *challenge,
                                                 const char             *user,
                                                 gboolean                accepted);

void      dl_password_free                      (char                   *password);

G_END_DECLS
