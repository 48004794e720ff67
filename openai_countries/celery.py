"""The Celery application; tasks live in each app's ``tasks.py``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openai_countries.settings")

app = Celery("openai_countries")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
