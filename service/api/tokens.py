"""API: the caller ends its own bearer token (a lost tablet, a rotated integration)."""

from __future__ import annotations

from typing import Any

from ..auth import audit
from ..auth.users import revoke_token
from ..db import db
from . import bp
from .auth import api_user, bearer, token_required
from .spec import operation, problems


@bp.delete("/tokens/current")
@operation(
    "revokeToken", summary="Revoke the bearer token this request carries.",
    description="The token stops working at once; later calls with it answer 401. "
                "A new token is issued by an administrator (`flask --app service users token "
                "NAME`).",
    responses={"204": {"description": "Revoked."}, **problems()})
@token_required
def revoke_current_token() -> Any:
    """Revoke the token of this request."""
    revoke_token(bearer())
    audit.record("user.token_revoke", subject=api_user().username, user=api_user(), via="api")
    db.session.commit()
    return "", 204
