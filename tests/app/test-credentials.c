/* test-credentials.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "dl-credentials.h"
#include "dl-test-util.h"

/* The engine's side of HTTP authentication (dl-http-auth.c) with a fake
 * credential provider: what it is asked, when, how often, and what it is
 * told; against the fault server's auth=basic (alice / Pa55w0rd). */

/* ---- a provider that answers from a list ------------------------------------------------ */

#define TEST_TYPE_PROVIDER (test_provider_get_type ())
G_DECLARE_FINAL_TYPE (TestProvider, test_provider, TEST, PROVIDER, GObject)

struct _TestProvider
{
  GObject     parent_instance;
  GPtrArray  *answers;     /* "user:password", or "" to decline; the last repeats */
  gboolean    hold;        /* never answer: wait for the cancellation */
  GPtrArray  *challenges;  /* DlAuthChallenge asked */
  GArray     *reports;     /* gboolean accepted, in order */
  guint       cancelled;
};

static void test_provider_iface_init (DlCredentialProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestProvider, test_provider, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (DL_TYPE_CREDENTIAL_PROVIDER,
                                                      test_provider_iface_init))

static void
held_cancelled_cb (GCancellable *cancellable,
                   GTask        *task)
{
  TestProvider *self = g_task_get_source_object (task);

  self->cancelled++;
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
}

static void
test_provider_lookup_async (DlCredentialProvider  *provider,
                            DlDownload            *download,
                            const DlAuthChallenge *challenge,
                            GCancellable          *cancellable,
                            GAsyncReadyCallback    callback,
                            gpointer               user_data)
{
  TestProvider *self = TEST_PROVIDER (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  guint n = self->challenges->len;
  const char *answer;

  g_ptr_array_add (self->challenges, dl_auth_challenge_copy (challenge));
  if (self->hold)
    {
      g_assert_nonnull (cancellable);
      g_cancellable_connect (cancellable, G_CALLBACK (held_cancelled_cb),
                             g_object_ref (task), g_object_unref);
      return;
    }
  answer = g_ptr_array_index (self->answers, MIN (n, self->answers->len - 1));
  g_task_return_pointer (task, g_strdup (answer), g_free);
}

static gboolean
test_provider_lookup_finish (DlCredentialProvider  *provider,
                             GAsyncResult          *result,
                             char                 **user,
                             char                 **password,
                             GError               **error)
{
  g_autofree char *answer = g_task_propagate_pointer (G_TASK (result), error);
  const char *colon;

  if (answer == NULL || *answer == '\0')
    return FALSE;
  colon = strchr (answer, ':');
  *user = g_strndup (answer, colon - answer);
  *password = g_strdup (colon + 1);
  return TRUE;
}

static void
test_provider_report (DlCredentialProvider  *provider,
                      const DlAuthChallenge *challenge,
                      const char            *user,
                      gboolean               accepted)
{
  TestProvider *self = TEST_PROVIDER (provider);

  g_array_append_val (self->reports, accepted);
}

static void
test_provider_iface_init (DlCredentialProviderInterface *iface)
{
  iface->lookup_async = test_provider_lookup_async;
  iface->lookup_finish = test_provider_lookup_finish;
  iface->report = test_provider_report;
}

static void
test_provider_finalize (GObject *object)
{
  TestProvider *self = TEST_PROVIDER (object);

  g_ptr_array_unref (self->answers);
  g_ptr_array_unref (self->challenges);
  g_array_unref (self->reports);
  G_OBJECT_CLASS (test_provider_parent_class)->finalize (object);
}

static void
test_provider_class_init (TestProviderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_provider_finalize;
}

static void
test_provider_init (TestProvider *self)
{
  self->answers = g_ptr_array_new_with_free_func (g_free);
  self->challenges = g_ptr_array_new_with_free_func ((GDestroyNotify) dl_auth_challenge_free);
  self->reports = g_array_new (FALSE, FALSE, sizeof (gboolean));
}

/* A provider for @fixture's manager answering @first, then each further
 * answer ("user:password", or "" to decline). */
static TestProvider *
use_provider (DlFixture  *fixture,
              const char *first,
              ...)
{
  TestProvider *provider = g_object_new (TEST_TYPE_PROVIDER, NULL);
  va_list args;

  va_start (args, first);
  for (const char *a = first; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (provider->answers, g_strdup (a));
  va_end (args);
  dl_manager_set_credential_provider (fixture->manager, DL_CREDENTIAL_PROVIDER (provider));
  return provider;
}

static DlAuthChallenge *
challenge_at (TestProvider *provider,
              guint         i)
{
  return g_ptr_array_index (provider->challenges, i);
}

static gboolean
report_at (TestProvider *provider,
           guint         i)
{
  return g_array_index (provider->reports, gboolean, i);
}

/* ---- tests ---------------------------------------------------------------------------- */

/* A 401 without credentials asks the provider, once, for the host (with
 * its port), the realm and the scheme; its credentials fetch the file and
 * are reported accepted. */
static void
test_provider_asked (DlFixture     *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(TestProvider) provider = use_provider (fixture, "alice:Pa55w0rd", NULL);
  DlDownload *download = dl_fixture_add (fixture, "a.bin?auth=basic&size=2000&seed=1", NULL);
  g_autofree char *host = g_strdup_printf ("127.0.0.1:%u", fault_server_get_port (fixture->server));

  dl_wait_finished (download);
  dl_assert_file (download, 1, 2000);
  g_assert_cmpuint (provider->challenges->len, ==, 1);
  g_assert_cmpstr (challenge_at (provider, 0)->host, ==, host);
  g_assert_cmpstr (challenge_at (provider, 0)->realm, ==, "Fault Server");
  g_assert_cmpstr (challenge_at (provider, 0)->auth_scheme, ==, "Basic");
  g_assert_null (challenge_at (provider, 0)->user);
  g_assert_false (challenge_at (provider, 0)->retrying);
  g_assert_cmpuint (provider->reports->len, ==, 1);
  g_assert_true (report_at (provider, 0));
}

/* Credentials the download has (dl_download_set_credentials(), or its
 * URL's) are used without asking. */
static void
test_own_credentials_first (DlFixture     *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(TestProvider) provider = use_provider (fixture, "", NULL);
  g_autofree char *url = g_strdup_printf ("http://alice:Pa55w0rd@127.0.0.1:%u/u.bin?auth=basic",
                                          fault_server_get_port (fixture->server));
  g_autoptr(GError) error = NULL;
  DlDownload *from_url;
  DlDownload *given;

  from_url = dl_manager_add (fixture->manager, url, NULL, &error);
  g_assert_no_error (error);
  dl_manager_set_max_concurrent (fixture->manager, 1);
  given = dl_fixture_add (fixture, "g.bin?auth=basic&key=given", NULL);
  dl_download_set_credentials (given, "alice", "Pa55w0rd");

  dl_wait_finished (from_url);
  dl_wait_finished (given);
  g_assert_cmpint (dl_download_get_state (from_url), ==, DL_DOWNLOAD_STATE_DONE);
  g_assert_cmpint (dl_download_get_state (given), ==, DL_DOWNLOAD_STATE_DONE);
  g_assert_cmpuint (provider->challenges->len, ==, 0);
}

/* Refused credentials bring the provider back with retrying set and the
 * refused user name; a provider that keeps answering wrong is asked three
 * times in all, then the download fails with DL_DOWNLOAD_ERROR_AUTH. */
static void
test_refused_stops (DlFixture     *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(TestProvider) provider = use_provider (fixture, "alice:wrong", NULL);
  DlDownload *download = dl_fixture_add (fixture, "w.bin?auth=basic&key=wrong", NULL);

  dl_wait_finished (download);
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_FAILED);
  g_assert_error (dl_download_get_error (download), DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_AUTH);
  g_assert_cmpuint (provider->challenges->len, ==, 3);
  g_assert_false (challenge_at (provider, 0)->retrying);
  for (guint i = 1; i < 3; i++)
    {
      g_assert_true (challenge_at (provider, i)->retrying);
      g_assert_cmpstr (challenge_at (provider, i)->user, ==, "alice");
    }
  g_assert_cmpuint (provider->reports->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_false (report_at (provider, i));
  /* The first request, then two per answer: a new request goes without
   * credentials until the server's challenge, then with them. */
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "wrong"), ==, 7);
}

/* A provider that declines ends the download at once. */
static void
test_declined (DlFixture     *fixture,
               gconstpointer  user_data)
{
  g_autoptr(TestProvider) provider = use_provider (fixture, "", NULL);
  DlDownload *download = dl_fixture_add (fixture, "d.bin?auth=basic", NULL);

  dl_wait_finished (download);
  g_assert_error (dl_download_get_error (download), DL_DOWNLOAD_ERROR, DL_DOWNLOAD_ERROR_AUTH);
  g_assert_cmpuint (provider->challenges->len, ==, 1);
  g_assert_cmpuint (provider->reports->len, ==, 0);
}

/* Pausing while the provider is asked cancels the question; the download
 * is paused, not failed, and asks again when resumed. */
static void
test_pause_cancels_question (DlFixture     *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(TestProvider) provider = use_provider (fixture, "alice:Pa55w0rd", NULL);
  DlDownload *download;

  provider->hold = TRUE;
  download = dl_fixture_add (fixture, "p.bin?auth=basic&size=500&seed=2", NULL);
  test_run_until (NULL, provider->challenges->len == 1, TEST_TIMEOUT_SECONDS);

  dl_download_pause (download);
  dl_wait_state (download, DL_DOWNLOAD_STATE_PAUSED);
  g_assert_cmpuint (provider->cancelled, ==, 1);
  g_assert_null (dl_download_get_error (download));

  provider->hold = FALSE;
  dl_download_resume (download);
  dl_wait_finished (download);
  dl_assert_file (download, 2, 500);
  g_assert_cmpuint (provider->challenges->len, ==, 2);
}

/* The download's own credentials do not follow a redirect to another
 * host (localhost instead of 127.0.0.1); the provider is asked there, for
 * that host. */
static void
test_other_host_asks_provider (DlFixture     *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(TestProvider) provider = use_provider (fixture, "alice:Pa55w0rd", NULL);
  guint port = fault_server_get_port (fixture->server);
  g_autofree char *url = g_strdup_printf ("http://alice:Pa55w0rd@127.0.0.1:%u/r.bin?redirect_to="
                                          "http%%3A%%2F%%2Flocalhost%%3A%u%%2Fx.bin%%3Fauth%%3Dbasic",
                                          port, port);
  g_autofree char *other = g_strdup_printf ("localhost:%u", port);
  g_autoptr(GError) error = NULL;
  DlDownload *download = dl_manager_add (fixture->manager, url, NULL, &error);

  g_assert_no_error (error);
  dl_wait_finished (download);
  g_assert_cmpint (dl_download_get_state (download), ==, DL_DOWNLOAD_STATE_DONE);
  g_assert_cmpuint (provider->challenges->len, ==, 1);
  g_assert_cmpstr (challenge_at (provider, 0)->host, ==, other);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add (path, DlFixture, NULL, dl_fixture_setup, func, dl_fixture_teardown)

  ADD ("/downloader/credentials/provider-asked", test_provider_asked);
  ADD ("/downloader/credentials/own-credentials-first", test_own_credentials_first);
  ADD ("/downloader/credentials/refused-stops", test_refused_stops);
  ADD ("/downloader/credentials/declined", test_declined);
  ADD ("/downloader/credentials/pause-cancels-question", test_pause_cancels_question);
  ADD ("/downloader/credentials/other-host-asks-provider", test_other_host_asks_provider);

  return g_test_run ();
}
