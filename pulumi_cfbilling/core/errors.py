"""The exceptions pulumi-cfbilling raises, all under one root.

::

    CfBillingError
     +-- ConfigurationError        bad or missing settings; raised before any request is made
     +-- GuardrailError            a mandatory guard found violations (the deployment stops)
     +-- InternalError             a read failed in a way this tool did not foresee (a bug: report it)
     +-- APIError                  anything that went wrong talking to Cloudflare
          +-- APIConnectionError   no usable HTTP response (DNS, TLS, refused, dropped connection)
          |    +-- APITimeoutError the connection or a read timed out, after every retry
          +-- APIStatusError       Cloudflare answered with an error status
          |    +-- AuthenticationError    401, or 400 with code 6003, 9106 or 10000
          |    +-- PermissionDeniedError  403
          |    +-- NotFoundError          404
          |    +-- RateLimitError         429
          |    +-- ServerError            5xx
          +-- APIResponseError     an answer we cannot trust: not JSON, wrong shape or types,
          |                        ``success: false``, ``result: null``, a redirect, a body too large
          +-- DeadlineError        not attempted: the rate limit or request budget would outlast the run's deadline

Every message is one line that names the problem and what to do about it. No exception here ever holds a
credential, and none is chained to a ``requests``/``urllib3`` exception, whose frames hold request headers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .records import Record

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "CfBillingError",
    "CloudflareErrorDetail",
    "ConfigurationError",
    "DeadlineError",
    "GuardrailError",
    "InternalError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
]


if TYPE_CHECKING:  # only for annotations: a Protocol class costs start-up time
    from collections.abc import Sequence
    from typing import Protocol

    class _Violation(Protocol):
        @property
        def rule(self) -> str: ...
        @property
        def message(self) -> str: ...

    class _Verdict(Protocol):
        # What GuardrailError needs of rules.Verdict, named here so errors (the bottom layer) imports nothing above.
        @property
        def violations(self) -> Sequence[_Violation]: ...


class CloudflareErrorDetail(Record):
    """One entry of the ``errors`` list in Cloudflare's response envelope."""

    code: int | None
    message: str

    def __str__(self) -> str:
        return f"code {self.code}: {self.message}" if self.code is not None else self.message


class CfBillingError(Exception):
    """Root of every error raised by pulumi-cfbilling."""


class ConfigurationError(CfBillingError):
    """A setting is missing or invalid; nothing was sent to Cloudflare."""


class CannotJudgeError(CfBillingError):
    """What was read cannot be judged by a guardrail asked for (an invoice in euros against a limit in dollars).

    It is the account's error, never a pass: a guardrail that cannot judge must not quietly turn off.
    """


class GuardrailError(CfBillingError):
    """A mandatory guard found violations; ``verdict`` lists them. The message names each one."""

    def __init__(self, account_id: str, verdict: _Verdict) -> None:
        listed = "; ".join(f"{v.message} [{v.rule}]" for v in verdict.violations)
        count = len(verdict.violations)
        super().__init__(
            f"AI Gateway credit guardrails failed for account {account_id} ({count} violation"
            f"{'s' if count != 1 else ''}): {listed}"
        )
        self.account_id = account_id
        self.verdict = verdict

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.account_id, self.verdict))


class InternalError(CfBillingError):
    """One account's read failed in a way this tool did not foresee: a bug, kept to that account.

    The message names the account and the exception's type; the traceback goes to the debug log (``--verbose``).
    """

    def __init__(self, account_id: str, cause_type: str) -> None:
        super().__init__(
            f"reading account {account_id} failed unexpectedly ({cause_type}); this is a bug in "
            "pulumi-cfbilling: please report it with the output of --verbose"
        )
        self.account_id = account_id
        self.cause_type = cause_type

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.account_id, self.cause_type))


class APIError(CfBillingError):
    """Reading the credit balance from Cloudflare failed.

    Attributes carry what a caller needs to react without parsing the message: the account read (if known),
    the HTTP status (if a response arrived), Cloudflare's ``errors`` list and the ``CF-Ray`` id.
    """

    def __init__(
        self,
        message: str,
        *,
        account_id: str | None = None,
        status_code: int | None = None,
        errors: tuple[CloudflareErrorDetail, ...] = (),
        ray_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.account_id = account_id
        self.status_code = status_code
        self.errors = errors
        self.ray_id = ray_id

    @property
    def codes(self) -> tuple[int, ...]:
        """Cloudflare's error codes, in the order the API listed them."""
        return tuple(e.code for e in self.errors if e.code is not None)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only state would be lost by the default reduce (it replays ``args`` only); keep it so
        # errors cross process pools and Pulumi's pickling intact.
        return (
            _rebuild,
            (type(self), self.message, self.account_id, self.status_code, self.errors, self.ray_id),
            dict(self.__dict__),
        )


def _rebuild(
    cls: type[APIError],
    message: str,
    account_id: str | None,
    status_code: int | None,
    errors: tuple[CloudflareErrorDetail, ...],
    ray_id: str | None,
) -> APIError:
    return cls(message, account_id=account_id, status_code=status_code, errors=errors, ray_id=ray_id)


class APIConnectionError(APIError):
    """No usable HTTP response arrived: DNS, TLS, connection refused or dropped, proxy failure."""


class APITimeoutError(APIConnectionError):
    """Connecting or reading timed out on every attempt."""


class APIStatusError(APIError):
    """Cloudflare answered with an HTTP error status."""


class AuthenticationError(APIStatusError):
    """The credentials were missing, malformed or rejected (401, or 400 with code 6003, 9106 or 10000)."""


class PermissionDeniedError(APIStatusError):
    """403: the credentials are valid but may not read this account's billing (codes 9109, 10000)."""


class NotFoundError(APIStatusError):
    """404: no such route or account (codes 7000, 7003)."""


class RateLimitError(APIStatusError):
    """429: rate limited. ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one."""

    retry_after: float | None = None


class ServerError(APIStatusError):
    """5xx: Cloudflare or a proxy in front of it failed; usually transient."""


class APIResponseError(APIError):
    """The response cannot be trusted: malformed, unsuccessful, empty, redirected or too large."""


class DeadlineError(APIError):
    """Not attempted: Cloudflare's rate limit or the run's request budget would make it wait past the deadline.

    ``retry_at`` says when (UTC, ISO-8601) the wait would be over: the time to run again.
    """

    def __init__(self, message: str, *, account_id: str | None = None, retry_at: str | None = None) -> None:
        super().__init__(message, account_id=account_id)
        self.retry_at = retry_at
