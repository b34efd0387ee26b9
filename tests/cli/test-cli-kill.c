/* test-cli-kill.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cli-test-util.h"

/* The kill test: `bridge-downloader --headless` is killed with SIGKILL at
 * 20 points spread across a 64 MiB download (rate-limited by the server, so
 * that the download takes a few seconds and the points can be hit), and run
 * again with the same command each time. Every time, the file it finishes
 * must be byte-identical to the server's body: nothing that was recorded
 * as written may be lost or corrupted, whatever the moment of the kill.
 *
 * The points are random but seeded (CLI_KILL_SEED overrides the seed), one
 * in each twentieth of the file. A point is a size the partial file must
 * have reached in this run before the kill: the file grows in 1 MiB writes,
 * synced and recorded at most every second or 8 MiB, so the kills land
 * between syncs, just after one, during a write and so on.
 *
 * Two cases, over one connection and over four (--connections=4, the
 * file fetched in ranges, each synced and recorded on its own):
 *   /cli/kill/each-point        20 downloads, each killed once at its
 *   /cli/kill/split/each-point  point, then re-run to completion and compared
 *   /cli/kill/chained           one download killed at all 20 points in
 *   /cli/kill/split/chained     turn, re-run after each kill, compared at
 *                               the end
 *
 * A relay in front of the server checks from the wire that each re-run
 * resumed rather than starting over: over one connection, one request with
 * Range: bytes=N-, N no more than what was on disk; over four, a range
 * request for each range still missing, and never the whole file again.
 *
 * Over four connections the partial file does not grow from its start, so
 * a point is a count of bytes received, from the --json progress events. */

#define FILE_SIZE (64 * 1024 * 1024)
#define RATE_BYTES (24 * 1024 * 1024)
/* Over several connections, in all: the progress events that tell the
 * points come every half second, 6 MiB apart at this rate, so the last one
 * before the end is past SPLIT_LAST_POINT. */
#define SPLIT_RATE_BYTES (12 * 1024 * 1024)
#define SPLIT_LAST_POINT 0.80
#define N_POINTS 20
#define BODY_SEED 20260
#define DEFAULT_POINT_SEED 4242

typedef struct
{
  FaultServer *server;
  SniffProxy  *proxy;
  char        *url;
  char        *expected_sha256;
  gint64       points[N_POINTS];
  guint32      point_seed;
  guint        connections;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = NULL;
  const char *seed_env = g_getenv ("CLI_KILL_SEED");

  fixture->server = fault_server_new_in_thread (FALSE, &error);
  g_assert_no_error (error);
  fixture->proxy = sniff_proxy_new (fault_server_get_port (fixture->server));
  fixture->connections = GPOINTER_TO_UINT (user_data);
  fixture->url = g_strdup_printf ("%sbig.bin?size=%d&rate=%u&seed=%d",
                                  sniff_proxy_get_uri (fixture->proxy), FILE_SIZE,
                                  (fixture->connections > 1 ? SPLIT_RATE_BYTES : RATE_BYTES) /
                                  fixture->connections, BODY_SEED);
  fixture->expected_sha256 = fault_server_body_sha256 (BODY_SEED, FILE_SIZE);

  fixture->point_seed = seed_env != NULL ? (guint32) g_ascii_strtoull (seed_env, NULL, 10)
                                         : DEFAULT_POINT_SEED;
  rand = g_rand_new_with_seed (fixture->point_seed);
  /* One point in each twentieth, kept off the very end so that the kill
   * comes before the download completes. */
  for (guint i = 0; i < N_POINTS; i++)
    {
      double stratum = (i + g_rand_double (rand)) / N_POINTS;

      fixture->points[i] = (gint64) (MIN (stratum, fixture->connections > 1 ? SPLIT_LAST_POINT
                                                                             : 0.97) * FILE_SIZE);
    }
  g_test_message ("kill points (seed %u, CLI_KILL_SEED to change):", fixture->point_seed);
  for (guint i = 0; i < N_POINTS; i++)
    g_test_message ("  %2u: %.2f MiB", i, fixture->points[i] / 1048576.0);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_clear_pointer (&fixture->proxy, sniff_proxy_free);
  g_clear_pointer (&fixture->server, fault_server_free);
  g_clear_pointer (&fixture->url, g_free);
  g_clear_pointer (&fixture->expected_sha256, g_free);
}

typedef struct
{
  gint64 killed_at;     /* size of the partial file when killed, or -1 */
  gint64 resumed_from;  /* the re-run's Range offset, 0 without one */
  guint64 refetched;    /* bytes the re-run got from the server */
} KillRun;

/* The most bytes any progress event in @events_path reports so far. */
static gint64
progress_bytes (const char *events_path)
{
  g_autofree char *events = NULL;
  gint64 most = 0;

  if (!g_file_get_contents (events_path, &events, NULL, NULL))
    return 0;
  for (const char *p = events; (p = strstr (p, "\"bytes\":")) != NULL; p++)
    most = MAX (most, g_ascii_strtoll (p + strlen ("\"bytes\":"), NULL, 10));
  return most;
}

/* Over several connections: runs the command until it reports @point
 * bytes received (in all ranges), then kills it. Returns FALSE if it
 * completed first. */
static gboolean
run_and_kill_split (Fixture    *fixture,
                    const char *out_dir,
                    gint64      point,
                    KillRun    *run)
{
  g_autofree char *events_path = g_build_filename (g_get_home_dir (), "events.jsonl", NULL);
  g_autofree char *connections = g_strdup_printf ("--connections=%u", fixture->connections);
  const char *args[] = { "-o", out_dir, "--quiet", "--json", connections, "--per-host=4",
                         fixture->url, NULL };
  g_autoptr(GSubprocess) process = NULL;
  gint64 deadline = g_get_monotonic_time () + CLI_TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;
  int status;

  g_assert_cmpint (g_mkdir_with_parents (g_get_home_dir (), 0700), ==, 0);
  g_unlink (events_path);
  process = cli_spawn (events_path, NULL, args);
  while (g_subprocess_get_identifier (process) != NULL && progress_bytes (events_path) < point)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("no progress to %" G_GINT64_FORMAT " bytes", point);
      g_usleep (2 * 1000);
    }
  g_subprocess_force_exit (process);
  status = cli_wait (process, CLI_TEST_TIMEOUT_SECONDS);
  if (status == 0)
    {
      run->killed_at = -1;
      return FALSE;
    }
  g_assert_cmpint (status, ==, 128 + SIGKILL);
  run->killed_at = progress_bytes (events_path);
  return TRUE;
}

/* Over several connections, after the re-run: every request asked for a
 * range still missing (none for the whole file without If-Range), and the
 * re-run fetched the file at most once. */
static void
rerun_split (Fixture *fixture,
             KillRun *run)
{
  g_autoptr(GPtrArray) ranges = sniff_proxy_dup_ranges (fixture->proxy);

  run->refetched = sniff_proxy_get_bytes_down (fixture->proxy);
  run->resumed_from = -1;
  g_assert_cmpuint (ranges->len, >=, 1);
  for (guint i = 0; i < ranges->len; i++)
    {
      g_test_message ("  re-run request %u: Range %s", i, (char *) g_ptr_array_index (ranges, i));
      g_assert_true (g_str_has_prefix (g_ptr_array_index (ranges, i), "bytes="));
    }
  /* A range's connection closes at its end; what the server had sent on
   * by then is lost, under a megabyte each. */
  g_assert_cmpuint (run->refetched, <=, FILE_SIZE + ranges->len * 1024 * 1024);
}

/* Bytes the re-run fetched that the killed run had received already:
 * received but not yet recorded as synced. */
static gint64
fetched_again (const KillRun *run)
{
  return MAX ((gint64) run->refetched + run->killed_at - FILE_SIZE, 0);
}

/* Runs the command until the partial file has reached @point with data of
 * this run, then kills it. Returns FALSE if it completed first. */
static gboolean
run_and_kill (Fixture    *fixture,
              const char *out_dir,
              gint64      point,
              KillRun    *run)
{
  g_autofree char *part = g_build_filename (out_dir, "big.bin.part", NULL);
  const char *args[] = { "-o", out_dir, "--quiet", "--connections=1", fixture->url, NULL };
  g_autoptr(GSubprocess) process = NULL;
  gint64 before = cli_file_size (part);
  gint64 size;
  int status;

  if (fixture->connections > 1)
    return run_and_kill_split (fixture, out_dir, point, run);

  process = cli_spawn (NULL, NULL, args);

  /* Past the point, and grown beyond what the last run left (which a
   * resume may first cut back to the last recorded offset). */
  size = cli_wait_for_size (part, MAX (point, before + 1), process, CLI_TEST_TIMEOUT_SECONDS);
  g_subprocess_force_exit (process);
  status = cli_wait (process, CLI_TEST_TIMEOUT_SECONDS);

  if (status == 0)
    {
      run->killed_at = -1;
      return FALSE;
    }
  g_assert_cmpint (status, ==, 128 + SIGKILL);
  run->killed_at = MAX (cli_file_size (part), 0);
  g_assert_cmpint (run->killed_at, >=, MIN (size, FILE_SIZE));
  return TRUE;
}

/* The same command again, to completion: one request, resuming from what
 * was recorded before the kill. */
static void
rerun (Fixture    *fixture,
       const char *out_dir,
       KillRun    *run,
       gboolean    complete)
{
  g_autoptr(GPtrArray) ranges = NULL;
  const char *range;

  sniff_proxy_reset (fixture->proxy);

  if (complete)
    {
      g_autoptr(CliResult) result = NULL;

      g_autofree char *connections = g_strdup_printf ("--connections=%u", fixture->connections);

      result = cli_run (NULL, NULL, "-o", out_dir, "--quiet", connections, "--per-host=4",
                        fixture->url, NULL);

      g_assert_cmpint (result->status, ==, 0);
    }

  if (fixture->connections > 1)
    {
      rerun_split (fixture, run);
      return;
    }

  ranges = sniff_proxy_dup_ranges (fixture->proxy);
  run->refetched = sniff_proxy_get_bytes_down (fixture->proxy);
  g_assert_cmpuint (ranges->len, >=, 1);
  range = g_ptr_array_index (ranges, 0);
  if (g_str_has_prefix (range, "bytes="))
    run->resumed_from = g_ascii_strtoll (range + 6, NULL, 10);
  else
    run->resumed_from = 0;

  /* Never more than what the disk had; the rest is fetched once. */
  g_assert_cmpint (run->resumed_from, <=, run->killed_at);
  g_assert_cmpuint (run->refetched, <=, FILE_SIZE - run->resumed_from + 64 * 1024);
}

static void
assert_complete (Fixture    *fixture,
                 const char *out_dir)
{
  g_autofree char *path = g_build_filename (out_dir, "big.bin", NULL);
  g_autofree char *actual = NULL;
  g_autoptr(GDir) dir = g_dir_open (out_dir, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (!g_str_equal (name, "big.bin"))
      g_error ("unexpected file %s in %s", name, out_dir);

  actual = cli_file_sha256 (path);
  g_assert_cmpstr (actual, ==, fixture->expected_sha256);
}

static void
test_each_point (Fixture       *fixture,
                 gconstpointer  user_data)
{
  gint64 redone = 0, worst = 0;
  guint64 refetched = 0;
  guint identical = 0;

  for (guint i = 0; i < N_POINTS; i++)
    {
      g_autofree char *name = g_strdup_printf ("trial-%02u", i);
      g_autofree char *out_dir = g_build_filename (g_get_home_dir (), name, NULL);
      KillRun run = { 0, };

      sniff_proxy_reset (fixture->proxy);
      if (!run_and_kill (fixture, out_dir, fixture->points[i], &run))
        g_error ("trial %u: the download completed before the kill at %" G_GINT64_FORMAT,
                 i, fixture->points[i]);

      rerun (fixture, out_dir, &run, TRUE);
      assert_complete (fixture, out_dir);
      identical++;
      redone += fetched_again (&run);
      worst = MAX (worst, fetched_again (&run));
      refetched += run.refetched;

      g_test_message ("trial %2u: killed at %6.2f MiB, the re-run fetched %6.2f MiB, "
                      "byte-identical", i, run.killed_at / 1048576.0, run.refetched / 1048576.0);

      /* 64 MiB a trial: keep the disk use of the test at one file. */
      {
        g_autofree char *path = g_build_filename (out_dir, "big.bin", NULL);

        g_assert_cmpint (g_unlink (path), ==, 0);
      }
    }

  /* What was on disk but not yet recorded as synced is fetched again. */
  g_test_message ("kill test (each point, %u connections): %u/%u re-runs byte-identical; "
                  "fetched again: %.2f MiB in all, at most %.2f MiB in one re-run",
                  fixture->connections, identical, N_POINTS, redone / 1048576.0,
                  worst / 1048576.0);
  /* The re-runs resumed: together they fetched much less than the files. */
  g_assert_cmpuint (refetched, <, N_POINTS * (guint64) FILE_SIZE * 3 / 4);
}

static void
test_chained (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autofree char *out_dir = g_build_filename (g_get_home_dir (), "chained", NULL);
  g_autofree char *connections = g_strdup_printf ("--connections=%u", fixture->connections);
  guint kills = 0;

  for (guint i = 0; i < N_POINTS; i++)
    {
      KillRun run = { 0, };

      sniff_proxy_reset (fixture->proxy);
      if (!run_and_kill (fixture, out_dir, fixture->points[i], &run))
        break;
      kills++;

      /* The next run resumes: check its request once it has made it. */
      if (i + 1 < N_POINTS)
        {
          g_test_message ("kill %2u at %6.2f MiB on disk", i, run.killed_at / 1048576.0);
          continue;
        }

      rerun (fixture, out_dir, &run, TRUE);
      g_test_message ("kill %2u at %6.2f MiB; the last re-run fetched %6.2f MiB",
                      i, run.killed_at / 1048576.0, run.refetched / 1048576.0);
    }

  if (kills < N_POINTS)
    {
      g_autoptr(CliResult) result = NULL;

      result = cli_run (NULL, NULL, "-o", out_dir, "--quiet", connections, "--per-host=4",
                        fixture->url, NULL);

      g_assert_cmpint (result->status, ==, 0);
    }

  assert_complete (fixture, out_dir);
  g_test_message ("kill test (chained): %u kills of one download, final file byte-identical",
                  kills);
  /* Every point is below 97 % and grows by at least a write per run. */
  g_assert_cmpuint (kills, ==, N_POINTS);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_unsetenv ("BRIDGE_DOWNLOADER_STALL_PROBE");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/downloader/cli/kill/each-point", Fixture, GUINT_TO_POINTER (1),
              fixture_setup, test_each_point, fixture_teardown);
  g_test_add ("/downloader/cli/kill/chained", Fixture, GUINT_TO_POINTER (1),
              fixture_setup, test_chained, fixture_teardown);
  g_test_add ("/downloader/cli/kill/split/each-point", Fixture, GUINT_TO_POINTER (4),
              fixture_setup, test_each_point, fixture_teardown);
  g_test_add ("/downloader/cli/kill/split/chained", Fixture, GUINT_TO_POINTER (4),
              fixture_setup, test_chained, fixture_teardown);

  return g_test_run ();
}
