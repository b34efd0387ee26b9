/* guide-qt.cpp: the program of the guide "Embedding in Qt".
 *
 * On Linux, Qt's event dispatcher iterates GLib's default main context, so
 * libbridge's loop for that context runs inside QCoreApplication::exec().
 * A Qt slot starts a task; the task awaits a future that a Qt timer
 * completes, then leaves exec().
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <QCoreApplication>
#include <QTimer>

#include <libbridge.h>

/* A Qt signal as a future: completed by a slot, awaited by a task. */
static BridgeFuture *
future_for_timeout (QTimer *timer)
{
  BridgeFuture *future = bridge_future_new ();

  QObject::connect (timer, &QTimer::timeout, [future] () {
    bridge_future_set_boolean (future, TRUE, nullptr);
    bridge_future_unref (future);
  });
  return bridge_future_ref (future);
}

static void
wait_for_qt (BridgeTask *,
             gpointer    user_data)
{
  auto *timer = static_cast<QTimer *> (user_data);
  g_autoptr(BridgeFuture) fired = future_for_timeout (timer);
  g_autoptr(GError) error = nullptr;

  timer->start (20);
  if (!bridge_await (fired, &error) || !bridge_sleep (0.01, &error))
    {
      QCoreApplication::exit (1);
      return;
    }
  QCoreApplication::exit (0);          /* back to Qt: leave exec() */
}

int
main (int   argc,
      char *argv[])
{
  QCoreApplication app (argc, argv);
  QTimer timer;
  BridgeTask *task = nullptr;
  int status;

  timer.setSingleShot (true);
  /* A slot spawns the task once exec() runs. */
  QTimer::singleShot (0, [&task, &timer] () {
    task = bridge_spawn (wait_for_qt, &timer, nullptr);
  });
  /* A broken integration fails instead of hanging. */
  QTimer::singleShot (10000, [] () { QCoreApplication::exit (2); });

  status = app.exec ();
  g_clear_pointer (&task, bridge_task_unref);
  return status;
}
