"""HTML to PDF with WeasyPrint in a child process bounded in memory and CPU time.

A report's HTML is built in the calling process (which may use the database); only the layout
and the PDF writing happen in a forked child: each render may add at most ``memory_mb`` of
address space (``RLIMIT_AS``) and use at most ``seconds`` of CPU time (``RLIMIT_CPU``) and of
wall-clock time, with a fetcher that loads nothing from disk or network.

The child is forked on the first render of a process and then lays out its renders one after
another (``_Renderer``): a child forked for each render spent about 30 ms of every render
copying the parent's memory pages that Python's reference counts and allocator touch (measured
with ``ru_minflt``: some 3,700 page faults a render), more than a short report's PDF writing.
A child that goes over a bound, fails or dies is not reused: the next render forks a new one;
so does a process whose child has grown by ``RETIRE_GROWTH_MB`` or rendered ``RETIRE_AFTER``
reports. The child never touches the inherited database or broker connections: it closes every
inherited descriptor but its two pipes, never runs the parent's finalizers (``gc.freeze``,
``os._exit``) and dies with its parent. Every render uses the process's one font configuration
(``fonts()``), loaded and warmed before the child is forked, and the user-agent stylesheet of
``ReportHTML``, parsed once.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import math
import os
import resource
import select
import signal
import struct
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any, NoReturn

import tinycss2
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetchingError

_MB = 1024 * 1024
_EXIT_OK = 0
_EXIT_FAILED = 1  # an exception; its message comes through the pipe
_EXIT_MEMORY = 3  # MemoryError: the address-space bound was hit
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
# How C libraries (GLib, Pango, HarfBuzz...) end a process when an allocation fails.
_ALLOCATION_FAILED = {signal.SIGABRT, signal.SIGTRAP, signal.SIGSEGV, signal.SIGBUS}
# A request: the HTML's length in bytes, then the render's bounds (MB, s); then the HTML.
_REQUEST = struct.Struct(">QII")
# A render child is replaced after this many renders, or once its address space has grown by
# this much since it was forked (what one render leaves behind in the allocator's arenas).
RETIRE_AFTER = 200
RETIRE_GROWTH_MB = 256
# Rules of WeasyPrint's user-agent stylesheet that select a pseudo-element of every element,
# which our documents never have (no footnotes or notes); see ReportHTML.
UNUSED_PSEUDO_ELEMENTS = frozenset(
    {"::footnote-call", "::footnote-marker", "::note-call", "::note-marker", "::note-callback"}
)


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


def fonts() -> FontConfiguration:
    """This process's fonts: fontconfig's configuration and Pango's font map, loaded once and
    used by every render. WeasyPrint otherwise builds both anew for each document (reading
    fontconfig's caches, then loading and shaping each font face again): an eighth of the
    instructions of a country report (callgrind), about 10% of its time. Our report templates
    declare no ``@font-face`` and user text is escaped, so no document adds a font the next
    one would see."""
    global _fonts
    if _fonts is None:
        _fonts = FontConfiguration()
    return _fonts


class ReportHTML(HTML):
    """An HTML document laid out with ``user_agent_css()``, WeasyPrint's own default stylesheet
    without its rules for pseudo-elements of every element that our documents never show.
    ``_ua_stylesheets`` is how WeasyPrint's ``HTML`` names a document's default stylesheets; if
    a WeasyPrint release stopped calling it, documents would keep its full stylesheet (the
    same PDF, laid out a tenth slower)."""

    def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
        sheet = user_agent_css()
        if forms or sheet is None:
            return list(super()._ua_stylesheets(forms))
        return [sheet]


@cache
def user_agent_css() -> CSS | None:
    """WeasyPrint's HTML user-agent stylesheet as ``report_user_agent_rules`` leaves it, parsed
    once per process; None when WeasyPrint no longer ships it where it did (then its own is
    used)."""
    try:
        source = (files("weasyprint") / "css" / "html5_ua.css").read_text(encoding="utf-8")
    except OSError:
        return None
    # Its counter styles are WeasyPrint's own, which every document starts from already.
    return CSS(string=report_user_agent_rules(source), counter_style=CounterStyle())


def report_user_agent_rules(source: str) -> str:
    """A user-agent stylesheet ``source`` without the rules for the footnote and note
    pseudo-elements of every element (``UNUSED_PSEUDO_ELEMENTS``), and with the list markers'
    rule for list items alone. WeasyPrint computes a style for each pseudo-element a rule gives
    any element: those six rules gave every element six, half of a country report's cascade and
    a tenth of its render time. The PDF is the same byte for byte."""
    kept = []
    for rule in tinycss2.parse_stylesheet(source, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule":
            selector = tinycss2.serialize(rule.prelude).strip()
            if selector in UNUSED_PSEUDO_ELEMENTS:
                continue
            if selector == "::marker":
                rule.prelude = tinycss2.parse_component_value_list("li::marker ")
        kept.append(rule)
    return str(tinycss2.serialize(kept))


def warm_up() -> None:
    """Lays out a little text once in this process, so that the font map and the faces the
    reports use are loaded before the render child is forked: it inherits them instead of
    loading them again."""
    ReportHTML(
        string="<p style=\"font-family: 'Noto Sans', sans-serif\">Aa 1 <b>Aa 1</b></p>"
    ).render(font_config=fonts())


def render_bounded(html: str, *, memory_mb: int, seconds: int) -> RenderedPdf:
    """Render ``html`` to PDF in the render child, adding at most ``memory_mb`` MB of address
    space and using at most ``seconds`` of CPU (and of wall-clock) time.

    Raises ``RenderFailed`` naming the bound that was exceeded, or how the child ended.
    """
    global _renderer
    with _lock:
        for _attempt in (1, 2):
            if _renderer is not None and (_renderer.owner != os.getpid() or not _renderer.alive()):
                _renderer.close()
                _renderer = None
            renderer = _renderer = _renderer or _Renderer.spawn()
            try:
                return renderer.render(html.encode(), memory_mb=memory_mb, seconds=seconds)
            except RenderFailed:
                # A child that had rendered before and ended without a word (killed from outside,
                # e.g. just before this render) says nothing about this report: once more.
                if not (renderer.served and renderer.vanished) or _attempt == 2:
                    raise
            finally:
                if not renderer.usable:
                    renderer.close()
                    _renderer = None
    raise AssertionError("unreachable")


@dataclass
class _Renderer:
    """This process's render child and the two pipes to it."""

    pid: int
    requests: int  # write end
    replies: int  # read end
    owner: int  # the process that forked it (a fork of that process must not use it)
    buffer: bytearray = field(default_factory=bytearray)
    usable: bool = True  # False once a render failed, was interrupted or retired the child
    reaped: bool = False
    code: int = 0  # how it ended, once reaped
    served: int = 0  # renders it has done
    vanished: bool = False  # it ended during a render without replying, not over a bound

    @classmethod
    def spawn(cls) -> _Renderer:
        to_child, requests = os.pipe()
        replies, from_child = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child never returns from here
            _serve(to_child, from_child)
        os.close(to_child)
        os.close(from_child)
        return cls(pid=pid, requests=requests, replies=replies, owner=os.getpid())

    def alive(self) -> bool:
        """False (and reaped) when the child has ended since its last render, e.g. killed."""
        return self._exit_code() is None

    def render(self, html: bytes, *, memory_mb: int, seconds: int) -> RenderedPdf:
        deadline = time.monotonic() + seconds
        self.usable = done = False
        try:
            try:
                _write_all(self.requests, _REQUEST.pack(len(html), memory_mb, seconds) + html)
                header = self._read_line(deadline)
            except BrokenPipeError:
                header = None
            if header is None or "error" in header:  # the child ended, or is ending
                code = self._reap(deadline)
                if code is None:
                    raise RenderFailed(f"the report needs more than {seconds} s to render")
                self.vanished = header is None and code not in (_EXIT_MEMORY, -signal.SIGXCPU)
                _result(json.dumps(header).encode() if header else b"", code, memory_mb, seconds)
            assert header is not None
            pdf = self._read_exactly(int(header["size"]), deadline)
            if pdf is None:
                raise RenderFailed(f"the report needs more than {seconds} s to render")
            self.served += 1
            if header.get("last"):
                self._reap(deadline)
            else:
                done = True
            return RenderedPdf(pdf=pdf, pages=int(header["pages"]), refused=header["refused"])
        finally:
            # Failed, retired or interrupted (e.g. by Celery's soft time limit): not reused.
            self.usable = done

    def close(self) -> None:
        """End the child (whatever it is doing) and release its pipes; in a fork of the
        process that forked the child, only release the pipes (the child is not ours)."""
        if self.owner == os.getpid() and not self.reaped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.reaped = True
        for fd in (self.requests, self.replies):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _exit_code(self) -> int | None:
        """How the child ended (reaping it), or None while it runs."""
        if self.reaped:
            return self.code
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere (e.g. a SIGCHLD handler)
            pid, status = self.pid, 0
        if pid == 0:
            return None
        self.reaped, self.code = True, os.waitstatus_to_exitcode(status)
        return self.code

    def _reap(self, deadline: float) -> int | None:
        """The child's exit code once it has ended, or None if it has not by the deadline."""
        while (code := self._exit_code()) is None and time.monotonic() < deadline:
            time.sleep(0.002)
        return code

    def _read_line(self, deadline: float) -> dict[str, Any] | None:
        while b"\n" not in self.buffer:
            if not self._fill(deadline):
                return None
        line, _, rest = bytes(self.buffer).partition(b"\n")
        self.buffer = bytearray(rest)
        reply: dict[str, Any] = json.loads(line)
        return reply

    def _read_exactly(self, size: int, deadline: float) -> bytes | None:
        while len(self.buffer) < size:
            if not self._fill(deadline):
                return None
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def _fill(self, deadline: float) -> bool:
        """Read what the child has written; False at end of file or past the deadline."""
        poller = select.poll()  # not select(): the pipe may be above FD_SETSIZE
        poller.register(self.replies, select.POLLIN)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if poller.poll(remaining * 1000):  # readable, or closed (POLLHUP)
                chunk = os.read(self.replies, 1 << 20)
                if not chunk:
                    return False
                self.buffer += chunk
                return True


_lock = threading.Lock()  # one render at a time in a process: its child lays out one at a time
_renderer: _Renderer | None = None  # this process's render child, forked on its first render
_fonts: FontConfiguration | None = None  # see fonts()


def _result(output: bytes, code: int, memory_mb: int, seconds: int) -> NoReturn:
    """The failure of a render child that ended with ``code`` after writing ``output``."""
    header, _, _pdf = output.partition(b"\n")
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


def _serve(requests: int, replies: int) -> NoReturn:
    """The render child: lay out each request read from ``requests`` and write the PDF (or
    why it failed) to ``replies``, until the parent closes the pipe or a render fails."""
    code = _EXIT_FAILED
    try:
        gc.freeze()  # the parent's objects (connections...) are never finalized here
        parent = os.getppid()
        _die_with_parent()
        if os.getppid() != parent:  # the parent died before we asked to die with it
            os._exit(_EXIT_FAILED)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGXCPU):
            signal.signal(signum, signal.SIG_DFL)
        # Keep stdin/stdout/stderr (logging) and the pipes; close the parent's sockets and files.
        low, high = sorted((requests, replies))
        os.closerange(3, low)
        os.closerange(low + 1, high)
        os.closerange(high + 1, max(os.sysconf("SC_OPEN_MAX"), high + 2))
        spawned = _address_space()
        for served in range(1, RETIRE_AFTER + 1):
            request = _read_blocking(requests, _REQUEST.size)
            if request is None:  # the parent is done with us
                code = _EXIT_OK
                break
            size, memory_mb, seconds = _REQUEST.unpack(request)
            html = (_read_blocking(requests, size) or b"").decode()
            _limit(resource.RLIMIT_AS, _address_space() + memory_mb * _MB)
            _limit(resource.RLIMIT_CPU, math.ceil(_cpu_seconds()) + seconds)
            fetcher = NoExternalResources()
            document = ReportHTML(string=html, base_url="about:blank", url_fetcher=fetcher).render(
                font_config=fonts()
            )
            pdf = document.write_pdf()
            last = served == RETIRE_AFTER or _address_space() - spawned > RETIRE_GROWTH_MB * _MB
            reply = {"pages": len(document.pages), "refused": fetcher.refused, "size": len(pdf)}
            _write_all(replies, json.dumps({**reply, "last": last}).encode() + b"\n" + pdf)
            if last:
                code = _EXIT_OK
                break
    except MemoryError:
        code = _EXIT_MEMORY
    except BaseException as error:
        with contextlib.suppress(BaseException):
            message = f"{type(error).__name__}: {error}"[:1000]
            _write_all(replies, json.dumps({"error": message}).encode() + b"\n")
    finally:
        os._exit(code)


def _read_blocking(fd: int, size: int) -> bytes | None:
    """``size`` bytes from ``fd`` (blocking), or None at end of file."""
    chunks, wanted = [], size
    while wanted:
        chunk = os.read(fd, min(wanted, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks)


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


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _limit(which: int, soft: int) -> None:
    """Set a soft resource limit for the next render; the hard limit is left as it is, so the
    next render can set its own (never above an existing hard limit)."""
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(which, (soft, hard))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
