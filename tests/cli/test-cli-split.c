/* test-cli-split.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include "cli-test-util.h"

/* A file fetched over several connections (--connections), against the
 * fault server: what the user sees (the file, byte for byte, and the
 * events), whatever the server does to one of the connections. Each file
 * is rate-limited per connection by the server, so that the connections
 * overlap, and split at 1 MiB. */

#define SIZE_TEXT "12m"
#define SIZE (12 * 1024 * 1024)
#define SEED 31

/* The most "connections" any progress event of @events reports, from the
 * first event containing @after on (NULL: from the start). */
static gint64
max_connections (const char *events,
                 const char *after)
{
  const char *p = after != NULL ? strstr (events, after) : events;
  gint64 most = -1;

  g_assert_nonnull (p);
  while ((p = strstr (p, "\"connections\":")) != NULL)
    {
      p += strlen ("\"connections\":");
      most = MAX (most, g_ascii_strtoll (p, NULL, 10));
    }
  return most;
}

/* Runs the CLI on @query (the fault server's file "s.bin" with it) with
 * @connections and the extra arguments, and checks the file is the body. */
static CliResult *
run_split (CliFixture *fixture,
           const char *query,
           const char *first_extra,
           ...)
{
  g_autofree char *url = g_strdup_printf ("%ss.bin?size=" SIZE_TEXT "&seed=%d&%s",
                                          fault_server_get_uri (fixture->server), SEED, query);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *path = g_build_filename (fixture->out_dir, "s.bin", NULL);
  CliResult *result;
  va_list ap;

  g_ptr_array_add (args, (char *) "-o");
  g_ptr_array_add (args, fixture->out_dir);
  g_ptr_array_add (args, (char *) "--json");
  g_ptr_array_add (args, (char *) "--min-split-size=1M");
  va_start (ap, first_extra);
  for (const char *arg = first_extra; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, url);
  g_ptr_array_add (args, NULL);

  result = cli_runv (fixture->home, NULL, (const char * const *) args->pdata);
  g_assert_cmpint (result->status, ==, 0);
  cli_check_json (result->out, "--count", "1", "--expect", "0=done", NULL);
  cli_assert_body (path, SEED, SIZE);
  return result;
}

/* A server that grants ranges gets several connections at once. */
static void
test_several_connections (CliFixture    *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(CliResult) result = run_split (fixture, "rate=2m&key=k", "--connections=4",
                                           "--per-host=4", NULL);

  g_assert_cmpint (max_connections (result->out, NULL), >=, 2);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "k"), >=, 4);
  g_assert_cmpuint (fault_server_get_max_open_connections (fixture->server), >=, 2);
}

/* --connections=1: one connection, one request, as without ranges. */
static void
test_one_connection (CliFixture    *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(CliResult) result = run_split (fixture, "rate=8m&key=k", "--connections=1",
                                           "--per-host=4", NULL);

  g_assert_cmpint (max_connections (result->out, NULL), ==, 1);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "k"), ==, 1);
}

/* A server without ranges gets one connection. */
static void
test_no_ranges_one_connection (CliFixture    *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(CliResult) result = run_split (fixture, "rate=8m&key=k&no_range=1",
                                           "--connections=4", "--per-host=4", NULL);

  g_assert_cmpint (max_connections (result->out, NULL), <=, 1);
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "k"), ==, 1);
}

/* Connections dropped mid-range: their ranges go back to the queue and the
 * download completes without failing once. */
static void
test_dropped_connection_requeued (CliFixture    *fixture,
                                  gconstpointer  user_data)
{
  g_autoptr(CliResult) result = run_split (fixture, "rate=2m&key=k&drop_after=300k&faults=2",
                                           "--connections=4", "--per-host=4", NULL);

  g_assert_null (strstr (result->out, "\"event\":\"retrying\""));
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "k"), >=, 6);
}

/* A connection that stalls is given up after the idle timeout and its
 * range fetched again: the download does not fail. */
static void
test_stalled_connection_requeued (CliFixture    *fixture,
                                  gconstpointer  user_data)
{
  g_autoptr(CliResult) result = run_split (fixture, "rate=2m&key=k&hang_after=200k&faults=1",
                                           "--connections=4", "--per-host=4", "--timeout=1",
                                           NULL);

  g_assert_null (strstr (result->out, "\"event\":\"retrying\""));
  g_assert_cmpuint (fault_server_get_request_count (fixture->server, "k"), >=, 5);
}

/* Checks a download restarted from zero over one connection after the
 * server broke its word about ranges: the reason says so, and no event
 * after it shows more than one connection. */
static void
assert_restarted_with_one (CliResult *result)
{
  g_assert_nonnull (strstr (result->out, "\"event\":\"retrying\""));
  g_assert_nonnull (strstr (result->out, "starting over"));
  g_assert_cmpint (max_connections (result->out, "\"event\":\"retrying\""), <=, 1);
}

/* The 3rd request (a range) gets 200 and the whole file. */
static void
test_range_ignored_restarts (CliFixture    *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(CliResult) result = run_split (fixture,
                                           "rate=2m&key=k&range_fault=ignore&range_fault_at=3",
                                           "--connections=4", "--per-host=4", NULL);

  assert_restarted_with_one (result);
}

/* The ranges come from another version of the file (another ETag): never
 * joined to the first one's bytes. */
static void
test_etag_change_restarts (CliFixture    *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(CliResult) result = run_split (fixture, "rate=2m&key=k&range_etag_change=1",
                                           "--connections=4", "--per-host=4", NULL);

  assert_restarted_with_one (result);
}

/* A range request answered with 416. */
static void
test_range_not_satisfiable_restarts (CliFixture    *fixture,
                                     gconstpointer  user_data)
{
  g_autoptr(CliResult) result = run_split (fixture,
                                           "rate=2m&key=k&range_fault=416&range_fault_at=2",
                                           "--connections=4", "--per-host=4", NULL);

  assert_restarted_with_one (result);
}

/* A 206 whose Content-Range names other bytes than it sends. */
static void
test_content_range_lie_restarts (CliFixture    *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(CliResult) result = run_split (fixture,
                                           "rate=2m&key=k&range_fault=lie&range_fault_at=2",
                                           "--connections=4", "--per-host=4", NULL);

  assert_restarted_with_one (result);
}

/* --per-host bounds the connections the server sees. */
static void
test_per_host_bounds_connections (CliFixture    *fixture,
                                  gconstpointer  user_data)
{
  g_autoptr(CliResult) result = run_split (fixture, "rate=2m&key=k", "--connections=8",
                                           "--per-host=3", NULL);

  g_assert_cmpint (max_connections (result->out, NULL), >=, 2);
  g_assert_cmpint (max_connections (result->out, NULL), <=, 3);
  g_assert_cmpuint (fault_server_get_max_open_connections (fixture->server), <=, 3);
}

/* --connections takes 1 to 16, and says so otherwise. */
static void
test_connections_option_checked (CliFixture    *fixture,
                                 gconstpointer  user_data)
{
  const char *bad[] = { "0", "17", "four", "" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *option = g_strconcat ("--connections=", bad[i], NULL);
      g_autofree char *url = cli_fixture_url (fixture, "a.bin");
      g_autoptr(CliResult) result = cli_run (fixture->home, NULL, option, url, NULL);

      g_assert_cmpint (result->status, ==, 2);
      g_assert_nonnull (strstr (result->err, "--connections must be a whole number from 1 to 16"));
      g_assert_cmpuint (fault_server_get_request_count (fixture->server, NULL), ==, 0);
    }
}

/* Waits until a progress event in @events_path reports at least @bytes,
 * or @process exits, or the bound expires. */
static void
wait_for_progress (const char  *events_path,
                   gint64       bytes,
                   GSubprocess *process)
{
  gint64 deadline = g_get_monotonic_time () + CLI_TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline && g_subprocess_get_identifier (process) != NULL)
    {
      g_autofree char *events = NULL;
      const char *p;

      if (g_file_get_contents (events_path, &events, NULL, NULL))
        for (p = events; (p = strstr (p, "\"bytes\":")) != NULL; p++)
          if (g_ascii_strtoll (p + strlen ("\"bytes\":"), NULL, 10) >= bytes)
            return;
      g_usleep (10 * 1000);
    }
  g_error ("no progress to %" G_GINT64_FORMAT " bytes in %s", bytes, events_path);
}

/* kill -9 once the ranges are recorded, then the same command: only what
 * is missing is fetched, a range request per range, and the file is whole. */
static void
test_resume_fetches_missing_ranges (CliFixture    *fixture,
                                    gconstpointer  user_data)
{
  g_autoptr(SniffProxy) proxy = sniff_proxy_new (fault_server_get_port (fixture->server));
  g_autofree char *url = g_strdup_printf ("%ss.bin?size=" SIZE_TEXT "&seed=%d&rate=1m",
                                          sniff_proxy_get_uri (proxy), SEED);
  g_autofree char *path = g_build_filename (fixture->out_dir, "s.bin", NULL);
  g_autofree char *events_path = g_build_filename (fixture->home, "events.jsonl", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(CliResult) rerun = NULL;
  g_autoptr(GPtrArray) ranges = NULL;
  const char *args[] = { "-o", fixture->out_dir, "--json", "--min-split-size=1M",
                         "--connections=4", "--per-host=4", url, NULL };
  guint64 first_run;

  process = cli_spawn (events_path, NULL, args);
  /* Two thirds in (at 4 MB/s, past the syncs of the first second). */
  wait_for_progress (events_path, SIZE * 2 / 3, process);
  g_subprocess_send_signal (process, SIGKILL);
  g_assert_cmpint (cli_wait (process, CLI_TEST_TIMEOUT_SECONDS), ==, 128 + SIGKILL);
  first_run = sniff_proxy_get_bytes_down (proxy);

  sniff_proxy_reset (proxy);
  rerun = cli_runv (fixture->home, NULL, args);
  g_assert_cmpint (rerun->status, ==, 0);
  cli_assert_body (path, SEED, SIZE);

  /* Each request resumed a range, none from the start of the file. */
  ranges = sniff_proxy_dup_ranges (proxy);
  g_assert_cmpuint (ranges->len, >=, 2);
  for (guint i = 0; i < ranges->len; i++)
    {
      const char *range = g_ptr_array_index (ranges, i);

      g_assert_true (g_str_has_prefix (range, "bytes="));
      g_assert_false (g_str_has_prefix (range, "bytes=0-"));
    }
  /* Less than all again: what was synced before the kill stayed. */
  g_assert_cmpuint (sniff_proxy_get_bytes_down (proxy), <, SIZE - 1024 * 1024);
  g_assert_cmpuint (first_run, >, 1024 * 1024);
}

int
main (int   argc,
      char *argv[])
{
  /* The isolated XDG dirs hide the GSettings schemas that GIO's GNOME proxy
   * resolver would read: no proxies for a server on 127.0.0.1. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  CLI_FIXTURE_TEST ("/downloader/cli/split/several-connections", test_several_connections);
  CLI_FIXTURE_TEST ("/downloader/cli/split/one-connection", test_one_connection);
  CLI_FIXTURE_TEST ("/downloader/cli/split/no-ranges-one-connection",
                    test_no_ranges_one_connection);
  CLI_FIXTURE_TEST ("/downloader/cli/split/dropped-connection-requeued",
                    test_dropped_connection_requeued);
  CLI_FIXTURE_TEST ("/downloader/cli/split/stalled-connection-requeued",
                    test_stalled_connection_requeued);
  CLI_FIXTURE_TEST ("/downloader/cli/split/range-ignored-restarts", test_range_ignored_restarts);
  CLI_FIXTURE_TEST ("/downloader/cli/split/etag-change-restarts", test_etag_change_restarts);
  CLI_FIXTURE_TEST ("/downloader/cli/split/range-not-satisfiable-restarts",
                    test_range_not_satisfiable_restarts);
  CLI_FIXTURE_TEST ("/downloader/cli/split/content-range-lie-restarts",
                    test_content_range_lie_restarts);
  CLI_FIXTURE_TEST ("/downloader/cli/split/per-host-bounds-connections",
                    test_per_host_bounds_connections);
  CLI_FIXTURE_TEST ("/downloader/cli/split/connections-option-checked",
                    test_connections_option_checked);
  CLI_FIXTURE_TEST ("/downloader/cli/split/resume-fetches-missing-ranges",
                    test_resume_fetches_missing_ranges);

  return g_test_run ();
}
