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
 * referer, headers and cookies go with the requests through
 * DlRequestOptions. An action cannot answer its caller, so a request that
 * fails the check is shown to the user in the window and logged. */

#define REQUEST_OPTIONS_KEY "dl-request-options"

/* The referer, headers and cookies callers gave, applied to the engine's
 * requests (see dl-request-options.c): one for the app, made at the first
 * request that has any. */
static DlRequestOptions *
ensure_request_options (DlApplication *app,
                        DlManager     *manager)
{
  DlRequestOptions *options = g_object_get_data (G_OBJECT (app), REQUEST_OPTIONS_KEY);

  if (options == NULL)
    {
      options = dl_request_options_new (dl_manager_get_session (manager));
      g_object_set_data_full (G_OBJECT (app), REQUEST_OPTIONS_KEY, options,
                              (GDestroyNotify) dl_request_options_free);
    }
  return options;
}

static void
add_one (DlManager  *manager,
         const char *url,
         const char *folder,
         GError    **error)
{
  DlDownload *download;

  /* The same link asked for again continues what is there. */
  download = dl_manager_find_unfinished (manager, url, folder);
  if (download != NULL)
    {
      if (dl_download_can_resume (download))
        dl_download_resume (download);
      else if (dl_download_can_retry (download))
        dl_download_retry (download);
      return;
    }

  dl_manager_add_full (manager, url, folder, NULL, error);
}

static void
add_downloads_cb (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  DlApplication *app = user_data;
  g_autoptr(DlAddRequest) request = NULL;
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

  /* Before the downloads start, so that their first request has them. */
  dl_add_downloads_use_options (app, request);
  for (guint i = 0; request->urls[i] != NULL; i++)
    {
      g_autoptr(GError) add_error = NULL;

      add_one (manager, request->urls[i], request->folder, &add_error);
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
 * dl_add_downloads_use_options:
 * @app: a #DlApplication with its manager
 * @request: a checked request
 *
 * From now on, requests for the URLs of @request carry its headers and
 * referer, and every request its matching cookies. Call it before adding
 * the downloads, so that their first request has them.
 */
void
dl_add_downloads_use_options (DlApplication *app,
                              DlAddRequest  *request)
{
  g_return_if_fail (DL_IS_APPLICATION (app));
  g_return_if_fail (request != NULL);

  if (request->headers != NULL || request->referer != NULL || request->cookies != NULL)
    dl_request_options_add (ensure_request_options (app, dl_application_get_manager (app)),
                            request);
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
