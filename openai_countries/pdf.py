"""HTML to PDF with WeasyPrint in a child process bounded in memory and CPU time.

A report's HTML is built in the calling process (which may use the database); only the layout
and the PDF writing happen in a forked child, under ``RLIMIT_AS`` (address space it may add to
what it inherited) and ``RLIMIT_CPU``, with a fetcher that loads nothing from disk or network.
The child hands its result back through a pipe and never touches the inherited database or
broker connections: it closes every inherited descriptor it does not need, never runs the
parent's finalizers (``gc.freeze``, ``os._exit``) and dies with its parent.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import resource
import select
import signal
import time
from dataclasses import dataclass, field
from typing import Any, NoReturn

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetchingError

_MB = 1024 * 1024
_EXIT_OK = 0
_EXIT_FAILED = 1  # an exception; its message comes through the pipe
_EXIT_MEMORY = 3  # MemoryError: the address-space bound was hit
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
# How C libraries (GLib, Pango, HarfBuzz...) end a process when an allocation fails.
_ALLOCATION_FAILED = {signal.SIGABRT, signal.SIGTRAP, signal.SIGSEGV, signal.SIGBUS}


class RenderFailed(Exception):
    """The render went over its memory or time bound, failed, or its process died.

    Deliberately not a ``ConnectionError``/``TimeoutError``/``OSError``: retrying the same
    report with the same bounds would fail the same way.
    """


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    pages: int
    refused: list[str] = field(default_factory=list)


class NoExternalResources(URLFetcher):
    """Only ``data:`` URLs: user text can never pull a local file or a network resource in."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        if not url.startswith("data:"):
            self.refused.append(url[:200])
            raise URLFetchingError(f"refused: {url[:80]}")
        return super().fetch(url, headers)


def warm_up() -> None:
    """Lays out a line of text once in this process, so that Pango's font map and the fonts are
    loaded before any render child is forked: every child inherits them instead of loading them
    again for each report (a worker renders hundreds in the monthly batch)."""
    HTML(string="<p style=\"font-family: 'Noto Sans', sans-serif\">Aa 1</p>").render()


def render_bounded(html: str, *, memory_mb: int, seconds: int) -> RenderedPdf:
    """Render ``html`` to PDF in a child process that may add at most ``memory_mb`` MB of
    address space and use at most ``seconds`` of CPU (and of wall-clock) time.

    Raises ``RenderFailed`` naming the bound that was exceeded, or how the child ended.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns from here
        os.close(read_fd)
        _child(html, write_fd, memory_mb=memory_mb, seconds=seconds)
    os.close(write_fd)
    reaped = False
    try:
        output, timed_out = _read_until_eof(read_fd, deadline=time.monotonic() + seconds)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        os.close(read_fd)
        if not reaped:  # interrupted (e.g. Celery's soft time limit): leave no render behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    if timed_out:
        raise RenderFailed(f"the report needs more than {seconds} s to render")
    return _result(output, os.waitstatus_to_exitcode(status), memory_mb, seconds)


def _read_until_eof(fd: int, *, deadline: float) -> tuple[bytes, bool]:
    """Everything the child writes, until it closes the pipe (exits) or the deadline passes."""
    chunks: list[bytes] = []
    poller = select.poll()  # not select(): the pipe may be above FD_SETSIZE in a busy process
    poller.register(fd, select.POLLIN)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"".join(chunks), True
        if poller.poll(remaining * 1000):  # readable, or closed (POLLHUP)
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)


def _result(output: bytes, code: int, memory_mb: int, seconds: int) -> RenderedPdf:
    header, _, pdf = output.partition(b"\n")
    if code == _EXIT_OK and header:
        meta = json.loads(header)
        return RenderedPdf(pdf=pdf, pages=int(meta["pages"]), refused=list(meta["refused"]))
    if code == _EXIT_MEMORY:
        raise RenderFailed(f"the report needs more than {memory_mb} MB to render")
    if code == -signal.SIGXCPU:
        raise RenderFailed(f"the report needs more than {seconds} s to render")
    if code == _EXIT_FAILED and header:
        raise RenderFailed(f"the report could not be rendered: {json.loads(header)['error']}")
    if code < 0:
        name = signal.Signals(-code).name
        if -code in _ALLOCATION_FAILED:  # e.g. GLib cannot create a thread under the bound
            raise RenderFailed(
                f"the report's render process died ({name}); it may need more than {memory_mb} MB"
            )
        raise RenderFailed(f"the report's render process was killed ({name})")
    raise RenderFailed(f"the report's render process ended with exit code {code}")


def _child(html: str, write_fd: int, *, memory_mb: int, seconds: int) -> NoReturn:
    code = _EXIT_FAILED
    try:
        gc.freeze()  # the parent's objects (connections...) are never finalized here
        parent = os.getppid()
        _die_with_parent()
        if os.getppid() != parent:  # the parent died before we asked to die with it
            os._exit(_EXIT_FAILED)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGXCPU):
            signal.signal(signum, signal.SIG_DFL)
        # Keep stdin/stdout/stderr (logging) and the pipe; close the parent's sockets and files.
        os.closerange(3, write_fd)
        os.closerange(write_fd + 1, max(os.sysconf("SC_OPEN_MAX"), write_fd + 2))
        _limit(resource.RLIMIT_AS, _address_space() + memory_mb * _MB)
        _limit(resource.RLIMIT_CPU, seconds, hard=seconds + 1)
        fetcher = NoExternalResources()
        document = HTML(string=html, base_url="about:blank", url_fetcher=fetcher).render()
        pdf = document.write_pdf()
        header = {"pages": len(document.pages), "refused": fetcher.refused}
        _write_all(write_fd, json.dumps(header).encode() + b"\n")
        _write_all(write_fd, pdf)
        code = _EXIT_OK
    except MemoryError:
        code = _EXIT_MEMORY
    except BaseException as error:
        with contextlib.suppress(BaseException):
            message = f"{type(error).__name__}: {error}"[:1000]
            _write_all(write_fd, json.dumps({"error": message}).encode() + b"\n")
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when its parent dies (a killed worker leaves no
    render behind holding its sockets)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _address_space() -> int:
    """The address space this process has now (inherited from the parent), in bytes."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _limit(which: int, soft: int, *, hard: int | None = None) -> None:
    """Lower a resource limit (never above an existing hard limit)."""
    _, current_hard = resource.getrlimit(which)
    hard = soft if hard is None else hard
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(which, (soft, hard))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
