"""A notice written as an e-mail (Flask-Mail), in its recipient's language.

Only the queue sends it (``jobs.notices``), never a web request. The message names the case by
its number and links to it; the concern and the petitioner stay in the service.
"""

from __future__ import annotations

import socket

from flask import Flask, url_for
from flask_mail import Message

from .models import Notification
from .texts import body, headline, in_language_of

#: The link in an e-mail starts with this when PUBLIC_URL is not set.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def case_link(app: Flask, case_id: int | None) -> str:
    """The address of a case page as the recipient opens it (PUBLIC_URL + the page)."""
    base = (app.config.get("PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/")
    with app.test_request_context("/"):
        if case_id is None:
            return base + url_for("notices.index")
        return base + url_for("cases.show", case_id=case_id)


def sender(app: Flask) -> str:
    """The From address: MAIL_DEFAULT_SENDER; else MAIL_USERNAME when it is an address (what
    most SMTP servers accept from that account); else noreply@ this machine's name."""
    if chosen := app.config.get("MAIL_DEFAULT_SENDER"):
        return chosen
    username = app.config.get("MAIL_USERNAME") or ""
    return username if "@" in username else f"noreply@{socket.getfqdn() or 'localhost'}"


def compose(app: Flask, notice: Notification) -> Message:
    """The e-mail of ``notice`` to its recipient's address."""
    link = case_link(app, notice.case_id)
    with in_language_of(notice.recipient):
        subject = headline(notice.kind, notice.params or {})
        text = body(notice.kind, notice.params or {}, link)
    return Message(subject=subject, recipients=[notice.mail_to], body=text,
                   sender=sender(app))
