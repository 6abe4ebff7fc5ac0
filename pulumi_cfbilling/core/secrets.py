"""Hold a credential so that nothing but the code that sends it can see it.

A :class:`Secret` keeps its value outside the object, in a module-level weak map, so ``repr``, ``str``,
``vars()``, ``__slots__`` walks, ``copy`` and debuggers that dump an object's attributes find nothing to show.
Pickling is refused outright: Pulumi pickles dynamic providers into the stack state, and a credential must
never travel there. :meth:`Credentials.headers` (to send one) and :meth:`Credentials.digest` (to tell two apart)
are the only readers.
"""

from __future__ import annotations

import os
import weakref
from typing import Literal, NoReturn

from .records import Record

__all__ = ["REDACTED", "Credentials", "Secret", "redact"]

_VALUES: weakref.WeakKeyDictionary[Secret, str] = weakref.WeakKeyDictionary()
# The key of credential digests: new in every process, so a digest shown or kept anywhere cannot be tried against
# guessed tokens elsewhere.
_DIGEST_KEY = os.urandom(32)


def _new_digest_key() -> None:
    global _DIGEST_KEY  # the one key of this process, renewed in a forked child
    _DIGEST_KEY = os.urandom(32)


if hasattr(os, "register_at_fork"):  # a child forked from this process (the Terraform provider's warm server's) is new
    os.register_at_fork(after_in_child=_new_digest_key)


REDACTED = "********"
"""What a credential echoed back by a server or proxy becomes in any text this tool emits."""

# Shorter values are not searched for in text: they would redact ordinary words (real tokens are 40 characters,
# global keys 37), and a test's "t" must not blank every t of a message.
_MIN_REDACTED = 8


def redact(text: str) -> str:
    """``text`` with every credential this process holds (every live :class:`Secret`) replaced by :data:`REDACTED`.

    A server or proxy that echoes the token back in an error message or a header cannot make it reach a terminal,
    a CI log, a JSON report, a Terraform diagnostic or a Pulumi message: every such text goes through here.
    """
    held = sorted((v for v in list(_VALUES.values()) if len(v) >= _MIN_REDACTED), key=len, reverse=True)
    for value in held:  # longest first: a key that contains a shorter credential is redacted whole
        if value in text:
            text = text.replace(value, REDACTED)
    return text


class Secret:
    """An opaque credential; :meth:`reveal` is the only way to read it."""

    __slots__ = ("__weakref__",)

    def __init__(self, value: str) -> None:
        _VALUES[self] = value

    def reveal(self) -> str:
        """Return the credential, for the one place that puts it into a request header."""
        return _VALUES[self]

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: object) -> Secret:
        return self

    def __reduce__(self) -> NoReturn:
        raise TypeError("a credential cannot be pickled; it is read from configuration at run time")


class Credentials(Record):
    """An API token, or a global API key with its account email. Shows neither."""

    kind: Literal["token", "key"]
    secret: Secret
    email: str | None = None

    def headers(self) -> dict[str, str]:
        """The request headers that carry this credential."""
        if self.kind == "token":
            return {"Authorization": f"Bearer {self.secret.reveal()}"}
        return {"X-Auth-Email": self.email or "", "X-Auth-Key": self.secret.reveal()}

    def digest(self, key: bytes | None = None) -> str:
        """A keyed digest that tells two credentials apart (to share clients and answers) and reveals neither.

        The key is this process's own, unless ``key`` is given (the shared answer cache's, kept in its folder, so
        that two processes name the same credential alike).
        """
        import hashlib  # a digest is taken when a read is shared: a command that reads nothing never imports hmac
        import hmac

        material = f"{self.kind}\0{self.email or ''}\0{self.secret.reveal()}".encode()
        return hmac.new(key or _DIGEST_KEY, material, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return f"Credentials(kind={self.kind!r})"
