"""What the in-program Pulumi surfaces share: config, the shared fetch, clean failures, dependency gating.

Settings come from Pulumi config then the environment; reads go through the run-wide cache; failures become
``pulumi.RunError``s so Pulumi prints one line; outputs wait for their dependencies. Only the Pulumi surfaces
import this module; the CLI never does, so it never pays for ``pulumi``.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import pulumi
import pulumi.runtime

from ..core.errors import CfBillingError, ConfigurationError
from ..core.settings import Settings, camel, choose_account, settings_for
from ..guardrails.rules import Policy, read_policy
from ..service.cache import BalanceCache
from ..service.documents import function_document
from ..service.reader import Ask, Result, Service

__all__ = [
    "as_run_error",
    "build_policy",
    "document",
    "for_pulumi",
    "known_output",
    "mock_arguments",
    "program_account",
    "program_settings",
    "read",
    "run_cache",
    "under_mocks",
]

T = TypeVar("T")
_E = TypeVar("_E", bound=CfBillingError)

_RUN_ERROR_CLASSES: dict[type[CfBillingError], type[CfBillingError]] = {}


def as_run_error(error: _E) -> _E:
    """``error`` as a ``pulumi.RunError`` too, so Pulumi prints its one-line message and no traceback.

    A new object of a subclass of the error's own class that also derives from ``RunError`` (so
    ``except AuthenticationError`` still works), with the same message and attributes; the original is untouched.
    """
    if isinstance(error, pulumi.RunError):
        return error
    cls: type[CfBillingError] = type(error)
    run_cls = _RUN_ERROR_CLASSES.get(cls)
    if run_cls is None:
        namespace = {"__module__": cls.__module__, "__doc__": cls.__doc__, "__qualname__": cls.__qualname__}
        run_cls = _RUN_ERROR_CLASSES[cls] = type(cls.__name__, (cls, pulumi.RunError), namespace)
    wrapped = run_cls.__new__(run_cls)
    wrapped.args = error.args
    wrapped.__dict__.update(error.__dict__)
    return wrapped  # type: ignore[return-value]


# One cache per program run, keyed by the run's resource monitor: every run (each `pulumi up`, each Automation
# API update in a long-lived process, each set_mocks) has its own, so nothing read, and no error, outlives its run.
_run_caches: weakref.WeakKeyDictionary[Any, BalanceCache] = weakref.WeakKeyDictionary()
_run_caches_lock = threading.Lock()


def _of_run(store: weakref.WeakKeyDictionary[Any, T], make: Callable[[], T]) -> T:
    """What ``store`` keeps for the current program run, made on first use (outside a run: made, never kept)."""
    monitor = pulumi.runtime.settings.get_monitor()
    if monitor is None:
        return make()
    with _run_caches_lock:
        kept = store.get(monitor)
        if kept is None:
            kept = store[monitor] = make()
        return kept


def run_cache() -> BalanceCache:
    """The read cache of the current program run (a fresh one, shared by nobody, outside a run)."""
    return _of_run(_run_caches, BalanceCache)


def for_pulumi(call: Callable[[], T]) -> T:
    """Run ``call``; a ``CfBillingError`` it raises comes out as a ``RunError`` too, with no exception chained.

    The one boundary between the library and Pulumi: Pulumi prints a ``RunError``'s message and no traceback.
    """
    try:
        return call()
    except CfBillingError as error:
        failure = error
    # Raised outside the except block: nothing chained (the transport's frames hold request headers).
    raise as_run_error(failure)


def build_policy(*, require: bool = True, **values: Any) -> Policy:
    """The guardrails given as keywords, read as on every surface; an error is also a ``RunError``.

    With ``require`` (a check, a guard), no guardrail at all is an error, as everywhere.
    """
    return for_pulumi(lambda: read_policy(values, "program", require=require))


# The settings of each program run, read once: twenty calls share them as they share the read (issue 27). Keyed
# like the read caches, so a new run (or set_mocks) reads its own config; a failure is not kept, so each call
# says it.
_run_settings: weakref.WeakKeyDictionary[Any, dict[bool, Settings]] = weakref.WeakKeyDictionary()


def program_settings(*, require_credentials: bool = True) -> Settings:
    """Settings for this Pulumi program: Pulumi config ``cfbilling:*``, then ``cloudflare:*``, then the environment."""
    kept = _of_run(_run_settings, dict)
    settings = kept.get(require_credentials)
    if settings is None:
        settings = settings_for("program", config=pulumi.runtime.get_config, require_credentials=require_credentials)
        kept[require_credentials] = settings
    return settings


def program_account(settings: Settings, account_id: str | None) -> str:
    """``account_id`` validated, or the configured account; a clear ``ConfigurationError`` when there is none."""
    return choose_account(settings, account_id, "program")


def read(account_id: str | None, ask: Ask) -> Result:
    """Read and judge ``account_id`` (default: the configured account) through the run's service and cache.

    Every failure is raised as a ``CfBillingError`` that is also a ``pulumi.RunError``.
    """
    return for_pulumi(lambda: Service(program_settings(), run_cache()).read(account_id, ask).unwrap())


def under_mocks() -> bool:
    """Whether the program runs under ``pulumi.runtime.set_mocks`` (a unit test of the user's program)."""
    from pulumi.runtime.mocks import MockMonitor

    return isinstance(pulumi.runtime.settings.get_monitor(), MockMonitor)


def document(token: str, account_id: str | None, ask: Ask, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The document of the function ``token``: read and judged, or, under mocks, the mocks' answer.

    Under ``set_mocks`` a program's unit test stubs the functions as it stubs any generated SDK's invokes: its
    ``Mocks.call`` gets ``MockCallArgs(token, args)`` with the function's token (``cfbilling:index:...``) and
    the call's arguments under their camelCase names, and returns the document. Nothing is sent to Cloudflare
    with whatever credentials happen to be around.
    """
    if under_mocks():
        given = {"accountId": account_id, **arguments}
        return for_pulumi(lambda: _mocked(token, {k: v for k, v in given.items() if v is not None}))
    return function_document(token, read(account_id, ask))


def mock_arguments(guardrails: Mapping[str, Any]) -> dict[str, Any]:
    """Guardrail keywords as a mocked invoke's arguments: camelCase names, values as the program gave them."""
    return {camel(name): value for name, value in guardrails.items() if value is not None}


def _mocked(token: str, args: dict[str, Any]) -> dict[str, Any]:
    from pulumi.runtime.mocks import MockCallArgs, MockMonitor

    monitor = pulumi.runtime.settings.get_monitor()
    assert isinstance(monitor, MockMonitor)  # under_mocks() said so
    mocks = monitor.mocks
    answer = mocks.call(MockCallArgs(token=token, args=args, provider=""))
    returned, failures = (answer, None) if isinstance(answer, dict) else answer
    if failures:
        listed = "; ".join(f"{prop}: {reason}" for prop, reason in failures)
        raise ConfigurationError(f"the mocks refused {token}: {listed}")
    if not isinstance(returned, dict):
        raise ConfigurationError(f"the mocks' answer to {token} is not a dict: return the function's document")
    return dict(returned)


def _dependency_outputs(depends_on: Any) -> pulumi.Output[Any]:
    """An output known only when every resource in ``depends_on`` is: ids of custom resources, URNs otherwise."""

    def outputs_of(resources: Any) -> pulumi.Output[Any]:
        items: Sequence[Any] = resources if isinstance(resources, (list, tuple)) else [resources]
        return pulumi.Output.all(
            *[
                pulumi.Output.from_input(r).apply(
                    lambda res: res.id if isinstance(res, pulumi.CustomResource) else res.urn
                )
                for r in items
            ]
        )

    return pulumi.Output.from_input(depends_on).apply(outputs_of)


def known_output(
    account_id: pulumi.Input[str] | None,
    opts: pulumi.InvokeOptions | pulumi.InvokeOutputOptions | None,
    compute: Callable[[str | None], T],
) -> pulumi.Output[T]:
    """Run the blocking ``compute(account_id)`` off the event loop once the account and dependencies are known.

    While either is unknown (during preview), the result is unknown, and nothing is sent.
    """
    depends_on = getattr(opts, "depends_on", None) if opts is not None else None
    gate: pulumi.Output[Any] = (
        _dependency_outputs(depends_on) if depends_on is not None else pulumi.Output.from_input(None)
    )
    account = pulumi.Output.from_input(account_id)
    return pulumi.Output.all(account, gate).apply(lambda values: asyncio.to_thread(compute, values[0]))
