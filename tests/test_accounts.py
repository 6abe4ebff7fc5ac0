"""The accounts file parser."""

from __future__ import annotations

import pytest
from helpers import HEALTHY, LOW

from pulumi_cfbilling import ConfigurationError
from pulumi_cfbilling.core.settings import settings_for
from pulumi_cfbilling.service.accounts import AccountRef, parse_accounts_file, select_accounts


def test_ids_labels_comments_and_blank_lines() -> None:
    text = f"# header\n\n  {HEALTHY}   prod  eu   # trailing\n{LOW}\n\t# indented comment\n"
    assert parse_accounts_file(text) == [AccountRef(HEALTHY, "prod eu"), AccountRef(LOW)]


def test_an_empty_file_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="lists no account"):
        parse_accounts_file("# nothing\n\n", "fleet.txt")


def test_errors_name_the_line() -> None:
    with pytest.raises(
        ConfigurationError, match=r"fleet\.txt:2: the line does not start with an account id \(its first word has 3"
    ):
        parse_accounts_file(f"{HEALTHY}\nABC label\n", "fleet.txt")


def test_control_characters_in_labels_are_rejected() -> None:
    with pytest.raises(ConfigurationError, match="printable"):
        parse_accounts_file(f"{HEALTHY} bad\x07label\n")


def test_flags_come_before_the_file_and_the_default_is_last(tmp_path: object) -> None:
    configured = settings_for("cli", environ={"CLOUDFLARE_ACCOUNT_ID": HEALTHY}, require_credentials=False)
    assert select_accounts([LOW], None, configured) == [AccountRef(LOW)]
    assert select_accounts(None, None, configured) == [AccountRef(HEALTHY)]
    with pytest.raises(ConfigurationError, match="no account id: pass --account-id, or use --accounts-file"):
        select_accounts(None, None, settings_for("cli", environ={}, require_credentials=False))
