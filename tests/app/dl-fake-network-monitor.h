/* dl-fake-network-monitor.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A GNetworkMonitor whose network-metered the test sets, for
 * DlManager:network-monitor. Include from one file of a test binary. */

#define DL_TYPE_FAKE_NETWORK_MONITOR (dl_fake_network_monitor_get_type ())

G_DECLARE_FINAL_TYPE (DlFakeNetworkMonitor, dl_fake_network_monitor, DL, FAKE_NETWORK_MONITOR, GObject)

struct _DlFakeNetworkMonitor
{
  GObject  parent_instance;
  gboolean metered;
};

enum {
  DL_FAKE_PROP_0,
  DL_FAKE_PROP_NETWORK_AVAILABLE,
  DL_FAKE_PROP_NETWORK_METERED,
  DL_FAKE_PROP_CONNECTIVITY,
};

static gboolean
dl_fake_network_monitor_can_reach (GNetworkMonitor     *monitor,
                                   GSocketConnectable  *connectable,
                                   GCancellable        *cancellable,
                                   GError             **error)
{
  return TRUE;
}

static void
dl_fake_network_monitor_iface_init (GNetworkMonitorInterface *iface)
{
  iface->can_reach = dl_fake_network_monitor_can_reach;
}

static gboolean
dl_fake_network_monitor_initable_init (GInitable     *initable,
                                       GCancellable  *cancellable,
                                       GError       **error)
{
  return TRUE;
}

static void
dl_fake_network_monitor_initable_iface_init (GInitableIface *iface)
{
  iface->init = dl_fake_network_monitor_initable_init;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (DlFakeNetworkMonitor, dl_fake_network_monitor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      dl_fake_network_monitor_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_NETWORK_MONITOR,
                                                      dl_fake_network_monitor_iface_init))

static void
dl_fake_network_monitor_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  DlFakeNetworkMonitor *self = DL_FAKE_NETWORK_MONITOR (object);

  switch (prop_id)
    {
    case DL_FAKE_PROP_NETWORK_AVAILABLE:
      g_value_set_boolean (value, TRUE);
      break;
    case DL_FAKE_PROP_NETWORK_METERED:
      g_value_set_boolean (value, self->metered);
      break;
    case DL_FAKE_PROP_CONNECTIVITY:
      g_value_set_enum (value, G_NETWORK_CONNECTIVITY_FULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dl_fake_network_monitor_class_init (DlFakeNetworkMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = dl_fake_network_monitor_get_property;
  g_object_class_override_property (object_class, DL_FAKE_PROP_NETWORK_AVAILABLE, "network-available");
  g_object_class_override_property (object_class, DL_FAKE_PROP_NETWORK_METERED, "network-metered");
  g_object_class_override_property (object_class, DL_FAKE_PROP_CONNECTIVITY, "connectivity");
}

static void
dl_fake_network_monitor_init (DlFakeNetworkMonitor *self)
{
}

static inline GNetworkMonitor *
dl_fake_network_monitor_new (gboolean metered)
{
  DlFakeNetworkMonitor *self = g_object_new (DL_TYPE_FAKE_NETWORK_MONITOR, NULL);

  self->metered = metered;
  return G_NETWORK_MONITOR (self);
}

/* As a real monitor does when the connection changes. */
static inline void
dl_fake_network_monitor_set_metered (GNetworkMonitor *monitor,
                                     gboolean         metered)
{
  DlFakeNetworkMonitor *self = DL_FAKE_NETWORK_MONITOR (monitor);

  if (self->metered == metered)
    return;
  self->metered = metered;
  g_object_notify (G_OBJECT (self), "network-metered");
}

G_END_DECLS
