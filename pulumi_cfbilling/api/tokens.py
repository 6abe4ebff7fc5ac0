"""The token-verification answer. Only `cfbilling doctor` reads it: in its own module, no other command builds it."""

from __future__ import annotations

from pydantic.fields import Field

from .models import _Model

__all__ = ["TokenVerification"]


class TokenVerification(_Model):
    """The result of ``GET /user/tokens/verify`` (or ``/accounts/{id}/tokens/verify``)."""

    id: str = Field(description="The token's id (not the secret).")
    status: str = Field(description="active, disabled or expired.")
    expires_on: str | None = Field(default=None, description="When the token expires, if it does.")
    not_before: str | None = Field(default=None, description="When the token becomes valid, if set.")
