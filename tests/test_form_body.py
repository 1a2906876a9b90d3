"""A posted form's urlencoded body is read exactly as Werkzeug reads it (service/web/formbody.py).

The service decodes the escapes of a urlencoded body its own, faster way; every name and value
must come out character for character as Werkzeug's own parser gives them, for well-formed
bodies and for anything a crafted request may hold (broken escapes, bytes that are not UTF-8,
raw non-ASCII text, ``+``, stray ``=`` and ``&``).
"""

from __future__ import annotations

import io
import random
from urllib.parse import urlencode

import pytest
from flask import request
from werkzeug.formparser import FormDataParser

from service.annexes import ANNEXES
from service.annexes.examples import example
from service.forms.builder import to_formdata
from service.web.formbody import FormBodyParser, FormRequest, parse_pairs, unquote_plus

URLENCODED = "application/x-www-form-urlencoded"

#: Pieces a generated body is made of: letters, hex digits, escapes whole and broken, bytes
#: that are not UTF-8 (alone, cut short, overlong), separators, raw non-ASCII text.
PIECES = ["a", "Z", "0", "9", "f", "F", "g", "-", ".", " ", "%", "%%", "%2", "%4", "%41",
          "%e5", "%E5%BC%A0", "%E5%BC", "%ff", "%FF", "%C3", "%C3%A9", "%80", "%00", "%C0%AF",
          "%F0%9F%98%80", "%ED%A0%80", "+", "=", "==", "&", "&&", "中", "é", "😀", "\x7f",
          "%2B", "%26", "%3D", "%0A", "%0D%0A", "%G1", "%7", "%zz", "%%41", "%4%41"]


def read_form(parser: type[FormDataParser], body: bytes) -> list[tuple[str, str]]:
    """The pairs ``parser`` gives for the urlencoded ``body``."""
    _, form, _ = parser().parse(io.BytesIO(body), URLENCODED, len(body), {})
    return list(form.items(multi=True))


def stock_form(body: bytes) -> list[tuple[str, str]]:
    """The pairs Werkzeug's own parser gives for ``body``."""
    return read_form(FormDataParser, body)


def our_form(body: bytes) -> list[tuple[str, str]]:
    return read_form(FormBodyParser, body)


def generated_bodies(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40))) for _ in range(count)]


def annex_bodies() -> list[str]:
    """Each annex's example as its form page posts it (the declaration's own names)."""
    return [urlencode(to_formdata(ANNEXES[code], example(code)))
            for code in ANNEXES]


CRAFTED = ["", "&", "=", "a", "a=", "=b", "a=b=c", "a&&b", "%", "%%", "%4", "%41%", "%zz=%yy",
           "a+b=c+d", "+%2B+", "%E5%BC%A0%E4%B8%89", "%E5%BC%A0abc%E4", "%ff%fe=%80",
           "名=%E5%90%8D", "é%41é", "goals.%C2%B2.goal=x", "map%3AB=1", "%00=%00",
           "x=" + "%E5%BC%A0" * 500, "x=" + "a%20" * 500]


@pytest.mark.parametrize("body", CRAFTED + annex_bodies())
def test_crafted_and_annex_bodies_read_as_werkzeug_reads_them(body: str) -> None:
    assert our_form(body.encode()) == stock_form(body.encode())


def test_generated_bodies_read_as_werkzeug_reads_them() -> None:
    bodies = generated_bodies(5000, seed=20261205)
    mismatched = [b for b in bodies if our_form(b.encode()) != stock_form(b.encode())]
    assert mismatched == []


def test_a_body_that_is_not_utf8_leaves_the_form_empty_as_before() -> None:
    body = "a=1&b=中".encode("gb18030")
    assert stock_form(body) == [] and our_form(body) == []


def test_bytes_that_are_not_utf8_come_back_quoted_never_dropped() -> None:
    assert unquote_plus("%E5%BC%A0%ff+x") == "张%FF x"
    assert parse_pairs("n%ff=%C3") == [("n%FF", "%C3")]


def test_the_app_reads_posted_forms_with_it(app) -> None:
    assert app.request_class is FormRequest
    body = "name=%E5%BC%A0+%E4%B8%89&broken=%4%41%zz&name=%ff"
    with app.test_request_context("/", method="POST", data=body, content_type=URLENCODED):
        assert list(request.form.items(multi=True)) == stock_form(body.encode())
        assert request.form.getlist("name") == ["张 三", "%FF"]


@pytest.mark.parametrize("body", ["[" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000])
def test_json_nested_too_deeply_is_malformed_not_a_failure(app, client, bearer, body) -> None:
    """The JSON parser gives up on a body thousands deep with a RecursionError, which had
    answered a 500 on every route that reads JSON; it is a 400 like any malformed body, and a
    caller without a token still learns only that it needs one."""
    headers = bearer("api", "worker")
    answer = client.post("/api/v1/cases", data=body, content_type="application/json",
                         headers=headers)
    assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
    anonymous = client.post("/api/v1/cases", data=body, content_type="application/json")
    assert anonymous.status_code == 401


def test_reading_json_nested_too_deeply_raises_bad_request_or_gives_none() -> None:
    from werkzeug.exceptions import BadRequest
    from werkzeug.test import EnvironBuilder

    def deep() -> FormRequest:
        return FormRequest(EnvironBuilder(method="POST", data="[" * 100_000,
                                          content_type="application/json").get_environ())

    assert deep().get_json(silent=True) is None
    with pytest.raises(BadRequest):
        deep().get_json()
