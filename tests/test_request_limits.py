"""One limit on the size of every request (413 with a clear message), a larger one for uploads:
a body too large for the draft route is just as refused by the submit route."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from werkzeug.datastructures import MultiDict

from service.annexes import ANNEXES
from service.annexes.examples import example
from service.cases.models import FormVersion
from service.db import db
from service.forms.builder import to_formdata
from tests.conftest import csrf_token, login

MB = 1024 * 1024


@pytest.fixture
def signed_in(client, make_user):
    login(client, make_user("chen", "worker"))
    return client


@pytest.fixture
def importer(client, make_user):
    login(client, make_user("zhou", "supervisor"))
    return client


def _open_case(client) -> tuple[int, int]:
    response = client.post("/cases/new", data={"csrf_token": csrf_token(client, "/cases")})
    found = re.search(r"/cases/(\d+)/forms/(\d+)$", response.location)
    assert found
    return int(found[1]), int(found[2])


def _versions() -> int:
    return db.session.query(FormVersion).count()


def test_the_submit_route_refuses_what_the_draft_route_refuses(app, signed_in) -> None:
    case_id, form_id = _open_case(signed_in)
    url = f"/cases/{case_id}/forms/{form_id}"
    fields = MultiDict(to_formdata(ANNEXES["B"], example("B")))
    fields["csrf_token"] = csrf_token(signed_in, url)
    fields["submission_token"] = uuid.uuid4().hex
    fields["situation"] = "访" * (2 * MB)  # 6 MB of UTF-8
    before = _versions()
    for route, headers in ((url + "/draft", {"X-Requested-With": "fetch"}), (url, {})):
        response = signed_in.post(route, data=fields, headers=headers)
        assert response.status_code == 413, route
        text = response.get_json()["error"] if headers else response.get_data(as_text=True)
        assert "至多可发送4 MB" in text, text[:300]
    assert _versions() == before  # nothing stored
    fields["situation"] = "访" * (MB // 3)  # one field of 1 MB, within the limit: no 413,
    assert signed_in.post(url + "/draft", data=fields, content_type="multipart/form-data",
                          headers={"X-Requested-With": "fetch"}).status_code == 200
    # (multipart, as the pages' FormData posts it: no smaller limit for one field)
    fields["situation"] = "访" * 100  # the same form of a sensible size goes through
    assert signed_in.post(url, data=fields).status_code == 302
    assert _versions() == before + 1


def test_an_agency_s_larger_limit_holds_for_drafts_as_for_submissions(app, signed_in) -> None:
    """One limit: where an agency allows more (MAX_CONTENT_LENGTH), an autosave of that size
    is kept, as its submission would be; the draft route has no smaller limit of its own."""
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_FORM_MEMORY_SIZE"] = 8 * MB
    case_id, form_id = _open_case(signed_in)
    url = f"/cases/{case_id}/forms/{form_id}"
    fields = MultiDict(to_formdata(ANNEXES["B"], example("B")))
    fields["csrf_token"] = csrf_token(signed_in, url)
    fields["situation"] = "访" * (2 * MB)  # 6 MB of UTF-8: over 4, within 8
    response = signed_in.post(url + "/draft", data=fields, content_type="multipart/form-data",
                              headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["saved"] is True
    fields["situation"] = "访" * (3 * MB)  # 9 MB: over the agency's limit, refused alike
    response = signed_in.post(url + "/draft", data=fields, content_type="multipart/form-data",
                              headers={"X-Requested-With": "fetch"})
    assert response.status_code == 413 and "至多可发送8 MB" in response.get_json()["error"]


def test_every_route_has_the_limit_even_the_sign_in_page(client) -> None:
    response = client.post("/login", data={"username": "x" * (5 * MB), "password": "y"})
    assert response.status_code == 413


def test_the_api_answers_413_as_a_problem_document(app, client, bearer) -> None:
    body = b'{"client_name": "' + b"x" * (5 * MB) + b'"}'
    response = client.post("/api/v1/documents/B", data=body, content_type="application/json",
                           headers=bearer("api", "worker"))
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 413


def test_uploads_have_their_own_larger_limit(app, importer) -> None:
    app.config["UPLOAD_MAX_BYTES"] = 8 * MB
    token = csrf_token(importer, "/imports/")
    within = importer.post("/imports/", data={
        "csrf_token": token, "archive": (io.BytesIO(b"not a zip" * (MB // 2)), "big.zip")})
    assert within.status_code == 302  # past the 4 MB of other routes: read, and refused as no ZIP
    beyond = importer.post("/imports/", data={
        "csrf_token": token, "archive": (io.BytesIO(b"x" * (9 * MB)), "big.zip")})
    assert beyond.status_code == 413
    assert "至多可发送8 MB" in beyond.get_data(as_text=True)
