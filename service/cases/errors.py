"""The errors of the case steps: each carries a message id (translated when shown, so a page
or the API answers in its user's language), its parameters, the field it concerns and the
HTTP status that answers it."""

from __future__ import annotations

from typing import Any

from ..annexes.validate import Problem


class CaseError(Exception):
    """A step of a case or a form that cannot be made as asked."""

    status = 422

    def __init__(self, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message_id = message
        self.field = field
        self.params = params

    @property
    def message(self) -> str:
        """The message in the current request's language (the English id outside one)."""
        from flask import has_app_context

        if has_app_context():
            from flask_babel import gettext

            return gettext(self.message_id, **self.params)
        return self.message_id % self.params if self.params else self.message_id

    def __str__(self) -> str:
        return self.message


class NotAllowed(CaseError):
    """The person may not make this step (403)."""

    status = 403


class SelfReview(NotAllowed):
    """The two-person rule: nobody signs off or returns a form they wrote or submitted."""


class WrongState(CaseError):
    """The form or case is not in a state this step starts from (409)."""

    status = 409

    def __init__(self, message: str, *, state: str = "", **params: Any) -> None:
        super().__init__(message, **params)
        self.state = state


class StaleVersion(CaseError):
    """The change was made against an older version tag than the form's (412): it is refused,
    never merged. ``current_tag`` and ``current_data`` are what the form holds now."""

    status = 412

    def __init__(self, message: str, *, current_tag: str, current_data: dict[str, Any],
                 **params: Any) -> None:
        super().__init__(message, **params)
        self.current_tag = current_tag
        self.current_data = current_data


class Invalid(CaseError):
    """The data do not pass: ``problems`` name each field concerned (422)."""

    def __init__(self, message: str, *, problems: list[Problem], **params: Any) -> None:
        field = problems[0].key if problems else None
        super().__init__(message, field=field, **params)
        self.problems = problems

    def __repr__(self) -> str:
        return f"Invalid({[(p.key, p.message) for p in self.problems]!r})"


class LifecycleError(CaseError):
    """A step of the 7.1 process the case does not allow."""

