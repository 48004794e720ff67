"""The Celery application; tasks live in each app's ``tasks.py``."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openai_countries.settings")

app = Celery("openai_countries")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def warm_up_pdf_layout(**_: Any) -> None:
    """Each pool process loads the PDF fonts once, before it forks any render child."""
    from openai_countries.pdf import warm_up

    warm_up()
