/* bridge-thread-local-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

/* Thread-locals on the scheduling hot path (current task, current fiber,
 * dispatching loop). The default model for a shared library goes through
 * __tls_get_addr() on every access, which showed up at 4.5 % of a spawn
 * profile; initial-exec makes each access one %fs-relative load. The cost is
 * a few bytes of static TLS, which a library linked at startup (or dlopen()ed
 * into glibc's surplus) always has. */
#define BRIDGE_THREAD_LOCAL __thread __attribute__ ((tls_model ("initial-exec")))
