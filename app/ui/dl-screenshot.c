/* dl-screenshot.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-screenshot"

#include "config.h"

#include <glib/gi18n.h>

#include "dl-screenshot.h"

/**
 * dl_screenshot_take:
 * @widget: a realized widget, usually a window
 * @error: return location for a #GError
 *
 * Renders @widget as it is drawn now, at its allocated size, with the
 * renderer of its window: the same pixels the user sees, without asking
 * the display server (which Wayland would not allow).
 *
 * Returns: (transfer full): the texture, or %NULL with @error set
 */
GdkTexture *
dl_screenshot_take (GtkWidget  *widget,
                    GError    **error)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  GtkSnapshot *snapshot;
  GtkNative *native;
  GskRenderer *renderer;
  int width, height;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), NULL);

  native = gtk_widget_get_native (widget);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  renderer = native != NULL ? gtk_native_get_renderer (native) : NULL;

  if (renderer == NULL || width <= 0 || height <= 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                           _("The window is not shown yet"));
      return NULL;
    }

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  /* The paintable shows what the widget drew in its last frame; a window
   * that GTK has not drawn yet (a second window on an X server without a
   * window manager) has none, so draw it here the way its frame would. */
  if (node == NULL && GTK_WIDGET_GET_CLASS (widget)->snapshot != NULL)
    {
      snapshot = gtk_snapshot_new ();
      GTK_WIDGET_GET_CLASS (widget)->snapshot (widget, snapshot);
      node = gtk_snapshot_free_to_node (snapshot);
    }
  if (node == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The window drew nothing"));
      return NULL;
    }

  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

gboolean
dl_screenshot_save (GtkWidget   *widget,
                    const char  *path,
                    GError     **error)
{
  g_autoptr(GdkTexture) texture = NULL;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  texture = dl_screenshot_take (widget, error);
  if (texture == NULL)
    return FALSE;

  if (!gdk_texture_save_to_png (texture, path))
    {
      /* Translators: %s is a file name */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not write “%s”"), path);
      return FALSE;
    }

  return TRUE;
}
