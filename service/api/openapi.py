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

_ERROR = {"type": "object", "properties": {"error": {"type": "string"}}}


def _form_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "annex": {"type": "string", "enum": sorted(ANNEXES)},
            "seq": {"type": "integer"},
            "state": {"type": "string", "enum": ["draft", "submitted", "returned", "approved"]},
            "review_comment": {"type": "string"},
            "versions": {"type": "array", "items": {"type": "object"}},
            "data": {"oneOf": [{"$ref": f"#/components/schemas/Annex{code}"}
                               for code in sorted(ANNEXES)]},
        },
    }


def _responses(ok: dict[str, Any], *, not_found: bool = False) -> dict[str, Any]:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    out: dict[str, Any] = {
        "200": ok,
        "401": {"description": "No valid bearer token.", "content": error},
    }
    if not_found:
        out["404"] = {"description": "No such case, or not one the caller may see.",
                      "content": error}
    return out


def _case_paths() -> dict[str, Any]:
    case_ref = {"$ref": "#/components/schemas/Case"}
    return {
        f"{PREFIX}/cases": {"get": {
            "operationId": "listCases",
            "summary": "The cases the caller may see, newest first (personal data masked).",
            "parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                            "maximum": 200, "default": 50}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0,
                                                             "default": 0}},
            ],
            "responses": _responses({"description": "A page of cases.", "content": {
                "application/json": {"schema": {
                    "type": "object", "required": ["items"],
                    "properties": {"items": {"type": "array", "items": {
                        "$ref": "#/components/schemas/CaseSummary"}},
                        "limit": {"type": "integer"}, "offset": {"type": "integer"}}}}}}),
        }},
        f"{PREFIX}/cases/{{case_id}}": {"get": {
            "operationId": "getCase",
            "summary": "One case with its forms (the opening is recorded in the audit trail).",
            "parameters": [{"name": "case_id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "responses": _responses({"description": "The case.", "content": {
                "application/json": {"schema": case_ref}}}, not_found=True),
        }},
    }


def _openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule):
        kind = "integer" if converter == "int" else "string"
        params.append({"name": name, "in": "path", "required": True,
                       "schema": {"type": kind}})
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule), params


def _other_paths(known: dict[str, Any]) -> dict[str, Any]:
    """Every other API route, described from its view's docstring."""
    paths: dict[str, Any] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith(f"{bp.name}.") or not rule.rule.startswith(PREFIX):
            continue
        path, params = _openapi_path(rule.rule)
        view = current_app.view_functions[rule.endpoint]
        summary = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if method.lower() in known.get(path, {}) or method.lower() in paths.get(path, {}):
                continue
            operation: dict[str, Any] = {
                "operationId": rule.endpoint.split(".", 1)[1],
                "summary": summary, "parameters": params,
                "responses": {"200": {"description": "Success."},
                              "401": {"description": "No valid bearer token."},
                              "404": {"description": "Not found, or not visible."}}}
            if rule.endpoint == f"{bp.name}.openapi":
                operation["security"] = []
                operation["responses"] = {"200": {"description": "This document."}}
            paths.setdefault(path, {})[method.lower()] = operation
    return paths


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API."""
    schemas: dict[str, Any] = {"CaseSummary": _CASE_SUMMARY, "Error": _ERROR,
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
    paths = _case_paths()
    paths.update(_other_paths(paths))
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
def openapi() -> Any:
    """The OpenAPI 3.1 document of this API (public: it holds no case data)."""
    return document()
