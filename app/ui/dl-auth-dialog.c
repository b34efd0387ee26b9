/* dl-auth-dialog.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-auth-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "dl-auth-dialog.h"
#include "dl-safe-text.h"

/* The question a server's 401 puts to the person: a user name, a password,
 * and whether to keep them in the keyring. It only asks; what happens with
 * the answer is up to whoever shows it (see dl-app-credentials.c). */

struct _DlAuthDialog
{
  AdwMessageDialog  parent_instance;

  GtkEntry         *user_entry;
  GtkPasswordEntry *password_entry;
  GtkCheckButton   *remember_check;
};

G_DEFINE_FINAL_TYPE (DlAuthDialog, dl_auth_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
user_changed_cb (DlAuthDialog *self)
{
  const char *user = gtk_editable_get_text (GTK_EDITABLE (self->user_entry));

  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self),
                                           DL_AUTH_DIALOG_RESPONSE_SIGN_IN, *user != '\0');
}

/* Enter in either entry answers, as the default button would. */
static void
entry_activate_cb (DlAuthDialog *self)
{
  if (*gtk_editable_get_text (GTK_EDITABLE (self->user_entry)) == '\0')
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->user_entry));
      return;
    }
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (self), DL_AUTH_DIALOG_RESPONSE_SIGN_IN);
}

static void
dl_auth_dialog_init (DlAuthDialog *self)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (self);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

  self->user_entry = GTK_ENTRY (gtk_entry_new ());
  gtk_entry_set_placeholder_text (self->user_entry, _("User Name"));
  gtk_entry_set_activates_default (self->user_entry, FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->user_entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("User Name"), -1);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->user_entry));

  self->password_entry = GTK_PASSWORD_ENTRY (gtk_password_entry_new ());
  gtk_password_entry_set_show_peek_icon (self->password_entry, TRUE);
  g_object_set (self->password_entry, "placeholder-text", _("Password"), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->password_entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Password"), -1);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->password_entry));

  self->remember_check = GTK_CHECK_BUTTON (gtk_check_button_new_with_mnemonic (_("_Remember password")));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->remember_check));

  adw_message_dialog_set_extra_child (dialog, box);
  adw_message_dialog_set_heading (dialog, _("Authentication Required"));
  adw_message_dialog_add_responses (dialog,
                                    DL_AUTH_DIALOG_RESPONSE_CANCEL, _("_Cancel"),
                                    DL_AUTH_DIALOG_RESPONSE_SIGN_IN, _("_Sign In"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, DL_AUTH_DIALOG_RESPONSE_SIGN_IN,
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, DL_AUTH_DIALOG_RESPONSE_SIGN_IN);
  adw_message_dialog_set_close_response (dialog, DL_AUTH_DIALOG_RESPONSE_CANCEL);

  g_signal_connect_swapped (self->user_entry, "changed", G_CALLBACK (user_changed_cb), self);
  g_signal_connect_swapped (self->user_entry, "activate", G_CALLBACK (entry_activate_cb), self);
  g_signal_connect_swapped (self->password_entry, "activate", G_CALLBACK (entry_activate_cb),
                            self);
  user_changed_cb (self);
}

static void
dl_auth_dialog_class_init (DlAuthDialogClass *klass)
{
}

/**
 * dl_auth_dialog_new:
 * @parent: (nullable): the window it belongs to
 * @challenge: what the server asked
 * @shown_url: the download's URL, as shown (without a password)
 *
 * Returns: (transfer full): a new dialog, not yet presented
 */
DlAuthDialog *
dl_auth_dialog_new (GtkWindow             *parent,
                    const DlAuthChallenge *challenge,
                    const char            *shown_url)
{
  DlAuthDialog *self;
  /* The host and realm came from the network: shown as plain text, never
   * markup, and without control characters. */
  g_autofree char *host = dl_safe_text_for_terminal (challenge->host);
  g_autofree char *realm = dl_safe_text_for_terminal (challenge->realm);
  g_autofree char *url = dl_safe_text_for_terminal (shown_url);
  g_autoptr(GString) body = g_string_new (NULL);

  g_return_val_if_fail (challenge != NULL, NULL);

  self = g_object_new (DL_TYPE_AUTH_DIALOG,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       "destroy-with-parent", TRUE,
                       NULL);

  if (challenge->retrying)
    {
      g_string_append (body, _("The user name or password was not accepted."));
      g_string_append (body, "\n\n");
    }
  /* Translators: %s is a server, such as example.org */
  g_string_append_printf (body, _("%s asks for a user name and password to download this file:"),
                          host);
  g_string_append_printf (body, "\n%s", url);
  if (*realm != '\0')
    {
      g_string_append (body, "\n\n");
      /* Translators: %s is the name the server gives the protected area,
       * in whatever language the server uses */
      g_string_append_printf (body, _("The server calls this area “%s”."), realm);
    }
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), body->str);

  if (challenge->user != NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->user_entry), challenge->user);
      gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->password_entry));
    }
  else
    gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->user_entry));

  return self;
}

const char *
dl_auth_dialog_get_user (DlAuthDialog *self)
{
  g_return_val_if_fail (DL_IS_AUTH_DIALOG (self), NULL);

  return gtk_editable_get_text (GTK_EDITABLE (self->user_entry));
}

/* Returns: (transfer full): the password, to free with dl_password_free() */
char *
dl_auth_dialog_dup_password (DlAuthDialog *self)
{
  g_return_val_if_fail (DL_IS_AUTH_DIALOG (self), NULL);

  return g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->password_entry)));
}

gboolean
dl_auth_dialog_get_remember (DlAuthDialog *self)
{
  g_return_val_if_fail (DL_IS_AUTH_DIALOG (self), FALSE);

  return gtk_check_button_get_active (self->remember_check);
}

/* For tests, which type into the dialog as a person would. */
GtkEditable *
dl_auth_dialog_get_user_entry (DlAuthDialog *self)
{
  return GTK_EDITABLE (self->user_entry);
}

GtkEditable *
dl_auth_dialog_get_password_entry (DlAuthDialog *self)
{
  return GTK_EDITABLE (self->password_entry);
}

GtkCheckButton *
dl_auth_dialog_get_remember_check (DlAuthDialog *self)
{
  return self->remember_check;
}
