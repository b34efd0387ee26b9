/* dl-add-options.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-add-options"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dl-add-options.h"

/* The add card's Advanced expander: request headers (one "Name: value" a
 * line), a referer and a cookies.txt file, for links a server only serves
 * to a logged-in browser. They become the DlAddRequest that
 * `app.add-downloads` takes, so they reach the engine the same way a
 * browser's do. A mistake is shown under the headers, naming the line, and
 * nothing is added until it is fixed. */

struct _DlAddOptions
{
  GtkWidget             parent_instance;

  /* Owned */
  GFile                *cookies_file;
  GtkFileChooserNative *chooser;

  /* Template widgets */
  GtkExpander          *expander;
  GtkTextView          *headers_view;
  GtkLabel             *error_label;
  GtkEntry             *referer_entry;
  GtkLabel             *cookies_label;
  GtkWidget            *cookies_clear_button;
};

G_DEFINE_FINAL_TYPE (DlAddOptions, dl_add_options, GTK_TYPE_WIDGET)

static void
show_error (DlAddOptions *self,
            const char   *message,
            GtkWidget    *field)
{
  gtk_label_set_text (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
  gtk_expander_set_expanded (self->expander, TRUE);
  if (field != NULL)
    gtk_widget_grab_focus (field);
}

static void
hide_error (DlAddOptions *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_label_set_text (self->error_label, "");
}

static char *
dup_headers_text (DlAddOptions *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->headers_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* RFC 9110 token characters. */
static gboolean
is_header_name (const char *name,
                gsize       length)
{
  static const char extra[] = "!#$%&'*+-.^_`|~";

  if (length == 0)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum (name[i]) && strchr (extra, name[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* The headers typed, checked line by line; blank lines are skipped. */
static GStrv
parse_headers (DlAddOptions  *self,
               char         **message)
{
  g_autofree char *text = dup_headers_text (self);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GStrvBuilder) headers = g_strv_builder_new ();

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      const char *colon = strchr (line, ':');
      g_autofree char *name = NULL;

      if (line[0] == '\0')
        continue;

      if (colon == NULL || !is_header_name (line, colon - line))
        {
          /* Translators: %u is a line number in the headers box */
          *message = g_strdup_printf (_("Line %u: write a header as “Name: value”"), i + 1);
          return NULL;
        }

      name = g_strndup (line, colon - line);
      if (g_ascii_strcasecmp (name, "Cookie") == 0)
        {
          /* Translators: %u is a line number in the headers box */
          *message = g_strdup_printf (_("Line %u: choose a cookies file instead of a Cookie header"),
                                      i + 1);
          return NULL;
        }
      if (g_ascii_strcasecmp (name, "Referer") == 0)
        {
          /* Translators: %u is a line number in the headers box */
          *message = g_strdup_printf (_("Line %u: use the Referer field instead"), i + 1);
          return NULL;
        }
      if (dl_add_request_is_reserved_header (name))
        {
          /* Translators: %u is a line number, %s a header name such as "Range" */
          *message = g_strdup_printf (_("Line %u: Downloader sets “%s” itself"), i + 1, name);
          return NULL;
        }
      for (const char *p = colon + 1; *p != '\0'; p++)
        if ((guchar) *p < 0x20 && *p != '\t')
          {
            /* Translators: %u is a line number in the headers box */
            *message = g_strdup_printf (_("Line %u: the value holds a control character"), i + 1);
            return NULL;
          }

      g_strv_builder_add (headers, line);
    }

  return g_strv_builder_end (headers);
}

static gboolean
is_web_address (const char *text)
{
  g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;

  return scheme != NULL && g_uri_get_host (uri) != NULL && g_uri_get_host (uri)[0] != '\0' &&
         (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0);
}

/**
 * dl_add_options_build_request:
 * @self: a #DlAddOptions
 * @urls: (array zero-terminated=1): the links about to be added
 * @request: (out) (transfer full) (nullable): the request carrying the
 *   options, or %NULL when none is set
 *
 * Checks the options; a mistake is shown in the expander (opened, with the
 * field focused).
 *
 * Returns: %FALSE if an option is wrong, and nothing should be added
 */
gboolean
dl_add_options_build_request (DlAddOptions        *self,
                              const char * const  *urls,
                              DlAddRequest       **request)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autofree char *message = NULL;
  g_auto(GStrv) headers = NULL;
  g_autofree char *referer = NULL;
  g_autofree char *cookies = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) options = NULL;

  g_return_val_if_fail (DL_IS_ADD_OPTIONS (self), FALSE);
  g_return_val_if_fail (urls != NULL && urls[0] != NULL, FALSE);
  g_return_val_if_fail (request != NULL, FALSE);

  *request = NULL;
  hide_error (self);

  headers = parse_headers (self, &message);
  if (headers == NULL)
    {
      show_error (self, message, GTK_WIDGET (self->headers_view));
      return FALSE;
    }

  referer = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->referer_entry))));
  if (referer[0] != '\0' && !is_web_address (referer))
    {
      show_error (self, _("The referer must be a web address (http or https)"),
                  GTK_WIDGET (self->referer_entry));
      return FALSE;
    }

  if (self->cookies_file != NULL &&
      !g_file_load_contents (self->cookies_file, NULL, &cookies, NULL, NULL, &error))
    {
      /* Translators: %s says why, e.g. "No such file or directory" */
      message = g_strdup_printf (_("The cookies file cannot be read: %s"), error->message);
      show_error (self, message, NULL);
      return FALSE;
    }

  if (headers[0] == NULL && referer[0] == '\0' && cookies == NULL)
    return TRUE;

  g_variant_dict_insert (&dict, "urls", "^as", urls);
  if (headers[0] != NULL)
    g_variant_dict_insert (&dict, "headers", "^as", headers);
  if (referer[0] != '\0')
    g_variant_dict_insert (&dict, "referer", "s", referer);
  if (cookies != NULL)
    g_variant_dict_insert (&dict, "cookies", "s", cookies);

  /* The same check as for other programs' requests: what is left is the
   * cookies file's format. */
  options = g_variant_ref_sink (g_variant_dict_end (&dict));
  *request = dl_add_request_new_from_variant (options, &error);
  if (*request == NULL)
    {
      if (self->cookies_file != NULL)
        {
          g_autofree char *name = g_file_get_basename (self->cookies_file);

          /* Translators: %s is a file name */
          message = g_strdup_printf (_("“%s” is not a cookies.txt file"), name);
        }
      else
        /* Translators: %s is an error message */
        message = g_strdup_printf (_("These options cannot be used: %s"), error->message);
      show_error (self, message, NULL);
      return FALSE;
    }
  return TRUE;
}

/**
 * dl_add_options_get_error:
 * @self: a #DlAddOptions
 *
 * Returns: (nullable): the mistake shown, or %NULL
 */
const char *
dl_add_options_get_error (DlAddOptions *self)
{
  g_return_val_if_fail (DL_IS_ADD_OPTIONS (self), NULL);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->error_label)))
    return NULL;
  return gtk_label_get_text (self->error_label);
}

/**
 * dl_add_options_set_cookies_file:
 * @self: a #DlAddOptions
 * @file: (nullable): a cookies.txt, or %NULL for none
 *
 * What choosing a file in the file chooser does. The file is read when the
 * links are added.
 */
void
dl_add_options_set_cookies_file (DlAddOptions *self,
                                 GFile        *file)
{
  g_return_if_fail (DL_IS_ADD_OPTIONS (self));
  g_return_if_fail (file == NULL || G_IS_FILE (file));

  g_set_object (&self->cookies_file, file);
  if (file != NULL)
    {
      g_autofree char *name = g_file_get_basename (file);
      g_autofree char *display = g_filename_display_name (name);
      /* Translators: %s is the file name of the cookies file chosen */
      g_autofree char *label = g_strdup_printf (_("Cookies: %s"), display);

      gtk_label_set_use_underline (self->cookies_label, FALSE);
      gtk_label_set_text (self->cookies_label, label);
    }
  else
    {
      gtk_label_set_text_with_mnemonic (self->cookies_label, _("Choose _Cookies File…"));
    }
  gtk_widget_set_visible (self->cookies_clear_button, file != NULL);
  hide_error (self);
}

/**
 * dl_add_options_clear:
 * @self: a #DlAddOptions
 *
 * Empties every field and closes the expander, for the next time the add
 * card opens.
 */
void
dl_add_options_clear (DlAddOptions *self)
{
  g_return_if_fail (DL_IS_ADD_OPTIONS (self));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->headers_view), "", 0);
  gtk_editable_set_text (GTK_EDITABLE (self->referer_entry), "");
  dl_add_options_set_cookies_file (self, NULL);
  gtk_expander_set_expanded (self->expander, FALSE);
}

static void
chooser_response_cb (DlAddOptions         *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        dl_add_options_set_cookies_file (self, file);
    }
  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_clear_object (&self->chooser);
}

static void
choose_cookies_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  DlAddOptions *self = DL_ADD_OPTIONS (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr(GtkFileFilter) text = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  if (self->chooser != NULL)
    {
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
      return;
    }

  self->chooser = gtk_file_chooser_native_new (_("Choose Cookies File"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"),
                                               _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  /* Translators: a file filter: cookies.txt is text */
  gtk_file_filter_set_name (text, _("Cookies Files (cookies.txt)"));
  gtk_file_filter_add_mime_type (text, "text/plain");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), text);
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
clear_cookies_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  dl_add_options_set_cookies_file (DL_ADD_OPTIONS (widget), NULL);
}

static void
dl_add_options_dispose (GObject *object)
{
  DlAddOptions *self = (DlAddOptions *) object;

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->cookies_file);
  gtk_widget_dispose_template (GTK_WIDGET (self), DL_TYPE_ADD_OPTIONS);

  G_OBJECT_CLASS (dl_add_options_parent_class)->dispose (object);
}

static void
dl_add_options_class_init (DlAddOptionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dl_add_options_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/libbridge/Downloader/ui/dl-add-options.ui");
  gtk_widget_class_bind_template_child (widget_class, DlAddOptions, expander);
  gtk_widget_class_bind_template_child (widget_class, DlAddOptions, headers_view);
  gtk_widget_class_bind_template_child (widget_class, DlAddOptions, error_label);
  gtk_widget_class_bind_template_child (widget_class, DlAddOptions, referer_entry);
  gtk_widget_class_bind_template_child (widget_class, DlAddOptions, cookies_label);
  gtk_widget_class_bind_template_child (widget_class, DlAddOptions, cookies_clear_button);

  gtk_widget_class_install_action (widget_class, "add-options.choose-cookies", NULL,
                                   choose_cookies_action);
  gtk_widget_class_install_action (widget_class, "add-options.clear-cookies", NULL,
                                   clear_cookies_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "addoptions");
}

static void
dl_add_options_init (DlAddOptions *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
