/* test-native-messaging.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* `bridge-downloader --native-messaging`, the built program, fed framed
 * messages on stdin as a browser sends them. Each case runs a private
 * session bus (GTestDBus) on which this test plays Downloader: it owns the
 * app's name and exports an `add-downloads` action that records what it
 * is given. */

#define G_LOG_DOMAIN "test-native-messaging"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#define WAIT_SECONDS 60
#define MAX_MESSAGE  (1024 * 1024)

typedef struct
{
  GTestDBus          *dbus;
  GDBusConnection    *bus;
  GSimpleActionGroup *actions;
  GPtrArray          *received;        /* of GVariant a{sv} */
  guint               export_id;
  guint               owner_id;
  gboolean            name_acquired;
} Fixture;

typedef struct
{
  GBytes  *output;
  int      status;
  gboolean done;
} Run;

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

static void
add_downloads_cb (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  Fixture *fixture = user_data;

  g_ptr_array_add (fixture->received, g_variant_ref (parameter));
}

static void
name_acquired_cb (GDBusConnection *bus,
                  const char      *name,
                  gpointer         user_data)
{
  Fixture *fixture = user_data;

  fixture->name_acquired = TRUE;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSimpleAction) action = NULL;
  g_autofree char *object_path = NULL;

  fixture->dbus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture->dbus);

  fixture->bus = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (fixture->dbus),
                                                         G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                         G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                         NULL, NULL, &error);
  g_assert_no_error (error);

  fixture->received = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  fixture->actions = g_simple_action_group_new ();
  action = g_simple_action_new ("add-downloads", G_VARIANT_TYPE_VARDICT);
  g_signal_connect (action, "activate", G_CALLBACK (add_downloads_cb), fixture);
  g_action_map_add_action (G_ACTION_MAP (fixture->actions), G_ACTION (action));

  object_path = g_strconcat ("/", APP_ID, NULL);
  g_strdelimit (object_path, ".", '/');
  fixture->export_id = g_dbus_connection_export_action_group (fixture->bus, object_path,
                                                              G_ACTION_GROUP (fixture->actions),
                                                              &error);
  g_assert_no_error (error);

  fixture->owner_id = g_bus_own_name_on_connection (fixture->bus, APP_ID,
                                                    G_BUS_NAME_OWNER_FLAGS_NONE,
                                                    name_acquired_cb, NULL, fixture, NULL);
  WAIT_FOR (fixture->name_acquired);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_bus_unown_name (fixture->owner_id);
  g_dbus_connection_unexport_action_group (fixture->bus, fixture->export_id);
  g_dbus_connection_close_sync (fixture->bus, NULL, NULL);
  g_clear_object (&fixture->bus);
  g_clear_object (&fixture->actions);
  g_clear_pointer (&fixture->received, g_ptr_array_unref);
  g_test_dbus_down (fixture->dbus);
  g_clear_object (&fixture->dbus);
}

static void
append_frame (GByteArray *input,
              const char *json,
              gssize      length)
{
  guint32 n = length < 0 ? strlen (json) : (gsize) length;

  g_byte_array_append (input, (const guint8 *) &n, sizeof n);
  g_byte_array_append (input, (const guint8 *) json, n);
}

static void
communicated_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) err = NULL;

  g_subprocess_communicate_finish (G_SUBPROCESS (object), result, &run->output, &err, &error);
  g_assert_no_error (error);
  g_test_message ("stderr: %.*s", (int) g_bytes_get_size (err),
                  (const char *) g_bytes_get_data (err, NULL));
}

static void
exited_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Run *run = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  g_assert_true (g_subprocess_get_if_exited (G_SUBPROCESS (object)));
  run->status = g_subprocess_get_exit_status (G_SUBPROCESS (object));
  run->done = TRUE;
}

/* Runs the host with @input on its stdin (then closed), while this
 * process answers on the bus; returns the replies, unframed. */
static GPtrArray *
run_host (GByteArray *input,
          int        *out_status)
{
  const char *binary = g_getenv ("BRIDGE_DOWNLOADER");
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GBytes) stdin_bytes = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *replies = g_ptr_array_new_with_free_func (g_free);
  Run run = { NULL, -1, FALSE };
  const guint8 *data;
  gsize size, pos = 0;

  g_assert_nonnull (binary);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                              G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                              binary, "--native-messaging", "/path/to/manifest.json",
                              "downloader@libbridge.github.io", NULL);
  g_assert_no_error (error);

  stdin_bytes = g_byte_array_free_to_bytes (g_byte_array_ref (input));
  g_subprocess_communicate_async (process, stdin_bytes, NULL, communicated_cb, &run);
  g_subprocess_wait_async (process, NULL, exited_cb, &run);
  WAIT_FOR (run.done && run.output != NULL);

  data = g_bytes_get_data (run.output, &size);
  while (pos < size)
    {
      guint32 length;

      g_assert_cmpuint (size - pos, >=, sizeof length);
      memcpy (&length, data + pos, sizeof length);
      pos += sizeof length;
      g_assert_cmpuint (size - pos, >=, length);
      g_ptr_array_add (replies, g_strndup ((const char *) data + pos, length));
      pos += length;
    }

  g_bytes_unref (run.output);
  *out_status = run.status;
  return replies;
}

static void
assert_ok (const char *reply,
           guint       n_forwarded)
{
  g_autofree char *count = g_strdup_printf ("\"forwarded\":%u", n_forwarded);

  g_test_message ("reply: %s", reply);
  g_assert_nonnull (strstr (reply, "\"ok\":true"));
  g_assert_nonnull (strstr (reply, count));
}

static void
assert_error (const char *reply,
              const char *mention)
{
  g_test_message ("reply: %s", reply);
  g_assert_nonnull (strstr (reply, "\"ok\":false"));
  g_assert_nonnull (strstr (reply, "\"error\":\""));
  if (mention != NULL)
    g_assert_nonnull (strstr (reply, mention));
}

static void
test_forwards_request (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GByteArray) input = g_byte_array_new ();
  g_autoptr(GPtrArray) replies = NULL;
  g_autofree char *referer = NULL;
  g_autofree char *cookies = NULL;
  g_autofree const char **urls = NULL;
  g_autofree const char **headers = NULL;
  GVariant *options;
  int status;

  append_frame (input,
                "{\"urls\": [\"http://127.0.0.1:8080/a.iso\", \"https://[::1]/b%20c.zip\"],"
                " \"referer\": \"http://127.0.0.1:8080/page.html\","
                " \"headers\": {\"X-Token\": \"t\\u00e9st\"},"
                " \"cookies\": \"127.0.0.1\\tFALSE\\t/\\tFALSE\\t0\\tsid\\tabc\\n\","
                " \"from-a-newer-extension\": [1, 2.5e3, null, true]}",
                -1);
  replies = run_host (input, &status);

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpuint (replies->len, ==, 1);
  assert_ok (replies->pdata[0], 2);

  WAIT_FOR (fixture->received->len == 1);
  options = fixture->received->pdata[0];
  g_assert_true (g_variant_lookup (options, "urls", "^a&s", &urls));
  g_assert_cmpuint (g_strv_length ((char **) urls), ==, 2);
  g_assert_cmpstr (urls[0], ==, "http://127.0.0.1:8080/a.iso");
  g_assert_cmpstr (urls[1], ==, "https://[::1]/b%20c.zip");
  g_assert_true (g_variant_lookup (options, "referer", "s", &referer));
  g_assert_cmpstr (referer, ==, "http://127.0.0.1:8080/page.html");
  g_assert_true (g_variant_lookup (options, "headers", "^a&s", &headers));
  g_assert_cmpuint (g_strv_length ((char **) headers), ==, 1);
  g_assert_cmpstr (headers[0], ==, "X-Token: tést");
  g_assert_true (g_variant_lookup (options, "cookies", "s", &cookies));
  g_assert_cmpstr (cookies, ==, "127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tabc\n");
  /* Unknown keys are not passed on. */
  g_assert_false (g_variant_lookup (options, "from-a-newer-extension", "*", NULL));
}

static void
test_several_messages (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GByteArray) input = g_byte_array_new ();
  g_autoptr(GPtrArray) replies = NULL;
  int status;

  append_frame (input, "{\"urls\": [\"http://127.0.0.1/1\"]}", -1);
  append_frame (input, "{\"urls\": [\"http://127.0.0.1/2\", \"http://127.0.0.1/3\"]}", -1);
  append_frame (input, "  {\"urls\": [\"http://127.0.0.1/4\"]}\n", -1);
  replies = run_host (input, &status);

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpuint (replies->len, ==, 3);
  assert_ok (replies->pdata[0], 1);
  assert_ok (replies->pdata[1], 2);
  assert_ok (replies->pdata[2], 1);
  WAIT_FOR (fixture->received->len == 3);
}

static void
test_bad_json (Fixture       *fixture,
               gconstpointer  data)
{
  const char *bad[] = {
    "{bad",
    "",
    "[1, 2",
    "{\"urls\": [\"http://127.0.0.1/x\"]} trailing",
    "{\"urls\": \"\\ud800\"}",
    "{\"urls\": [\"a\\u0000b\"]}",
    "{\"urls\": [\"tab\there\"]}",
    "{\"urls\": 01}",
    "\xff\xfe{}",
  };
  g_autoptr(GByteArray) input = g_byte_array_new ();
  g_autoptr(GPtrArray) replies = NULL;
  int status;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    append_frame (input, bad[i], -1);
  /* The host reads on after each. */
  append_frame (input, "{\"urls\": [\"http://127.0.0.1/after\"]}", -1);
  replies = run_host (input, &status);

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpuint (replies->len, ==, G_N_ELEMENTS (bad) + 1);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_error (replies->pdata[i], "JSON");
  assert_ok (replies->pdata[G_N_ELEMENTS (bad)], 1);
  WAIT_FOR (fixture->received->len == 1);
}

static void
test_deep_nesting (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GByteArray) input = g_byte_array_new ();
  g_autoptr(GPtrArray) replies = NULL;
  g_autofree char *deep = g_strnfill (MAX_MESSAGE / 2, '[');
  int status;

  append_frame (input, deep, -1);
  replies = run_host (input, &status);

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpuint (replies->len, ==, 1);
  assert_error (replies->pdata[0], "nested too deeply");
}

static void
test_invalid_request (Fixture       *fixture,
                      gconstpointer  data)
{
  struct {
    const char *json;
    const char *field;
  } bad[] = {
    { "{}", "urls" },
    { "[\"http://127.0.0.1/x\"]", "dictionary" },
    { "{\"urls\": []}", "urls" },
    { "{\"urls\": \"http://127.0.0.1/x\"}", "urls" },
    { "{\"urls\": [42]}", "urls" },
    { "{\"urls\": [\"ftp://127.0.0.1/x\"]}", "urls" },
    { "{\"urls\": [\"file:///etc/passwd\"]}", "urls" },
    { "{\"urls\": [\"http://127.0.0.1/x\"], \"referer\": \"javascript:alert(1)\"}", "referer" },
    { "{\"urls\": [\"http://127.0.0.1/x\"], \"headers\": [\"X-A: 1\\r\\nX-B: 2\"]}", "headers" },
    { "{\"urls\": [\"http://127.0.0.1/x\"], \"headers\": [\"no colon\"]}", "headers" },
    /* Headers the engine sets itself, or that have their own field. */
    { "{\"urls\": [\"http://127.0.0.1/x\"], \"headers\": [\"Range: bytes=0-1\"]}", "Range" },
    { "{\"urls\": [\"http://127.0.0.1/x\"], \"headers\": {\"host\": \"evil\"}}", "host" },
    { "{\"urls\": [\"http://127.0.0.1/x\"], \"headers\": [\"Cookie: a=1\"]}", "use “cookies”" },
    { "{\"urls\": [\"http://127.0.0.1/x\"], \"headers\": [\"Proxy-Authorization: x\"]}", "Proxy-Authorization" },
    { "{\"urls\": [\"http://127.0.0.1/x\"], \"cookies\": \"not a cookies file\"}", "cookies" },
    { "{\"urls\": [\"http://127.0.0.1/x\"], \"folder\": \"relative/dir\"}", "folder" },
    { "{\"urls\": [\"http://127.0.0.1/x\"], \"folder\": 7}", "folder" },
  };
  g_autoptr(GByteArray) input = g_byte_array_new ();
  g_autoptr(GPtrArray) replies = NULL;
  int status;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    append_frame (input, bad[i].json, -1);
  replies = run_host (input, &status);

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpuint (replies->len, ==, G_N_ELEMENTS (bad));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_error (replies->pdata[i], bad[i].field);
  g_assert_cmpuint (fixture->received->len, ==, 0);
}

static void
test_replies_stay_small (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GByteArray) input = g_byte_array_new ();
  g_autoptr(GPtrArray) replies = NULL;
  g_autoptr(GString) json = g_string_new ("{\"urls\": [\"ftp://127.0.0.1/");
  int status;

  /* An error quoting all of this would be more than a browser accepts
   * back (1 MiB). */
  while (json->len < MAX_MESSAGE - 8)
    g_string_append_c (json, 'x');
  g_string_append (json, "\"]}");

  append_frame (input, json->str, json->len);
  replies = run_host (input, &status);

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpuint (replies->len, ==, 1);
  assert_error (replies->pdata[0], "ftp://127.0.0.1/xxx");
  g_assert_cmpuint (strlen (replies->pdata[0]), <, 1024);
}

static void
test_oversized_message (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GByteArray) input = g_byte_array_new ();
  g_autoptr(GPtrArray) replies = NULL;
  guint32 length = MAX_MESSAGE + 1;
  int status;

  /* Only the length: the host must refuse it without waiting for the
   * body, and stop (what follows cannot be trusted to be a message). */
  g_byte_array_append (input, (const guint8 *) &length, sizeof length);
  append_frame (input, "{\"urls\": [\"http://127.0.0.1/x\"]}", -1);
  replies = run_host (input, &status);

  g_assert_cmpint (status, ==, 1);
  g_assert_cmpuint (replies->len, ==, 1);
  assert_error (replies->pdata[0], "larger than");
  g_assert_cmpuint (fixture->received->len, ==, 0);
}

static void
test_largest_message (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GByteArray) input = g_byte_array_new ();
  g_autoptr(GPtrArray) replies = NULL;
  g_autoptr(GString) json = g_string_new ("{\"urls\": [\"http://127.0.0.1/big\"], \"padding\": \"");
  int status;

  while (json->len < MAX_MESSAGE - 2)
    g_string_append_c (json, 'x');
  g_string_append (json, "\"}");
  g_assert_cmpuint (json->len, ==, MAX_MESSAGE);

  append_frame (input, json->str, json->len);
  replies = run_host (input, &status);

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpuint (replies->len, ==, 1);
  assert_ok (replies->pdata[0], 1);
  WAIT_FOR (fixture->received->len == 1);
}

static void
test_short_read_in_body (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GByteArray) input = g_byte_array_new ();
  g_autoptr(GPtrArray) replies = NULL;
  const char *json = "{\"urls\": [\"http://127.0.0.1/x\"]}";
  guint32 length = strlen (json) + 10;
  int status;

  append_frame (input, "{\"urls\": [\"http://127.0.0.1/first\"]}", -1);
  g_byte_array_append (input, (const guint8 *) &length, sizeof length);
  g_byte_array_append (input, (const guint8 *) json, strlen (json));
  replies = run_host (input, &status);

  g_assert_cmpint (status, ==, 1);
  g_assert_cmpuint (replies->len, ==, 2);
  assert_ok (replies->pdata[0], 1);
  assert_error (replies->pdata[1], "ended inside a message");
  WAIT_FOR (fixture->received->len == 1);
}

static void
test_short_read_in_length (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GByteArray) input = g_byte_array_new ();
  g_autoptr(GPtrArray) replies = NULL;
  int status;

  g_byte_array_append (input, (const guint8 *) "\x10\x00", 2);
  replies = run_host (input, &status);

  g_assert_cmpint (status, ==, 1);
  g_assert_cmpuint (replies->len, ==, 1);
  assert_error (replies->pdata[0], "length");
}

static void
test_end_of_input (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GByteArray) input = g_byte_array_new ();
  g_autoptr(GPtrArray) replies = NULL;
  int status;

  replies = run_host (input, &status);

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpuint (replies->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add ("/downloader/native-messaging/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("forwards-request", test_forwards_request);
  ADD ("several-messages", test_several_messages);
  ADD ("bad-json-gets-an-error", test_bad_json);
  ADD ("deep-nesting-gets-an-error", test_deep_nesting);
  ADD ("invalid-request-gets-an-error", test_invalid_request);
  ADD ("replies-stay-small", test_replies_stay_small);
  ADD ("oversized-message", test_oversized_message);
  ADD ("largest-message", test_largest_message);
  ADD ("short-read-in-body", test_short_read_in_body);
  ADD ("short-read-in-length", test_short_read_in_length);
  ADD ("end-of-input", test_end_of_input);

#undef ADD

  return g_test_run ();
}
