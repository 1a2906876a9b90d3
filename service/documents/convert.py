"""Word -> PDF/A-2b on a pool of long-lived LibreOffice processes.

Each :class:`OfficeProcess` owns one headless LibreOffice (started once, in its own session,
with its own profile and the font configuration in ``fonts.conf``) and one small helper run by
Debian's ``/usr/bin/python3`` that speaks UNO to it (``office_helper.py``). One LibreOffice
converts one document at a time, so :class:`OfficePool` keeps several and hands each request to
an idle one. A process is restarted when it dies, killed and restarted when a conversion passes
its timeout, and recycled after a number of conversions or when its memory grows too large.

:func:`to_pdf` converts on a process-wide pool started lazily and shut down at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import logging
import os
import queue
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
HELPER = HERE / "office_helper.py"
FONTS_CONF = HERE / "fonts.conf"
UNO_PYTHON = os.environ.get("UNO_PYTHON", "/usr/bin/python3")
SOFFICE = os.environ.get("SOFFICE", shutil.which("soffice") or "/usr/bin/soffice")

DEFAULT_TIMEOUT = float(os.environ.get("OFFICE_TIMEOUT", 60))
START_TIMEOUT = float(os.environ.get("OFFICE_START_TIMEOUT", 60))
RECYCLE_AFTER = int(os.environ.get("OFFICE_RECYCLE_AFTER", 200))
MAX_RSS_MB = int(os.environ.get("OFFICE_MAX_RSS_MB", 1024))
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_MAGIC = {"pdf": b"%PDF-", "docx": b"PK"}


class ConversionError(RuntimeError):
    """LibreOffice could not convert the document."""


class ConversionTimeout(ConversionError):
    """A conversion took longer than its timeout; the LibreOffice doing it was killed."""


class OfficeDied(ConversionError):
    """The LibreOffice (or its helper) went away during a conversion."""


def default_size() -> int:
    """How many LibreOffice processes a pool runs: OFFICE_WORKERS, else one per core (max 4)."""
    if size := os.environ.get("OFFICE_WORKERS"):
        return max(1, int(size))
    return max(1, min(4, os.cpu_count() or 1))


def session_rss(sid: int) -> int:
    """Resident memory in bytes of every process in session ``sid`` (LibreOffice and the
    processes it started)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
            fields = stat[stat.rindex(b")") + 2:].split()
            if int(fields[3]) != sid:  # field 6 of stat: the session id
                continue
            with open(f"/proc/{entry.name}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE_SIZE
        except (OSError, ValueError, IndexError):
            continue
    return total


def _kill_session(proc: subprocess.Popen[bytes] | None) -> None:
    """Kill a process started with start_new_session and everything in its session."""
    if proc is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


@dataclass
class OfficeStats:
    """What one LibreOffice process has done: for the benchmark and the health page."""

    index: int
    pid: int | None
    rss: int
    conversions: int
    total_conversions: int
    starts: int
    kills: int


class OfficeProcess:
    """One LibreOffice and the helper that drives it; not thread-safe (the pool serialises)."""

    def __init__(self, index: int, root: Path, *, recycle_after: int = RECYCLE_AFTER,
                 max_rss: int = MAX_RSS_MB * 2**20, start_timeout: float = START_TIMEOUT
                 ) -> None:
        self.index = index
        self.dir = root / f"office-{index}"
        self.profile = self.dir / "profile"
        self.work = self.dir / "work"
        self.recycle_after = recycle_after
        self.max_rss = max_rss
        self.start_timeout = start_timeout
        self.office: subprocess.Popen[bytes] | None = None
        self.helper: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self.conversions = 0  # since the last start
        self.total_conversions = 0
        self.starts = 0
        self.kills = 0
        self._generation = 0

    # -- life cycle -------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        """Whether both LibreOffice and the helper are running."""
        return (self.office is not None and self.office.poll() is None
                and self.helper is not None and self.helper.poll() is None)

    def start(self) -> None:
        """Start LibreOffice and its helper; wait until the helper is connected."""
        self.stop()
        self.work.mkdir(parents=True, exist_ok=True)
        try:
            self._start_once()
        except ConversionError:
            # A profile left broken by a killed office is the usual cause: start afresh.
            self.stop()
            shutil.rmtree(self.profile, ignore_errors=True)
            self._start_once()

    def _start_once(self) -> None:
        self._generation += 1
        pipe = f"pcw-office-{os.getpid()}-{self.index}-{self._generation}"
        env = dict(os.environ, FONTCONFIG_FILE=str(FONTS_CONF), TMPDIR=str(self.work),
                   SAL_USE_VCLPLUGIN="svp")
        env.pop("PYTHONPATH", None)
        env.pop("PYTHONHOME", None)
        self.office = subprocess.Popen(
            [SOFFICE, "--headless", "--invisible", "--nologo", "--nodefault", "--norestore",
             "--nolockcheck", "--nofirststartwizard", "--nocrashreport",
             f"-env:UserInstallation={self.profile.as_uri()}",
             f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=env, start_new_session=True, cwd=self.work)
        self.helper = subprocess.Popen(
            [UNO_PYTHON, str(HELPER), pipe, str(self.start_timeout), str(self.office.pid)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, start_new_session=True, cwd=self.work)
        self._buffer = b""
        self.starts += 1
        self.conversions = 0
        reply = self._read(time.monotonic() + self.start_timeout + 5, starting=True)
        if not reply.get("ready"):
            raise ConversionError(f"LibreOffice did not start: {reply}")
        log.info("office %s started (pid %s)", self.index, self.office.pid)

    def stop(self, graceful: bool = False) -> None:
        """Stop the helper and LibreOffice; ``graceful`` asks LibreOffice to quit first."""
        if graceful and self.alive:
            with contextlib.suppress(OSError, ValueError):
                self._send({"quit": True})
                assert self.office is not None
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.office.wait(timeout=10)
        _kill_session(self.helper)
        _kill_session(self.office)
        for proc in (self.helper, self.office):
            if proc is not None:
                for stream in (proc.stdin, proc.stdout):
                    with contextlib.suppress(OSError):
                        if stream:
                            stream.close()
        self.helper = self.office = None

    def kill(self) -> None:
        """Kill LibreOffice at once (a hang, a timeout)."""
        self.kills += 1
        self.stop()

    def rss(self) -> int:
        """Resident memory of this LibreOffice and its children, in bytes."""
        return session_rss(self.office.pid) if self.office and self.alive else 0

    def _worn_out(self) -> bool:
        if self.conversions >= self.recycle_after:
            return True
        return self.conversions > 0 and self.conversions % 10 == 0 and self.rss() > self.max_rss

    def ensure(self) -> None:
        """Start if not running; recycle if worn out (too many conversions, too much memory)."""
        if not self.alive:
            if self.office is not None:
                log.warning("office %s had died; restarting", self.index)
            self.start()
        elif self._worn_out():
            log.info("office %s recycled after %s conversions", self.index, self.conversions)
            self.stop(graceful=True)
            self.start()

    # -- talking to the helper --------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        assert self.helper is not None and self.helper.stdin is not None
        self.helper.stdin.write(json.dumps(message).encode() + b"\n")
        self.helper.stdin.flush()

    def _read(self, deadline: float, *, starting: bool = False) -> dict[str, Any]:
        assert self.helper is not None and self.helper.stdout is not None
        fd = self.helper.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                what = "start" if starting else "convert the document"
                raise ConversionTimeout(f"LibreOffice did not {what} in time")
            ready, _, _ = select.select([fd], [], [], min(remaining, 1.0))
            if not ready:
                if self.office is not None and self.office.poll() is not None:
                    self.kill()
                    raise OfficeDied("LibreOffice exited")
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self.kill()
                raise OfficeDied("the LibreOffice helper exited")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def convert(self, docx: bytes, timeout: float, target: str = "pdf") -> bytes:
        """Convert Word bytes to PDF/A-2b bytes (or any Word file to .docx with
        ``target="docx"``) on this LibreOffice."""
        self.ensure()
        src = self.work / ("in.docx" if target == "pdf" else "in.doc")
        dst = self.work / f"out.{target}"
        src.write_bytes(docx)
        dst.unlink(missing_ok=True)
        try:
            try:
                self._send({"in": str(src), "out": str(dst), "to": target})
            except (BrokenPipeError, OSError) as exc:
                self.kill()
                raise OfficeDied("the LibreOffice helper is gone") from exc
            reply = self._read(time.monotonic() + timeout)
            if not reply.get("ok"):
                if not self.alive or "DisposedException" in reply.get("error", ""):
                    self.kill()
                    raise OfficeDied(reply.get("error", "LibreOffice went away"))
                raise ConversionError(reply.get("error", "conversion failed"))
            if not dst.exists():
                raise ConversionError(f"LibreOffice wrote no {target} file")
            out = dst.read_bytes()
        finally:
            src.unlink(missing_ok=True)
            dst.unlink(missing_ok=True)
        self.conversions += 1
        self.total_conversions += 1
        if not out.startswith(_MAGIC[target]):
            raise ConversionError(f"LibreOffice wrote no {target} file")
        return out

    def stats(self) -> OfficeStats:
        return OfficeStats(self.index, self.office.pid if self.office else None, self.rss(),
                           self.conversions, self.total_conversions, self.starts, self.kills)


class OfficePool:
    """Several long-lived LibreOffice processes converting in parallel.

    ``convert`` blocks until one is idle, converts on it and gives it back; a conversion whose
    LibreOffice dies under it is tried once more on a fresh one. Use as a context manager or
    call :meth:`close`.
    """

    def __init__(self, size: int | None = None, *, root: Path | None = None,
                 recycle_after: int = RECYCLE_AFTER, max_rss_mb: int = MAX_RSS_MB,
                 start_timeout: float = START_TIMEOUT) -> None:
        self.size = size or default_size()
        self._own_root = root is None
        self.root = Path(root or tempfile.mkdtemp(prefix="office-pool-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.processes = [OfficeProcess(i, self.root, recycle_after=recycle_after,
                                        max_rss=max_rss_mb * 2**20,
                                        start_timeout=start_timeout)
                          for i in range(self.size)]
        self._idle: queue.SimpleQueue[OfficeProcess] = queue.SimpleQueue()
        for process in self.processes:
            self._idle.put(process)
        self._closed = False

    def __enter__(self) -> OfficePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start every LibreOffice now, in parallel (otherwise each starts on first use)."""
        threads = [threading.Thread(target=p.ensure) for p in self.processes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def convert(self, docx: bytes, timeout: float = DEFAULT_TIMEOUT, target: str = "pdf"
                ) -> bytes:
        """Word bytes -> PDF/A-2b bytes (``target="docx"``: a .doc -> .docx).
        Raises ConversionTimeout, ConversionError."""
        if target not in _MAGIC:
            raise ValueError(f"cannot convert to {target!r}")
        if self._closed:
            raise ConversionError("the converter pool is closed")
        process = self._idle.get()
        try:
            try:
                return process.convert(docx, timeout, target)
            except OfficeDied as exc:
                log.warning("office %s died during a conversion (%s); retrying",
                            process.index, exc)
                return process.convert(docx, timeout, target)
        finally:
            self._idle.put(process)

    def stats(self) -> list[OfficeStats]:
        return [p.stats() for p in self.processes]

    def rss(self) -> int:
        """Resident memory of every LibreOffice in the pool, in bytes."""
        return sum(p.rss() for p in self.processes)

    def close(self) -> None:
        """Stop every LibreOffice and remove the pool's working files."""
        if self._closed:
            return
        self._closed = True
        for process in self.processes:
            process.stop(graceful=True)
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)


_pool: OfficePool | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def default_pool() -> OfficePool:
    """The process-wide pool, started on first use (again after a fork) and closed at exit."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid() or _pool._closed:
            _pool = OfficePool()
            _pool_pid = os.getpid()
            atexit.register(_pool.close)
        return _pool


def to_pdf(docx: bytes, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """Convert a Word document to a PDF/A-2b archive copy on the process-wide pool."""
    return default_pool().convert(docx, timeout)


def to_docx(document: bytes, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """Convert a legacy Word file (.doc, .rtf ...) to .docx on the process-wide pool."""
    return default_pool().convert(document, timeout, target="docx")


def shutdown_pool() -> None:
    """Close the process-wide pool now (it starts again on the next :func:`to_pdf`)."""
    global _pool
    with _pool_lock:
        if _pool is not None and _pool_pid == os.getpid():
            _pool.close()
        _pool = None


def pdf_pages(pdf: bytes | Path) -> int:
    """The number of pages of a PDF (its bytes or its path)."""
    with pikepdf.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf) as doc:
        return len(doc.pages)
