"""Answers shared across processes: a folder of recent reads, served while younger than ``--max-age``.

Fifty stacks that each run ``preview`` and ``up`` would read the same accounts a hundred times. With a max age
above zero (``--max-age 10m``, ``CFBILLING_MAX_AGE``, ``cfbilling:maxAge``, the Terraform provider's ``max_age``)
a read is served from this folder when a process read the same thing within that age: the same base URL, account,
route and range, and the same credential. The credential is part of the key only as a keyed hash (HMAC with a
random key kept in the folder), so two tokens never share an answer and no file holds a credential. Files are
0600 in a 0700 folder, written whole (a temporary file, then renamed), and each entry is locked across processes
(``filelock``) while it is fetched, so two processes asking at once make one request. Errors are never kept. The
default max age is 0: every read is live.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic.main import BaseModel

from ..core.errors import ConfigurationError
from ..core.settings import Settings

__all__ = ["MAX_ENTRY_BYTES", "AnswerCache", "default_folder"]

_M = TypeVar("_M", bound=BaseModel)
_KEY_FILE = "key"
_KEY_BYTES = 32

MAX_ENTRY_BYTES = 1 << 20
"""The largest entry read back: an answer is a few kilobytes; anything bigger is not one this module wrote."""

logger = logging.getLogger("pulumi_cfbilling")


def default_folder() -> Path:
    """``$XDG_CACHE_HOME/cfbilling/answers``, or ``~/.cache/cfbilling/answers``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cfbilling" / "answers"


class AnswerCache:
    """One folder of answers; :meth:`fetch` serves a young one or fetches, locked against other processes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def fetch(
        self, settings: Settings, what: tuple[str, ...], model: type[_M], live: Callable[[], _M]
    ) -> tuple[_M, float | None]:
        """The answer to ``what`` and its age in seconds (``None`` when read live now)."""
        from filelock import FileLock  # loaded only when the cache is used

        try:
            self._prepare()
            name = self._name(settings, what)
            lock = FileLock(str(self.folder / f"{name}.lock"), mode=0o600)
            lock.acquire()
        except OSError as exc:
            raise ConfigurationError(
                f"cannot use the answer cache folder {self.folder} ({exc.strerror or type(exc).__name__}): give "
                f"a folder of your own with {settings.label('cache_dir')}, or read live with "
                f"{settings.label('max_age')} 0"
            ) from None
        entry = self.folder / f"{name}.json"
        try:
            kept = self._load(entry, settings.max_age, model)
            if kept is not None:
                return kept
            answer = live()  # an error leaves the entry as it was: errors are never kept
            try:
                self._store(entry, answer)
            except OSError as exc:  # a full disk loses the sharing, never the answer just read
                logger.warning("could not keep an answer in %s: %s", self.folder, exc.strerror or exc)
        finally:
            lock.release()
        return answer, None

    def _prepare(self) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.folder.is_dir() or self.folder.is_symlink():
            raise NotADirectoryError(errno.ENOTDIR, "not a folder of its own")
        os.chmod(self.folder, 0o700)  # an existing folder too: nobody else lists what was read

    def _secret(self) -> bytes:
        """The HMAC key of the credential hashes: made once, 0600, beside the answers it keys."""
        path = self.folder / _KEY_FILE
        try:
            with path.open("rb") as handle:
                key = handle.read(_KEY_BYTES + 1)
            if len(key) == _KEY_BYTES:
                return key
            path.unlink()  # torn or planted: a new key (every entry keyed by the old one is simply missed)
        except FileNotFoundError:
            pass
        partial = path.with_name(_partial_name(_KEY_FILE))
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(_KEY_BYTES))
        try:
            os.link(partial, path)  # the first writer's key wins (another process, or a thread of this one)
        except FileExistsError:
            pass
        finally:
            partial.unlink()
        return path.read_bytes()

    def _name(self, settings: Settings, what: tuple[str, ...]) -> str:
        credential = settings.credentials.digest(self._secret()) if settings.credentials else "-"
        material = "\0".join([settings.base_url, credential, *what]).encode()
        return hashlib.sha256(material).hexdigest()

    def _load(self, entry: Path, max_age: float, model: type[_M]) -> tuple[_M, float] | None:
        try:
            with entry.open("rb") as handle:
                text = handle.read(MAX_ENTRY_BYTES + 1)
            if len(text) > MAX_ENTRY_BYTES:
                return None  # not one we wrote: read live, and the next store replaces it
            kept = json.loads(text)
            age = time.time() - float(kept["savedAt"])
            if not 0 <= age <= max_age:
                return None
            return model.model_validate(kept["answer"]), age
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing, old, torn or from another version: read live

    def _store(self, entry: Path, answer: BaseModel) -> None:
        document: dict[str, Any] = {"savedAt": time.time(), "answer": answer.model_dump(mode="json", by_alias=True)}
        partial = entry.with_name(_partial_name(entry.name))
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(document, handle)
            os.replace(partial, entry)
        except BaseException:
            partial.unlink(missing_ok=True)  # nothing half-written is left behind
            raise


def _partial_name(name: str) -> str:
    """A name no other writer uses: the threads of a fleet share the process id, so it is not enough alone."""
    return f"{name}.{os.getpid()}.{secrets.token_hex(6)}.partial"
