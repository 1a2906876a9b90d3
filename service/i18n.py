"""Languages: Simplified Chinese by default (it carries the official texts), English complete.

The user's choice is kept in the session (and on a signed-in person's record, for the
notices mailed to them); `?lang=` switches it on any page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, request, session
from flask_babel import Babel, gettext

from .annexes.validate import Problem

LANGUAGE_NAMES = {"zh_Hans_CN": "中文", "en": "English"}


def select_locale() -> str:
    """The language the user chose (kept in the session), else Simplified Chinese.

    The API has no session: it answers in the language its caller asks for with
    ``Accept-Language`` (``zh``/``zh-CN`` or ``en``), Chinese by default.
    """
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]
    if request.path.startswith("/api/"):
        by_tag = {code.split("_")[0]: code for code in languages}
        asked = request.accept_languages.best_match(list(by_tag))
        return str(by_tag.get(asked or "", languages[0]))
    chosen = session.get("lang")
    return str(chosen) if chosen in languages else str(languages[0])


def _remember_language(lang: str) -> None:
    """Keep a signed-in person's choice on their record: notices mailed to them use it."""
    from flask_login import current_user

    from .db import db

    user = current_user if current_user.is_authenticated else None
    if user is not None and getattr(user, "locale", lang) != lang:
        user.locale = lang
        db.session.commit()


#: What the browser fetches on its own (the static files, the icon, the service worker's
#: script): no language is remembered from them, and their answers leave the session cookie
#: alone.
BACKGROUND_ENDPOINTS = frozenset({"static", "favicon", "service_worker"})


def init_app(app: Flask, babel: Babel, catalogs: Path) -> None:
    """Bind Flask-Babel to the project's ``catalogs`` folder and the language switch."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(catalogs))
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def switch_language() -> None:
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"]:
            session["lang"] = lang
        chosen = session.get("lang")
        if chosen and request.endpoint not in BACKGROUND_ENDPOINTS \
                and not request.path.startswith("/api/"):
            _remember_language(chosen)  # also a choice made before signing in

    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES


def problem_message(problem: Problem) -> str:
    """A problem in the user's language (its parameters translated too)."""
    params: dict[str, Any] = {
        k: gettext(v) if isinstance(v, str) and v else v for k, v in problem.params.items()}
    return gettext(problem.message, **params)


class MessageError(Exception):
    """An error told to a person: its message is a catalog entry, marked with ``N_`` where it
    is raised (so `make messages` extracts it), with its values; it is translated only where
    it is shown (:func:`message_of`). ``str()`` gives the English text, for logs and the CLI."""

    def __init__(self, msgid: str, **values: Any) -> None:
        super().__init__(msgid % values if values else msgid)
        self.msgid = msgid
        self.values = values


def message_of(error: BaseException) -> str:
    """An error's message in the reader's language.

    A :class:`MessageError` is translated from its msgid and values; any other error's text is
    looked up as a msgid as it stands (right for errors raised with an ``N_`` id, English for
    the rest).
    """
    if isinstance(error, MessageError):
        return gettext(error.msgid, **error.values)
    text = str(error)
    return gettext(text)
