/* bridge-qt-loop.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined (BRIDGE_QT_INSIDE) && !defined (BRIDGE_QT_COMPILATION)
# error "Only <libbridge-qt.h> can be included directly."
#endif

#include <QObject>

#include <memory>


namespace Bridge {

/* Attaches a libbridge loop to the Qt thread that creates it, so that tasks
 * spawned on that thread run inside its Qt event loop (QCoreApplication::exec(),
 * QThread::exec(), QEventLoop::exec(), QDialog::exec()).
 *
 * Under Qt's GLib event dispatcher (Qt's default on Linux) the thread's Qt
 * loop already iterates the thread's GMainContext, so the QtLoop only picks
 * the libbridge loop of that context. Under any other dispatcher
 * (QT_NO_GLIB=1, a Qt built without GLib) it drives the context itself: it
 * asks GLib which file descriptors and which timeout the context waits for,
 * watches them with one QSocketNotifier each and a precise QTimer, and runs
 * GLib's check and dispatch when one of them fires, handing GLib a bounded
 * share of the ready descriptors per pass of Qt's loop so that Qt's own
 * timers and painting run between shares. It updates the notifiers
 * after every dispatch and prepares again each time Qt is about to sleep, so
 * work queued from Qt code is never left waiting, and an idle application
 * sleeps in Qt's poll().
 *
 * Create one on each thread that runs libbridge tasks, after the
 * QCoreApplication (on the main thread) or inside the QThread, and keep it
 * alive while tasks run. It must be destroyed on its own thread. */
class QtLoop final : public QObject
{
public:
  explicit QtLoop (QObject *parent = nullptr);
  ~QtLoop () override;

  QtLoop (const QtLoop &) = delete;
  QtLoop &operator= (const QtLoop &) = delete;

  /* The libbridge loop of this thread (owned by the QtLoop). */
  BridgeLoop   *loop () const;
  GMainContext *context () const;

  /* True when Qt's event dispatcher is not GLib's and this object drives the
   * GMainContext from Qt; false when Qt's GLib dispatcher already does. */
  bool          drivesContext () const;

  /* The QtLoop of the calling thread, or nullptr. */
  static QtLoop *current ();

  struct Driver;

private:
  std::unique_ptr<Driver> m_driver;
  BridgeLoop             *m_loop = nullptr;
  GMainContext           *m_context = nullptr;
  bool                    m_pushed_context = false;
};

} // namespace Bridge
