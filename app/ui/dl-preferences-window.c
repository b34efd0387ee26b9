/* dl-preferences-window.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-preferences-window"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dl-limit-entry.h"
#include "dl-preferences-window.h"

/* Every control is bound to GSettings and nothing else: the application
 * listens to the settings and applies them to the engine, so a change made
 * with gsettings(1) or dconf-editor takes effect the same way. */
struct _DlPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Owned References */
  GSettings            *settings;
  GtkFileChooserNative *chooser;
  /* Set in --demo: the folder files really go to, not the setting's. */
  char                 *fixed_folder;

  /* Template Widgets */
  AdwActionRow         *folder_row;
  GtkSwitch            *notify_switch;
  GtkSpinButton        *concurrent_spin;
  GtkSpinButton        *per_host_spin;
  GtkSpinButton        *connections_spin;
  GtkSpinButton        *retries_spin;
  GtkSpinButton        *idle_spin;
  DlLimitEntry         *rate_limit_entry;
  DlLimitEntry         *max_file_size_entry;
  GtkSwitch            *metered_switch;
};

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

G_DEFINE_FINAL_TYPE (DlPreferencesWindow, dl_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static char *
dup_download_folder (DlPreferencesWindow *self)
{
  g_autofree char *folder = g_settings_get_string (self->settings, "download-folder");
  const char *xdg;

  if (self->fixed_folder != NULL)
    return g_strdup (self->fixed_folder);

  if (folder[0] != '\0')
    return g_steal_pointer (&folder);

  xdg = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
  if (xdg != NULL)
    return g_strdup (xdg);
  return g_build_filename (g_get_home_dir (), "Downloads", NULL);
}

static void
update_folder_row (DlPreferencesWindow *self)
{
  g_autofree char *folder = dup_download_folder (self);
  g_autofree char *display = NULL;
  const char *home = g_get_home_dir ();

  /* "~/Downloads" reads better than the full path. */
  if (home != NULL && g_str_has_prefix (folder, home) &&
      (folder[strlen (home)] == '/' || folder[strlen (home)] == '\0'))
    display = g_strconcat ("~", folder + strlen (home), NULL);
  else
    display = g_filename_display_name (folder);

  adw_action_row_set_subtitle (self->folder_row, display);
}

static void
chooser_response_cb (DlPreferencesWindow  *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) folder = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      path = folder != NULL ? g_file_get_path (folder) : NULL;
      if (path != NULL)
        g_settings_set_string (self->settings, "download-folder", path);
    }

  g_clear_object (&self->chooser);
}

static void
choose_folder_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  DlPreferencesWindow *self = DL_PREFERENCES_WINDOW (widget);
  g_autofree char *current = dup_download_folder (self);
  g_autoptr(GFile) file = g_file_new_for_path (current);

  if (self->chooser != NULL)
    {
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
      return;
    }

  self->chooser = gtk_file_chooser_native_new (_("Choose Download Folder"),
                                               GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                               _("_Select"),
                                               _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_chooser_set_file (GTK_FILE_CHOOSER (self->chooser), file, NULL);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
dl_preferences_window_constructed (GObject *object)
{
  DlPreferencesWindow *self = (DlPreferencesWindow *) object;
  const struct {
    const char    *key;
    GtkSpinButton *spin;
  } spins[] = {
    { "max-concurrent", self->concurrent_spin },
    { "per-host-limit", self->per_host_spin },
    { "connections", self->connections_spin },
    { "max-retries", self->retries_spin },
    { "idle-timeout", self->idle_spin },
  };

  G_OBJECT_CLASS (dl_preferences_window_parent_class)->constructed (object);

  g_assert (G_IS_SETTINGS (self->settings));

  for (guint i = 0; i < G_N_ELEMENTS (spins); i++)
    g_settings_bind (self->settings, spins[i].key,
                     gtk_spin_button_get_adjustment (spins[i].spin), "value",
                     G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "notify-on-completion", self->notify_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "rate-limit", self->rate_limit_entry, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "max-file-size", self->max_file_size_entry, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "pause-on-metered", self->metered_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (self->settings, "changed::download-folder",
                           G_CALLBACK (update_folder_row), self, G_CONNECT_SWAPPED);
  update_folder_row (self);
}

static void
dl_preferences_window_dispose (GObject *object)
{
  DlPreferencesWindow *self = (DlPreferencesWindow *) object;

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), DL_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->fixed_folder, g_free);

  G_OBJECT_CLASS (dl_preferences_window_parent_class)->dispose (object);
}

static void
dl_preferences_window_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  DlPreferencesWindow *self = DL_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dl_preferences_window_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  DlPreferencesWindow *self = DL_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dl_preferences_window_class_init (DlPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = dl_preferences_window_constructed;
  object_class->dispose = dl_preferences_window_dispose;
  object_class->get_property = dl_preferences_window_get_property;
  object_class->set_property = dl_preferences_window_set_property;

  properties [PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (DL_TYPE_LIMIT_ENTRY);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/libbridge/Downloader/ui/dl-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DlPreferencesWindow, folder_row);
  gtk_widget_class_bind_template_child (widget_class, DlPreferencesWindow, notify_switch);
  gtk_widget_class_bind_template_child (widget_class, DlPreferencesWindow, concurrent_spin);
  gtk_widget_class_bind_template_child (widget_class, DlPreferencesWindow, per_host_spin);
  gtk_widget_class_bind_template_child (widget_class, DlPreferencesWindow, connections_spin);
  gtk_widget_class_bind_template_child (widget_class, DlPreferencesWindow, retries_spin);
  gtk_widget_class_bind_template_child (widget_class, DlPreferencesWindow, idle_spin);
  gtk_widget_class_bind_template_child (widget_class, DlPreferencesWindow, rate_limit_entry);
  gtk_widget_class_bind_template_child (widget_class, DlPreferencesWindow, max_file_size_entry);
  gtk_widget_class_bind_template_child (widget_class, DlPreferencesWindow, metered_switch);

  gtk_widget_class_install_action (widget_class, "prefs.choose-folder", NULL, choose_folder_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
dl_preferences_window_init (DlPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

DlPreferencesWindow *
dl_preferences_window_new (GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (DL_TYPE_PREFERENCES_WINDOW,
                       "settings", settings,
                       NULL);
}

/**
 * dl_preferences_window_get_spin:
 * @self: a #DlPreferencesWindow
 * @key: a settings key shown with a spin button
 *
 * Returns: (transfer none) (nullable): the spin button editing @key
 */
GtkSpinButton *
dl_preferences_window_get_spin (DlPreferencesWindow *self,
                                const char          *key)
{
  g_return_val_if_fail (DL_IS_PREFERENCES_WINDOW (self), NULL);

  if (g_strcmp0 (key, "max-concurrent") == 0)
    return self->concurrent_spin;
  if (g_strcmp0 (key, "per-host-limit") == 0)
    return self->per_host_spin;
  if (g_strcmp0 (key, "connections") == 0)
    return self->connections_spin;
  if (g_strcmp0 (key, "max-retries") == 0)
    return self->retries_spin;
  if (g_strcmp0 (key, "idle-timeout") == 0)
    return self->idle_spin;
  return NULL;
}

/**
 * dl_preferences_window_set_fixed_folder:
 * @self: a #DlPreferencesWindow
 * @folder: where downloads go whatever the setting says (--demo's scratch
 *   folder)
 *
 * Shows @folder as the download folder, and does not offer to change it.
 */
void
dl_preferences_window_set_fixed_folder (DlPreferencesWindow *self,
                                        const char          *folder)
{
  g_return_if_fail (DL_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (folder != NULL);

  g_free (self->fixed_folder);
  self->fixed_folder = g_strdup (folder);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.choose-folder", FALSE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->folder_row),
                               _("The demo saves into a scratch folder, deleted when it quits"));
  update_folder_row (self);
}

const char *
dl_preferences_window_get_folder_text (DlPreferencesWindow *self)
{
  g_return_val_if_fail (DL_IS_PREFERENCES_WINDOW (self), NULL);

  return adw_action_row_get_subtitle (self->folder_row);
}

/**
 * dl_preferences_window_get_control:
 * @self: a #DlPreferencesWindow
 * @key: a settings key shown with a limit entry or a switch
 *   ("rate-limit", "max-file-size", "pause-on-metered")
 *
 * Returns: (transfer none) (nullable): the control editing @key
 */
GtkWidget *
dl_preferences_window_get_control (DlPreferencesWindow *self,
                                   const char          *key)
{
  g_return_val_if_fail (DL_IS_PREFERENCES_WINDOW (self), NULL);

  if (g_strcmp0 (key, "rate-limit") == 0)
    return GTK_WIDGET (self->rate_limit_entry);
  if (g_strcmp0 (key, "max-file-size") == 0)
    return GTK_WIDGET (self->max_file_size_entry);
  if (g_strcmp0 (key, "pause-on-metered") == 0)
    return GTK_WIDGET (self->metered_switch);
  return NULL;
}
