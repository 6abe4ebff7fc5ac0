"""Typed models of the credit-balance endpoint, and every value derived from it.

Raw values are kept exactly as Cloudflare sent them (``balance`` stays ``640.19``, an ``int`` stays an ``int``);
derived values (dollars, the top-up state, the failure time) are computed here and nowhere else, so a change of
unit is one line in :func:`cents_to_usd`. Numbers are strict: a string, a bool, NaN or infinity is rejected with
the field's name. Unknown fields are accepted and ignored, because the API grows.
"""

import math
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

# Each name from the module that defines it: `from pydantic import X` loads it through pydantic's lazy
# __getattr__ (importlib), which `python -X importtime` does not report, so pydantic.main's own import would
# be counted as this module's (benchmarks/imports.py).
from pydantic.aliases import AliasChoices
from pydantic.config import ConfigDict
from pydantic.fields import Field
from pydantic.functional_validators import PlainValidator
from pydantic.json_schema import WithJsonSchema
from pydantic.main import BaseModel

from ..core.amounts import MAX_CENTS, cents_to_usd, format_usd, plain_value, to_cents, unix_time_to_datetime
from ..core.records import Record

__all__ = [
    "DERIVED_FIELDS",
    "MAX_CENTS",
    "CreditBalance",
    "DerivedField",
    "PaymentMethod",
    "TopupConfig",
    "cents_to_usd",
    "format_usd",
    "plain_value",
    "to_cents",
    "unix_time_to_datetime",
]


def _number(value: object) -> int | float:
    # bool is an int subclass in Python; JSON ``true`` is not a number.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a number, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Number = Annotated[int | float, PlainValidator(_number), WithJsonSchema({"type": "number"})]
"""A JSON number exactly as sent: never a string, a bool, NaN or infinity."""


def _cents(value: object) -> int | float:
    number = _number(value)
    if not -MAX_CENTS <= number <= MAX_CENTS:
        raise ValueError(f"must be within +/-10^{len(str(MAX_CENTS)) - 1} cents")
    return number


Cents = Annotated[int | float, PlainValidator(_cents), WithJsonSchema({"type": "number"})]
"""An amount in US cents exactly as sent, finite and within :data:`MAX_CENTS`."""


def _moment(value: object) -> int | float:
    number = _number(value)
    unix_time_to_datetime(number)  # a time no datetime can hold is refused here, not when it is shown
    return number


Moment = Annotated[int | float, PlainValidator(_moment), WithJsonSchema({"type": "number"})]
"""A Unix time exactly as sent (seconds, or milliseconds above 1e11), that a datetime can hold.

A type rather than a field validator: pydantic builds a model with a validator method noticeably slower."""


def _names(api: str, canonical: str) -> dict[str, Any]:
    """Read the API's snake_case name (or our camelCase one, for round trips); write the canonical camelCase."""
    return {"validation_alias": AliasChoices(api, canonical), "serialization_alias": canonical}


class _Model(BaseModel):
    # strict=True makes every bool and str field strict too (no "yes" for True, no 5 for "5"); importing pydantic's
    # StrictBool/StrictStr instead would cost the CLI ~10 ms of start-up.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, strict=True)


class PaymentMethod(_Model):
    """The card on file, when there is one."""

    brand: str | None = Field(default=None, description="Card brand, such as visa or mastercard.")
    last4: str | None = Field(default=None, description="Last four digits of the card number.")


class TopupConfig(_Model):
    """The automatic top-up configuration. Every key is optional: real responses leave some out."""

    amount: Cents | None = Field(
        default=None, description="Amount bought by each automatic top-up, in US cents, as returned."
    )
    threshold: Cents | None = Field(
        default=None,
        description="Balance below which an automatic top-up is bought, in US cents, as returned.",
    )
    disabled_reason: str | None = Field(
        default=None,
        alias="disabledReason",
        description="Why automatic top-up is disabled (free text from Cloudflare); null when it is not.",
    )
    error: str | None = Field(
        default=None, description="Why the last automatic top-up failed (free text from Cloudflare)."
    )
    last_failed_at: Moment | None = Field(
        default=None,
        alias="lastFailedAt",
        description="Unix time of the last failed automatic top-up, as returned (milliseconds).",
    )


class CreditBalance(_Model):
    """The AI Gateway credit balance of one account, with its payment method and top-up configuration."""

    account_id: str | None = Field(
        default=None, **_names("account_id", "accountId"), description="The Cloudflare account read."
    )
    balance: Cents = Field(description="Credit balance in US cents, as returned; may be fractional or negative.")
    has_default_payment_method: bool = Field(
        **_names("has_default_payment_method", "hasDefaultPaymentMethod"),
        description="Whether the account has a default payment method on file.",
    )
    payment_method: PaymentMethod | None = Field(
        **_names("payment_method", "paymentMethod"), description="The card on file; null when there is none."
    )
    topup_config: TopupConfig = Field(
        **_names("topup_config", "topupConfig"), description="Automatic top-up configuration."
    )
    # Optional in the spec; null is read as "not reported" rather than rejected, since outputs expose it as
    # nullable anyway.
    first_topup_success: bool | None = Field(
        default=None,
        **_names("first_topup_success", "firstTopupSuccess"),
        description="Whether the first manual top-up succeeded; null when Cloudflare did not say.",
    )

    # Derived values are plain properties, listed in DERIVED_FIELDS for the documents and the package schema:
    # pydantic computed fields would cost ~1.3 ms of start-up each, on every `cfbilling check`.
    @property
    def balance_usd(self) -> Decimal:
        """Credit balance in US dollars, exact (``Decimal``)."""
        return cents_to_usd(self.balance)

    @property
    def auto_topup_enabled(self) -> bool:
        """Whether automatic top-up is on: amount and threshold set, and no ``disabledReason``."""
        config = self.topup_config
        return config.amount is not None and config.threshold is not None and not config.disabled_reason

    @property
    def topup_amount_usd(self) -> Decimal | None:
        """Amount of each automatic top-up in US dollars, or ``None`` when not configured."""
        amount = self.topup_config.amount
        return None if amount is None else cents_to_usd(amount)

    @property
    def topup_threshold_usd(self) -> Decimal | None:
        """Top-up threshold in US dollars, or ``None`` when not configured."""
        threshold = self.topup_config.threshold
        return None if threshold is None else cents_to_usd(threshold)

    @property
    def topup_last_failed_at(self) -> datetime | None:
        """Time of the last failed automatic top-up (aware, UTC), or ``None``."""
        value = self.topup_config.last_failed_at
        return None if value is None else unix_time_to_datetime(value)

    def to_document(self) -> dict[str, Any]:
        """The canonical camelCase document: plain numbers, strings, bools and nulls, ready for JSON or Pulumi."""
        document = self.model_dump(mode="json", by_alias=True)
        for derived in DERIVED_FIELDS:
            document[derived.name] = plain_value(getattr(self, derived.attribute))
        return document


class DerivedField(Record):
    """A value computed from the raw fields: its canonical name, Python attribute, JSON type and meaning."""

    name: str
    attribute: str
    type: str
    nullable: bool
    description: str


DERIVED_FIELDS: tuple[DerivedField, ...] = (
    DerivedField("balanceUsd", "balance_usd", "number", False, "Credit balance in US dollars, exact."),
    DerivedField(
        "autoTopupEnabled",
        "auto_topup_enabled",
        "boolean",
        False,
        "Whether automatic top-up is on: amount and threshold set, and no disabledReason.",
    ),
    DerivedField(
        "topupAmountUsd", "topup_amount_usd", "number", True, "Amount of each automatic top-up in US dollars, exact."
    ),
    DerivedField(
        "topupThresholdUsd",
        "topup_threshold_usd",
        "number",
        True,
        "Balance in US dollars below which an automatic top-up is bought, exact.",
    ),
    DerivedField(
        "topupLastFailedAt",
        "topup_last_failed_at",
        "string",
        True,
        "Time of the last failed automatic top-up, ISO-8601 UTC.",
    ),
)
"""The derived fields, in document order (after the raw ones)."""
