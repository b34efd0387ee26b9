/* dl-native-messaging.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "dl-native-messaging"

#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <string.h>
#include <unistd.h>

#include "dl-add-request.h"
#include "dl-json.h"
#include "dl-native-messaging.h"

/* `bridge-downloader --native-messaging`: the host a browser extension
 * talks to (the WebExtension native messaging protocol). The browser
 * starts it and writes messages to its stdin, each a 32-bit length in the
 * machine's byte order followed by that many bytes of UTF-8 JSON; every
 * reply goes to stdout the same way. Each message is a request to add
 * downloads (the fields of DlAddRequest), which the host checks and hands
 * to the running Downloader through its `app.add-downloads` action on the
 * session bus, starting Downloader first if it is not running.
 *
 * The reply is {"ok": true, "forwarded": N} or {"ok": false, "error": "…"}.
 * Nothing the browser sends makes the host crash: bad JSON or a bad
 * request gets an error reply and the host reads on; a message over
 * DL_NATIVE_MESSAGING_MAX_MESSAGE, or input that ends inside a message,
 * gets an error reply and ends the host (the stream cannot be resynced).
 * stdout carries only messages: diagnostics go to stderr, which browsers
 * log. */

#define NATIVE_MESSAGING_OPTION "--native-messaging"

/* How long a Downloader that was just started may take to appear on the
 * bus, and how long it may take to accept a request. */
#define LAUNCH_TIMEOUT_SECONDS   30
#define ACTIVATE_TIMEOUT_MSEC    (30 * 1000)

G_DEFINE_QUARK (dl-native-messaging-error-quark, dl_native_messaging_error)

/**
 * dl_native_messaging_is_requested:
 * @argc: the program's argument count
 * @argv: its arguments
 *
 * Returns: whether the first argument is `--native-messaging` (the browser
 *   appends its own arguments after it: the manifest's path and the
 *   extension's ID, or the extension's origin)
 */
gboolean
dl_native_messaging_is_requested (int    argc,
                                  char **argv)
{
  return argc >= 2 && g_str_equal (argv[1], NATIVE_MESSAGING_OPTION);
}

/**
 * dl_native_messaging_read:
 * @input: the stream from the browser
 * @out_length: (out): the length of the message
 * @error: return location for a #GError
 *
 * Reads one message. A message longer than %DL_NATIVE_MESSAGING_MAX_MESSAGE
 * is refused before its body is read.
 *
 * Returns: (transfer full) (nullable): the message, nul-terminated, or
 *   %NULL: without an error at the end of the input between two messages,
 *   with %DL_NATIVE_MESSAGING_ERROR_TRUNCATED if it ends inside one, with
 *   %DL_NATIVE_MESSAGING_ERROR_TOO_LARGE, or with an I/O error
 */
char *
dl_native_messaging_read (GInputStream  *input,
                          gsize         *out_length,
                          GError       **error)
{
  g_autofree char *message = NULL;
  guint32 length = 0;
  gsize n_read = 0;

  g_return_val_if_fail (G_IS_INPUT_STREAM (input), NULL);
  g_return_val_if_fail (out_length != NULL, NULL);

  *out_length = 0;

  if (!g_input_stream_read_all (input, &length, sizeof length, &n_read, NULL, error))
    return NULL;
  if (n_read == 0)
    return NULL;
  if (n_read < sizeof length)
    {
      g_set_error (error, DL_NATIVE_MESSAGING_ERROR, DL_NATIVE_MESSAGING_ERROR_TRUNCATED,
                   "The input ended inside a message's length (%" G_GSIZE_FORMAT " of 4 bytes)",
                   n_read);
      return NULL;
    }

  if (length > DL_NATIVE_MESSAGING_MAX_MESSAGE)
    {
      g_set_error (error, DL_NATIVE_MESSAGING_ERROR, DL_NATIVE_MESSAGING_ERROR_TOO_LARGE,
                   "A message of %" G_GUINT32_FORMAT " bytes is larger than the %d allowed",
                   length, DL_NATIVE_MESSAGING_MAX_MESSAGE);
      return NULL;
    }

  message = g_malloc (length + 1);
  if (!g_input_stream_read_all (input, message, length, &n_read, NULL, error))
    return NULL;
  if (n_read < length)
    {
      g_set_error (error, DL_NATIVE_MESSAGING_ERROR, DL_NATIVE_MESSAGING_ERROR_TRUNCATED,
                   "The input ended inside a message (%" G_GSIZE_FORMAT " of %" G_GUINT32_FORMAT
                   " bytes)", n_read, length);
      return NULL;
    }
  message[length] = '\0';

  *out_length = length;
  return g_steal_pointer (&message);
}

/**
 * dl_native_messaging_write:
 * @output: the stream to the browser
 * @json: a JSON text
 * @error: return location for a #GError
 *
 * Writes @json as one message and flushes it.
 *
 * Returns: %FALSE on an I/O error
 */
gboolean
dl_native_messaging_write (GOutputStream  *output,
                           const char     *json,
                           GError        **error)
{
  guint32 length;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (output), FALSE);
  g_return_val_if_fail (json != NULL, FALSE);

  length = strlen (json);
  return g_output_stream_write_all (output, &length, sizeof length, NULL, NULL, error) &&
         g_output_stream_write_all (output, json, length, NULL, NULL, error) &&
         g_output_stream_flush (output, NULL, error);
}

static char *
error_reply (const char *message)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GVariant) reply = NULL;

  g_variant_dict_insert (&dict, "ok", "b", FALSE);
  g_variant_dict_insert (&dict, "error", "s", message);
  reply = g_variant_ref_sink (g_variant_dict_end (&dict));
  return dl_json_serialize (reply);
}

static char *
success_reply (guint n_forwarded)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GVariant) reply = NULL;

  g_variant_dict_insert (&dict, "ok", "b", TRUE);
  g_variant_dict_insert (&dict, "forwarded", "u", n_forwarded);
  reply = g_variant_ref_sink (g_variant_dict_end (&dict));
  return dl_json_serialize (reply);
}

static char *
get_object_path (void)
{
  char *path = g_strconcat ("/", APP_ID, NULL);

  g_strdelimit (path, ".", '/');
  return path;
}

static gboolean
app_is_running (GDBusConnection  *bus,
                GError          **error)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", APP_ID), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(b)", &owned);
  return owned;
}

typedef struct
{
  GMainLoop *loop;
  gboolean   appeared;
} LaunchWait;

static void
name_appeared_cb (GDBusConnection *bus,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  LaunchWait *wait = user_data;

  wait->appeared = TRUE;
  g_main_loop_quit (wait->loop);
}

static gboolean
launch_timeout_cb (gpointer user_data)
{
  LaunchWait *wait = user_data;

  g_main_loop_quit (wait->loop);
  return G_SOURCE_CONTINUE;
}

/* Starts Downloader (this same program, without arguments: it opens its
 * window) and waits until it owns its name on the bus. */
static gboolean
launch_app (GDBusConnection  *bus,
            GError          **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GSource) timeout = NULL;
  g_autofree char *self_path = NULL;
  LaunchWait wait = { NULL, FALSE };
  guint watch_id;

  self_path = g_file_read_link ("/proc/self/exe", error);
  if (self_path == NULL)
    return FALSE;

  g_main_context_push_thread_default (context);
  loop = g_main_loop_new (context, FALSE);
  wait.loop = loop;

  watch_id = g_bus_watch_name_on_connection (bus, APP_ID, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                             name_appeared_cb, NULL, &wait, NULL);

  /* Not our stdout: that is the browser's pipe, for messages only. stdin
   * is /dev/null. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  process = g_subprocess_launcher_spawn (launcher, error, self_path, NULL);

  if (process != NULL)
    {
      timeout = g_timeout_source_new_seconds (LAUNCH_TIMEOUT_SECONDS);
      g_source_set_callback (timeout, launch_timeout_cb, &wait, NULL);
      g_source_attach (timeout, context);
      if (!wait.appeared)
        g_main_loop_run (loop);
      g_source_destroy (timeout);
    }

  g_bus_unwatch_name (watch_id);
  g_main_context_pop_thread_default (context);

  if (process == NULL)
    return FALSE;
  if (!wait.appeared)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "Downloader did not start within %d seconds", LAUNCH_TIMEOUT_SECONDS);
      return FALSE;
    }
  return TRUE;
}

static gboolean
forward_request (GDBusConnection  *bus,
                 DlAddRequest     *request,
                 GError          **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *object_path = get_object_path ();
  GVariantBuilder parameter;

  if (!app_is_running (bus, error))
    {
      if (error != NULL && *error != NULL)
        return FALSE;
      if (!launch_app (bus, error))
        return FALSE;
    }

  g_variant_builder_init (&parameter, G_VARIANT_TYPE ("av"));
  g_variant_builder_add (&parameter, "v", dl_add_request_to_variant (request));

  reply = g_dbus_connection_call_sync (bus, APP_ID, object_path, "org.gtk.Actions", "Activate",
                                       g_variant_new ("(sava{sv})", "add-downloads", &parameter,
                                                      NULL),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, ACTIVATE_TIMEOUT_MSEC,
                                       NULL, error);
  return reply != NULL;
}

/* Returns the reply to one message. */
static char *
handle_message (GDBusConnection *bus,
                const char      *message,
                gsize            length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) json = NULL;
  g_autoptr(DlAddRequest) request = NULL;

  json = dl_json_parse (message, length, &error);
  if (json == NULL)
    return error_reply (error->message);

  request = dl_add_request_new_from_variant (json, &error);
  if (request == NULL)
    return error_reply (error->message);

  if (bus == NULL)
    return error_reply ("There is no session bus to reach Downloader on");

  if (!forward_request (bus, request, &error))
    {
      g_autofree char *text = NULL;

      g_dbus_error_strip_remote_error (error);
      text = g_strdup_printf ("Downloader cannot be reached: %s", error->message);
      return error_reply (text);
    }

  return success_reply (g_strv_length (request->urls));
}

/**
 * dl_native_messaging_run:
 * @argc: the program's argument count
 * @argv: its arguments, `--native-messaging` first
 *
 * Serves the browser on stdin and stdout until it closes stdin.
 *
 * Returns: the exit status: 0 when the input ended between messages, 1
 *   when it ended inside one, was too large, or could not be read or
 *   answered
 */
int
dl_native_messaging_run (int    argc,
                         char **argv)
{
  g_autoptr(GInputStream) input = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  g_autoptr(GOutputStream) output = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) bus_error = NULL;

  /* Connected lazily would be as good; connecting once up front keeps a
   * missing bus to one warning. */
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &bus_error);
  if (bus == NULL)
    g_printerr ("%s: no session bus: %s\n", BIN_NAME, bus_error->message);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *message = NULL;
      g_autofree char *reply = NULL;
      gsize length = 0;

      message = dl_native_messaging_read (input, &length, &error);
      if (message == NULL && error == NULL)
        return 0;

      if (message == NULL)
        {
          g_autofree char *refusal = error_reply (error->message);

          g_printerr ("%s: %s\n", BIN_NAME, error->message);
          /* The stream cannot be trusted past this point; say why, then
           * stop. */
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
            dl_native_messaging_write (output, refusal, NULL);
          return 1;
        }

      reply = handle_message (bus, message, length);
      /* Browsers take at most 1 MiB from a host, too. */
      if (strlen (reply) > DL_NATIVE_MESSAGING_MAX_MESSAGE)
        {
          g_free (reply);
          reply = error_reply ("The reply would be larger than a browser accepts");
        }
      if (!dl_native_messaging_write (output, reply, &error))
        {
          g_printerr ("%s: cannot answer the browser: %s\n", BIN_NAME, error->message);
          return 1;
        }
    }
}
