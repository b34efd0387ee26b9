/* dl-background.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Downloading with no window open. The application holds itself alive
 * (g_application_hold()), keeps one notification up to date with the
 * progress and its Show and Pause All buttons, and lets go once nothing
 * runs any more. Inside Flatpak the sandbox may stop a windowless app, so
 * the Background portal is asked first; outside it there is nobody to ask. */

#define G_LOG_DOMAIN "dl-background"

#include "config.h"

#include <glib/gi18n.h>

#include "dl-background.h"
#include "dl-format.h"

#define NOTIFICATION_ID "background"
#define UPDATE_INTERVAL_SECONDS 2
/* How long the portal may take to answer the call itself; the user's
 * answer to a dialog it shows comes later, as a signal. */
#define PORTAL_CALL_TIMEOUT_MS 10000

struct _DlBackground
{
  GApplication *app;        /* weak: the application owns this */
  DlManager    *manager;
  char         *last_body;
  guint         update_id;
  gboolean      active;
};

DlBackground *
dl_background_new (GApplication *app,
                   DlManager    *manager)
{
  DlBackground *self = g_new0 (DlBackground, 1);

  self->app = app;
  self->manager = g_object_ref (manager);
  return self;
}

void
dl_background_free (DlBackground *self)
{
  if (self == NULL)
    return;

  g_clear_handle_id (&self->update_id, g_source_remove);
  g_clear_object (&self->manager);
  g_free (self->last_body);
  g_free (self);
}

/* ---- the portal --------------------------------------------------------------- */

typedef struct
{
  GDBusConnection *bus;
  guint            response_id;
} PortalRequest;

static void
portal_request_free (PortalRequest *request)
{
  if (request->response_id != 0)
    g_dbus_connection_signal_unsubscribe (request->bus, request->response_id);
  g_clear_object (&request->bus);
  g_free (request);
}

static void
portal_response_cb (GDBusConnection *bus,
                    const char      *sender,
                    const char      *object_path,
                    const char      *interface_name,
                    const char      *signal_name,
                    GVariant        *parameters,
                    gpointer         user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) results = NULL;
  PortalRequest *request = g_task_get_task_data (task);
  gboolean allowed = FALSE;
  guint32 response;

  g_dbus_connection_signal_unsubscribe (bus, request->response_id);
  request->response_id = 0;

  g_variant_get (parameters, "(u@a{sv})", &response, &results);
  g_variant_lookup (results, "background", "b", &allowed);
  if (response == 0 && allowed)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "%s",
                             _("The system did not allow Downloader to keep running without "
                               "a window"));
}

static void
portal_call_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;   /* the Response subscription holds a reference too */
  PortalRequest *request = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    {
      /* No portal answered: no Response will come either. */
      g_dbus_connection_signal_unsubscribe (request->bus, request->response_id);
      request->response_id = 0;
      g_object_unref (task);   /* the subscription's reference */
      g_task_return_new_error (task, error->domain, error->code,
                               /* Translators: %s is an error message */
                               _("No background portal answered: %s"), error->message);
    }
  g_object_unref (task);
}

static void
ask_portal (DlBackground *self,
            GTask        *task)
{
  GDBusConnection *bus = g_application_get_dbus_connection (self->app);
  g_autofree char *sender = NULL;
  g_autofree char *token = NULL;
  g_autofree char *handle = NULL;
  PortalRequest *request;
  GVariantBuilder options;

  if (bus == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "%s",
                               _("No background portal answered: there is no session bus"));
      g_object_unref (task);
      return;
    }

  /* The request's object path is known before the call, so the Response
   * cannot come before we listen for it. */
  sender = g_strdup (g_dbus_connection_get_unique_name (bus) + 1);
  g_strdelimit (sender, ".", '_');
  token = g_strdup_printf ("downloader%u", g_random_int ());
  handle = g_strdup_printf ("/org/freedesktop/portal/desktop/request/%s/%s", sender, token);

  request = g_new0 (PortalRequest, 1);
  request->bus = g_object_ref (bus);
  g_task_set_task_data (task, request, (GDestroyNotify) portal_request_free);
  request->response_id =
    g_dbus_connection_signal_subscribe (bus, "org.freedesktop.portal.Desktop",
                                        "org.freedesktop.portal.Request", "Response", handle,
                                        NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                        portal_response_cb, g_object_ref (task), NULL);

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));
  g_variant_builder_add (&options, "{sv}", "reason",
                         g_variant_new_string (_("Finish the downloads after the window is "
                                                 "closed")));
  g_variant_builder_add (&options, "{sv}", "autostart", g_variant_new_boolean (FALSE));

  g_dbus_connection_call (bus, "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop",
                          "org.freedesktop.portal.Background", "RequestBackground",
                          g_variant_new ("(sa{sv})", "", &options),
                          G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, PORTAL_CALL_TIMEOUT_MS,
                          g_task_get_cancellable (task), portal_call_cb, task);
}

/* Flatpak puts this file into every sandbox. Outside one, the UI tests
 * name a file of their own in BRIDGE_DOWNLOADER_TEST_FLATPAK_INFO to take
 * the sandbox's way (tests/ui/test-background-portal.c); it is meant for
 * them alone and changes nothing else. */
static gboolean
is_sandboxed (void)
{
  const char *info = g_getenv ("BRIDGE_DOWNLOADER_TEST_FLATPAK_INFO");

  return g_file_test (info != NULL ? info : "/.flatpak-info", G_FILE_TEST_EXISTS);
}

/**
 * dl_background_request_async:
 * @self: a #DlBackground
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the answer
 * @user_data: for @callback
 *
 * Asks whether the app may keep running without a window: the Background
 * portal inside Flatpak, nobody (yes at once) outside it.
 */
void
dl_background_request_async (DlBackground        *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (self != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, dl_background_request_async);

  if (!is_sandboxed ())
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  ask_portal (self, task);
}

gboolean
dl_background_request_finish (DlBackground  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- running without a window ------------------------------------------------------- */

/**
 * dl_background_describe:
 * @self: a #DlBackground
 *
 * Returns: the notification's body: "3 downloads running — 45 % — 2
 *   minutes left"
 */
char *
dl_background_describe (DlBackground *self)
{
  GListModel *model = G_LIST_MODEL (self->manager);
  guint n_active = 0;
  gint64 received = 0, total = 0;
  double speed = 0;
  g_autofree char *count = NULL;
  g_autofree char *left = NULL;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (model, i);

      if (!dl_download_state_is_active (dl_download_get_state (download)))
        continue;
      n_active++;
      speed += dl_download_get_speed (download);
      if (dl_download_get_total_bytes (download) > 0)
        {
          received += MIN (dl_download_get_bytes_received (download),
                           dl_download_get_total_bytes (download));
          total += dl_download_get_total_bytes (download);
        }
    }

  count = g_strdup_printf (ngettext ("%u download running", "%u downloads running", n_active),
                           n_active);
  if (total <= 0)
    return g_steal_pointer (&count);

  if (speed > 0 && total > received)
    left = dl_format_time_left ((gint64) ((total - received) / speed));
  if (left != NULL)
    /* Translators: "3 downloads running — 45 % — 2 minutes left" */
    return g_strdup_printf (_("%s — %u %% — %s"), count, (guint) (100 * received / total), left);
  /* Translators: "3 downloads running — 45 %" */
  return g_strdup_printf (_("%s — %u %%"), count, (guint) (100 * received / total));
}

static gboolean
update_cb (gpointer user_data)
{
  DlBackground *self = user_data;
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *body = NULL;

  /* Everything finished (each sent its own notification): let go. */
  if (dl_manager_get_n_active (self->manager) == 0)
    {
      self->update_id = 0;
      dl_background_leave (self);
      return G_SOURCE_REMOVE;
    }

  body = dl_background_describe (self);
  if (g_strcmp0 (body, self->last_body) == 0)
    return G_SOURCE_CONTINUE;

  notification = g_notification_new (_("Downloading in the Background"));
  g_notification_set_body (notification, body);
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_LOW);
  g_notification_set_default_action (notification, "app.show-window");
  g_notification_add_button (notification, _("Show"), "app.show-window");
  g_notification_add_button (notification, _("Pause All"), "app.pause-all");
  g_application_send_notification (self->app, NOTIFICATION_ID, notification);

  g_free (self->last_body);
  self->last_body = g_steal_pointer (&body);
  return G_SOURCE_CONTINUE;
}

/**
 * dl_background_enter:
 * @self: a #DlBackground
 *
 * Holds the application and shows the progress notification, until
 * dl_background_leave() or until nothing runs.
 */
void
dl_background_enter (DlBackground *self)
{
  g_return_if_fail (self != NULL);

  if (self->active)
    return;

  self->active = TRUE;
  g_application_hold (self->app);
  g_clear_pointer (&self->last_body, g_free);
  update_cb (self);
  if (self->active)
    self->update_id = g_timeout_add_seconds (UPDATE_INTERVAL_SECONDS, update_cb, self);
}

/**
 * dl_background_leave:
 * @self: a #DlBackground
 *
 * A window is back, or nothing runs any more: the notification goes and
 * the application is released (and quits, with no window).
 */
void
dl_background_leave (DlBackground *self)
{
  g_return_if_fail (self != NULL);

  if (!self->active)
    return;

  self->active = FALSE;
  g_clear_handle_id (&self->update_id, g_source_remove);
  g_clear_pointer (&self->last_body, g_free);
  g_application_withdraw_notification (self->app, NOTIFICATION_ID);
  g_application_release (self->app);
}

gboolean
dl_background_is_active (DlBackground *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->active;
}
