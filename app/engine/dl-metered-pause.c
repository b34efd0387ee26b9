/* dl-metered-pause.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "dl-metered-pause"

#include "config.h"

#include "dl-download-private.h"
#include "dl-manager-private.h"
#include "dl-metered-pause-private.h"

/* While the network is metered (a phone's hotspot, a capped plan) and the
 * manager is told to pause on metered networks, no download transfers
 * unless the user said "Download Anyway" for it (DlDownload:allow-metered):
 * running ones stop as a pause would, keeping their partial file; queued
 * ones and those started meanwhile wait, paused. When the network stops
 * being metered, they all go on by themselves.
 *
 * The store keeps such a download in its active state, so a restart of the
 * program resumes it (and holds it again while the network is metered);
 * only the user's own pause is stored as paused. */

struct _DlMeteredPause
{
  DlManager       *manager;    /* borrowed: it owns us */
  GNetworkMonitor *monitor;    /* owned */
  gulong           notify_id;
  gboolean         enabled;
};

static gboolean
network_is_metered (DlMeteredPause *self)
{
  return self->enabled && self->monitor != NULL &&
         g_network_monitor_get_network_metered (self->monitor);
}

DlMeteredPause *
_dl_metered_pause_new (DlManager *manager)
{
  DlMeteredPause *self = g_new0 (DlMeteredPause, 1);

  self->manager = manager;
  return self;
}

void
_dl_metered_pause_free (DlMeteredPause *self)
{
  if (self == NULL)
    return;

  g_clear_signal_handler (&self->notify_id, self->monitor);
  g_clear_object (&self->monitor);
  g_free (self);
}

GNetworkMonitor *
_dl_metered_pause_get_monitor (DlMeteredPause *self)
{
  return self->monitor;
}

static void
metered_notify_cb (GNetworkMonitor *monitor,
                   GParamSpec      *pspec,
                   gpointer         user_data)
{
  _dl_metered_pause_update (user_data);
}

void
_dl_metered_pause_set_monitor (DlMeteredPause  *self,
                               GNetworkMonitor *monitor)
{
  if (self->monitor == monitor)
    return;

  g_clear_signal_handler (&self->notify_id, self->monitor);
  g_set_object (&self->monitor, monitor);
  if (monitor != NULL)
    self->notify_id = g_signal_connect (monitor, "notify::network-metered",
                                        G_CALLBACK (metered_notify_cb), self);
  _dl_metered_pause_update (self);
}

gboolean
_dl_metered_pause_get_enabled (DlMeteredPause *self)
{
  return self->enabled;
}

void
_dl_metered_pause_set_enabled (DlMeteredPause *self,
                               gboolean        enabled)
{
  self->enabled = !!enabled;
  /* The system's monitor unless one was given (a test's). */
  if (self->enabled && self->monitor == NULL)
    _dl_metered_pause_set_monitor (self, g_network_monitor_get_default ());
  else
    _dl_metered_pause_update (self);
}

/**
 * _dl_metered_pause_holds:
 * @self: the manager's #DlMeteredPause
 * @download: a download about to start, or running
 *
 * Returns: whether @download must not transfer now
 */
gboolean
_dl_metered_pause_holds (DlMeteredPause *self,
                         DlDownload     *download)
{
  return network_is_metered (self) && !download->allow_metered;
}

/**
 * _dl_metered_pause_hold:
 * @self: the manager's #DlMeteredPause
 * @download: a download without a task, which _dl_metered_pause_holds()
 *
 * Leaves @download paused until the network is unmetered, instead of
 * starting it. It is stored as queued, so a restart starts it.
 */
void
_dl_metered_pause_hold (DlMeteredPause *self,
                        DlDownload     *download)
{
  g_return_if_fail (download->task == NULL);

  download->stop_reason = DL_STOP_NONE;
  g_object_freeze_notify (G_OBJECT (download));
  _dl_download_set_state (download, DL_DOWNLOAD_STATE_QUEUED);
  _dl_download_save (download);
  _dl_download_set_state (download, DL_DOWNLOAD_STATE_PAUSED);
  _dl_download_set_metered_paused (download, TRUE);
  g_object_thaw_notify (G_OBJECT (download));
}

/**
 * _dl_metered_pause_stopped:
 * @self: the manager's #DlMeteredPause
 * @download: a download whose task ended after a stop for a metered network
 *
 * Keeps it waiting, or starts it again if the network stopped being metered
 * (or the user allowed it) while it was stopping.
 */
void
_dl_metered_pause_stopped (DlMeteredPause *self,
                           DlDownload     *download)
{
  /* It finished or failed before the stop took effect. */
  if (download->state != DL_DOWNLOAD_STATE_PAUSED || download->removed)
    return;

  if (_dl_metered_pause_holds (self, download))
    _dl_download_set_metered_paused (download, TRUE);
  else
    _dl_manager_start (self->manager, download);
}

/**
 * _dl_metered_pause_update:
 * @self: the manager's #DlMeteredPause
 *
 * Stops what must not transfer now, and starts what waited and now may.
 */
void
_dl_metered_pause_update (DlMeteredPause *self)
{
  GListModel *downloads = G_LIST_MODEL (self->manager);
  guint n = g_list_model_get_n_items (downloads);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DlDownload) download = g_list_model_get_item (downloads, i);

      if (download->removed)
        continue;

      if (_dl_metered_pause_holds (self, download))
        {
          /* A download whose bytes are all in (verifying) is let finish. */
          if (download->task != NULL && download->stop_reason == DL_STOP_NONE &&
              download->state != DL_DOWNLOAD_STATE_VERIFYING &&
              !dl_download_state_is_finished (download->state))
            {
              download->stop_reason = DL_STOP_METERED;
              bridge_task_cancel (download->task, "Metered network");
            }
        }
      else if (download->metered_paused && download->task == NULL)
        _dl_manager_start (self->manager, download);
    }
}
