/* test-pagemap.h: what the kernel says of a page of this process
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <glib.h>

/* The entry of @page in /proc/self/pagemap (see the kernel's
 * Documentation/admin-guide/mm/pagemap.rst). */
static inline guint64
test_pagemap_entry (const guint8 *page)
{
  gsize page_size = sysconf (_SC_PAGESIZE);
  guint64 entry = 0;
  int fd = open ("/proc/self/pagemap", O_RDONLY);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pread (fd, &entry, sizeof entry,
                          (off_t) ((gsize) page / page_size * sizeof entry)), ==, sizeof entry);
  close (fd);
  return entry;
}

/* Whether @page is present: bit 63. */
static inline gboolean
page_is_present (const guint8 *page)
{
  return (test_pagemap_entry (page) >> 63) & 1;
}

/* Whether the kernel reports a guard marker on @page: bit 58
 * (PM_GUARD_REGION, Linux 6.14). */
static inline gboolean
page_is_guard (const guint8 *page)
{
  return (test_pagemap_entry (page) >> 58) & 1;
}
