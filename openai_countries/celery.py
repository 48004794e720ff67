"""The Celery application; tasks live in each app's ``tasks.py``."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openai_countries.settings")

app = Celery("openai_countries")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def load_report_rendering(**_: Any) -> None:
    """The worker loads the report code, WeasyPrint and the PDF fonts once, before it forks its
    pool processes: they (and the render children they fork) inherit them instead of each
    spending a second of CPU importing WeasyPrint and loading the font map on its first task."""
    from django.template.loader import get_template

    import partnerships.reports  # noqa: F401 - imported for its side effect: loaded once
    from openai_countries.pdf import warm_up

    get_template("reports/status.html")
    warm_up()


@task_prerun.connect
@task_postrun.connect
def close_old_connections_around_tasks(sender: Any = None, **_: Any) -> None:
    """Before and after each task, as before and after each request: a connection that is
    broken, in a transaction's leftovers or older than CONN_MAX_AGE is closed, the others are
    kept for the next task (Celery's own closing is kept to every CELERY_DB_REUSE_MAX tasks).
    Not around a task run eagerly (no broker, or a test): it runs inside its caller, whose
    connection and transaction it is."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
