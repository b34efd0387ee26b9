/* dl-speed-limit-dialog.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-speed-limit-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "dl-format.h"
#include "dl-limit-entry.h"
#include "dl-speed-limit-dialog.h"

/* Row menu → Limit Speed…: one download's own speed limit
 * (DlDownload:rate-limit), set at once, also while it runs. The global
 * limit from Preferences holds as well. */

static void
response_cb (AdwMessageDialog *dialog,
             const char       *response,
             DlLimitEntry     *entry)
{
  DlDownload *download = g_object_get_data (G_OBJECT (dialog), "dl-download");

  if (g_strcmp0 (response, "set") == 0 && download != NULL)
    dl_download_set_rate_limit (download, dl_limit_entry_get_value (entry));
}

/**
 * dl_speed_limit_dialog_present:
 * @parent: the window the dialog belongs to
 * @download: the download to limit
 *
 * Shows the dialog; its "set" response applies the limit.
 *
 * Returns: (transfer none): the dialog, an #AdwMessageDialog
 */
GtkWindow *
dl_speed_limit_dialog_present (GtkWindow  *parent,
                               DlDownload *download)
{
  g_autofree char *name = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *entry;

  g_return_val_if_fail (GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (DL_IS_DOWNLOAD (download), NULL);

  name = dl_format_display_name (download);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent, _("Limit Speed"), NULL));
  /* Translators: %s is a file name */
  adw_message_dialog_format_body (dialog,
                                  _("The most speed “%s” may use. The limit for all downloads "
                                    "in Preferences still holds."), name);

  entry = dl_limit_entry_new (DL_LIMIT_KIND_SPEED, _("No Limit"));
  gtk_widget_set_halign (entry, GTK_ALIGN_CENTER);
  dl_limit_entry_set_value (DL_LIMIT_ENTRY (entry), dl_download_get_rate_limit (download));
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Speed Limit"),
                                  -1);
  adw_message_dialog_set_extra_child (dialog, entry);

  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "set", _("_Set Limit"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "set", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "set");
  adw_message_dialog_set_close_response (dialog, "cancel");

  g_object_set_data_full (G_OBJECT (dialog), "dl-download", g_object_ref (download), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (response_cb), entry, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return GTK_WINDOW (dialog);
}
