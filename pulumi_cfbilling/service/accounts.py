"""Which accounts to read: ``--account-id`` flags, an accounts file, or the configured default.

An accounts file has one account id a line, optionally followed by a label; ``#`` starts a comment, blank lines
are skipped::

    # production accounts
    0123456789abcdef0123456789abcdef  production
    fedcba9876543210fedcba9876543210  staging   # the team's sandbox
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

from ..core.errors import ConfigurationError
from ..core.records import Record
from ..core.settings import Settings, choose_account
from ..core.values import read_account_id

__all__ = ["MAX_FILE_BYTES", "AccountRef", "load_accounts_file", "parse_accounts_file", "select_accounts"]

_MAX_LABEL = 100
MAX_FILE_BYTES = 1024 * 1024
"""The largest accounts file read (about 20,000 accounts with labels): anything larger is refused unread."""


class AccountRef(Record):
    """An account to read, with the label it was given (if any)."""

    account_id: str
    label: str | None = None

    @property
    def name(self) -> str:
        """The label when there is one, else the account id."""
        return self.label or self.account_id


def parse_accounts_file(text: str, source: str = "accounts file") -> list[AccountRef]:
    """Parse an accounts file; errors name the file and line, and say how to fix it."""
    refs: list[AccountRef] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        account, *rest = line.split(None, 1)
        where = f"{source}:{number}"
        try:
            account_id = read_account_id(account, f"{where}: account id")
        except ConfigurationError:
            # Not echoed: pointed at the wrong file (a key file, /etc/shadow), its first word may be a secret.
            problem = (
                f"{where}: the line does not start with an account id (its first word has {len(account)} "
                "characters; expected 32 lowercase hex characters, then an optional label)"
            )
        else:
            problem = ""
        if problem:
            raise ConfigurationError(problem)
        if account_id in seen:
            # Read twice, it would be requested and counted twice: almost surely a copy-paste slip.
            raise ConfigurationError(
                f"{where}: account {account_id} is already listed on line {seen[account_id]}; remove one of them"
            )
        seen[account_id] = number
        label = " ".join(rest[0].split()) if rest else ""
        if len(label) > _MAX_LABEL or not label.isprintable():
            raise ConfigurationError(f"{where}: the label must be printable and at most {_MAX_LABEL} characters")
        refs.append(AccountRef(account_id, label or None))
    if not refs:
        raise ConfigurationError(f"{source} lists no account: write one account id a line, optionally with a label")
    return refs


def load_accounts_file(path: str | Path) -> list[AccountRef]:
    """Read and parse an accounts file from disk, or from stdin for ``-``: a regular file, at most 1 MiB."""
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            # A FIFO would block forever and /dev/zero never end: only a regular file is read, and only so far.
            if not stat.S_ISREG(os.stat(path).st_mode):
                raise ConfigurationError(
                    f"--accounts-file {path} is not a regular file (a folder, FIFO or device): give a text file "
                    "of account ids, or - for stdin"
                )
            with open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigurationError(f"--accounts-file {path}: cannot read it ({reason})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigurationError(
            f"--accounts-file {path} is larger than {MAX_FILE_BYTES // 1024} KiB: an accounts file lists one account "
            "id a line; split a larger fleet into several files"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if "\x00" in text or (data and not text):
        raise ConfigurationError(
            f"--accounts-file {path} is not a UTF-8 text file: write one account id a line, optionally with a label"
        )
    return parse_accounts_file(text, "stdin" if str(path) == "-" else str(path))


def select_accounts(
    account_ids: Sequence[str] | None, accounts_file: str | None, settings: Settings
) -> list[AccountRef]:
    """``--account-id`` flags, then the accounts file's entries (in order); with neither, the configured account."""
    refs = [AccountRef(choose_account(settings, a, "cli")) for a in account_ids or ()]
    if accounts_file:
        refs.extend(load_accounts_file(accounts_file))
    return refs or [AccountRef(choose_account(settings, None, "cli"))]
