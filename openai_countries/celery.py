"""The Celery application; tasks live in each app's ``tasks.py``."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_init

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
