"""Page-wide concerns: security headers, error pages, masking filters and navigation."""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from ..auth.models import Role
from ..forms.builder import FieldNameError
from ..problem import problem

CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")

ERROR_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please sign in."),
    403: _l("You may not do this."),
    404: _l("There is nothing here."),
    413: _l("The request is too large: at most %(size)s MB may be sent here."),
    422: _l("The data is not valid."),
    429: _l("Too many requests: please wait a moment."),
    500: _l("Something went wrong on our side; nothing was saved."),
}

#: (endpoint, label, roles that see the link): other blueprints' entry points.
NAV = [
    ("review.index", _l("Review"), (Role.SUPERVISOR, Role.DIRECTOR)),
    ("evaluation.followups", _l("Follow-ups"), (Role.WORKER, Role.SUPERVISOR, Role.DIRECTOR)),
    ("statistics.index", _l("Statistics"), (Role.DIRECTOR, Role.SUPERVISOR, Role.MONITOR)),
    ("archive.index", _l("Archive"), (Role.ARCHIVIST, Role.DIRECTOR, Role.SUPERVISOR)),
    ("imports.index", _l("Import"), (Role.ADMIN, Role.DIRECTOR, Role.SUPERVISOR)),
    ("admin.users", _l("People"), (Role.ADMIN,)),
]


def mask_name(name: str | None) -> str:
    """王建国 -> 王**: a list shows no full name."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_phone(phone: str | None) -> str:
    """13812345678 -> 138****5678."""
    digits = re.sub(r"\s", "", phone or "")
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def nav_links() -> list[dict[str, Any]]:
    links = []
    if current_user.is_authenticated:
        for endpoint, label, roles in NAV:
            try:
                url = url_for(endpoint)
            except Exception:  # noqa: BLE001 - the page is not installed
                continue
            if current_user.has_role(*roles):
                links.append({"url": url, "text": label})
    return links


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint and request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error(error: HTTPException) -> Any:
    code = error.code or 500
    message = ERROR_MESSAGES.get(code, error.description)
    if code == 413:
        limit = request.max_content_length or 0
        message = _l("The request is too large: at most %(size)s MB may be sent here.",
                     size=f"{limit / 2**20:g}")
    if request.path.startswith("/api/"):
        return problem(code, str(message))
    if request.headers.get("X-Requested-With") == "fetch":  # the pages' own background calls
        return {"error": str(message)}, code
    return render_template("error.html", code=code, message=message), code


def _unknown_names(error: FieldNameError) -> Any:
    """422 naming the posted names that are no field of the form (never a 500)."""
    message = _l("Not fields of this form: %(names)s", names=", ".join(error.names)[:500])
    return unprocessable(message, unknown=error.names)


def unprocessable(message: Any, **extra: Any) -> Any:
    """A 422 as the asker reads it: a problem document for the API, JSON for the pages'
    background calls (with ``extra``), else the error page."""
    if request.path.startswith("/api/"):
        return problem(422, str(message))
    if request.headers.get("X-Requested-With") == "fetch":
        return {"error": str(message), **extra}, 422
    return render_template("error.html", code=422, message=message), 422


def _in_group(row: tuple[str, ...], annex: Any, group: str) -> bool:
    return annex[row[0]].group == group


def _service_worker() -> Response:
    """The offline copy's service worker, served at the root so that it may cover /cases."""
    response = send_from_directory(current_app.static_folder or "", "sw.js",
                                   mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _favicon() -> Response:
    """The pages' icon at the address a browser asks for when a page names none (a PDF or a
    download shown in the tab, say), so that it gets the icon and not a 404."""
    return send_from_directory(current_app.static_folder or "", "icon.svg",
                               mimetype="image/svg+xml")


def init_app(app: Flask) -> None:
    """Install headers, error pages, the service worker, the icon and template helpers."""
    app.add_url_rule("/sw.js", "service_worker", _service_worker)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)
    app.after_request(_security_headers)
    for code in ERROR_MESSAGES:
        app.register_error_handler(code, _error)
    app.register_error_handler(FieldNameError, _unknown_names)
    app.register_error_handler(HTTPException, _error)  # 405 and the rest, API included
    app.jinja_env.filters["mask_name"] = mask_name
    app.jinja_env.filters["mask_phone"] = mask_phone
    app.jinja_env.tests["group_row"] = _in_group
    app.jinja_env.globals.update(nav_links=nav_links, get_locale=get_locale,
                                 format_date=format_date)
