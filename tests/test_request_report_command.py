from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from openai_countries.celery import app as celery_app
from partnerships.models import ReportRun

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("request_report", *args, stdout=out)
    return out.getvalue()


def test_request_from_the_command_line(
    make_liaison: Any,
    ae: Any,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    liaison = make_liaison(ae)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            output = run("country", "ae", "--by", liaison.username, "--as-of", "2026-10-31")
    finally:
        celery_app.conf.task_always_eager = eager
    assert "Requested: report run" in output
    report = ReportRun.objects.get()
    assert (report.country, report.as_of, report.status) == (
        ae,
        datetime.date(2026, 10, 31),
        "succeeded",
    )
    assert "Already requested" in run(
        "country", "AE", "--by", liaison.username, "--as-of", "2026-10-31"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("country", "NO"), "Unknown country"),
        (("country", "XX"), "not an ISO 3166-1 alpha-2 code"),
        (("partnership", "NOPE"), "No partnership"),
        (("portfolio",), "every country"),
    ],
)
def test_refusals_are_clear(
    make_liaison: Any, ae: Any, args: tuple[str, ...], message: str
) -> None:
    liaison = make_liaison(ae)
    with pytest.raises(CommandError, match=message):
        run(*args, "--by", liaison.username)
    assert not ReportRun.objects.exists()
