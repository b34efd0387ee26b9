/* bridge-thread-private.h
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "bridge-thread.h"

G_BEGIN_DECLS

/* Hands a job to a pool of threads. */
typedef void (*BridgeThreadJobSubmit) (gpointer job,
                                       gpointer submit_data);

BridgeFuture *_bridge_thread_job_submit (BridgeThreadFunc       func,
                                         gpointer               user_data,
                                         GDestroyNotify         destroy,
                                         BridgeThreadJobSubmit  submit,
                                         gpointer               submit_data);
void          _bridge_thread_job_run    (gpointer               job);

G_END_DECLS
