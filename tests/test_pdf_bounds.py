"""PDFs are laid out in a child process bounded in memory and time, loading nothing external."""

from __future__ import annotations

import base64
import datetime
import io
import os
import signal
import struct
import zlib
from typing import Any

import pytest
from pypdf import PdfReader

from openai_countries.celery import app as celery_app
from openai_countries.pdf import RenderFailed, _result, render_bounded
from partnerships.models import ReportRun


def png(side: int) -> bytes:
    """A black RGB square: a few hundred KB compressed, side * side * 3 bytes once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    compressor = zlib.compressobj(9)
    row = b"\x00" * (side * 3 + 1)  # filter byte, then the pixels
    pixels = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def img(data: bytes) -> str:
    return f'<img style="width: 4cm" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def test_a_normal_page_renders() -> None:
    html = (
        "<h1>Quarterly status</h1><p>Abu Dhabi campus</p>"
        f"{img(png(200))}"
        '<p style="break-before: page">Second page</p>'
    )
    rendered = render_bounded(html, memory_mb=200, seconds=30)
    reader = PdfReader(io.BytesIO(rendered.pdf))
    assert rendered.pages == len(reader.pages) == 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Abu Dhabi campus" in text and "Second page" in text
    assert rendered.refused == []


def embedded_fonts(pdf: bytes) -> set[str]:
    """The base names of the fonts a PDF embeds, without their subset prefix (ABCDEF+)."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return names


def test_consecutive_renders_each_embed_only_their_own_fonts() -> None:
    # Every render of the process's child uses the fonts loaded once (openai_countries.pdf.fonts):
    # a font one document needed is not carried into the next document's PDF.
    arabic = render_bounded(
        '<p>Riyadh</p><p lang="ar" dir="rtl" style="font-family: \'Noto Sans Arabic\'">'
        "\u0627\u0644\u0631\u064a\u0627\u0636</p>",
        memory_mb=200,
        seconds=30,
    )
    latin = render_bounded("<p>Riyadh</p>", memory_mb=200, seconds=30)
    assert any("Arabic" in name for name in embedded_fonts(arabic.pdf))
    assert not any("Arabic" in name for name in embedded_fonts(latin.pdf))
    assert (
        embedded_fonts(latin.pdf)
        and "Riyadh" in PdfReader(io.BytesIO(latin.pdf)).pages[0].extract_text()
    )


def test_a_render_over_the_memory_bound_fails_naming_it() -> None:
    # 8000 x 8000 RGB: 192 MB for the decoded pixels alone, before any copy.
    with pytest.raises(RenderFailed, match=r"^the report needs more than 200 MB to render$"):
        render_bounded(f"<p>Big picture</p>{img(png(8000))}", memory_mb=200, seconds=60)


def test_a_render_over_the_time_bound_fails_naming_it() -> None:
    rows = "".join(f"<tr><td>Row {n}</td><td>{'word ' * 20}</td></tr>" for n in range(20_000))
    with pytest.raises(RenderFailed, match=r"^the report needs more than 1 s to render$"):
        render_bounded(f"<table>{rows}</table>", memory_mb=1024, seconds=1)


def test_local_files_and_the_network_are_refused_and_recorded() -> None:
    html = (
        '<p>Hostile</p><a rel="attachment" href="file:///etc/hostname">attached</a>'
        '<img src="file:///etc/hostname"><img src="http://127.0.0.1:9/x.png">'
    )
    rendered = render_bounded(html, memory_mb=200, seconds=30)
    assert sorted(set(rendered.refused)) == ["file:///etc/hostname", "http://127.0.0.1:9/x.png"]
    reader = PdfReader(io.BytesIO(rendered.pdf))
    assert not reader.attachments
    assert "Hostile" in reader.pages[0].extract_text()


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (-signal.SIGXCPU, "the report needs more than 9 s to render"),
        (
            -signal.SIGABRT,
            "the report's render process died (SIGABRT); it may need more than 64 MB",
        ),
        (-signal.SIGKILL, "the report's render process was killed (SIGKILL)"),
        (7, "the report's render process ended with exit code 7"),
        (1, "the report's render process ended with exit code 1"),
    ],
)
def test_how_a_child_ended_is_said_clearly(code: int, message: str) -> None:
    with pytest.raises(RenderFailed) as failed:
        _result(b"", code, memory_mb=64, seconds=9)
    assert str(failed.value) == message


@pytest.mark.django_db
def test_a_render_over_its_bound_fails_the_run_once_with_that_message(
    settings: Any, manager: Any, ae: Any, tmp_path: Any
) -> None:
    from django.db import connection

    from partnerships.tasks import render_report

    settings.MEDIA_ROOT = tmp_path
    settings.REPORT_RENDER_SECONDS = 1
    run = ReportRun.objects.create(
        kind="country",
        country=ae,
        as_of=datetime.date(2026, 10, 31),
        language="en",
        requested_by=manager,
    )
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("partnerships.reports.render_bounded", _too_slow)
            assert render_report.delay(run.pk).get() == "failed"
            assert render_report.delay(run.pk).get() == "not claimed"
    finally:
        celery_app.conf.task_always_eager = eager
    run.refresh_from_db()
    assert (run.status, run.error, run.attempts, run.file.name) == (
        "failed",
        "the report needs more than 1 s to render",
        1,
        "",
    )
    with connection.cursor() as cursor:  # the forked child left the parent's connection alone
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def _too_slow(html: str, *, memory_mb: int, seconds: int) -> Any:
    """The report's own HTML, padded to need far more than ``seconds`` to lay out."""
    rows = "".join(f"<tr><td>Row {n}</td><td>{'word ' * 20}</td></tr>" for n in range(20_000))
    return render_bounded(f"{html}<table>{rows}</table>", memory_mb=memory_mb, seconds=seconds)


def test_renders_reuse_one_child_until_one_fails_then_a_new_child_renders() -> None:
    from openai_countries import pdf

    render_bounded("<p>First</p>", memory_mb=200, seconds=30)
    assert pdf._renderer is not None
    child = pdf._renderer.pid
    second = render_bounded("<p>Second</p>", memory_mb=200, seconds=30)
    assert pdf._renderer.pid == child and second.pages == 1
    with pytest.raises(RenderFailed, match="more than 200 MB"):
        render_bounded(f"<p>Big picture</p>{img(png(8000))}", memory_mb=200, seconds=60)
    assert pdf._renderer is None  # the failed child is gone, reaped
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)
    after = render_bounded("<p>After</p>", memory_mb=200, seconds=30)
    assert "After" in PdfReader(io.BytesIO(after.pdf)).pages[0].extract_text()
    assert pdf._renderer is not None and pdf._renderer.pid != child


def test_a_child_killed_between_renders_is_replaced_without_failing_a_render() -> None:
    from openai_countries import pdf

    render_bounded("<p>First</p>", memory_mb=200, seconds=30)
    assert pdf._renderer is not None
    child = pdf._renderer.pid
    os.kill(child, signal.SIGKILL)
    rendered = render_bounded("<p>Again</p>", memory_mb=200, seconds=30)
    assert rendered.pages == 1 and pdf._renderer.pid != child


def test_a_child_is_retired_after_its_renders_and_the_last_render_still_succeeds(
    monkeypatch: Any,
) -> None:
    from openai_countries import pdf

    if pdf._renderer is not None:
        pdf._renderer.close()
        pdf._renderer = None
    monkeypatch.setattr(pdf, "RETIRE_AFTER", 2)  # read by the child forked next
    pids: list[int | None] = []
    for n in range(3):
        assert render_bounded(f"<p>Render {n}</p>", memory_mb=200, seconds=30).pages == 1
        pids.append(pdf._renderer.pid if pdf._renderer else None)
    # The second render was the child's last: it ended and the third forked a new child.
    assert pids[1] is None and pids[2] not in (None, pids[0])
    last: Any = pdf._renderer
    last.close()  # forked while RETIRE_AFTER was 2: not for the other tests
    pdf._renderer = None


def test_a_fork_of_the_process_renders_with_its_own_child() -> None:
    from openai_countries import pdf

    render_bounded("<p>Parent</p>", memory_mb=200, seconds=30)
    assert pdf._renderer is not None
    parents_child = pdf._renderer.pid
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the fork reports through the pipe
        try:
            rendered = render_bounded("<p>Fork</p>", memory_mb=200, seconds=30)
            mine = pdf._renderer.pid if pdf._renderer else 0
            os.write(write_fd, f"{rendered.pages} {mine}".encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    pages, childs = os.read(read_fd, 100).decode().split()
    os.close(read_fd)
    os.waitpid(pid, 0)
    assert pages == "1" and int(childs) not in (0, parents_child)
    assert render_bounded("<p>Parent again</p>", memory_mb=200, seconds=30).pages == 1
    assert pdf._renderer.pid == parents_child


def test_the_reports_user_agent_stylesheet_styles_no_pseudo_element_of_every_element() -> None:
    """WeasyPrint computes a style for each pseudo-element its stylesheets give any element:
    the reports' user-agent stylesheet is WeasyPrint's without its rules for the footnotes and
    notes of every element, and with list markers for list items alone."""
    from importlib.resources import files

    import tinycss2

    from openai_countries.pdf import UNUSED_PSEUDO_ELEMENTS, report_user_agent_rules, user_agent_css

    def selectors(source: str) -> list[str]:
        rules = tinycss2.parse_stylesheet(source, skip_comments=True, skip_whitespace=True)
        return [tinycss2.serialize(rule.prelude).strip() for rule in rules if rule.prelude]

    source = (files("weasyprint") / "css" / "html5_ua.css").read_text(encoding="utf-8")
    theirs, ours = selectors(source), selectors(report_user_agent_rules(source))
    assert set(theirs) > UNUSED_PSEUDO_ELEMENTS and "::marker" in theirs
    assert not [selector for selector in ours if selector.startswith("::")]
    assert ours == [
        "li::marker" if selector == "::marker" else selector
        for selector in theirs
        if selector not in UNUSED_PSEUDO_ELEMENTS
    ]
    assert user_agent_css() is user_agent_css() is not None  # parsed once per process
