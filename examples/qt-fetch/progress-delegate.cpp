/* progress-delegate.cpp
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "progress-delegate.h"

#include <QApplication>
#include <QStyleOptionProgressBar>

void
ProgressDelegate::paint (QPainter                   *painter,
                         const QStyleOptionViewItem &option,
                         const QModelIndex          &index) const
{
  int value = index.data (Qt::UserRole).toInt ();
  QStyleOptionProgressBar bar;

  bar.rect = option.rect.adjusted (2, 2, -2, -2);
  bar.state = option.state | QStyle::State_Horizontal;
  bar.direction = option.direction;
  bar.fontMetrics = option.fontMetrics;
  bar.palette = option.palette;
  bar.minimum = 0;
  bar.maximum = value < 0 ? 0 : Maximum;
  bar.progress = value < 0 ? 0 : value;
  bar.textVisible = value >= 0;
  bar.text = QStringLiteral ("%1%").arg (value / 10);
  bar.textAlignment = Qt::AlignCenter;
  /* The style fills its contents rectangle in proportion to the value,
   * in whole pixels. */
  m_contents_width = QApplication::style ()->subElementRect (QStyle::SE_ProgressBarContents, &bar).width ();
  QApplication::style ()->drawControl (QStyle::CE_ProgressBar, &bar, painter);
}

bool
ProgressDelegate::looksSame (int a,
                             int b) const
{
  if (a == b)
    return true;
  /* The style draws a sliver for any progress above zero. */
  if (a <= 0 || b <= 0 || m_contents_width <= 0)
    return false;
  return a / 10 == b / 10 &&
         (qint64) a * m_contents_width / Maximum == (qint64) b * m_contents_width / Maximum;
}
