"""The session cookie, written back only by the requests that are a person's own.

A signed-in session is permanent and Flask renews its cookie with every answer, which is what
keeps the idle time-out counting from a person's last request. But the browser also asks for
the static files, the page's icon and the service worker's script in the background, and an
answer carries the session as it was when its request left: one that arrives after a page
that changed the session (the language chosen, a message to show once) would put the old
cookie back, and the later writer would win unseen. Those files need no session, so their
answers never set the cookie; pages and API calls renew it as before.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

from ..i18n import BACKGROUND_ENDPOINTS


class PageSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, renewed by every request except those the browser makes
    on its own (:data:`~service.i18n.BACKGROUND_ENDPOINTS`)."""

    def should_set_cookie(self, app: Flask, session: Any) -> bool:
        if request.endpoint in BACKGROUND_ENDPOINTS and not session.modified:
            return False
        return super().should_set_cookie(app, session)
