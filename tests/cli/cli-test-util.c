/* cli-test-util.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cli-test-util.h"

/* ---- running the CLI ----------------------------------------------------------- */

void
cli_result_free (CliResult *result)
{
  g_free (result->out);
  g_free (result->err);
  g_free (result);
}

const char *
cli_test_get_program (void)
{
  const char *program = g_getenv ("BRIDGE_DOWNLOADER");

  if (program == NULL)
    g_error ("BRIDGE_DOWNLOADER is not set: run the test through meson");
  return program;
}

static GStrv
build_argv (const char * const *args)
{
  GPtrArray *argv = g_ptr_array_new ();

  g_ptr_array_add (argv, g_strdup (cli_test_get_program ()));
  g_ptr_array_add (argv, g_strdup ("--headless"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  return (GStrv) g_ptr_array_free (argv, FALSE);
}

static const char * const proxy_variables[] = {
  "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
  "no_proxy", "NO_PROXY",
};

/* G_TEST_OPTION_ISOLATE_DIRS points the environment at /dev/null and only
 * GLib's own idea of the dirs at the test case's folders: hand those to the
 * CLI, so that it gets the case's own history. */
void
cli_launcher_set_env (GSubprocessLauncher *launcher)
{
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", g_get_user_state_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", g_get_user_runtime_dir (), TRUE);
  /* The CLI takes its proxies from these: the machine's must not send the
   * tests' requests for 127.0.0.1 elsewhere. */
  for (guint i = 0; i < G_N_ELEMENTS (proxy_variables); i++)
    g_subprocess_launcher_unsetenv (launcher, proxy_variables[i]);
}

static int
exit_status_of (GSubprocess *process)
{
  if (g_subprocess_get_if_exited (process))
    return g_subprocess_get_exit_status (process);
  if (g_subprocess_get_if_signaled (process))
    return 128 + g_subprocess_get_term_sig (process);
  g_assert_not_reached ();
}

typedef struct
{
  gboolean  done;
  GBytes   *out;
  GBytes   *err;
  GError   *error;
} Communication;

static void
communicate_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Communication *c = user_data;

  g_subprocess_communicate_finish (G_SUBPROCESS (source), result, &c->out, &c->err, &c->error);
  c->done = TRUE;
}

static gboolean
flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static char *
bytes_to_string (GBytes *bytes)
{
  gsize len = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;

  return g_strndup (data != NULL ? data : "", len);
}

CliResult *
cli_runv (const char          *cwd,
          const char          *stdin_data,
          const char * const  *args)
{
  return cli_runv_env (cwd, stdin_data, NULL, args);
}

CliResult *
cli_runv_env (const char          *cwd,
              const char          *stdin_data,
              const char * const  *env,
              const char * const  *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GBytes) input = NULL;
  g_autoptr(GSource) timer = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = build_argv (args);
  g_autofree char *command = NULL;
  Communication c = { 0, };
  gboolean expired = FALSE;
  CliResult *result;

  /* Without input, stdin is /dev/null (GSubprocess's default). */
  launcher = g_subprocess_launcher_new ((stdin_data != NULL ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0) |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  cli_launcher_set_env (launcher);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto(GStrv) name_value = g_strsplit (env[i], "=", 2);

      g_assert_nonnull (name_value[1]);
      g_subprocess_launcher_setenv (launcher, name_value[0], name_value[1], TRUE);
    }
  if (cwd != NULL)
    g_subprocess_launcher_set_cwd (launcher, cwd);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, &error);
  g_assert_no_error (error);

  if (stdin_data != NULL)
    input = g_bytes_new (stdin_data, strlen (stdin_data));

  /* A private context: the wait is bounded by a timer, so a CLI that hangs
   * fails the test with a message instead of running into meson's timeout. */
  g_main_context_push_thread_default (context);
  timer = g_timeout_source_new_seconds ((guint) CLI_TEST_TIMEOUT_SECONDS);
  g_source_set_callback (timer, flag_cb, &expired, NULL);
  g_source_attach (timer, context);
  g_subprocess_communicate_async (process, input, NULL, communicate_cb, &c);
  while (!c.done && !expired)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);

  if (!c.done)
    {
      g_subprocess_force_exit (process);
      while (!c.done)
        g_main_context_iteration (context, TRUE);
      g_main_context_pop_thread_default (context);
      g_error ("%s did not exit within %.0f s", argv[0], CLI_TEST_TIMEOUT_SECONDS);
    }
  g_main_context_pop_thread_default (context);
  g_assert_no_error (c.error);

  result = g_new0 (CliResult, 1);
  result->status = exit_status_of (process);
  result->out = bytes_to_string (c.out);
  result->err = bytes_to_string (c.err);
  g_clear_pointer (&c.out, g_bytes_unref);
  g_clear_pointer (&c.err, g_bytes_unref);

  command = g_strjoinv (" ", argv);
  g_test_message ("exit %d from %s", result->status, command);
  if (result->err[0] != '\0')
    g_test_message ("stderr: %s", result->err);
  return result;
}

CliResult *
cli_run (const char *cwd,
         const char *stdin_data,
         const char *first_arg,
         ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  return cli_runv (cwd, stdin_data, (const char * const *) args->pdata);
}

GSubprocess *
cli_spawn (const char          *out_path,
           const char          *err_path,
           const char * const  *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = build_argv (args);
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_NONE;
  GSubprocess *process;

  if (out_path == NULL)
    flags |= G_SUBPROCESS_FLAGS_STDOUT_SILENCE;
  if (err_path == NULL)
    flags |= G_SUBPROCESS_FLAGS_STDERR_SILENCE;

  launcher = g_subprocess_launcher_new (flags);
  cli_launcher_set_env (launcher);
  if (out_path != NULL)
    g_subprocess_launcher_set_stdout_file_path (launcher, out_path);
  if (err_path != NULL)
    g_subprocess_launcher_set_stderr_file_path (launcher, err_path);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, &error);
  g_assert_no_error (error);
  return process;
}

static void
wait_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error);
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

int
cli_wait (GSubprocess *process,
          double       timeout_seconds)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) timer = NULL;
  gboolean done = FALSE;
  gboolean expired = FALSE;

  g_main_context_push_thread_default (context);
  timer = g_timeout_source_new ((guint) (timeout_seconds * 1000));
  g_source_set_callback (timer, flag_cb, &expired, NULL);
  g_source_attach (timer, context);
  g_subprocess_wait_async (process, NULL, wait_cb, &done);
  while (!done && !expired)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);

  if (!done)
    {
      g_subprocess_force_exit (process);
      while (!done)
        g_main_context_iteration (context, TRUE);
      g_main_context_pop_thread_default (context);
      g_error ("the CLI did not exit within %.0f s", timeout_seconds);
    }
  g_main_context_pop_thread_default (context);

  return exit_status_of (process);
}

/* ---- checking results ------------------------------------------------------------ */

void
cli_check_json (const char *json_lines,
                const char *first_arg,
                ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  int fd;
  va_list ap;

  fd = g_file_open_tmp ("cli-events-XXXXXX.jsonl", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, json_lines, -1, &error);
  g_assert_no_error (error);

  g_ptr_array_add (argv, g_strdup ("/usr/bin/python3"));
  g_ptr_array_add (argv, g_test_build_filename (G_TEST_DIST, "check-json-events.py", NULL));
  g_ptr_array_add (argv, g_strdup (path));
  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  g_unlink (path);

  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_printerr ("check-json-events.py disagrees:\n%s%s\nevents:\n%s", out, err, json_lines);
      g_test_fail ();
    }
}

char *
cli_file_sha256 (const char *path)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, &error);

  g_assert_no_error (error);
  g_checksum_update (checksum, (const guchar *) g_mapped_file_get_contents (file),
                     g_mapped_file_get_length (file));
  return g_strdup (g_checksum_get_string (checksum));
}

gint64
cli_file_size (const char *path)
{
  struct stat st;

  if (g_stat (path, &st) != 0)
    return -1;
  return st.st_size;
}

void
cli_assert_body (const char *path,
                 guint64     seed,
                 guint64     size)
{
  g_autofree char *expected = fault_server_body_sha256 (seed, size);
  g_autofree char *actual = NULL;
  g_autofree char *part = g_strconcat (path, ".part", NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    g_error ("%s does not exist", path);
  g_assert_cmpint (cli_file_size (path), ==, size);
  actual = cli_file_sha256 (path);
  g_assert_cmpstr (actual, ==, expected);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
}

gint64
cli_wait_for_size (const char  *path,
                   gint64       size,
                   GSubprocess *process,
                   double       timeout_seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (timeout_seconds * G_USEC_PER_SEC);

  for (;;)
    {
      gint64 current = cli_file_size (path);

      if (current >= size)
        return current;
      /* Exited (GLib's worker thread reaps it): the caller looks at why. */
      if (process != NULL && g_subprocess_get_identifier (process) == NULL)
        return current;
      if (g_get_monotonic_time () > deadline)
        g_error ("%s did not reach %" G_GINT64_FORMAT " bytes within %.0f s "
                 "(it has %" G_GINT64_FORMAT ")", path, size, timeout_seconds, current);
      g_usleep (2000);
    }
}

/* ---- a sniffing proxy ------------------------------------------------------------- */

struct _SniffProxy
{
  /* The service accepts on a context of its own, in a thread of its own:
   * the test's thread blocks (polling files, waiting for the CLI). */
  GThread        *thread;
  GMainContext   *context;
  gboolean        quit;         /* atomic */
  GSocketService *service;
  guint16         upstream_port;
  char           *uri;
  guint16         port;

  GMutex          lock;
  GCond           ready;
  GPtrArray      *ranges;
  GPtrArray      *heads;        /* each request's line and headers, CRLF-separated */
  gboolean        socks5;       /* speaks SOCKS5 to its clients before relaying */
  gboolean        ipv6;         /* listens on ::1 instead of 127.0.0.1 */
  char           *basic_token;  /* asks for Basic credentials (407) unless NULL */
  guint64         bytes_down;
  gint            active;       /* connections being relayed (atomic) */
};

/* The sockets are non-blocking underneath GSocket; these wait with poll(),
 * and a shutdown() from the other direction's thread wakes them. */
static gssize
fd_read (int    fd,
         char  *buffer,
         gsize  size)
{
  for (;;)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      gssize n = recv (fd, buffer, size, 0);

      if (n >= 0)
        return n;
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        return -1;
      if (poll (&pfd, 1, -1) < 0 && errno != EINTR)
        return -1;
    }
}

static gboolean
fd_write_all (int         fd,
              const char *data,
              gsize       len)
{
  while (len > 0)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLOUT };
      gssize n = send (fd, data, len, MSG_NOSIGNAL);

      if (n > 0)
        {
          data += n;
          len -= n;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        return FALSE;
      if (poll (&pfd, 1, -1) < 0 && errno != EINTR)
        return FALSE;
    }
  return TRUE;
}

typedef struct
{
  SniffProxy *proxy;
  int         client;
  int         upstream;
} Relay;

/* Server → client, counting. */
static gpointer
relay_down (gpointer data)
{
  Relay *relay = data;
  char buffer[64 * 1024];

  for (;;)
    {
      gssize n = fd_read (relay->upstream, buffer, sizeof buffer);

      if (n <= 0 || !fd_write_all (relay->client, buffer, n))
        break;
      g_mutex_lock (&relay->proxy->lock);
      relay->proxy->bytes_down += n;
      g_mutex_unlock (&relay->proxy->lock);
    }

  shutdown (relay->client, SHUT_RDWR);
  shutdown (relay->upstream, SHUT_RDWR);
  return NULL;
}

/* Records the Range header of each complete request head in @pending. */
static void
parse_heads (SniffProxy *self,
             GString    *pending)
{
  const char *end;

  while ((end = strstr (pending->str, "\r\n\r\n")) != NULL)
    {
      g_autofree char *head = g_strndup (pending->str, end - pending->str);
      g_auto(GStrv) lines = g_strsplit (head, "\r\n", -1);
      char *range = g_strdup ("");

      for (guint i = 1; lines[i] != NULL; i++)
        if (g_ascii_strncasecmp (lines[i], "Range:", 6) == 0)
          {
            g_free (range);
            range = g_strstrip (g_strdup (lines[i] + 6));
          }

      g_mutex_lock (&self->lock);
      g_ptr_array_add (self->ranges, range);
      g_ptr_array_add (self->heads, g_steal_pointer (&head));
      g_mutex_unlock (&self->lock);

      g_string_erase (pending, 0, end + 4 - pending->str);
    }
}

static gboolean
fd_read_exactly (int    fd,
                 guint8 *buffer,
                 gsize  size)
{
  while (size > 0)
    {
      gssize n = fd_read (fd, (char *) buffer, size);

      if (n <= 0)
        return FALSE;
      buffer += n;
      size -= n;
    }
  return TRUE;
}

/* The server side of a SOCKS5 handshake (RFC 1928), no authentication, a
 * CONNECT only: records "SOCKS5 HOST:PORT" as a head, and answers success
 * whatever the address, since everything goes to the upstream port. */
static gboolean
socks5_accept (SniffProxy *self,
               int         fd)
{
  static const guint8 no_auth[] = { 5, 0 };
  static const guint8 granted[] = { 5, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
  guint8 buffer[512];
  g_autofree char *host = NULL;
  guint port;

  if (!fd_read_exactly (fd, buffer, 2) || buffer[0] != 5 ||
      !fd_read_exactly (fd, buffer + 2, buffer[1]) ||
      !fd_write_all (fd, (const char *) no_auth, sizeof no_auth) ||
      !fd_read_exactly (fd, buffer, 4) || buffer[0] != 5 || buffer[1] != 1)
    return FALSE;

  switch (buffer[3])
    {
    case 1:
      if (!fd_read_exactly (fd, buffer, 4))
        return FALSE;
      host = g_strdup_printf ("%u.%u.%u.%u", buffer[0], buffer[1], buffer[2], buffer[3]);
      break;
    case 3:
      if (!fd_read_exactly (fd, buffer, 1) || !fd_read_exactly (fd, buffer + 1, buffer[0]))
        return FALSE;
      host = g_strndup ((const char *) buffer + 1, buffer[0]);
      break;
    default:
      return FALSE;
    }
  if (!fd_read_exactly (fd, buffer, 2))
    return FALSE;
  port = buffer[0] << 8 | buffer[1];

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->heads, g_strdup_printf ("SOCKS5 %s:%u", host, port));
  g_mutex_unlock (&self->lock);
  return fd_write_all (fd, (const char *) granted, sizeof granted);
}

/* Reads the first request head of a new connection into @pending. With
 * credentials required (@token), answers 407 (closing the connection)
 * unless the head carries them. A CONNECT is answered at once and opens a
 * tunnel (*tunnel set): what follows goes to the upstream port unread.
 * Any other request is sent on upstream. FALSE when the connection is
 * done. */
static gboolean
proxy_first_request (SniffProxy *self,
                     const char *token,
                     Relay      *relay,
                     GString    *pending,
                     gboolean   *tunnel)
{
  static const char challenge[] =
    "HTTP/1.1 407 Proxy Authentication Required\r\n"
    "Proxy-Authenticate: Basic realm=\"sniff\"\r\n"
    "Content-Length: 0\r\nConnection: close\r\n\r\n";
  static const char established[] = "HTTP/1.1 200 Connection established\r\n\r\n";
  g_autofree char *expected = NULL;
  char buffer[16 * 1024];
  const char *end;

  while ((end = strstr (pending->str, "\r\n\r\n")) == NULL)
    {
      gssize n = fd_read (relay->client, buffer, sizeof buffer);

      if (n <= 0)
        return FALSE;
      g_string_append_len (pending, buffer, n);
    }

  if (token != NULL)
    {
      expected = g_strconcat ("\r\nProxy-Authorization: Basic ", token, "\r\n", NULL);
      if (g_strstr_len (pending->str, end + 2 - pending->str, expected) == NULL)
        {
          parse_heads (self, pending);
          fd_write_all (relay->client, challenge, sizeof challenge - 1);
          return FALSE;
        }
    }

  if (g_str_has_prefix (pending->str, "CONNECT "))
    {
      /* A client sends nothing more until it has the answer. */
      parse_heads (self, pending);
      g_string_truncate (pending, 0);
      *tunnel = TRUE;
      return fd_write_all (relay->client, established, sizeof established - 1);
    }

  if (!fd_write_all (relay->upstream, pending->str, pending->len))
    return FALSE;
  parse_heads (self, pending);
  return TRUE;
}

static gboolean
run_cb (GThreadedSocketService *service,
        GSocketConnection      *connection,
        GObject                *source_object,
        gpointer                user_data)
{
  SniffProxy *self = user_data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) upstream = NULL;
  g_autoptr(GString) pending = g_string_new (NULL);
  Relay relay = { self, -1, -1 };
  gboolean tunnel = FALSE;
  char buffer[16 * 1024];
  g_autofree char *token = NULL;
  GThread *thread;

  g_atomic_int_inc (&self->active);

  g_mutex_lock (&self->lock);
  token = g_strdup (self->basic_token);
  g_mutex_unlock (&self->lock);

  upstream = g_socket_client_connect_to_host (client, "127.0.0.1", self->upstream_port, NULL, NULL);
  if (upstream == NULL)
    {
      g_atomic_int_add (&self->active, -1);
      return TRUE;
    }

  relay.client = g_socket_get_fd (g_socket_connection_get_socket (connection));
  relay.upstream = g_socket_get_fd (g_socket_connection_get_socket (upstream));
  if (self->socks5 ? !socks5_accept (self, relay.client)
                   : !proxy_first_request (self, token, &relay, pending, &tunnel))
    {
      shutdown (relay.client, SHUT_RDWR);
      g_atomic_int_add (&self->active, -1);
      return TRUE;
    }
  thread = g_thread_new ("sniff-down", relay_down, &relay);

  /* Client → server: GET requests have no body, so the stream is request
   * heads back to back; in a tunnel (and after a SOCKS5 handshake, as
   * before), whatever the client sends. */
  for (;;)
    {
      gssize n = fd_read (relay.client, buffer, sizeof buffer);

      if (n <= 0 || !fd_write_all (relay.upstream, buffer, n))
        break;
      if (tunnel)
        continue;
      g_string_append_len (pending, buffer, n);
      parse_heads (self, pending);
    }

  shutdown (relay.client, SHUT_RDWR);
  shutdown (relay.upstream, SHUT_RDWR);
  g_thread_join (thread);

  g_atomic_int_add (&self->active, -1);
  return TRUE;
}

static gpointer
sniff_proxy_thread (gpointer data)
{
  SniffProxy *self = data;
  g_autoptr(GInetAddress) loopback =
    g_inet_address_new_loopback (self->ipv6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (self->context);

  /* One thread per connection, as many as the client opens. */
  self->service = g_threaded_socket_service_new (-1);
  g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &effective, &error);
  g_assert_no_error (error);
  g_signal_connect (self->service, "run", G_CALLBACK (run_cb), self);
  g_socket_service_start (self->service);

  g_mutex_lock (&self->lock);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  self->uri = g_strdup_printf (self->ipv6 ? "http://[::1]:%u/" : "http://127.0.0.1:%u/",
                               self->port);
  g_cond_signal (&self->ready);
  g_mutex_unlock (&self->lock);

  while (!g_atomic_int_get (&self->quit))
    g_main_context_iteration (self->context, TRUE);

  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

guint16
cli_closed_port (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);

  g_assert_no_error (error);
  g_socket_listener_close (listener);
  return port;
}

static SniffProxy *
sniff_proxy_start (guint16  upstream_port,
                   gboolean socks5,
                   gboolean ipv6)
{
  SniffProxy *self = g_new0 (SniffProxy, 1);

  self->socks5 = socks5;
  self->ipv6 = ipv6;
  self->heads = g_ptr_array_new_with_free_func (g_free);

  g_mutex_init (&self->lock);
  g_cond_init (&self->ready);
  self->ranges = g_ptr_array_new_with_free_func (g_free);
  self->upstream_port = upstream_port;
  self->context = g_main_context_new ();
  self->thread = g_thread_new ("sniff-proxy", sniff_proxy_thread, self);

  g_mutex_lock (&self->lock);
  while (self->uri == NULL)
    g_cond_wait (&self->ready, &self->lock);
  g_mutex_unlock (&self->lock);
  return self;
}

SniffProxy *
sniff_proxy_new (guint16 upstream_port)
{
  return sniff_proxy_start (upstream_port, FALSE, FALSE);
}

SniffProxy *
sniff_proxy_new_full (guint16  upstream_port,
                      gboolean socks5)
{
  return sniff_proxy_start (upstream_port, socks5, FALSE);
}

SniffProxy *
sniff_proxy_new_ipv6 (guint16 upstream_port)
{
  return sniff_proxy_start (upstream_port, FALSE, TRUE);
}

void
sniff_proxy_free (SniffProxy *self)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_atomic_int_set (&self->quit, TRUE);
  g_main_context_wakeup (self->context);
  g_thread_join (self->thread);

  /* The relays end when their client (a CLI that has exited) is gone. */
  while (g_atomic_int_get (&self->active) > 0)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("sniff proxy: %d relays still running", g_atomic_int_get (&self->active));
      g_usleep (1000);
    }

  g_clear_object (&self->service);
  g_main_context_unref (self->context);
  g_ptr_array_unref (self->ranges);
  g_ptr_array_unref (self->heads);
  g_cond_clear (&self->ready);
  g_mutex_clear (&self->lock);
  g_free (self->uri);
  g_free (self->basic_token);
  g_free (self);
}

/* From now on, new connections must give @user and @password (Basic) on
 * their first request, or get a 407 and are closed. */
void
sniff_proxy_require_credentials (SniffProxy *self,
                                 const char *user,
                                 const char *password)
{
  g_autofree char *pair = g_strconcat (user, ":", password, NULL);

  g_mutex_lock (&self->lock);
  g_free (self->basic_token);
  self->basic_token = g_base64_encode ((const guchar *) pair, strlen (pair));
  g_mutex_unlock (&self->lock);
}

const char *
sniff_proxy_get_uri (SniffProxy *self)
{
  return self->uri;
}

guint16
sniff_proxy_get_port (SniffProxy *self)
{
  return self->port;
}

GPtrArray *
sniff_proxy_dup_ranges (SniffProxy *self)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func (g_free);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->ranges->len; i++)
    g_ptr_array_add (copy, g_strdup (g_ptr_array_index (self->ranges, i)));
  g_mutex_unlock (&self->lock);
  return copy;
}

GPtrArray *
sniff_proxy_dup_heads (SniffProxy *self)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func (g_free);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->heads->len; i++)
    g_ptr_array_add (copy, g_strdup (g_ptr_array_index (self->heads, i)));
  g_mutex_unlock (&self->lock);
  return copy;
}

guint64
sniff_proxy_get_bytes_down (SniffProxy *self)
{
  guint64 bytes;

  g_mutex_lock (&self->lock);
  bytes = self->bytes_down;
  g_mutex_unlock (&self->lock);
  return bytes;
}

void
sniff_proxy_reset (SniffProxy *self)
{
  g_mutex_lock (&self->lock);
  g_ptr_array_set_size (self->ranges, 0);
  g_ptr_array_set_size (self->heads, 0);
  self->bytes_down = 0;
  g_mutex_unlock (&self->lock);
}
