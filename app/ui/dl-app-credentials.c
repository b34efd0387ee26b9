/* dl-app-credentials.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-app-credentials"

#include "config.h"

#include <libbridge.h>

#include "dl-app-credentials.h"
#include "dl-application.h"
#include "dl-auth-dialog.h"
#include "dl-keyring.h"

/* Where the app's downloads get credentials when a server asks: the
 * keyring first (so a download resumed after a restart goes on without a
 * question), then the person, with a dialog. What the person asked to
 * remember goes to the keyring once the server has accepted it, and what
 * the keyring gave and the server refused is taken out of it. The history
 * never sees any of it. */

struct _DlAppCredentials
{
  GObject         parent_instance;

  GtkApplication *app;           /* weak */
  GHashTable     *to_remember;   /* key() → password, until the server answers */
  GHashTable     *from_keyring;  /* key() of what the keyring gave */
  GHashTable     *questions;     /* "host\nrealm" → Question being answered */
};

static void provider_iface_init (DlCredentialProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DlAppCredentials, dl_app_credentials, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (DL_TYPE_CREDENTIAL_PROVIDER,
                                                      provider_iface_init))

static char *
key (const DlAuthChallenge *challenge,
     const char            *user)
{
  return g_strjoin ("\n", challenge->host, challenge->realm, user, NULL);
}

typedef struct
{
  char *user;
  char *password;
} Credentials;

static void
credentials_free (Credentials *credentials)
{
  g_free (credentials->user);
  dl_password_free (credentials->password);
  g_free (credentials);
}

static Credentials *
credentials_copy (const Credentials *credentials)
{
  Credentials *copy = g_new0 (Credentials, 1);

  copy->user = g_strdup (credentials->user);
  copy->password = g_strdup (credentials->password);
  return copy;
}

/* One question per server and realm at a time: downloads that meet the
 * same 401 meanwhile wait for its answer, instead of stacking a dialog
 * each. */
typedef struct
{
  grefcount    refs;
  BridgeEvent *done;
  Credentials *answer;     /* NULL: declined */
  gboolean     abandoned;  /* the download that asked went away first */
} Question;

static Question *
question_new (void)
{
  Question *question = g_new0 (Question, 1);

  g_ref_count_init (&question->refs);
  question->done = bridge_event_new ();
  return question;
}

static Question *
question_ref (Question *question)
{
  g_ref_count_inc (&question->refs);
  return question;
}

static void
question_unref (Question *question)
{
  if (!g_ref_count_dec (&question->refs))
    return;
  bridge_event_unref (question->done);
  g_clear_pointer (&question->answer, credentials_free);
  g_free (question);
}

/* ---- asking the person ------------------------------------------------------------- */

typedef struct
{
  BridgeEvent *answered;
  gboolean     sign_in;
  char        *user;
  char        *password;
  gboolean     remember;
} Answer;

static void
response_cb (DlAuthDialog *dialog,
             const char   *response,
             Answer       *answer)
{
  if (g_str_equal (response, DL_AUTH_DIALOG_RESPONSE_SIGN_IN))
    {
      answer->sign_in = TRUE;
      answer->user = g_strdup (dl_auth_dialog_get_user (dialog));
      answer->password = dl_auth_dialog_dup_password (dialog);
      answer->remember = dl_auth_dialog_get_remember (dialog);
    }
  bridge_event_set (answer->answered);
}

static void
destroyed_cb (GtkWidget *dialog,
              Answer    *answer)
{
  bridge_event_set (answer->answered);
}

static GtkWindow *
parent_window (DlAppCredentials *self)
{
  GtkWindow *window;

  if (self->app == NULL)
    return NULL;
  window = gtk_application_get_active_window (self->app);
  if (window == NULL && DL_IS_APPLICATION (self->app))
    {
      /* Running in the background: the question needs the window. */
      window = dl_application_ensure_window (DL_APPLICATION (self->app));
      gtk_window_present (window);
    }
  return window;
}

/* Shows the dialog and waits for its answer. FALSE when the person
 * declined, or with @error when the task was cancelled meanwhile (the
 * dialog then goes away). */
static gboolean
ask (DlAppCredentials       *self,
     DlDownload             *download,
     const DlAuthChallenge  *challenge,
     Answer                 *answer,
     GError                **error)
{
  g_autoptr(DlAuthDialog) dialog = NULL;
  gulong response_id, destroy_id;
  gboolean waited;

  dialog = g_object_ref_sink (dl_auth_dialog_new (parent_window (self), challenge,
                                                  dl_download_get_url (download)));
  answer->answered = bridge_event_new ();
  response_id = g_signal_connect (dialog, "response", G_CALLBACK (response_cb), answer);
  destroy_id = g_signal_connect (dialog, "destroy", G_CALLBACK (destroyed_cb), answer);
  gtk_window_present (GTK_WINDOW (dialog));

  waited = bridge_event_wait (answer->answered, error);

  g_signal_handler_disconnect (dialog, response_id);
  g_signal_handler_disconnect (dialog, destroy_id);
  /* Focus out first: a GtkPasswordEntry (GTK 4.8) that still has the
   * focus when its window is finalized is called back after its own
   * end. */
  gtk_window_set_focus (GTK_WINDOW (dialog), NULL);
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_clear_pointer (&answer->answered, bridge_event_unref);
  return waited && answer->sign_in;
}

/* ---- the provider ---------------------------------------------------------------------- */

typedef struct
{
  DlAppCredentials *self;
  DlDownload       *download;
  DlAuthChallenge  *challenge;
} Lookup;

static void
lookup_free (Lookup *lookup)
{
  g_object_unref (lookup->self);
  g_object_unref (lookup->download);
  dl_auth_challenge_free (lookup->challenge);
  g_free (lookup);
}

/* The keyring's credentials, else the person's: NULL when declined, or
 * with @error when cancelled. */
static Credentials *
find_credentials (DlAppCredentials       *self,
                  DlDownload             *download,
                  const DlAuthChallenge  *challenge,
                  GError                **error)
{
  Answer answer = { 0, };
  Credentials *credentials;

  /* Asked again: what was given last was refused, the keyring's included. */
  if (!challenge->retrying)
    {
      char *user = NULL;
      char *password = NULL;

      g_autoptr(GError) keyring_error = NULL;

      if (dl_keyring_lookup (challenge->host, challenge->realm, &user, &password, &keyring_error))
        {
          credentials = g_new0 (Credentials, 1);
          credentials->user = user;
          credentials->password = password;
          g_hash_table_add (self->from_keyring, key (challenge, user));
          return credentials;
        }
      if (g_error_matches (keyring_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&keyring_error));
          return NULL;
        }
      /* No keyring (no Secret Service running): ask all the same. */
      if (keyring_error != NULL)
        g_debug ("No credentials from the keyring: %s", keyring_error->message);
    }

  if (!ask (self, download, challenge, &answer, error))
    {
      g_free (answer.user);
      dl_password_free (answer.password);
      return NULL;
    }

  if (answer.remember)
    g_hash_table_replace (self->to_remember, key (challenge, answer.user),
                          g_strdup (answer.password));
  credentials = g_new0 (Credentials, 1);
  credentials->user = answer.user;
  credentials->password = answer.password;
  return credentials;
}

static void
lookup_task (BridgeTask *task,
             gpointer    data)
{
  Lookup *lookup = data;
  DlAppCredentials *self = lookup->self;
  const DlAuthChallenge *challenge = lookup->challenge;
  g_autofree char *space = g_strjoin ("\n", challenge->host, challenge->realm, NULL);
  g_autoptr(GError) error = NULL;
  Credentials *credentials;
  Question *question;

  /* Asked again after a refusal, it is this download's own question. */
  while (!challenge->retrying &&
         (question = g_hash_table_lookup (self->questions, space)) != NULL)
    {
      gboolean answered;

      question_ref (question);
      answered = bridge_event_wait (question->done, &error);
      if (answered && !question->abandoned)
        {
          credentials = question->answer != NULL ? credentials_copy (question->answer) : NULL;
          question_unref (question);
          bridge_task_return_pointer (task, credentials, (GDestroyNotify) credentials_free);
          return;
        }
      question_unref (question);
      if (!answered)
        {
          bridge_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }

  question = question_new ();
  if (!challenge->retrying)
    g_hash_table_insert (self->questions, g_strdup (space), question_ref (question));

  credentials = find_credentials (self, lookup->download, challenge, &error);
  question->answer = credentials != NULL ? credentials_copy (credentials) : NULL;
  question->abandoned = error != NULL;
  if (!challenge->retrying)
    g_hash_table_remove (self->questions, space);
  bridge_event_set (question->done);
  question_unref (question);

  if (error != NULL)
    bridge_task_return_error (task, g_steal_pointer (&error));
  else
    bridge_task_return_pointer (task, credentials, (GDestroyNotify) credentials_free);
}

static void
dl_app_credentials_lookup_async (DlCredentialProvider  *provider,
                                 DlDownload            *download,
                                 const DlAuthChallenge *challenge,
                                 GCancellable          *cancellable,
                                 GAsyncReadyCallback    callback,
                                 gpointer               user_data)
{
  DlAppCredentials *self = DL_APP_CREDENTIALS (provider);
  Lookup *lookup = g_new0 (Lookup, 1);

  lookup->self = g_object_ref (self);
  lookup->download = g_object_ref (download);
  lookup->challenge = dl_auth_challenge_copy (challenge);
  bridge_spawn_async (self, cancellable, callback, user_data, lookup_task, lookup,
                      (GDestroyNotify) lookup_free);
}

static gboolean
dl_app_credentials_lookup_finish (DlCredentialProvider  *provider,
                                  GAsyncResult          *result,
                                  char                 **user,
                                  char                 **password,
                                  GError               **error)
{
  Credentials *credentials = bridge_spawn_finish_pointer (result, error);

  if (credentials == NULL)
    return FALSE;
  *user = g_steal_pointer (&credentials->user);
  *password = g_steal_pointer (&credentials->password);
  credentials_free (credentials);
  return TRUE;
}

/* Keeping or forgetting runs on its own: nobody waits for it, and a
 * keyring that fails costs a message, never the download. */
typedef struct
{
  DlAuthChallenge *challenge;
  char            *user;
  char            *password;  /* NULL: forget */
} KeyringChange;

static void
keyring_change_free (KeyringChange *change)
{
  dl_auth_challenge_free (change->challenge);
  g_free (change->user);
  dl_password_free (change->password);
  g_free (change);
}

static void
keyring_change_task (BridgeTask *task,
                     gpointer    data)
{
  KeyringChange *change = data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (change->password != NULL)
    ok = dl_keyring_store (change->challenge->host, change->challenge->realm, change->user,
                           change->password, &error);
  else
    ok = dl_keyring_clear (change->challenge->host, change->challenge->realm, change->user,
                           &error);
  if (!ok)
    g_message ("The keyring could not be updated: %s", error->message);
  bridge_task_return_boolean (task, ok);
}

static void
dl_app_credentials_report (DlCredentialProvider  *provider,
                           const DlAuthChallenge *challenge,
                           const char            *user,
                           gboolean               accepted)
{
  DlAppCredentials *self = DL_APP_CREDENTIALS (provider);
  g_autofree char *k = key (challenge, user);
  KeyringChange *change = NULL;
  char *password = NULL;

  if (g_hash_table_steal_extended (self->to_remember, k, NULL, (gpointer *) &password) &&
      accepted)
    {
      change = g_new0 (KeyringChange, 1);
      change->password = g_steal_pointer (&password);
    }
  else if (!accepted && g_hash_table_remove (self->from_keyring, k))
    change = g_new0 (KeyringChange, 1);
  dl_password_free (password);

  if (change != NULL)
    {
      BridgeTask *task;

      change->challenge = dl_auth_challenge_copy (challenge);
      change->user = g_strdup (user);
      task = bridge_spawn (keyring_change_task, change, (GDestroyNotify) keyring_change_free);
      bridge_task_set_name (task, "keyring");
      bridge_task_unref (task);
    }
}

static void
provider_iface_init (DlCredentialProviderInterface *iface)
{
  iface->lookup_async = dl_app_credentials_lookup_async;
  iface->lookup_finish = dl_app_credentials_lookup_finish;
  iface->report = dl_app_credentials_report;
}

static void
dl_app_credentials_finalize (GObject *object)
{
  DlAppCredentials *self = DL_APP_CREDENTIALS (object);

  g_clear_weak_pointer (&self->app);
  g_clear_pointer (&self->to_remember, g_hash_table_unref);
  g_clear_pointer (&self->from_keyring, g_hash_table_unref);
  g_clear_pointer (&self->questions, g_hash_table_unref);

  G_OBJECT_CLASS (dl_app_credentials_parent_class)->finalize (object);
}

static void
dl_app_credentials_class_init (DlAppCredentialsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dl_app_credentials_finalize;
}

static void
dl_app_credentials_init (DlAppCredentials *self)
{
  self->to_remember = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) dl_password_free);
  self->from_keyring = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->questions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) question_unref);
}

/**
 * dl_app_credentials_new:
 * @app: the application whose window the questions belong to
 *
 * Returns: (transfer full): the app's credential provider
 */
DlAppCredentials *
dl_app_credentials_new (GtkApplication *app)
{
  DlAppCredentials *self = g_object_new (DL_TYPE_APP_CREDENTIALS, NULL);

  g_set_weak_pointer (&self->app, app);
  return self;
}
