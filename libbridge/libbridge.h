/* libbridge.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>
#include <glib-object.h>
#include <gio/gio.h>

#define BRIDGE_INSIDE
# include "bridge-version.h"
# include "bridge-version-macros.h"
# include "bridge-types.h"
# include "bridge-error.h"
# include "bridge-handle.h"
# include "bridge-loop.h"
# include "bridge-future.h"
# include "bridge-task.h"
# include "bridge-run.h"
# include "bridge-async-result.h"
# include "bridge-stream.h"
# include "bridge-file.h"
# include "bridge-network.h"
# include "bridge-subprocess.h"
# include "bridge-signal.h"
# include "bridge-stream-reader.h"
# include "bridge-thread.h"
# include "bridge-executor.h"
# include "bridge-fd.h"
# include "bridge-unix-signal.h"
# include "bridge-server.h"
# include "bridge-stream-writer.h"
# include "bridge-datagram.h"
# include "bridge-task-local.h"
# include "bridge-runner.h"
# include "bridge-spawn-async.h"
# if BRIDGE_HAS_SOUP
#  include "bridge-soup.h"
# endif
# include "bridge-task-group.h"
# include "bridge-lock.h"
# include "bridge-event.h"
# include "bridge-condition.h"
# include "bridge-semaphore.h"
# include "bridge-barrier.h"
# include "bridge-queue.h"
# include "bridge-gather.h"
# include "bridge-wait.h"
# include "bridge-wait-for.h"
# include "bridge-shield.h"
# include "bridge-as-completed.h"
# include "bridge-timeout.h"
# include "bridge-object.h"
# include "bridge-signal-task.h"
#undef BRIDGE_INSIDE
