/* dl-demo.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-demo"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libbridge.h>
#include <string.h>
#ifdef __linux__
# include <signal.h>
# include <sys/prctl.h>
#endif

#include "dl-demo.h"

#define SERVER_NAME "bridge-fault-server"
#define SERVER_START_TIMEOUT 10.0

/* The demo server is run by a libbridge task, written as plain sequential
 * code: start the program, read its first line, report, then wait for it to
 * exit. While it waits, the task shows in the inspector like any other. */
struct _DlDemo
{
  GObject      parent_instance;

  /* Owned References */
  GSubprocess *subprocess;
  BridgeTask  *task;
  char        *base_uri;

  guint        stopping : 1;
};

enum {
  READY,
  FAILED,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

G_DEFINE_FINAL_TYPE (DlDemo, dl_demo, G_TYPE_OBJECT)

typedef struct
{
  DlDemo *demo;
  char   *message;
} Report;

static void
report_free (Report *report)
{
  g_clear_object (&report->demo);
  g_clear_pointer (&report->message, g_free);
  g_free (report);
}

/* Signals are emitted from the loop, not from inside the task: handlers
 * then run on the main stack and may do anything a GTK callback does. */
static void
report_cb (gpointer user_data)
{
  Report *report = user_data;

  if (report->demo->stopping)
    return;

  if (report->message == NULL)
    g_signal_emit (report->demo, signals [READY], 0);
  else
    g_signal_emit (report->demo, signals [FAILED], 0, report->message);
}

static void
report (DlDemo     *self,
        const char *message)
{
  Report *r = g_new0 (Report, 1);

  r->demo = g_object_ref (self);
  r->message = g_strdup (message);
  /* The handle is the loop's; nothing to keep. */
  bridge_loop_call_soon (bridge_loop_get_default (), report_cb, r, (GDestroyNotify) report_free);
}

#ifdef __linux__
/* If the app dies without cleaning up (a crash, kill -9), the server must
 * not live on holding its port. */
static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}
#endif

static gboolean
read_first_line (GInputStream  *stream,
                 GString       *line,
                 GError       **error)
{
  while (strchr (line->str, '\n') == NULL)
    {
      g_autoptr(GBytes) bytes = NULL;

      bytes = bridge_input_stream_read_bytes (stream, 512, G_PRIORITY_DEFAULT, error);
      if (bytes == NULL)
        return FALSE;
      if (g_bytes_get_size (bytes) == 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                               _("The demo server exited before it was ready"));
          return FALSE;
        }
      g_string_append_len (line, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }

  g_string_truncate (line, strchr (line->str, '\n') - line->str);
  g_strstrip (line->str);
  return TRUE;
}

static void
demo_task (BridgeTask *task,
           gpointer    user_data)
{
  DlDemo *self = user_data;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GString) line = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *server = dl_demo_find_server ();
  g_autofree char *message = NULL;
  BridgeTimeout *timeout;
  gboolean ok;

  if (server == NULL)
    {
      /* Translators: %s is a program name */
      message = g_strdup_printf (_("The demo server “%s” was not found. Build it with the tests, "
                                   "or set BRIDGE_FAULT_SERVER to its path."),
                                 SERVER_NAME);
      report (self, message);
      return;
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
#ifdef __linux__
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
#endif
  self->subprocess = g_subprocess_launcher_spawn (launcher, &error, server, NULL);
  if (self->subprocess == NULL)
    {
      /* Translators: %s is an error message */
      message = g_strdup_printf (_("Could not start the demo server: %s"), error->message);
      report (self, message);
      return;
    }

  /* Its first line on stdout is the base URL it serves. */
  timeout = bridge_timeout_begin (SERVER_START_TIMEOUT);
  ok = read_first_line (g_subprocess_get_stdout_pipe (self->subprocess), line, &error);
  if (!bridge_timeout_end (timeout, &error))
    ok = FALSE;

  if (!ok || !g_str_has_prefix (line->str, "http"))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Translators: %s is an error message */
      message = g_strdup_printf (_("Could not start the demo server: %s"),
                                 error != NULL ? error->message : line->str);
      report (self, message);
      return;
    }

  if (!g_str_has_suffix (line->str, "/"))
    g_string_append_c (line, '/');
  self->base_uri = g_strdup (line->str);
  g_debug ("Demo server at %s", self->base_uri);
  report (self, NULL);

  if (!bridge_subprocess_wait (self->subprocess, &error))
    return;

  if (!self->stopping)
    report (self, _("The demo server stopped"));
}

static void
dl_demo_dispose (GObject *object)
{
  DlDemo *self = (DlDemo *) object;

  dl_demo_stop (self);
  g_clear_object (&self->subprocess);

  G_OBJECT_CLASS (dl_demo_parent_class)->dispose (object);
}

static void
dl_demo_finalize (GObject *object)
{
  DlDemo *self = (DlDemo *) object;

  g_clear_pointer (&self->base_uri, g_free);

  G_OBJECT_CLASS (dl_demo_parent_class)->finalize (object);
}

static void
dl_demo_class_init (DlDemoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dl_demo_dispose;
  object_class->finalize = dl_demo_finalize;

  /**
   * DlDemo::ready:
   *
   * The server answers at [method@Dl.Demo.get_base_uri].
   */
  signals [READY] =
    g_signal_new ("ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * DlDemo::failed:
   * @message: what went wrong, for the user
   */
  signals [FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
dl_demo_init (DlDemo *self)
{
}

DlDemo *
dl_demo_new (void)
{
  return g_object_new (DL_TYPE_DEMO, NULL);
}

void
dl_demo_start (DlDemo *self)
{
  g_return_if_fail (DL_IS_DEMO (self));
  g_return_if_fail (self->task == NULL);

  self->task = bridge_spawn_full (NULL, "demo server", BRIDGE_STACK_SIZE_DEFAULT,
                                  demo_task, g_object_ref (self), g_object_unref);
}

/**
 * dl_demo_stop:
 * @self: a #DlDemo
 *
 * Kills the server at once (so it never outlives the app, even when the
 * main loop does not run again) and cancels the task.
 */
void
dl_demo_stop (DlDemo *self)
{
  g_return_if_fail (DL_IS_DEMO (self));

  self->stopping = TRUE;

  if (self->subprocess != NULL)
    g_subprocess_force_exit (self->subprocess);

  if (self->task != NULL)
    {
      if (!bridge_future_is_done (BRIDGE_FUTURE (self->task)))
        bridge_task_cancel (self->task, "Demo stopped");
      g_clear_pointer (&self->task, bridge_task_unref);
    }
}

const char *
dl_demo_get_base_uri (DlDemo *self)
{
  g_return_val_if_fail (DL_IS_DEMO (self), NULL);

  return self->base_uri;
}

static void add_link (GStrvBuilder *builder,
                      const char   *format,
                      ...) G_GNUC_PRINTF (2, 3);

static void
add_link (GStrvBuilder *builder,
          const char   *format,
          ...)
{
  g_autofree char *link = NULL;
  va_list args;

  va_start (args, format);
  link = g_strdup_vprintf (format, args);
  va_end (args);
  g_strv_builder_add (builder, link);
}

/**
 * dl_demo_build_links:
 * @base_uri: the server's base URI, with a trailing slash
 *
 * A varied set: big files that finish at once, slow ones that keep the
 * progress bars moving, one that is refused twice and then works, one
 * whose connection drops and resumes, and one that fails for good.
 *
 * Returns: (transfer full): the links, in the order to add them
 */
GStrv
dl_demo_build_links (const char *base_uri)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *run = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time ());
  const char *b = base_uri;

  g_return_val_if_fail (base_uri != NULL, NULL);

  add_link (builder, "%swallpaper.png?size=6m&seed=6&type=image/png", b);
  add_link (builder, "%smissing-dataset.csv?status=404&key=missing-%s", b, run);
  add_link (builder, "%sflaky-mirror.tar.xz?size=40m&seed=5&drop_after=12m"
                                                 "&faults=1&key=mirror-%s", b, run);
  add_link (builder, "%sannual-report.pdf?size=3m&seed=4&type=application/pdf"
                                                 "&status=503,503,200&retry_after=2&key=report-%s", b, run);
  add_link (builder, "%sholiday-photos.zip?size=24m&rate=256k&seed=3"
                                                 "&type=application/zip", b);
  add_link (builder, "%sconference-talk.webm?size=96m&seed=2&type=video/webm", b);
  add_link (builder, "%sgnome-os-nightly.iso?size=1g&rate=3m&seed=1", b);

  return g_strv_builder_end (builder);
}

static char *
exe_dir (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);

  return exe != NULL ? g_path_get_dirname (exe) : NULL;
}

/**
 * dl_demo_find_server:
 *
 * Looks for the demo server: `$BRIDGE_FAULT_SERVER`, then next to this
 * program, then in the build tree (`tests/fault-server/` beside `app/`),
 * then in `PATH`.
 *
 * Returns: (transfer full) (nullable): its path
 */
char *
dl_demo_find_server (void)
{
  const char *env = g_getenv ("BRIDGE_FAULT_SERVER");
  g_autofree char *dir = exe_dir ();

  if (env != NULL && *env != '\0')
    return g_file_test (env, G_FILE_TEST_IS_EXECUTABLE) ? g_strdup (env) : NULL;

  if (dir != NULL)
    {
      const char *candidates[] = {
        SERVER_NAME,
        "../tests/fault-server/" SERVER_NAME,
        "../libexec/" SERVER_NAME,
      };

      for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
        {
          g_autofree char *path = g_build_filename (dir, candidates[i], NULL);

          if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
            return g_canonicalize_filename (path, NULL);
        }
    }

  return g_find_program_in_path (SERVER_NAME);
}

/**
 * dl_demo_remove_folder:
 * @path: a scratch folder made for a demo or a measurement
 *
 * Removes @path and everything in it, without following symbolic links.
 */
void
dl_demo_remove_folder (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        dl_demo_remove_folder (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}
