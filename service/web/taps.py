"""One tap, one record: the token a page's button that makes something (a case, a form, a survey,
a risk flag, a report, a handover, a withdrawal or a reopening, a batch of bundles, a service
report, an upload) carries, and the key of the tap that posted it. The page's script renews
the token each time the page is shown (``static/js/app.js``), so a double tap or a resent post
makes one record, and the next tap the next one."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, request
from flask_login import current_user

from ..once import made_under, request_key

#: a token of the page's making: 32 hex digits
_TOKEN = re.compile(r"[0-9a-f]{32}")


def request_token() -> str:
    """A fresh token for a button that makes something (the page's ``request_token`` input)."""
    return uuid.uuid4().hex


def tap_key() -> str | None:
    """The key of this post's tap (``service.once``); None when it carries no token of the
    page's making (it is then made as before, but never recognised again)."""
    token = request.form.get("request_token", "")
    return request_key("web", current_user, token) if _TOKEN.fullmatch(token) else None


def this_tap(model: Any, case_id: int) -> tuple[str | None, Any | None]:
    """This post's tap key, and the ``model`` row (of a table with ``case_id``) the same tap
    already made, or None. A row of another case is refused (409): a page's token is posted
    only to its own case."""
    key = tap_key()
    earlier = made_under(model, key)
    if earlier is not None and earlier.case_id != case_id:
        abort(409)
    return key, earlier


def earlier_tap(model: Any, same_ask: Callable[[Any], bool]) -> tuple[str | None, Any | None]:
    """:func:`this_tap` for a page with several buttons and one token: when its script could
    not renew the token, another button's ask comes under a used key. ``same_ask`` tells them
    apart: another ask is made anew, under no key (never recognised again)."""
    key = tap_key()
    earlier = made_under(model, key)
    if earlier is not None and not same_ask(earlier):
        return None, None
    return key, earlier


def init_app(app: Flask) -> None:
    """Offer ``request_token()`` to every template."""
    app.jinja_env.globals["request_token"] = request_token
