/* qt-fetch: libbridge tasks in a Qt Widgets window.
 *
 *   qt-fetch [--fault-server PROGRAM] [--self-test] [--screenshot FILE]
 *   qt-fetch --fault-server PROGRAM --measure N --seconds S --result FILE
 *
 * Fetches a list of URLs at once, each download one libbridge task on
 * libsoup, with per-row progress, Cancel, and a stall meter showing that the
 * window never freezes. Works with Qt's GLib event dispatcher and with its
 * own (QT_NO_GLIB=1): Bridge::QtLoop drives libbridge from either.
 *
 * --fault-server starts the repository's local test server (loopback only)
 * and queues sample URLs on it. --self-test clicks through the window
 * (Fetch All, then Cancel on stalled downloads) and checks every row: this
 * is how the test suite runs it. --measure is bench/run qt-stall: N
 * rate-limited downloads at once, then S seconds of the stall meter and of
 * the bytes received, written to FILE as JSON.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <QApplication>
#include <QCommandLineParser>
#include <QFile>
#include <QImage>
#include <QPushButton>
#include <QTableWidget>
#include <QTimer>

#include <cstdio>
#include <signal.h>

#include "fetch-window.h"
#include "libbridge-qt.h"
#include "progress-delegate.h"
#include "stall-meter.h"

#define SELF_TEST_TIMEOUT 60.0

/* The fault server as a child process; prints its base URL first. */
class FaultServerProcess
{
public:
  bool
  start (const QString &program, Bridge::Error *error)
  {
    QByteArray path = program.toLocal8Bit ();
    m_process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, error->out (), path.constData (), nullptr);
    if (m_process == nullptr)
      return false;
    g_autoptr(GDataInputStream) lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (m_process));
    g_autofree char *line = g_data_input_stream_read_line (lines, nullptr, nullptr, error->out ());
    if (line == nullptr)
      {
        if (!error->isSet ())
          *error = Bridge::Error (G_IO_ERROR, G_IO_ERROR_FAILED, QStringLiteral ("the fault server exited"));
        return false;
      }
    m_base = QString::fromUtf8 (line);
    return true;
  }

  ~FaultServerProcess ()
  {
    if (m_process != nullptr)
      {
        g_subprocess_send_signal (m_process, SIGTERM);
        g_subprocess_wait (m_process, nullptr, nullptr);
        g_object_unref (m_process);
      }
  }

  QString url (const char *path_and_query) const { return m_base + QString::fromUtf8 (path_and_query); }

private:
  GSubprocess *m_process = nullptr;
  QString      m_base;
};

static bool self_test_failed;

static void
check (bool condition, const QString &what)
{
  if (!condition)
    {
      std::fprintf (stderr, "qt-fetch self-test: %s\n", what.toUtf8 ().constData ());
      self_test_failed = true;
    }
}

/* Waits inside a task until @condition holds; false after @seconds. */
template <typename Condition>
static bool
wait_until (Condition condition, double seconds)
{
  BridgeTimeout *scope = bridge_timeout_begin (seconds);
  bool held;

  while (!(held = condition ()) && Bridge::sleep (0.01))
    ;
  bridge_timeout_end (scope, nullptr);
  return held;
}

struct Sample
{
  const char *path;
  qint64      size;   /* -1: must fail */
};

static const Sample samples[] = {
  { "alpha.bin?size=300k&seed=1&rate=1m", 300 * 1024 },
  { "beta.bin?size=1m&seed=2", 1024 * 1024 },
  { "gamma.bin?size=64k&seed=3", 64 * 1024 },
  { "delta.bin?size=2m&seed=4&rate=4m", 2 * 1024 * 1024 },
  { "missing.bin?status=404", -1 },
  { "truncated.bin?size=100k&drop_after=50000", -1 },
};

/* The progress column, painted by the window's own table at every value
 * of row 0: a cell is repainted only when its bar would look different
 * (looksSame() holds exactly when neighbouring values paint the same pixels:
 * never a change left unpainted, never a repaint for nothing), and the
 * delegate's kept images paint exactly what the style paints. */
static void
check_progress_bars (FetchWindow *window)
{
  auto *table = window->findChild<QTableWidget *> ();
  auto *delegate = dynamic_cast<ProgressDelegate *> (table->itemDelegateForColumn (1));
  QTableWidgetItem *item = table->item (0, 1);
  QVariant saved = item->data (Qt::UserRole);
  QImage previous;

  auto grab_cell = [table, item] () {
    return table->viewport ()->grab (table->visualItemRect (item)).toImage ();
  };
  for (int value = 0; value <= ProgressDelegate::Maximum; value++)
    {
      item->setData (Qt::UserRole, value);
      delegate->setCacheEnabled (false);
      QImage direct = grab_cell ();
      delegate->setCacheEnabled (true);
      QImage kept = grab_cell ();
      /* Again, now from the image kept by the first paint. */
      QImage kept_again = grab_cell ();

      if (kept != direct || kept_again != direct)
        {
          check (false, QStringLiteral ("the kept image of the bar at %1 per mille differs from the style's").arg (value));
          break;
        }
      if (value > 0 && delegate->looksSame (value - 1, value) != (direct == previous))
        {
          check (false, QStringLiteral ("the bars at %1 and %2 per mille %3").arg (value - 1).arg (value)
                          .arg (direct == previous ? QStringLiteral ("look the same") : QStringLiteral ("differ")));
          break;
        }
      previous = direct;
    }
  item->setData (Qt::UserRole, saved);
}

static void
self_test (FetchWindow *window, const FaultServerProcess *server)
{
  int n_samples = G_N_ELEMENTS (samples);

  check_progress_bars (window);

  /* Fetch All: every row ends, each as it should. */
  window->fetchAllButton ()->click ();
  check (wait_until ([window] () { return window->runningCount () == 0 &&
                                          window->rowState (0) != FetchWindow::RowState::Queued; },
                     SELF_TEST_TIMEOUT),
         QStringLiteral ("the downloads did not finish"));
  for (int i = 0; i < n_samples; i++)
    {
      bool ok = samples[i].size >= 0;
      check (window->rowState (i) == (ok ? FetchWindow::RowState::Done : FetchWindow::RowState::Failed),
             QStringLiteral ("row %1 (%2): %3").arg (i).arg (QString::fromUtf8 (samples[i].path), window->rowStatus (i)));
      if (ok)
        check (window->rowReceived (i) == samples[i].size,
               QStringLiteral ("row %1: %2 bytes").arg (i).arg (window->rowReceived (i)));
    }
  check (window->fetchAllButton ()->isEnabled () && !window->cancelButton ()->isEnabled (),
         QStringLiteral ("the buttons are not back to idle"));

  /* Cancel: two stalled downloads, cancelled once they have started. */
  window->addUrl (server->url ("stuck-1.bin?size=1m&hang_after=20000"));
  window->addUrl (server->url ("stuck-2.bin?size=1m&hang_after=20000"));
  window->fetchAllButton ()->click ();
  check (wait_until ([window, n_samples] () {
           return window->rowReceived (n_samples) >= 20000 && window->rowReceived (n_samples + 1) >= 20000;
         }, SELF_TEST_TIMEOUT),
         QStringLiteral ("the stalled downloads never started"));
  /* The failed rows were fetched again, and fail again. */
  window->cancelButton ()->click ();
  check (wait_until ([window] () { return window->runningCount () == 0; }, SELF_TEST_TIMEOUT),
         QStringLiteral ("Cancel did not stop the downloads"));
  check (window->rowState (n_samples) == FetchWindow::RowState::Cancelled &&
         window->rowState (n_samples + 1) == FetchWindow::RowState::Cancelled,
         QStringLiteral ("the stalled rows are not cancelled: %1, %2").arg (window->rowStatus (n_samples),
                                                                          window->rowStatus (n_samples + 1)));
  check (window->rowState (0) == FetchWindow::RowState::Done,
         QStringLiteral ("a finished row changed: %1").arg (window->rowStatus (0)));

  /* The window kept drawing and its loop kept ticking all along. */
  check (window->stallMeter ()->frames () > 10 && window->stallMeter ()->samples () > 100,
         QStringLiteral ("the stall meter saw %1 frames, %2 probes").arg (window->stallMeter ()->frames ())
           .arg (window->stallMeter ()->samples ()));
}

/* bench/run qt-stall: @n rate-limited downloads at once; once all of them
 * are receiving, the stall meter for @seconds. */
static bool
measure (FetchWindow *window, const FaultServerProcess *server, int n, double seconds, const QString &result,
         const QString &screenshot)
{
  for (int i = 0; i < n; i++)
    window->addUrl (server->url (QStringLiteral ("load-%1.bin?size=64m&rate=512k&seed=%1").arg (i).toUtf8 ().constData ()));
  window->fetchAllButton ()->click ();

  auto all_receiving = [window, n] () {
    for (int i = 0; i < n; i++)
      if (window->rowReceived (i) == 0)
        return false;
    return true;
  };
  if (!wait_until (all_receiving, 30))
    {
      std::fprintf (stderr, "qt-fetch: not all %d downloads started\n", n);
      return false;
    }

  /* How much arrived while measuring: a loop that kept the window
   * responsive by falling behind the downloads would show here. */
  auto total_received = [window, n] () {
    qint64 total = 0;
    for (int i = 0; i < n; i++)
      total += window->rowReceived (i);
    return total;
  };
  qint64 received_before = total_received ();
  window->stallMeter ()->reset ();
  /* CLOCK_MONOTONIC: bench/qt_stall.py keeps the machine's own wake-up
   * lateness (bench-timer-floor) of this span. */
  qint64 measured_from_us = g_get_monotonic_time ();
  Bridge::sleep (seconds);
  qint64 measured_until_us = g_get_monotonic_time ();
  double received_mib_per_s = (total_received () - received_before) / (1024.0 * 1024.0) / seconds;
  int active = window->runningCount ();
  StallMeter *meter = window->stallMeter ();
  QString json = QStringLiteral ("{\"value\": %1, \"unit\": \"ms\", \"worst_stall_ms\": %1, \"p99_stall_ms\": %2, "
                                 "\"probes\": %3, \"frames\": %4, \"active_downloads\": %5, \"dispatcher\": \"%6\", "
                                 "\"worst_busy_stall_ms\": %7, \"received_mib_per_s\": %8, "
                                 "\"measured_from_us\": %9, \"measured_until_us\": %10}\n")
                   .arg (meter->worstStallMs ()).arg (meter->p99StallMs ()).arg (meter->samples ())
                   .arg (meter->frames ()).arg (active)
                   .arg (Bridge::QtLoop::current ()->drivesContext () ? QStringLiteral ("unix") : QStringLiteral ("glib"))
                   .arg (meter->worstBusyStallMs ()).arg (received_mib_per_s, 0, 'f', 1)
                   .arg (measured_from_us).arg (measured_until_us);
  QFile file (result);
  if (!file.open (QIODevice::WriteOnly) || file.write (json.toUtf8 ()) < 0)
    return false;
  if (!screenshot.isEmpty () && !window->grab ().save (screenshot, "PNG"))
    return false;
  window->cancelButton ()->click ();
  wait_until ([window] () { return window->runningCount () == 0; }, 10);
  return true;
}

int
main (int   argc,
      char *argv[])
{
  QApplication app (argc, argv);
  Bridge::QtLoop qt_loop;
  QCommandLineParser parser;
  QCommandLineOption server_option ("fault-server", "Start this fault server program and queue sample URLs on it.", "PROGRAM");
  QCommandLineOption self_test_option ("self-test", "Click through the window and check every row.");
  QCommandLineOption screenshot_option ("screenshot", "After the self-test or the measurement, save the window to FILE (PNG).", "FILE");
  QCommandLineOption measure_option ("measure", "Measure stalls during N downloads at once.", "N");
  QCommandLineOption seconds_option ("seconds", "How long to measure.", "S", "10");
  QCommandLineOption result_option ("result", "Where --measure writes its JSON.", "FILE");

  parser.setApplicationDescription ("libbridge tasks in a Qt Widgets window");
  parser.addHelpOption ();
  parser.addOptions ({ server_option, self_test_option, screenshot_option, measure_option, seconds_option, result_option });
  parser.process (app);

  FaultServerProcess server;
  FetchWindow window;
  int status = 0;

  if (parser.isSet (server_option))
    {
      Bridge::Error error;
      if (!server.start (parser.value (server_option), &error))
        {
          std::fprintf (stderr, "qt-fetch: %s\n", error.message ().toUtf8 ().constData ());
          return 1;
        }
      if (!parser.isSet (measure_option))
        for (const Sample &sample : samples)
          window.addUrl (server.url (sample.path));
    }
  window.show ();

  Bridge::Task<void> driver;
  if (parser.isSet (measure_option))
    driver = Bridge::spawn ([&] () {
      status = measure (&window, &server, parser.value (measure_option).toInt (),
                        parser.value (seconds_option).toDouble (), parser.value (result_option),
                        parser.value (screenshot_option)) ? 0 : 1;
      QApplication::exit (status);
    }, "measure");
  else if (parser.isSet (self_test_option))
    driver = Bridge::spawn ([&] () {
      self_test (&window, &server);
      if (parser.isSet (screenshot_option))
        check (window.grab ().save (parser.value (screenshot_option), "PNG"),
               QStringLiteral ("could not save the screenshot"));
      QApplication::exit (self_test_failed ? 1 : 0);
    }, "self-test");

  /* A broken integration (tasks that never run) fails here, not at the
   * test's timeout. */
  if (driver)
    QTimer::singleShot ((int) (SELF_TEST_TIMEOUT * 1.5 * 1000) + parser.value (seconds_option).toInt () * 1000,
                        [] () {
      std::fprintf (stderr, "qt-fetch: the libbridge task driving the window never finished\n");
      QApplication::exit (2);
    });

  status = app.exec ();
  return status;
}
