"""``python -m bench``: the performance harness of issue 7 (see bench/README.md).

The orchestrator (``bench.__main__``) never imports Django: each scale has its own database, and
everything that needs the ORM runs in a subprocess (``python -m bench.django_tasks``) set up
against that database with the same environment the gunicorn and Celery processes get.
"""
