"""Celery application: reads CELERY_* settings from Django and discovers app tasks."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("boligkontor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_old_connections(sender=None, **kwargs):
    """Around every task, as Django does around every request: drop connections that are
    older than CONN_MAX_AGE or unusable (CONN_HEALTH_CHECKS re-checks the next use), keep
    the rest (settings.CELERY_DB_REUSE_MAX stops Celery closing them all)."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@signals.worker_process_init.connect
def _freeze_startup_objects(**kwargs):
    """A forked pool process starts with the parent's hundreds of thousands of objects
    (Django, Celery, the apps); moving them out of the collector's reach keeps full garbage
    collections short (they stop every thread, e.g. a scan's HTTP threads) and the pages
    shared with the parent (copy-on-write)."""
    import gc

    gc.freeze()
