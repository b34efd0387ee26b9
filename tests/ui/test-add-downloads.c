/* test-add-downloads.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Link capture as another program meets it: the built app runs, and this
 * test activates its `app.add-downloads` action over D-Bus (as `gdbus
 * call` in the README does), or hands a request to
 * `bridge-downloader --native-messaging` as a browser would; the files
 * arrive from the fault server, byte for byte. */

#define G_LOG_DOMAIN "test-add-downloads"

#include "config.h"

#include <glib/gstdio.h>
#include <gio/gio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "fault-server.h"

#define WAIT_SECONDS 60

static char *system_data_dirs;

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

#define WAIT_FOR(cond)                                                          \
  G_STMT_START {                                                                \
    gint64 _deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC; \
    guint _wake = g_timeout_add (50, wake_cb, NULL);                            \
    while (!(cond))                                                             \
      {                                                                         \
        if (g_get_monotonic_time () > _deadline)                                \
          g_error ("Timed out after %d s waiting for: %s", WAIT_SECONDS, #cond); \
        g_main_context_iteration (NULL, TRUE);                                  \
      }                                                                         \
    g_source_remove (_wake);                                                    \
  } G_STMT_END

typedef struct
{
  FaultServer     *server;
  GDBusConnection *bus;
  GSubprocess     *app;
  char            *folder;
  char            *object_path;
  gboolean         app_exited;
} Fixture;

/* As in test-app.c: the isolated dirs of the test case, with the system's
 * data dirs. */
static GSubprocessLauncher *
new_launcher (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", g_get_user_state_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_DIRS", system_data_dirs, TRUE);
  return launcher;
}

static gboolean
name_has_owner (GDBusConnection *bus,
                const char      *name)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static void
exited_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *exited = TRUE;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  const char *binary = g_getenv ("DL_TEST_BINARY");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (binary);

  fixture->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  if (name_has_owner (fixture->bus, APP_ID))
    return;

  fixture->server = fault_server_new_in_thread (FALSE, &error);
  g_assert_no_error (error);
  fixture->folder = g_dir_make_tmp ("dl-add-downloads-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->object_path = g_strconcat ("/", APP_ID, NULL);
  g_strdelimit (fixture->object_path, ".", '/');

  launcher = new_launcher (G_SUBPROCESS_FLAGS_NONE);
  fixture->app = g_subprocess_launcher_spawn (launcher, &error, binary, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (fixture->app, NULL, exited_cb, &fixture->app_exited);
  WAIT_FOR (name_has_owner (fixture->bus, APP_ID) || fixture->app_exited);
  g_assert_false (fixture->app_exited);
}

/* As fixture_set_up(), without starting the app. */
static void
fixture_set_up_without_app (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  fixture->server = fault_server_new_in_thread (FALSE, &error);
  g_assert_no_error (error);
  fixture->folder = g_dir_make_tmp ("dl-add-downloads-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->object_path = g_strconcat ("/", APP_ID, NULL);
  g_strdelimit (fixture->object_path, ".", '/');
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->app != NULL)
    {
      g_autoptr(GError) error = NULL;

      /* Downloads are done, so app.quit quits without asking. */
      g_dbus_connection_call_sync (fixture->bus, APP_ID, fixture->object_path, "org.gtk.Actions",
                                   "Activate", g_variant_new ("(sava{sv})", "quit", NULL, NULL),
                                   NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
      g_assert_no_error (error);
      WAIT_FOR (fixture->app_exited);
      g_assert_true (g_subprocess_get_if_exited (fixture->app));
      g_assert_cmpint (g_subprocess_get_exit_status (fixture->app), ==, 0);
    }

  if (fixture->folder != NULL)
    {
      g_autoptr(GDir) dir = g_dir_open (fixture->folder, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (fixture->folder, name, NULL);

          g_unlink (path);
        }
      g_rmdir (fixture->folder);
    }

  g_clear_object (&fixture->app);
  g_clear_object (&fixture->bus);
  g_clear_pointer (&fixture->server, fault_server_free);
  g_clear_pointer (&fixture->folder, g_free);
  g_clear_pointer (&fixture->object_path, g_free);
}

static gboolean
skipped (Fixture *fixture)
{
  if (fixture->app == NULL)
    {
      g_test_skip ("Downloader already runs on this session bus");
      return TRUE;
    }
  return FALSE;
}

static char *
file_url (Fixture    *fixture,
          const char *name,
          guint       seed)
{
  return g_strdup_printf ("%s%s?size=100k&seed=%u", fault_server_get_uri (fixture->server), name, seed);
}

static gboolean
file_is_complete (const char *path,
                  guint       seed)
{
  g_autofree char *contents = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *expected = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, NULL) || length != 100 * 1024)
    return FALSE;
  sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
  expected = fault_server_body_sha256 (seed, 100 * 1024);
  return g_str_equal (sha256, expected);
}

static void
activate_add_downloads (Fixture  *fixture,
                        GVariant *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  GVariantBuilder parameter;

  g_variant_builder_init (&parameter, G_VARIANT_TYPE ("av"));
  g_variant_builder_add (&parameter, "v", options);
  reply = g_dbus_connection_call_sync (fixture->bus, APP_ID, fixture->object_path,
                                       "org.gtk.Actions", "Activate",
                                       g_variant_new ("(sava{sv})", "add-downloads", &parameter, NULL),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

static void
test_action_over_dbus (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *first_path = NULL;
  g_autofree char *second_path = NULL;
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  const char *urls[3];

  if (skipped (fixture))
    return;

  first = file_url (fixture, "first.bin", 71);
  second = file_url (fixture, "second.bin", 72);
  urls[0] = first;
  urls[1] = second;
  urls[2] = NULL;

  g_variant_dict_insert (&options, "urls", "^as", urls);
  g_variant_dict_insert (&options, "folder", "s", fixture->folder);
  g_variant_dict_insert (&options, "referer", "s", fault_server_get_uri (fixture->server));
  activate_add_downloads (fixture, g_variant_dict_end (&options));

  first_path = g_build_filename (fixture->folder, "first.bin", NULL);
  second_path = g_build_filename (fixture->folder, "second.bin", NULL);
  WAIT_FOR (file_is_complete (first_path, 71) && file_is_complete (second_path, 72));
}

static void
test_bad_request_is_refused (Fixture       *fixture,
                             gconstpointer  data)
{
  g_auto(GVariantDict) bad = G_VARIANT_DICT_INIT (NULL);
  g_auto(GVariantDict) good = G_VARIANT_DICT_INIT (NULL);
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;
  g_autofree char *refused_path = NULL;
  const char *bad_urls[] = { "file:///etc/passwd", NULL };
  const char *good_urls[2] = { NULL, NULL };

  if (skipped (fixture))
    return;

  g_variant_dict_insert (&bad, "urls", "^as", bad_urls);
  g_variant_dict_insert (&bad, "folder", "s", fixture->folder);
  activate_add_downloads (fixture, g_variant_dict_end (&bad));

  /* The app still works, and only the good request is downloaded. */
  url = file_url (fixture, "after.bin", 73);
  good_urls[0] = url;
  g_variant_dict_insert (&good, "urls", "^as", good_urls);
  g_variant_dict_insert (&good, "folder", "s", fixture->folder);
  activate_add_downloads (fixture, g_variant_dict_end (&good));

  path = g_build_filename (fixture->folder, "after.bin", NULL);
  WAIT_FOR (file_is_complete (path, 73));
  refused_path = g_build_filename (fixture->folder, "passwd", NULL);
  g_assert_false (g_file_test (refused_path, G_FILE_TEST_EXISTS));
}

/* ---- a server that checks what the app sends ----------------------------------- */

#define PRIVATE_BODY "only for the signed-in user"

typedef struct
{
  SoupServer *server;
  guint       port;
  char       *page;             /* the referer the private file needs */
  char       *landing_cookie;   /* what the redirect's target was sent */
  char       *landing_referer;
  gboolean    landing_seen;
} CheckingServer;

static void
checking_handler (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  CheckingServer *checking = user_data;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  const char *cookie = soup_message_headers_get_one (request, "Cookie");
  const char *referer = soup_message_headers_get_one (request, "Referer");
  const char *token = soup_message_headers_get_one (request, "X-Token");

  if (g_str_equal (path, "/private.bin"))
    {
      /* 403 unless the cookie, the referer and the header all came. */
      if (g_strcmp0 (cookie, "sid=abc") != 0 || g_strcmp0 (referer, checking->page) != 0 ||
          g_strcmp0 (token, "t1") != 0)
        {
          g_test_message ("private.bin refused: Cookie %s, Referer %s, X-Token %s",
                          cookie, referer, token);
          soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, NULL);
          return;
        }
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC,
                                        PRIVATE_BODY, strlen (PRIVATE_BODY));
    }
  else if (g_str_equal (path, "/hop.bin"))
    {
      /* To the same server under another host name. */
      g_autofree char *target = g_strdup_printf ("http://localhost:%u/landing.bin", checking->port);

      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, target);
    }
  else if (g_str_equal (path, "/landing.bin"))
    {
      g_free (checking->landing_cookie);
      checking->landing_cookie = g_strdup (cookie);
      g_free (checking->landing_referer);
      checking->landing_referer = g_strdup (referer);
      checking->landing_seen = TRUE;
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_STATIC,
                                        "landed", 6);
    }
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static void
checking_server_start (CheckingServer *checking)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;

  checking->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (checking->server, NULL, checking_handler, checking, NULL);
  soup_server_listen_local (checking->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (checking->server);
  checking->port = g_uri_get_port (uris->data);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  checking->page = g_strdup_printf ("http://127.0.0.1:%u/downloads.html", checking->port);
}

static void
checking_server_stop (CheckingServer *checking)
{
  soup_server_disconnect (checking->server);
  g_clear_object (&checking->server);
  g_clear_pointer (&checking->page, g_free);
  g_clear_pointer (&checking->landing_cookie, g_free);
  g_clear_pointer (&checking->landing_referer, g_free);
}

static gboolean
file_has_contents (const char *path,
                   const char *expected)
{
  g_autofree char *contents = NULL;

  return g_file_get_contents (path, &contents, NULL, NULL) && g_str_equal (contents, expected);
}

static void
test_cookies_referer_headers_sent (Fixture       *fixture,
                                   gconstpointer  data)
{
  CheckingServer checking = { NULL };
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  g_autofree char *url = NULL;
  g_autofree char *cookies = NULL;
  g_autofree char *path = NULL;
  const char *urls[2] = { NULL, NULL };
  const char *headers[] = { "X-Token: t1", NULL };

  if (skipped (fixture))
    return;

  checking_server_start (&checking);
  url = g_strdup_printf ("http://127.0.0.1:%u/private.bin", checking.port);
  urls[0] = url;
  cookies = g_strdup ("# Netscape HTTP Cookie File\n"
                      "127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tabc\n"
                      "other.example\tTRUE\t/\tFALSE\t0\tnot\tsent\n");

  g_variant_dict_insert (&options, "urls", "^as", urls);
  g_variant_dict_insert (&options, "folder", "s", fixture->folder);
  g_variant_dict_insert (&options, "referer", "s", checking.page);
  g_variant_dict_insert (&options, "headers", "^as", headers);
  g_variant_dict_insert (&options, "cookies", "s", cookies);
  activate_add_downloads (fixture, g_variant_dict_end (&options));

  path = g_build_filename (fixture->folder, "private.bin", NULL);
  WAIT_FOR (file_has_contents (path, PRIVATE_BODY));

  checking_server_stop (&checking);
}

static void
test_redirect_gets_its_own_cookies (Fixture       *fixture,
                                    gconstpointer  data)
{
  CheckingServer checking = { NULL };
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;
  const char *urls[2] = { NULL, NULL };
  const char *headers[] = { "X-Token: t1", NULL };

  if (skipped (fixture))
    return;

  checking_server_start (&checking);
  url = g_strdup_printf ("http://127.0.0.1:%u/hop.bin", checking.port);
  urls[0] = url;

  g_variant_dict_insert (&options, "urls", "^as", urls);
  g_variant_dict_insert (&options, "folder", "s", fixture->folder);
  g_variant_dict_insert (&options, "referer", "s", checking.page);
  g_variant_dict_insert (&options, "headers", "^as", headers);
  g_variant_dict_insert (&options, "cookies", "s",
                         "127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tabc\n"
                         "localhost\tFALSE\t/\tFALSE\t0\tlanding\tyes\n");
  activate_add_downloads (fixture, g_variant_dict_end (&options));

  path = g_build_filename (fixture->folder, "landing.bin", NULL);
  WAIT_FOR (checking.landing_seen && file_has_contents (path, "landed"));

  /* The other host gets its own cookie, not the first host's, and not
   * the referer and headers given for the first URL. */
  g_assert_cmpstr (checking.landing_cookie, ==, "landing=yes");
  g_assert_null (checking.landing_referer);

  checking_server_stop (&checking);
}

static void
communicated_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GBytes **output = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_finish (G_SUBPROCESS (object), result, output, NULL, &error);
  g_assert_no_error (error);
}

/* Hands @json to `bridge-downloader --native-messaging` as a browser
 * would, and returns its one reply. */
static char *
run_native_host (const char *json)
{
  const char *binary = g_getenv ("DL_TEST_BINARY");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) host = NULL;
  g_autoptr(GByteArray) input = g_byte_array_new ();
  g_autoptr(GBytes) input_bytes = NULL;
  g_autoptr(GBytes) output = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *bytes;
  gsize size;
  guint32 length;

  length = strlen (json);
  g_byte_array_append (input, (const guint8 *) &length, sizeof length);
  g_byte_array_append (input, (const guint8 *) json, length);
  input_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&input));

  launcher = new_launcher (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  host = g_subprocess_launcher_spawn (launcher, &error, binary, "--native-messaging",
                                      "chrome-extension://oaebdlocajhefkeafhjimnhnehdadogm/", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_async (host, input_bytes, NULL, communicated_cb, &output);
  WAIT_FOR (output != NULL);
  g_subprocess_wait (host, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (host), ==, 0);

  bytes = g_bytes_get_data (output, &size);
  g_assert_cmpuint (size, >, sizeof length);
  memcpy (&length, bytes, sizeof length);
  g_assert_cmpuint (size, ==, sizeof length + length);
  return g_strndup ((const char *) bytes + sizeof length, length);
}

static void
test_native_messaging_host (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *url = NULL;
  g_autofree char *json = NULL;
  g_autofree char *path = NULL;
  g_autofree char *reply = NULL;

  if (skipped (fixture))
    return;

  url = file_url (fixture, "from-browser.bin", 74);
  json = g_strdup_printf ("{\"urls\": [\"%s\"], \"folder\": \"%s\", \"referer\": \"%s\"}",
                          url, fixture->folder, fault_server_get_uri (fixture->server));
  reply = run_native_host (json);
  g_test_message ("reply: %s", reply);
  g_assert_nonnull (strstr (reply, "\"ok\":true"));

  path = g_build_filename (fixture->folder, "from-browser.bin", NULL);
  WAIT_FOR (file_is_complete (path, 74));
}

/* No Downloader runs: the host starts one, which then downloads. */
static void
test_native_host_starts_app (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *json = NULL;
  g_autofree char *path = NULL;
  g_autofree char *reply = NULL;

  if (name_has_owner (fixture->bus, APP_ID))
    {
      g_test_skip ("Downloader already runs on this session bus");
      return;
    }

  url = file_url (fixture, "started.bin", 75);
  json = g_strdup_printf ("{\"urls\": [\"%s\"], \"folder\": \"%s\"}", url, fixture->folder);
  reply = run_native_host (json);
  g_test_message ("reply: %s", reply);
  g_assert_nonnull (strstr (reply, "\"ok\":true"));

  path = g_build_filename (fixture->folder, "started.bin", NULL);
  WAIT_FOR (file_is_complete (path, 75));

  /* Not this test's child: quit it over the bus and see its name go. */
  g_dbus_connection_call_sync (fixture->bus, APP_ID, fixture->object_path, "org.gtk.Actions",
                               "Activate", g_variant_new ("(sava{sv})", "quit", NULL, NULL),
                               NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  WAIT_FOR (!name_has_owner (fixture->bus, APP_ID));
}

int
main (int   argc,
      char *argv[])
{
  system_data_dirs = g_strdup (g_getenv ("XDG_DATA_DIRS") != NULL ? g_getenv ("XDG_DATA_DIRS")
                                                                  : "/usr/local/share:/usr/share");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add ("/downloader/program/add-downloads/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("action-over-dbus", test_action_over_dbus);
  ADD ("bad-request-is-refused", test_bad_request_is_refused);
  ADD ("cookies-referer-headers-sent", test_cookies_referer_headers_sent);
  ADD ("redirect-gets-its-own-cookies", test_redirect_gets_its_own_cookies);
  ADD ("native-messaging-host", test_native_messaging_host);
  g_test_add ("/downloader/program/add-downloads/native-host-starts-app", Fixture, NULL,
              fixture_set_up_without_app, test_native_host_starts_app, fixture_tear_down);

#undef ADD

  return g_test_run ();
}
