"""The web processes' gunicorn worker: gunicorn's sync worker, closing a finished connection at
once when the client has nothing left to send.

After each answer gunicorn's sync worker closes the connection gracefully (RFC 9112, 9.6): it
ends its side, then reads until the client has closed its own, for up to 2 s, so that request
bytes it never read cannot make the kernel reset the connection and cut the answer short. The
process serves nobody meanwhile, and how long it waits is the client's doing: a round trip on a
tablet's mobile network; in a saturated run of ``bench/forms.py`` about a millisecond a request.

This worker waits only when there is something to wait for: when the request's body was not all
read off the connection (a refused upload, a chunked body), or when bytes the client sent lie
unread. Otherwise no byte is left that a close could turn into a reset: the answer has been
sent, followed by the end of the worker's side, and the worker closes at once and takes the
next request. ``gunicorn.conf.py`` names it for every gunicorn started in the project folder;
with ``--threads`` above 1 gunicorn takes its threaded worker instead, as for its own sync one.
"""

from __future__ import annotations

import select
import socket
from typing import Any

from gunicorn.http.body import LengthReader
from gunicorn.workers.sync import SyncWorker


class Connection(socket.socket):
    """An accepted connection whose graceful close (gunicorn's ``close_graceful``: shut down
    writing, then read until the client closes) ends at once when the request's body was read
    whole and nothing more has arrived."""

    body_read = False  # set by the worker once the request has been answered
    _closing = False

    @classmethod
    def adopt(cls, accepted: socket.socket) -> Connection:
        """The same connection (its file descriptor), as a :class:`Connection`."""
        timeout = accepted.gettimeout()
        connection = cls(accepted.family, accepted.type, accepted.proto, accepted.detach())
        connection.settimeout(timeout)
        return connection

    def shutdown(self, how: int) -> None:
        super().shutdown(how)
        self._closing = how == socket.SHUT_WR and self.body_read

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if self._closing:
            self._closing = False
            if not _readable(self):
                return b""  # as if the client had closed: nothing is left to read
        return super().recv(bufsize, flags)


def _readable(connection: socket.socket) -> bool:
    """Whether the client has sent something not yet read (or closed its side) by now."""
    poller = select.poll()
    poller.register(connection, select.POLLIN)
    return bool(poller.poll(0))


def _body_read_whole(request: Any) -> bool:
    """Whether every byte of the request's body has been taken off the connection (a request
    without a body has none left)."""
    reader = getattr(getattr(request, "body", None), "reader", None)
    return isinstance(reader, LengthReader) and reader.length == 0


class PromptCloseSyncWorker(SyncWorker):
    """gunicorn's sync worker whose connections close at once when nothing is left to read
    (the name ends in ``SyncWorker`` so that gunicorn swaps in its threaded worker for
    ``--threads`` above 1, as it does for its own)."""

    def handle(self, listener: Any, client: socket.socket, addr: Any) -> None:
        super().handle(listener, Connection.adopt(client), addr)

    def handle_request(self, listener: Any, req: Any, client: Any, addr: Any) -> Any:
        try:
            return super().handle_request(listener, req, client, addr)
        finally:
            if isinstance(client, Connection):
                client.body_read = _body_read_whole(req)
