"""Speak UNO to one running LibreOffice on behalf of the converter pool.

Run by Debian's ``/usr/bin/python3`` (the only Python with the ``uno`` module), never imported
by the service. Standard library and ``uno`` only.

    /usr/bin/python3 office_helper.py PIPE_NAME START_TIMEOUT [OFFICE_PID]

It connects to the LibreOffice listening on the named pipe, says ``{"ready": true}`` on stdout,
then answers one JSON request per stdin line, one JSON reply per stdout line:

    {"in": "/abs/form.docx", "out": "/abs/form.pdf"}  ->  {"ok": true}
    {"in": "/abs/old.doc", "out": "/abs/old.docx", "to": "docx"}
                                                       or {"ok": false, "error": "..."}
    {"quit": true}                                     ->  LibreOffice is asked to terminate

When its stdin ends without a quit (the pool's process died: a worker killed mid-job) or the
helper fails, it kills LibreOffice's session (OFFICE_PID leads it), so that no LibreOffice
outlives the pool that started it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from typing import Any

try:  # only Debian's python3 has uno; elsewhere the module imports but cannot run
    import uno
    from com.sun.star.beans import PropertyValue
    from com.sun.star.connection import NoConnectException
except ImportError:
    uno = None

PDF_A_2B = 2  # writer_pdf_Export's SelectPdfVersion for PDF/A-2b
NEVER_EXECUTE = 0  # com.sun.star.document.MacroExecMode.NEVER_EXECUTE
NO_UPDATE = 0  # com.sun.star.document.UpdateDocMode.NO_UPDATE


def prop(name: str, value: Any) -> Any:
    """A com.sun.star.beans.PropertyValue."""
    return PropertyValue(Name=name, Value=value)


def connect(pipe: str, timeout: float) -> Any:
    """The desktop of the LibreOffice listening on ``pipe``, waiting up to ``timeout`` s."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)


def convert(desktop: Any, src: str, dst: str, target: str = "pdf") -> None:
    """Open ``src`` hidden and read-only, store it at ``dst`` as PDF/A-2b (or, with
    ``target="docx"``, as a Word 2007+ file), close it."""
    doc = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(src), "_blank", 0,
        (prop("Hidden", True), prop("ReadOnly", True), prop("MacroExecutionMode", NEVER_EXECUTE),
         prop("UpdateDocMode", NO_UPDATE)))
    if doc is None:
        raise RuntimeError("LibreOffice could not open the Word file")
    try:
        if target == "docx":
            doc.storeToURL(uno.systemPathToFileUrl(dst), (
                prop("FilterName", "MS Word 2007 XML"), prop("Overwrite", True)))
            return
        filter_data = uno.Any("[]com.sun.star.beans.PropertyValue", (
            prop("SelectPdfVersion", PDF_A_2B),
            prop("UseTaggedPDF", True),
            prop("ExportFormFields", False),
            prop("ExportBookmarks", False),
            prop("ReduceImageResolution", False),
            prop("UseLosslessCompression", True),
        ))
        doc.storeToURL(uno.systemPathToFileUrl(dst), (
            prop("FilterName", "writer_pdf_Export"),
            PropertyValue(Name="FilterData", Value=filter_data),
            prop("Overwrite", True)))
    finally:
        doc.close(True)


def main(argv: list[str]) -> int:
    if uno is None:
        sys.stderr.write("office_helper needs the python3 that has LibreOffice's uno module\n")
        return 2
    pipe, timeout = argv[1], float(argv[2])
    office = int(argv[3]) if len(argv) > 3 else None
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # anything else that prints goes to stderr, never into the replies

    def reply(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    try:
        desktop = connect(pipe, timeout)
        reply({"ready": True})
        for line in sys.stdin:
            request = json.loads(line)
            if request.get("quit"):
                with contextlib.suppress(Exception):  # the office may already be gone
                    desktop.terminate()
                office = None  # asked to quit: the pool waits for it, then ends its session
                return 0
            try:
                convert(desktop, request["in"], request["out"], request.get("to", "pdf"))
                reply({"ok": True})
            except Exception as exc:  # noqa: BLE001 - every failure is reported, never raised
                reply({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000]})
        return 0
    finally:
        if office is not None:
            with contextlib.suppress(OSError):
                os.killpg(office, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
