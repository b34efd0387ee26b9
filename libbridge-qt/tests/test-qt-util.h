/* test-qt-util.h: helpers shared by the libbridge-qt tests.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>
#include <cstdlib>

#include "libbridge-qt.h"

/* Upper bound for anything the tests wait for: generous, it only matters
 * when something is broken. */
#define TEST_TIMEOUT_MS 10000

/* Runs the calling thread's Qt event loop (never GLib's directly) until
 * @condition holds or @timeout_ms pass; returns whether it holds. */
template <typename Condition>
static bool
run_qt_until (Condition condition,
              int       timeout_ms = TEST_TIMEOUT_MS)
{
  QDeadlineTimer deadline (timeout_ms, Qt::PreciseTimer);
  QTimer wake;

  /* Wakes a blocked processEvents() at the deadline (re-armed: even a
   * precise Qt timer may fire a little early). */
  wake.setSingleShot (true);
  wake.setTimerType (Qt::PreciseTimer);
  while (!condition ())
    {
      if (deadline.hasExpired ())
        return false;
      if (!wake.isActive ())
        wake.start (std::max<qint64> (1, deadline.remainingTime ()));
      QCoreApplication::processEvents (QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents);
    }
  return true;
}

/* Runs a task made by Bridge::spawn() to its end inside Qt's loop. */
template <typename T>
static void
run_qt_until_done (const Bridge::Task<T> &task)
{
  g_assert_true (run_qt_until ([&task] () { return task.isDone (); }));
}

static inline bool
qt_uses_glib_dispatcher (void)
{
  const char *no_glib = std::getenv ("QT_NO_GLIB");

  /* Qt's own test: any non-empty value turns GLib's dispatcher off. */
  return no_glib == nullptr || *no_glib == '\0';
}

/* Qt's warnings fail the test like GLib's criticals do: a driver that lets
 * Qt poll a closed fd, say, shows up as "QSocketNotifier: Invalid socket". */
static inline void
fail_on_qt_warnings (void)
{
  qInstallMessageHandler ([] (QtMsgType type, const QMessageLogContext &, const QString &message) {
    if (type == QtDebugMsg || type == QtInfoMsg)
      return;
    g_critical ("Qt: %s", message.toUtf8 ().constData ());
  });
}
