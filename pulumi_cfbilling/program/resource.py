"""``CreditBalanceSnapshot``: the balance as a resource in the stack, refreshed on every preview and up.

It is declared as a *read* of an external resource (``opts.id`` set to the account id), the way a Terraform data
source works: the engine calls the provider's ``read`` on every preview and up, never creates, updates or deletes
anything, and so never shows a diff.

Nothing in the state holds a credential. The provider object Pulumi pickles into the state holds none. And the
reads go through a provider instance of the snapshot's own (``<name>-reader``) that is given only the non-secret
settings: the engine hands a dynamic provider's *default* instance the whole stack config and records it in the
state, secrets included. Credentials therefore come from the environment of the ``pulumi`` run
(``CLOUDFLARE_API_TOKEN``, or ``CLOUDFLARE_API_KEY`` with ``CLOUDFLARE_EMAIL``), read at run time.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import pulumi
from pulumi.dynamic import ConfigureRequest, CreateResult, ReadResult, Resource, ResourceProvider

from ..api.models import DERIVED_FIELDS, CreditBalance
from ..core.errors import CfBillingError, ConfigurationError
from ..core.settings import CACHED_AGE_KEY, GET_TOKEN, SETTINGS, Settings, settings_for
from ..core.values import read_account_id
from ..service.documents import function_document
from ..service.reader import Ask, Service
from .boundary import for_pulumi, program_account, program_settings

__all__ = ["OUTPUT_NAMES", "CreditBalanceProvider", "CreditBalanceSnapshot"]

# camelCase state key -> Python attribute, for every field of the canonical document, from the model itself.
OUTPUT_NAMES: dict[str, str] = {
    **{field.serialization_alias or name: name for name, field in CreditBalance.model_fields.items()},
    **{derived.name: derived.attribute for derived in DERIVED_FIELDS},
    CACHED_AGE_KEY: "cached_age_seconds",
}
_INPUT_NAMES = {python: camel for camel, python in OUTPUT_NAMES.items()}


class CreditBalanceProvider(ResourceProvider):
    """Reads the balance for ``CreditBalanceSnapshot``. Holds no state until ``configure`` runs, post-unpickling."""

    _settings: Settings | None = None

    def configure(self, req: ConfigureRequest) -> None:
        """Resolve settings from the stack's config (all namespaces reach dynamic providers) and the environment."""
        _one_line_failures()
        self._settings = settings_for("resource", config=req.config.get, require_credentials=False)

    def _read(self, account_id: str) -> dict[str, Any]:
        _one_line_failures()

        def read() -> dict[str, Any]:
            settings = self._settings or settings_for("resource", require_credentials=False)
            with Service(settings) as service:
                result = service.read(read_account_id(account_id, "id"), Ask()).unwrap()
                return function_document(GET_TOKEN, result)  # the function's outputs, cachedAgeSeconds included

        return for_pulumi(read)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Read the account named by the resource id; called on every preview and up."""
        return ReadResult(id_, self._read(id_))

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Only reached if the snapshot is registered without ``opts.id``: read, keyed by the account id."""
        account_id = str(props.get("accountId", ""))
        return CreateResult(account_id, self._read(account_id))


class CreditBalanceSnapshot(Resource, module="cfbilling", name="CreditBalanceSnapshot"):
    """The AI Gateway credit balance of an account, as a resource whose outputs refresh on every preview and up.

    Its outputs are the canonical fields: ``balance`` (cents), ``balance_usd``, ``has_default_payment_method``,
    ``payment_method``, ``topup_config``, ``first_topup_success``, ``auto_topup_enabled``, ``topup_amount_usd``,
    ``topup_threshold_usd``, ``topup_last_failed_at``, ``account_id`` and ``cached_age_seconds`` (how old a
    cached answer is, with ``cfbilling:maxAge``; ``None`` when read live).

    Example::

        snapshot = CreditBalanceSnapshot("credits", account_id="0123456789abcdef0123456789abcdef")
        pulumi.export("balanceUsd", snapshot.balance_usd)
    """

    account_id: pulumi.Output[str]
    balance: pulumi.Output[float]
    balance_usd: pulumi.Output[float]
    has_default_payment_method: pulumi.Output[bool]
    payment_method: pulumi.Output[dict[str, Any] | None]
    topup_config: pulumi.Output[dict[str, Any]]
    first_topup_success: pulumi.Output[bool | None]
    auto_topup_enabled: pulumi.Output[bool]
    topup_amount_usd: pulumi.Output[float | None]
    topup_threshold_usd: pulumi.Output[float | None]
    topup_last_failed_at: pulumi.Output[str | None]
    cached_age_seconds: pulumi.Output[float | None]

    def __init__(
        self,
        resource_name: str,
        account_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a read of ``account_id`` (default: ``cfbilling:accountId`` or ``CLOUDFLARE_ACCOUNT_ID``)."""
        account: pulumi.Input[str] = _configured_account() if account_id is None else _checked(account_id)
        for_pulumi(_require_environment_credentials)
        # Python names here: the SDK keys its output resolvers by them, and translates to camelCase on the wire.
        props: dict[str, Any] = dict.fromkeys(OUTPUT_NAMES.values())
        props["account_id"] = account
        reader = pulumi.ProviderResource(
            "pulumi-python",
            f"{resource_name}-reader",
            _reader_settings(),
            pulumi.ResourceOptions(parent=opts.parent if opts is not None else None),
        )
        read = pulumi.ResourceOptions(id=account, provider=reader)
        super().__init__(CreditBalanceProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, read))

    def translate_output_property(self, prop: str) -> str:
        """State keys are the canonical camelCase names; attributes are snake_case."""
        return OUTPUT_NAMES.get(prop, prop)

    def translate_input_property(self, prop: str) -> str:
        """The reverse of :meth:`translate_output_property`."""
        return _INPUT_NAMES.get(prop, prop)


class _OneLineTraceback:
    """The ``traceback`` module as the dynamic provider host sees it, but a ``CfBillingError`` is its one line."""

    def __init__(self, original: ModuleType) -> None:
        self._original = original

    def format_exc(self, *args: Any, **kwargs: Any) -> str:
        """Our errors' one-line message (no frames to read past); any other error's whole traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, CfBillingError):
            return str(error)
        text: str = self._original.format_exc(*args, **kwargs)
        return text

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def _one_line_failures() -> None:
    """Make the dynamic provider host report our errors in one line, as every other surface does.

    Pulumi's host (``python -m pulumi.dynamic``) aborts every failed call with ``traceback.format_exc()``, so a
    missing or rejected token printed five frames of ``pulumi/dynamic`` above our message. Inside that process
    (and only there) its ``traceback`` global is wrapped: our errors are their message, others keep their
    traceback, so another dynamic provider of the same program loses nothing.
    """
    host = sys.modules.get("__main__")
    original = getattr(host, "traceback", None)
    if getattr(host, "DynamicResourceProviderServicer", None) is None or not isinstance(original, ModuleType):
        return  # not the host (a program under mocks, a test): nothing to change
    host.traceback = _OneLineTraceback(original)  # type: ignore[union-attr]


def _checked(account_id: pulumi.Input[str]) -> pulumi.Input[str]:
    if not isinstance(account_id, str):
        return account_id  # an Output: checked by the provider when it reads
    return for_pulumi(lambda: read_account_id(account_id, "account_id"))


def _reader_settings() -> dict[str, Any]:
    """What the reader provider is given: every setting of the table but the credentials (never in the state).

    Keys are full config keys, as the engine names them for dynamic providers.
    """
    keys = (f"cfbilling:{row.camel}" for row in SETTINGS if not row.credential)
    return {key: value for key in keys if (value := pulumi.runtime.get_config(key)) is not None}


def _require_environment_credentials() -> None:
    if settings_for("resource", require_credentials=False).credentials is not None:  # no config: environment
        return
    if program_settings(require_credentials=False).credentials is not None:
        raise ConfigurationError(
            "CreditBalanceSnapshot reads credentials from the environment only, because Pulumi stores what it "
            "gives a dynamic provider in the stack's state: set CLOUDFLARE_API_TOKEN where `pulumi` runs (the data "
            "functions and guard() read cfbilling:apiToken in the program itself)"
        )


def _configured_account() -> str:
    return for_pulumi(lambda: program_account(program_settings(require_credentials=False), None))
