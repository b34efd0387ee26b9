/* stall-meter.cpp
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "stall-meter.h"

#include <QPainter>

#include <algorithm>

#include <time.h>

#define PROBE_INTERVAL_US 1000

StallMeter::StallMeter (QWidget *parent)
  : QWidget (parent)
{
  m_clock.start ();

  m_probe.setTimerType (Qt::PreciseTimer);
  connect (&m_probe, &QTimer::timeout, this, [this] () { probe (); });
  m_probe.start (PROBE_INTERVAL_US / 1000);

  m_frame_request.setTimerType (Qt::PreciseTimer);
  connect (&m_frame_request, &QTimer::timeout, this, [this] () { update (); });
  m_frame_request.start (16);

  /* The figures shown cover the last second, refreshed four times a second. */
  connect (&m_second, &QTimer::timeout, this, [this] () { roll_second (); });
  m_second.start (250);
}

void
StallMeter::reset ()
{
  m_stalls_us.clear ();
  m_busy_stalls_us.clear ();
  m_frames = 0;
  m_last_probe_us = -1;
}

/* µs of CPU time this thread used. */
static qint64
thread_cpu_time_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (qint64) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
StallMeter::probe ()
{
  qint64 now = m_clock.nsecsElapsed () / 1000;
  qint64 cpu = thread_cpu_time_us ();

  if (m_last_probe_us >= 0)
    {
      qint64 late = std::max<qint64> (0, now - m_last_probe_us - PROBE_INTERVAL_US);
      m_stalls_us.push_back (late);
      /* If the thread ran for less than the lateness since the last probe,
       * another process had the CPU for the rest. */
      m_busy_stalls_us.push_back (std::min (late, cpu - m_last_cpu_us));
      m_second_worst_us = std::max (m_second_worst_us, late);
    }
  m_last_probe_us = now;
  m_last_cpu_us = cpu;
}

void
StallMeter::roll_second ()
{
  m_quarter_worst_us[m_quarter] = m_second_worst_us;
  m_quarter_frames[m_quarter] = m_second_frames;
  m_quarter = (m_quarter + 1) % 4;
  m_second_worst_us = 0;
  m_second_frames = 0;

  m_shown_worst_us = 0;
  m_shown_frames = 0;
  for (int i = 0; i < 4; i++)
    {
      m_shown_worst_us = std::max (m_shown_worst_us, m_quarter_worst_us[i]);
      m_shown_frames += m_quarter_frames[i];
    }
}

double
StallMeter::worstStallMs () const
{
  if (m_stalls_us.empty ())
    return 0;
  return *std::max_element (m_stalls_us.begin (), m_stalls_us.end ()) / 1000.0;
}

static double
p99_ms (std::vector<qint64> samples)
{
  if (samples.empty ())
    return 0;
  size_t index = std::min (samples.size () - 1, samples.size () * 99 / 100);
  std::nth_element (samples.begin (), samples.begin () + index, samples.end ());
  return samples[index] / 1000.0;
}

double
StallMeter::p99StallMs () const
{
  return p99_ms (m_stalls_us);
}

double
StallMeter::worstBusyStallMs () const
{
  if (m_busy_stalls_us.empty ())
    return 0;
  return *std::max_element (m_busy_stalls_us.begin (), m_busy_stalls_us.end ()) / 1000.0;
}

QSize
StallMeter::sizeHint () const
{
  return QSize (fontMetrics ().horizontalAdvance (QStringLiteral ("000 frames/s · worst stall 000.0 ms")) + 40,
                fontMetrics ().height () + 8);
}

void
StallMeter::paintEvent (QPaintEvent *)
{
  QPainter painter (this);
  double worst = m_shown_worst_us / 1000.0;
  /* Green under one frame's budget of lateness, then amber, then red. */
  QColor light = worst < 4 ? QColor (0x33, 0xa0, 0x44) : worst < 16 ? QColor (0xd0, 0x90, 0x10) : QColor (0xc0, 0x30, 0x30);
  int side = height () - 10;

  m_frames++;
  m_second_frames++;

  painter.setRenderHint (QPainter::Antialiasing);
  painter.setBrush (light);
  painter.setPen (Qt::NoPen);
  painter.drawEllipse (QRect (4, 5, side, side));
  painter.setPen (palette ().color (QPalette::WindowText));
  painter.drawText (rect ().adjusted (side + 12, 0, 0, 0), Qt::AlignVCenter | Qt::AlignLeft,
                    tr ("%1 frames/s · worst stall %2 ms").arg (m_shown_frames).arg (worst, 0, 'f', 1));
}
