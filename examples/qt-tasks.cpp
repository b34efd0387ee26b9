/* qt-tasks.cpp: libbridge tasks inside a Qt 6 application, in plain C calls.
 *
 * Bridge::QtLoop (libbridge-qt-1) attaches the thread's libbridge loop to
 * Qt's event loop, so tasks run inside app.exec(), next to Qt's own timers,
 * whichever event dispatcher Qt uses: GLib's (the default on Linux, which
 * iterates the GMainContext itself) or Qt's own (QT_NO_GLIB=1), which the
 * QtLoop then drives. The test suite runs this program under both.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <QCoreApplication>
#include <QTimer>

#include <cstdio>

#include <libbridge-qt.h>

struct Worker
{
  const char *name;
  int         steps;
};

static void
worker (BridgeTask *task,
        gpointer    user_data)
{
  auto *w = static_cast<Worker *> (user_data);
  GError *error = nullptr;

  for (int i = 1; i <= w->steps; i++)
    {
      if (!bridge_sleep (0.02, &error))
        {
          bridge_task_return_error (task, error);
          return;
        }
      std::printf ("%s: step %d/%d\n", w->name, i, w->steps);
    }
  bridge_task_return_int64 (task, w->steps);
}

static void
coordinator (BridgeTask *task,
             gpointer    user_data)
{
  static Worker workers[] = { { "alpha", 3 }, { "beta", 5 } };
  auto *qt_ticks = static_cast<int *> (user_data);
  BridgeTask *tasks[2];
  gint64 total = 0;

  for (int i = 0; i < 2; i++)
    tasks[i] = bridge_spawn_full (nullptr, workers[i].name, BRIDGE_STACK_SIZE_DEFAULT,
                                  worker, &workers[i], nullptr);
  for (int i = 0; i < 2; i++)
    {
      total += bridge_await_int64 (BRIDGE_FUTURE (tasks[i]), nullptr);
      bridge_task_unref (tasks[i]);
    }

  std::printf ("tasks done: %d steps; Qt's timer ticked %d times meanwhile\n",
               (int) total, *qt_ticks);
  bridge_task_return_int64 (task, total);

  /* Back on Qt's side: leave app.exec(). */
  QCoreApplication::exit (total == 8 && *qt_ticks > 0 ? 0 : 1);
}

int
main (int   argc,
      char *argv[])
{
  QCoreApplication app (argc, argv);
  Bridge::QtLoop qt_loop;
  QTimer ticker;
  int qt_ticks = 0;
  BridgeTask *task;
  int status;

  QObject::connect (&ticker, &QTimer::timeout, [&qt_ticks] () { qt_ticks++; });
  ticker.start (10);

  task = bridge_spawn_full (qt_loop.loop (), "coordinator", BRIDGE_STACK_SIZE_DEFAULT,
                            coordinator, &qt_ticks, nullptr);

  /* A watchdog so a broken integration fails instead of hanging. */
  QTimer::singleShot (10000, [] () {
    std::fprintf (stderr, "qt-tasks: libbridge tasks never ran inside app.exec()\n");
    QCoreApplication::exit (2);
  });

  status = app.exec ();
  bridge_task_unref (task);
  return status;
}
