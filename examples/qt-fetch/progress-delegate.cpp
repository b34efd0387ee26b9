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
  QApplication::style ()->drawControl (QStyle::CE_ProgressBar, &bar, painter);
}
