/* test-keyring.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libbridge.h>

#include "dl-credentials.h"
#include "dl-keyring.h"
#include "test-keyring-daemon.h"

/* The app's keyring code (dl-keyring.c) against a real Secret Service:
 * gnome-keyring-daemon on a private bus. */

/* The cases share the keyring (one daemon per run), each with hosts of
 * its own. */
typedef struct
{
  int unused;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
}

/* Runs @func as a task until it returns. */
static void
run_in_task (BridgeTaskFunc func)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bridge_run (func, NULL, &error));
  g_assert_no_error (error);
}

static void
assert_found (const char *host,
              const char *realm,
              const char *expected_user,
              const char *expected_password)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;
  char *password = NULL;

  g_assert_true (dl_keyring_lookup (host, realm, &user, &password, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (user, ==, expected_user);
  g_assert_cmpstr (password, ==, expected_password);
  dl_password_free (password);
}

static void
assert_not_found (const char *host,
                  const char *realm)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;
  char *password = NULL;

  g_assert_false (dl_keyring_lookup (host, realm, &user, &password, &error));
  g_assert_no_error (error);
  g_assert_null (user);
  g_assert_null (password);
}

static void
store (const char *host,
       const char *realm,
       const char *user,
       const char *password)
{
  g_autoptr(GError) error = NULL;

  gboolean stored = dl_keyring_store (host, realm, user, password, &error);

  g_assert_no_error (error);
  g_assert_true (stored);
}

static void
store_and_look_up_task (BridgeTask *task,
                        gpointer    data)
{
  assert_not_found ("127.0.0.1:8080", "Fault Server");
  store ("127.0.0.1:8080", "Fault Server", "alice", "Pa55w0rd");
  assert_found ("127.0.0.1:8080", "Fault Server", "alice", "Pa55w0rd");
  bridge_task_return_boolean (task, TRUE);
}

/* What was stored is found again, user name and password. */
static void
test_store_and_look_up (Fixture       *fixture,
                        gconstpointer  user_data)
{
  run_in_task (store_and_look_up_task);
}

static void
separate_task (BridgeTask *task,
               gpointer    data)
{
  store ("example.org", "Staff", "alice", "one");
  assert_not_found ("example.org", "Guests");
  assert_not_found ("example.org:8080", "Staff");
  assert_not_found ("example.net", "Staff");
  bridge_task_return_boolean (task, TRUE);
}

/* Credentials belong to one host (and port) and one realm: another host
 * or realm finds none. */
static void
test_host_and_realm_separate (Fixture       *fixture,
                              gconstpointer  user_data)
{
  run_in_task (separate_task);
}

static void
replace_task (BridgeTask *task,
              gpointer    data)
{
  store ("replace.example", "Staff", "alice", "old");
  store ("replace.example", "Staff", "alice", "new");
  assert_found ("replace.example", "Staff", "alice", "new");
  bridge_task_return_boolean (task, TRUE);
}

/* Storing again for the same user replaces the password. */
static void
test_replace (Fixture       *fixture,
              gconstpointer  user_data)
{
  run_in_task (replace_task);
}

static void
clear_task (BridgeTask *task,
            gpointer    data)
{
  g_autoptr(GError) error = NULL;

  store ("clear.example", "Staff", "alice", "secret");
  store ("clear.example", "Other", "bob", "kept");
  g_assert_true (dl_keyring_clear ("clear.example", "Staff", "alice", &error));
  g_assert_no_error (error);
  assert_not_found ("clear.example", "Staff");
  assert_found ("clear.example", "Other", "bob", "kept");
  /* Nothing left to forget is no error. */
  g_assert_true (dl_keyring_clear ("clear.example", "Staff", "alice", &error));
  g_assert_no_error (error);
  bridge_task_return_boolean (task, TRUE);
}

/* Clearing forgets those credentials, and only those. */
static void
test_clear (Fixture       *fixture,
            gconstpointer  user_data)
{
  run_in_task (clear_task);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/downloader/keyring/store-and-look-up", Fixture, NULL, fixture_setup,
              test_store_and_look_up, fixture_teardown);
  g_test_add ("/downloader/keyring/host-and-realm-separate", Fixture, NULL, fixture_setup,
              test_host_and_realm_separate, fixture_teardown);
  g_test_add ("/downloader/keyring/replace", Fixture, NULL, fixture_setup, test_replace,
              fixture_teardown);
  g_test_add ("/downloader/keyring/clear", Fixture, NULL, fixture_setup, test_clear,
              fixture_teardown);

  {
    TestKeyringDaemon *daemon = test_keyring_daemon_start ();
    int status = g_test_run ();

    test_keyring_daemon_stop (daemon);
    return status;
  }
}
