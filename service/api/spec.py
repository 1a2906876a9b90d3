"""How an API view describes itself for the OpenAPI document: one declaration beside the route.

``@operation("getForm", summary=..., parameters=[...], request=..., responses={...})`` keeps the
operation's description on the view; ``openapi.document()`` walks the URL map and merges each
described method into its path item (never replacing a path item another route filled). The
helpers here build the usual pieces (path and header parameters, JSON bodies with an example,
problem responses) so the views state only what is theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

PROBLEM_REF = "#/components/schemas/Problem"


def operation(operation_id: str, *, summary: str, description: str = "",
              parameters: list[dict[str, Any]] | None = None,
              request: dict[str, Any] | None = None,
              responses: dict[str, Any] | None = None, public: bool = False,
              tags: list[str] | None = None) -> Callable[[F], F]:
    """Describe the decorated view as the OpenAPI operation ``operation_id``."""

    def describe(view: F) -> F:
        spec: dict[str, Any] = {"operationId": operation_id, "summary": summary,
                                "responses": responses or {}}
        if description:
            spec["description"] = description
        if parameters:
            spec["parameters"] = parameters
        if request:
            spec["requestBody"] = request
        if tags:
            spec["tags"] = tags
        if public:
            spec["security"] = []
        view.openapi_operation = spec  # type: ignore[attr-defined]
        return view

    return describe


def described(view: Callable[..., Any]) -> dict[str, Any] | None:
    """The operation a view declared, if any."""
    return getattr(view, "openapi_operation", None)


def path_param(name: str, description: str, example: Any = 1) -> dict[str, Any]:
    """A whole-number path parameter (the API's ids)."""
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer"}, "example": example}


def query_param(name: str, description: str, schema: dict[str, Any], *,
                required: bool = False, example: Any = None) -> dict[str, Any]:
    """A query parameter."""
    param = {"name": name, "in": "query", "required": required, "description": description,
             "schema": schema}
    if example is not None:
        param["example"] = example
    return param


def header_param(name: str, description: str, *, required: bool = False,
                 example: str | None = None) -> dict[str, Any]:
    """A request header parameter."""
    param: dict[str, Any] = {"name": name, "in": "header", "required": required,
                             "description": description, "schema": {"type": "string"}}
    if example is not None:
        param["example"] = example
    return param


def json_body(schema: dict[str, Any], example: Any, *, description: str = "",
              required: bool = True) -> dict[str, Any]:
    """A JSON request body with an example that can be sent as it stands."""
    body: dict[str, Any] = {"required": required, "content": {"application/json": {
        "schema": schema, "example": example}}}
    if description:
        body["description"] = description
    return body


def json_response(description: str, schema: dict[str, Any], example: Any = None, *,
                  headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """A JSON response, with its example and response headers."""
    content: dict[str, Any] = {"schema": schema}
    if example is not None:
        content["example"] = example
    response: dict[str, Any] = {"description": description,
                                "content": {"application/json": content}}
    if headers:
        response["headers"] = headers
    return response


def problem_response(description: str) -> dict[str, Any]:
    """An error answered as ``application/problem+json``."""
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}}}


def problems(*codes: int, **described_codes: str) -> dict[str, Any]:
    """The usual error responses: 401 always, plus ``codes`` with their stock descriptions."""
    stock = {
        400: "The request is not well formed.",
        401: "No valid bearer token.",
        403: "The caller may not make this step (not theirs to edit, or their own work to "
             "sign off).",
        404: "No such case or form, or not one the caller may see.",
        409: "The form's state does not allow this (the problem says why).",
        412: "The version tag in If-Match is not the form's current one: reload and merge.",
        413: "The request is too large.",
        422: "The data does not pass the checks; `errors` names each field.",
        428: "A required header is missing: If-Match (the form's ETag) or Idempotency-Key.",
    }
    out = {"401": problem_response(stock[401])}
    for code in codes:
        out[str(code)] = problem_response(stock[code])
    for name, text in described_codes.items():
        out[name.lstrip("_")] = problem_response(text)
    return out
