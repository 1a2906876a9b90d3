"""API: the OpenAPI 3.1 document, served at /api/v1/openapi.json.

Form bodies are the annex declarations' own JSON Schemas and examples; every API route in the
URL map appears, so that a route cannot be served without being described.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app

from ..annexes import ANNEXES
from ..annexes.examples import example
from ..annexes.schema import json_schema
from . import bp
from .spec import described, operation, problem_response, problems

PREFIX = "/api/v1"

_CASE_SUMMARY = {
    "type": "object",
    "required": ["id", "number", "stage"],
    "properties": {
        "id": {"type": "integer"},
        "number": {"type": "string", "examples": ["XF-2024-00001"]},
        "client_name": {"type": "string", "description": "Masked in lists (王**)."},
        "client_phone": {"type": "string", "description": "Masked in lists (138****5678)."},
        "stage": {"type": "string"},
        "risk_grade": {"type": ["string", "null"]},
        "opened_on": {"type": ["string", "null"], "format": "date"},
        "closed_on": {"type": ["string", "null"], "format": "date"},
    },
}

_PROBLEM = {
    "type": "object",
    "description": "An error (RFC 9457). `errors` names each field at fault by its path in "
                   "the form's data, as the annex's JSON Schema names it.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "detail"],
            "properties": {"field": {"type": "string"}, "detail": {"type": "string"}}}},
    },
    "examples": [{"type": "/api/v1/problems/invalid-data",
                  "title": "The data does not pass the form's checks.", "status": 422,
                  "errors": [{"field": "client_name", "detail": "This field is required."}]}],
}


#: The answer to any call whose query or body holds U+0000, before its view runs (``web.guard``):
#: every operation lists it beside the answers of its own checks.
_NUL_REFUSED = ("Text in the query or body holds the character U+0000 (NUL), which no text may "
                "hold; the problem's `title` names where (a parameter, or a path such as "
                "`data.goals.0.goal`).")


def _with_nul_refused(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with the NUL refusal among its 422 answers (added to its own 422, if any)."""
    responses = dict(spec["responses"])
    own = responses.get("422")
    responses["422"] = (problem_response(_NUL_REFUSED) if own is None
                        else {**own, "description": f"{own['description']} Or: {_NUL_REFUSED}"})
    return {**spec, "responses": responses}


def _form_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "case_id": {"type": "integer"},
            "annex": {"type": "string", "enum": sorted(ANNEXES)},
            "seq": {"type": "integer"},
            "state": {"type": "string"},
            "version_tag": {"type": "string",
                            "description": "The form's version tag, also sent as ETag."},
            "review_comment": {"type": "string"},
            "versions": {"type": "array", "items": {"type": "object"}},
            "data": {"oneOf": [{"$ref": f"#/components/schemas/Annex{code}"}
                               for code in sorted(ANNEXES)]},
        },
    }


def _openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule):
        kind = "integer" if converter == "int" else "string"
        params.append({"name": name, "in": "path", "required": True,
                       "schema": {"type": kind}})
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule), params


def _fallback(endpoint: str, view: Any, params: list[dict[str, Any]]) -> dict[str, Any]:
    """An operation described from its view's docstring (a route nobody described yet)."""
    summary = (view.__doc__ or endpoint).strip().splitlines()[0]
    return {"operationId": endpoint.split(".", 1)[1], "summary": summary,
            "parameters": params, "responses": {"200": {"description": "Success."},
                                                **problems(404)}}


def _paths() -> dict[str, Any]:
    """Every API route of the URL map, each method merged into its path item."""
    paths: dict[str, Any] = {}
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith(f"{bp.name}.") or not rule.rule.startswith(PREFIX):
            continue
        path, params = _openapi_path(rule.rule)
        view = current_app.view_functions[rule.endpoint]
        spec = _with_nul_refused(described(view) or _fallback(rule.endpoint, view, params))
        item = paths.setdefault(path, {})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            item.setdefault(method.lower(), spec)
    return paths


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API."""
    schemas: dict[str, Any] = {"CaseSummary": _CASE_SUMMARY, "Problem": _PROBLEM,
                               "Form": _form_schema()}
    schemas["Case"] = {"allOf": [{"$ref": "#/components/schemas/CaseSummary"}, {
        "type": "object", "properties": {
            "special_process": {"type": ["string", "null"]},
            "confidential": {"type": "boolean"},
            "representatives": {"type": "array", "items": {"type": "string"}},
            "forms": {"type": "array", "items": {"$ref": "#/components/schemas/Form"}}}}]}
    for code, annex in sorted(ANNEXES.items()):
        schema = json_schema(annex)
        schema["examples"] = [example(code)]
        schemas[f"Annex{code}"] = schema
    paths = _paths()
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "Petition casework API", "version": "1",
                 "description": "Cases and forms of 信访社会工作服务规范 (Annexes B, C, D). "
                                "Every call needs `Authorization: Bearer <token>` "
                                "(`flask --app service users token NAME`)."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": schemas},
        "paths": paths,
    }


@bp.get("/openapi.json")
@operation("getOpenApi", summary="This OpenAPI document (public: it holds no case data).",
           public=True, responses={"200": {"description": "This document."}})
def openapi() -> Any:
    """The OpenAPI 3.1 document of this API (public: it holds no case data)."""
    return document()
