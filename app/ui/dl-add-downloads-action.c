/* dl-add-downloads-action.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-add-downloads"

#include "config.h"

#include <glib/gi18n.h>

#include "dl-add-downloads-action.h"
#include "dl-add-request.h"
#include "dl-request-options.h"
#include "dl-url-password.h"

/* `app.add-downloads`: how other programs hand Downloader links without
 * copy and paste. GApplication exports the application's actions on the
 * session bus (org.gtk.Actions at the application's object path), so
 *
 *   gdbus call --session --dest io.github.libbridge.Downloader \
 *     --object-path /io/github/libbridge/Downloader \
 *     --method org.gtk.Actions.Activate add-downloads \
 *     "[<{'urls': <['https://example.com/a.iso']>}>]" "{}"
 *
 * adds a download, and the browser extension's native messaging host does
 * the same. The parameter is the a{sv} that DlAddRequest checks; its
 * referer, headers and cookies become each download's DlRequestOptions,
 * stored with it, so a resume after a restart sends them too. An action cannot answer its caller, so a request that
 * fails the check is shown to the user in the window and logged. */

/**
 * dl_add_downloads_request_options:
 * @request: a checked request
 *
 * Returns: (transfer full) (nullable): the options that go with each
 *   download of @request (its referer, headers and cookies), or %NULL
 *   when it has none
 */
DlRequestOptions *
dl_add_downloads_request_options (DlAddRequest *request)
{
  g_autoptr(DlRequestOptions) options = dl_request_options_new ();

  for (guint i = 0; request->headers != NULL && request->headers[i] != NULL; i++)
    if (!dl_request_options_add_header (options, request->headers[i], NULL))
      g_warn_if_reached ();
  if (request->referer != NULL && !dl_request_options_set_referer (options, request->referer, NULL))
    g_warn_if_reached ();
  dl_request_options_set_cookies_text (options, request->cookies);
  return dl_request_options_is_empty (options) ? NULL : g_steal_pointer (&options);
}

static void
add_one (DlManager        *manager,
         const char       *url,
         const char       *folder,
         DlRequestOptions *options,
         GError          **error)
{
  DlDownload *download;

  /* The same link asked for again continues what is there, with what
   * this request sends. */
  download = dl_manager_find_unfinished (manager, url, folder);
  if (download != NULL)
    {
      if (options != NULL)
        dl_download_set_request_options (download, options);
      if (dl_download_can_resume (download))
        dl_download_resume (download);
      else if (dl_download_can_retry (download))
        dl_download_retry (download);
      return;
    }

  dl_manager_add_with_options (manager, url, folder, NULL, options, error);
}

static void
add_downloads_cb (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  DlApplication *app = user_data;
  g_autoptr(DlAddRequest) request = NULL;
  g_autoptr(DlRequestOptions) options = NULL;
  g_autoptr(GError) error = NULL;
  GtkWindow *window;
  DlManager *manager;

  /* The window shows what was added, or why not. */
  window = dl_application_ensure_window (app);
  gtk_window_present (window);

  request = dl_add_request_new_from_variant (parameter, &error);
  if (request == NULL)
    {
      g_autofree char *message = NULL;

      /* A refused request is an ordinary event, shown to the user; the
       * log line is for the program that sent it. */
      g_message ("Refusing app.add-downloads: %s", error->message);
      /* Translators: another program (a browser) asked for downloads; %s
       * says what is wrong with its request */
      message = g_strdup_printf (_("Another program asked for downloads that cannot be added: %s"),
                                 error->message);
      dl_application_report_error (app, message);
      return;
    }

  manager = dl_application_get_manager (app);

  options = dl_add_downloads_request_options (request);
  for (guint i = 0; request->urls[i] != NULL; i++)
    {
      g_autoptr(GError) add_error = NULL;

      add_one (manager, request->urls[i], request->folder, options, &add_error);
      if (add_error != NULL)
        {
          g_autofree char *message = NULL;
          g_autofree char *shown_url = dl_url_without_password (request->urls[i]);

          g_message ("Cannot add %s: %s", shown_url, add_error->message);
          /* Translators: the first %s is a link, the second an error message */
          message = g_strdup_printf (_("Cannot download %s: %s"), shown_url,
                                     add_error->message);
          dl_application_report_error (app, message);
        }
    }
}

/**
 * dl_add_downloads_action_install:
 * @app: a #DlApplication, started up
 *
 * Adds the `add-downloads` action, which takes an `a{sv}`: "urls" (`as`),
 * and optionally "headers" (`as` of "Name: value", or `a{ss}`), "referer"
 * (`s`), "cookies" (`s`, the text of a cookies.txt, not a path) and
 * "folder" (`s`, an absolute path).
 */
void
dl_add_downloads_action_install (DlApplication *app)
{
  g_autoptr(GSimpleAction) action = NULL;

  g_return_if_fail (DL_IS_APPLICATION (app));

  action = g_simple_action_new ("add-downloads", G_VARIANT_TYPE_VARDICT);
  g_signal_connect_object (action, "activate", G_CALLBACK (add_downloads_cb), app, 0);
  g_action_map_add_action (G_ACTION_MAP (app), G_ACTION (action));
}
