"""The memory of ``cfbilling watch`` between runs: a small JSON file (``--state FILE``).

It holds, per account, where the account stood on each ladder the last time it was told (so a run that changes
nothing says nothing), and, per notification URL, the messages not yet delivered (so a failed delivery is retried
next run, never lost). It is written whole (a temporary file, then renamed) and a run holds a lock on it
(``filelock``) from reading to writing, so two runs at once send each message once. A file that is missing,
unreadable or not one this version wrote is a fresh start: every current problem is told again, never a crash or
silence (the run says so on stderr).

Notification URLs hold secrets and never reach the file: each is known by a fingerprint, a slow salted hash
(scrypt, with a random salt kept in the file), so the file cannot be used to test guesses of a password in a
``mailto://`` URL quickly.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import ConfigurationError

__all__ = [
    "MAX_PENDING",
    "MAX_STATE_BYTES",
    "STATE_VERSION",
    "Pending",
    "WatchState",
    "default_state_file",
    "locked",
]

STATE_VERSION = 1
MAX_STATE_BYTES = 8 << 20
"""The largest state file read: thousands of accounts fit in a fraction of it."""
MAX_PENDING = 50
"""Undelivered messages kept per URL; beyond it the oldest are dropped, and the run says so."""


def default_state_file() -> Path:
    """``$XDG_CACHE_HOME/cfbilling/watch-state.json``, or under ``~/.cache``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cfbilling" / "watch-state.json"


@dataclass
class Pending:
    """A message queued for one URL: what to send and which account it is about."""

    account_id: str
    title: str
    body: str
    kind: str
    queued_at: str

    def to_dict(self) -> dict[str, str]:
        """Plain values for the file."""
        return {"accountId": self.account_id, "title": self.title, "body": self.body, "type": self.kind,
                "queuedAt": self.queued_at}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Any) -> Pending:
        """Read back what :meth:`to_dict` wrote; a ``ValueError`` for anything else."""
        if not isinstance(data, dict):
            raise ValueError("a pending message is not an object")
        values = [data.get(key) for key in ("accountId", "title", "body", "type", "queuedAt")]
        texts = [value for value in values if isinstance(value, str)]
        if len(texts) < len(values):
            raise ValueError("a pending message lacks a field")
        return cls(*texts)


@dataclass
class WatchState:
    """What the last runs told, per account and rule, and what is still to deliver, per URL fingerprint."""

    salt: str = field(default_factory=lambda: secrets.token_hex(16))
    standings: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """account id -> rule id -> ``{"depth": int, "rungs": [...]}``, as last told."""
    pending: dict[str, list[Pending]] = field(default_factory=dict)
    """URL fingerprint -> messages not yet delivered, oldest first."""
    known_urls: list[str] = field(default_factory=list)
    """Fingerprints of URLs already checked by Apprise: a run with the same URLs need not load it."""

    def fingerprint(self, url: str) -> str:
        """The URL's name in the file: scrypt of the URL with this file's salt (never the URL)."""
        # n=2**11: about 7 ms a URL here, paid on every run; a guess at a password costs an attacker as much.
        digest = hashlib.scrypt(url.encode(), salt=bytes.fromhex(self.salt), n=2**11, r=8, p=1, dklen=16)
        return digest.hex()

    def to_document(self) -> dict[str, Any]:
        """The file's JSON document."""
        return {
            "version": STATE_VERSION,
            "salt": self.salt,
            "standings": self.standings,
            "pending": {url: [p.to_dict() for p in queue] for url, queue in self.pending.items()},
            "knownUrls": self.known_urls,
        }

    @classmethod
    def from_document(cls, document: Any) -> WatchState:
        """Read a document :meth:`to_document` wrote; a ``ValueError`` for anything else."""
        if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
            raise ValueError(f"not a version {STATE_VERSION} state file")
        salt, standings = document.get("salt"), document.get("standings")
        pending, known = document.get("pending"), document.get("knownUrls")
        if not isinstance(salt, str) or len(salt) != 32 or not all(c in "0123456789abcdef" for c in salt):
            raise ValueError("no salt")
        if not isinstance(standings, dict) or not isinstance(pending, dict) or not isinstance(known, list):
            raise ValueError("a section is missing")
        for rules in standings.values():
            if not isinstance(rules, dict) or not all(_is_standing(s) for s in rules.values()):
                raise ValueError("a standing is malformed")
        queues = {str(url): [Pending.from_dict(p) for p in _list(queue)] for url, queue in pending.items()}
        return cls(salt, standings, queues, [str(url) for url in known])

    @classmethod
    def load(cls, path: Path) -> tuple[WatchState, str | None]:
        """The state in ``path`` and ``None``; or a fresh state and why the file could not be used."""
        try:
            with path.open("rb") as handle:
                text = handle.read(MAX_STATE_BYTES + 1)
        except FileNotFoundError:
            return cls(), None  # a first run: nothing to say
        except OSError as exc:
            return cls(), f"cannot read it ({exc.strerror or type(exc).__name__})"
        if len(text) > MAX_STATE_BYTES:
            return cls(), f"it is larger than {MAX_STATE_BYTES >> 20} MiB"
        try:
            return cls.from_document(json.loads(text)), None
        except ValueError as exc:  # JSON errors and shape errors alike
            return cls(), f"it is not a state file this version wrote ({str(exc)[:80]})"

    def save(self, path: Path) -> None:
        """Write the state whole: a temporary file beside it (0600), then renamed over it."""
        partial = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(self.to_document(), handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, path)
        except OSError as exc:
            partial.unlink(missing_ok=True)  # nothing half-written is left behind
            raise ConfigurationError(
                f"--state {path}: cannot write it ({exc.strerror or type(exc).__name__}): give a writable file"
            ) from None


def _is_standing(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("depth"), int)
        and not isinstance(value.get("depth"), bool)
        and value["depth"] >= 0
        and isinstance(value.get("rungs"), list)
    )


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("a queue is not a list")
    return value


@contextmanager
def locked(path: Path, timeout: float) -> Iterator[None]:
    """Hold the state file's lock (``FILE.lock``) for a whole run; another run waits up to ``timeout`` seconds."""
    from filelock import FileLock, Timeout

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path.with_name(path.name + ".lock")), mode=0o600, timeout=timeout)
        lock.acquire()
    except Timeout:
        raise ConfigurationError(
            f"--state {path}: another cfbilling watch has held it for {timeout:.0f} s; let it finish, or give "
            "this run a state file of its own"
        ) from None
    except OSError as exc:
        raise ConfigurationError(
            f"--state {path}: cannot lock it ({exc.strerror or type(exc).__name__}): give a writable folder"
        ) from None
    try:
        yield
    finally:
        lock.release()
