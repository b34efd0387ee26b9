/* stall-meter.h: how responsive the Qt event loop is, shown in the window.
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

#include <vector>

/* A 1 ms precise timer measures how late Qt's loop gets to it (a stall is
 * that lateness); the widget also asks for a repaint every 16 ms and counts
 * the paints it gets. It shows both for the last second. */
class StallMeter final : public QWidget
{
public:
  explicit StallMeter (QWidget *parent = nullptr);

  /* Forgets what was measured so far. */
  void   reset ();

  double worstStallMs () const;
  double p99StallMs () const;
  /* The worst stall without the time other processes had the CPU. */
  double worstBusyStallMs () const;
  qint64 samples () const { return (qint64) m_stalls_us.size (); }
  qint64 frames () const { return m_frames; }
  double lastSecondWorstMs () const { return m_shown_worst_us / 1000.0; }
  int    lastSecondFrames () const { return m_shown_frames; }

  QSize  sizeHint () const override;

protected:
  void   paintEvent (QPaintEvent *event) override;

private:
  void   probe ();
  void   roll_second ();

  QTimer                m_probe;
  QTimer                m_frame_request;
  QTimer                m_second;
  QElapsedTimer         m_clock;
  qint64                m_last_probe_us = -1;
  qint64                m_last_cpu_us = 0;
  std::vector<qint64>   m_stalls_us;
  std::vector<qint64>   m_busy_stalls_us;
  qint64                m_frames = 0;
  qint64                m_second_worst_us = 0;
  int                   m_second_frames = 0;
  qint64                m_quarter_worst_us[4] = { 0, 0, 0, 0 };
  int                   m_quarter_frames[4] = { 0, 0, 0, 0 };
  int                   m_quarter = 0;
  qint64                m_shown_worst_us = 0;
  int                   m_shown_frames = 0;
};
