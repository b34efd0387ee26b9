/* fetch-many.c: download several files concurrently, with a 10 s timeout
 * each, writing them without ever blocking the loop.
 *
 *     async def fetch(session, url):
 *         async with asyncio.timeout(10):
 *             async with session.get(url) as response:
 *                 ...write the body in chunks...
 *
 *     await asyncio.gather(*(fetch(session, url) for url in urls))
 *
 * Usage: fetch-many [-o DIR] [URL…]. Without URLs it starts a small local
 * server and fetches eight files from it, one of which is too slow for a
 * 1 s timeout (set with FETCH_TIMEOUT) to show a timeout failing alone.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <libbridge.h>
#include <stdio.h>

#include "example-server.h"

typedef struct
{
  SoupSession *session;
  const char  *url;
  char        *path;
  double       timeout;
} Fetch;

static void
fetch_free (gpointer data)
{
  Fetch *fetch = data;

  g_free (fetch->path);
  g_free (fetch);
}

/* One download, written top to bottom: request, open the file, copy chunks.
 * Every bridge_* call parks this task while the loop serves the others. */
static void
fetch_task (BridgeTask *task,
            gpointer    user_data)
{
  Fetch *fetch = user_data;
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", fetch->url);
  g_autoptr(GFile) file = g_file_new_for_path (fetch->path);
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  BridgeTimeout *scope = bridge_timeout_begin (fetch->timeout);
  GError *error = NULL;
  gint64 total = 0;

  if (msg == NULL)
    {
      bridge_timeout_end (scope, NULL);
      bridge_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                    "not a URL: %s", fetch->url);
      return;
    }

  body = bridge_soup_session_send (fetch->session, msg, G_PRIORITY_DEFAULT, &error);
  if (body != NULL && !SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "HTTP %u %s",
                 soup_message_get_status (msg), soup_message_get_reason_phrase (msg));
  if (error == NULL)
    out = bridge_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, G_PRIORITY_DEFAULT, &error);

  while (error == NULL)
    {
      g_autoptr(GBytes) chunk = bridge_input_stream_read_bytes (body, 64 * 1024, G_PRIORITY_DEFAULT, &error);

      if (chunk == NULL || g_bytes_get_size (chunk) == 0)
        break;
      if (!bridge_output_stream_write_all_bytes (G_OUTPUT_STREAM (out), chunk, G_PRIORITY_DEFAULT, NULL, &error))
        break;
      total += g_bytes_get_size (chunk);
    }
  if (out != NULL && error == NULL)
    bridge_output_stream_close (G_OUTPUT_STREAM (out), G_PRIORITY_DEFAULT, &error);

  /* Turns this scope's own cancellation into G_IO_ERROR_TIMED_OUT. */
  if (!bridge_timeout_end (scope, &error))
    {
      bridge_task_return_error (task, error);
      return;
    }
  bridge_task_return_int64 (task, total);
}

static char **urls;
static char *output_dir;

static void
main_task (BridgeTask *task,
           gpointer    user_data)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("max-conns-per-host", 8, NULL);
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) bridge_task_unref);
  g_autoptr(BridgeFuture) all = NULL;
  g_autoptr(GPtrArray) results = NULL;
  const char *timeout_env = g_getenv ("FETCH_TIMEOUT");
  double timeout = timeout_env != NULL ? g_ascii_strtod (timeout_env, NULL) : 10.0;
  int failures = 0;

  for (guint i = 0; urls[i] != NULL; i++)
    {
      Fetch *fetch = g_new0 (Fetch, 1);
      g_autofree char *name = g_strdup_printf ("file-%u.bin", i + 1);

      fetch->session = session;
      fetch->url = urls[i];
      fetch->path = g_build_filename (output_dir, name, NULL);
      fetch->timeout = timeout;
      g_ptr_array_add (tasks, bridge_spawn_full (NULL, fetch->url, BRIDGE_STACK_SIZE_DEFAULT,
                                                 fetch_task, fetch, fetch_free));
    }

  /* return_exceptions: a failed download does not hide the others' results. */
  all = bridge_gather ((BridgeFuture **) tasks->pdata, tasks->len, TRUE);
  results = bridge_await_pointer (all, NULL);

  for (guint i = 0; i < results->len; i++)
    {
      BridgeFuture *child = g_ptr_array_index (results, i);
      const GError *error = bridge_future_get_error (child);

      if (error != NULL)
        {
          printf ("FAIL %s: %s\n", urls[i], error->message);
          failures++;
        }
      else
        printf ("ok   %s: %" G_GINT64_FORMAT " bytes\n", urls[i], bridge_future_get_int64 (child, NULL));
    }

  bridge_task_return_int64 (task, failures);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(BridgeLoop) loop = bridge_loop_new (g_main_context_default ());
  g_autoptr(BridgeTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmpdir = NULL;
  gint64 failures;
  gboolean self_test = argc < 2 || (argc == 3 && g_str_equal (argv[1], "-o"));
  int first_url = 1;

  if (argc >= 3 && g_str_equal (argv[1], "-o"))
    {
      output_dir = argv[2];
      first_url = 3;
    }
  else
    output_dir = tmpdir = g_dir_make_tmp ("fetch-many-XXXXXX", NULL);

  if (self_test)
    {
      /* Eight files from a local server; the last one answers after 3 s,
       * past a 1 s timeout, and must fail alone. */
      GPtrArray *list = g_ptr_array_new ();

      base = example_server_start ();
      for (int i = 0; i < 7; i++)
        g_ptr_array_add (list, g_strdup_printf ("%sfile/%d?size=%d&delay=%d", base, i, 100000 * (i + 1), 50 * i));
      g_ptr_array_add (list, g_strdup_printf ("%sfile/slow?size=10&delay=3000", base));
      g_ptr_array_add (list, NULL);
      urls = (char **) g_ptr_array_free (list, FALSE);
      g_setenv ("FETCH_TIMEOUT", "1", FALSE);
    }
  else
    urls = g_strdupv (argv + first_url);

  task = bridge_spawn_full (loop, "main", BRIDGE_STACK_SIZE_DEFAULT, main_task, NULL, NULL);
  if (!bridge_loop_run_until_complete (loop, BRIDGE_FUTURE (task), &error))
    {
      g_printerr ("fetch-many: %s\n", error->message);
      return 2;
    }
  failures = bridge_future_get_int64 (BRIDGE_FUTURE (task), NULL);
  g_strfreev (urls);

  /* In the self-test exactly the slow file must have timed out. */
  if (self_test)
    return failures == 1 ? 0 : 1;
  return failures == 0 ? 0 : 1;
}
