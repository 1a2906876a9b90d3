"""The base of every form a page posts: read from what a browser sends, nothing else."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS


class PageForm(FlaskForm):
    """A form posted by a page. Flask-WTF reads a JSON body as the form when no fields were
    posted; no page sends one, and a crafted one can hold any value (a list, a number) where
    the form expects text. Here a JSON body counts as an empty post: every required field
    says so, and nothing in it is read."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if _posted_as_json() and formdata is not None and not hasattr(formdata, "getlist"):
                return request.form  # empty: the body was JSON, not form fields
            return super().wrap_formdata(form, formdata)


def _posted_as_json() -> bool:
    """Whether the request is a submission whose body is JSON, with no form fields or files."""
    return (has_request_context() and request.method in SUBMIT_METHODS and request.is_json
            and not request.files and not request.form)
