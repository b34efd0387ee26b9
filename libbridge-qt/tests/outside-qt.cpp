/* outside-qt.cpp: a program built against the installed libbridge-qt-1
 * with nothing but pkg-config (see test-qt-install.sh).
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <QCoreApplication>
#include <QTimer>

#include <cstdio>

#include <libbridge-qt.h>

int
main (int   argc,
      char *argv[])
{
  QCoreApplication app (argc, argv);
  Bridge::QtLoop qt_loop;

  auto task = Bridge::spawn ([&qt_loop] () {
    Bridge::sleep (0.01);
    std::printf ("a task ran under Qt's %s dispatcher\n", qt_loop.drivesContext () ? "own" : "GLib");
    QCoreApplication::exit (0);
  });
  QTimer::singleShot (10000, [] () { QCoreApplication::exit (1); });
  return app.exec ();
}
