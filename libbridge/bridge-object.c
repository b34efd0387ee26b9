/* bridge-object.c
 *
 * Copyright 2026 The libbridge authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "bridge-future-private.h"
#include "bridge-loop-private.h"
#include "bridge-object.h"
#include "bridge-task.h"

/* Tasks bound to the lifetime of a GObject.
 *
 * A binding is a weak reference on the object plus a done callback on the
 * task; whichever happens first (the object's dispose, the task's end)
 * undoes the other, so neither outlives the pair. The binding lives exactly
 * as long as the done callback's registration, which the task owns, so the
 * task pointer it borrows is valid whenever the weak notify can run. */

typedef struct
{
  BridgeTask   *task;          /* borrowed, see above */
  GObject      *object;        /* NULL once disposed */
  GApplication *application;   /* held while the task runs */
  gboolean      application_is_object;   /* else @application is referenced */
} ObjectBinding;

static void
binding_object_disposed (gpointer  data,
                         GObject  *where_the_object_was)
{
  ObjectBinding *binding = data;
  g_autofree char *message = NULL;
  BridgeLoop *loop = bridge_future_get_loop (BRIDGE_FUTURE (binding->task));

  binding->object = NULL;
  /* An application being disposed is not released: its holds go with it. */
  if (binding->application_is_object)
    binding->application = NULL;

  if (G_UNLIKELY (!_bridge_loop_is_owner_thread (loop)))
    {
      g_critical ("An object bound to task “%s” with bridge_task_bind_object() was "
                  "disposed on a thread other than the loop's; the task cannot be "
                  "cancelled from here",
                  bridge_task_get_name (binding->task));
      return;
    }

  message = g_strdup_printf ("The object bound to task “%s” was disposed",
                             bridge_task_get_name (binding->task));
  bridge_task_cancel (binding->task, message);
}

static void
binding_task_done (BridgeFuture *future,
                   gpointer      user_data)
{
  /* All the work is in binding_free(), which also runs when the callback
   * is dropped without running (the loop was closed under the task). */
}

static void
binding_free (gpointer data)
{
  ObjectBinding *binding = data;

  if (binding->object != NULL)
    g_object_weak_unref (binding->object, binding_object_disposed, binding);
  if (binding->application != NULL)
    {
      g_application_release (binding->application);
      if (!binding->application_is_object)
        g_object_unref (binding->application);
    }
  g_free (binding);
}

/* The GApplication that a bound object belongs to: the object itself, the
 * application of a window (its "application" property), or that of the
 * window a widget sits in (its "root" property). Found by property so that
 * libbridge needs no GTK. */
static GApplication *
find_application (GObject *object)
{
  for (guint depth = 0; object != NULL && depth < 2; depth++)
    {
      GObjectClass *klass = G_OBJECT_GET_CLASS (object);
      GParamSpec *pspec;
      GObject *next = NULL;

      if (G_IS_APPLICATION (object))
        return G_APPLICATION (g_object_ref (object));   /* a uniform reference for the caller */

      pspec = g_object_class_find_property (klass, "application");
      if (pspec != NULL && (pspec->flags & G_PARAM_READABLE) &&
          g_type_is_a (pspec->value_type, G_TYPE_APPLICATION))
        {
          GApplication *application = NULL;

          g_object_get (object, "application", &application, NULL);
          if (application != NULL)
            return application;
        }

      pspec = g_object_class_find_property (klass, "root");
      if (pspec != NULL && (pspec->flags & G_PARAM_READABLE) &&
          g_type_is_a (pspec->value_type, G_TYPE_OBJECT))
        {
          g_object_get (object, "root", &next, NULL);
          /* get() returned a reference; the root outlives this lookup
           * because the widget, which we hold, sits in it. */
          if (next != NULL)
            g_object_unref (next);
          if (next == object)
            next = NULL;
        }

      object = next;
    }

  return NULL;
}

/**
 * bridge_task_bind_object:
 * @task: a [struct@Bridge.Task]
 * @object: (type GObject): the object whose lifetime bounds @task
 *
 * Ties @task to @object's lifetime: when @object is disposed (a widget
 * destroyed, a window closed, the last reference dropped), @task is
 * cancelled, as if [method@Bridge.Task.cancel] had been called. This is the
 * C counterpart of qasync's `asyncSlot`, whose task dies with its widget.
 *
 * The binding holds only a weak reference: @object is not kept alive by it.
 * It is dropped when @task ends, so an object that outlives its task pays
 * nothing. A task may be bound to several objects.
 *
 * The cancellation reaches the task the usual way, as
 * %G_IO_ERROR_CANCELLED from the await it is parked in (which also cancels
 * the GIO or libsoup operation it waits for), or, if it has not started
 * yet, by never running its body. When that error arrives, @object is
 * already gone: the task must not touch it any more, so on any error from
 * an await, return without using it.
 *
 * While @task runs, the `GApplication` that @object belongs to is held with
 * `g_application_hold()`, so that `g_application_run()` does not return
 * under live tasks: @object may be the application itself, anything with an
 * `application` property (a `GtkApplicationWindow`, a `GtkWindow` added to
 * an application), or a widget whose `root` is such a window at the time of
 * the call. The hold is released when the task ends, one loop iteration
 * later.
 *
 * Call this on the loop's thread, and dispose @object there too.
 *
 * Since: 0.1
 */
void
bridge_task_bind_object (BridgeTask *task,
                         gpointer    object)
{
  ObjectBinding *binding;

  g_return_if_fail (task != NULL && bridge_future_is_task (BRIDGE_FUTURE (task)));
  g_return_if_fail (G_IS_OBJECT (object));

  if (bridge_future_is_done (BRIDGE_FUTURE (task)))
    return;

  binding = g_new0 (ObjectBinding, 1);
  binding->task = task;
  binding->object = object;
  g_object_weak_ref (object, binding_object_disposed, binding);

  binding->application = find_application (object);
  if (binding->application != NULL)
    {
      g_application_hold (binding->application);
      /* Bound to the application itself: only the weak reference, so that
       * dropping the application still cancels the task. */
      binding->application_is_object = (gpointer) binding->application == object;
      if (binding->application_is_object)
        g_object_unref (binding->application);
    }

  bridge_future_add_done_callback (BRIDGE_FUTURE (task), binding_task_done, binding, binding_free);
}
