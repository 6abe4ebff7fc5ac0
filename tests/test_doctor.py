"""`cfbilling doctor`: valid, invalid, expired, disabled, account-owned and wrong-account tokens; missing config."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers import HEALTHY, UNKNOWN, assert_no_secret, run_cli

from pulumi_cfbilling.testing.emulator import DEMO_EMAIL, DEMO_KEY, DEMO_TOKEN, Emulator, demo_fixture


@pytest.fixture
def tokens() -> Iterator[Emulator]:
    fixture = demo_fixture()
    fixture["tokens"].update(
        {
            "expired-token": {"status": "expired", "expires_on": "2025-01-01T00:00:00Z", "id": "e" * 32},
            "disabled-token": {"status": "disabled", "id": "d" * 32},
            "scoped-token": {"accounts": [UNKNOWN], "id": "5" * 32},
            "account-token": {"owner": HEALTHY, "id": "a" * 32},
        }
    )
    fixture["accounts"][UNKNOWN] = fixture["accounts"][HEALTHY]
    with Emulator(fixture=fixture) as emu:
        yield emu


def doctor(emu: Emulator, token: str | None = DEMO_TOKEN, account: str | None = HEALTHY, **env: str) -> tuple[int, str]:
    base = {"CLOUDFLARE_BASE_URL": emu.base_url, **env}
    if token is not None:
        base["CLOUDFLARE_API_TOKEN"] = token
    if account is not None:
        base["CLOUDFLARE_ACCOUNT_ID"] = account
    result = run_cli("doctor", env=base)
    assert "Traceback" not in result.stderr
    assert_no_secret(result.stdout, result.stderr)
    for secret in ("expired-token", "disabled-token", "scoped-token", "account-token"):
        assert secret not in result.stdout + result.stderr
    return result.returncode, result.stdout


def test_everything_works(tokens: Emulator) -> None:
    code, out = doctor(tokens)
    assert code == 0
    words = " ".join(out.split())  # the columns widen with the longest topic
    assert "ok credentials API token from CLOUDFLARE_API_TOKEN" in words
    assert f"ok account {HEALTHY} from CLOUDFLARE_ACCOUNT_ID" in words
    assert "from CLOUDFLARE_BASE_URL" in out
    assert "ok network direct (no proxy for this URL); trusting " in words
    assert "ok token active user token" in words
    assert "ok balance $42.51, automatic top-up on" in words
    assert "ok usage history runway 13.96 days" in words
    assert "ok gateways 2 read, 0 with no cap" in words
    assert "ok invoice $12.40 due this period" in words
    assert out.strip().endswith("Everything works.")


def test_an_unreadable_gateways_route_names_what_reads_it(tokens: Emulator) -> None:
    tokens.set_faults(HEALTHY, [{"kind": "status", "status": 403, "code": 9109}], route="gateways")
    code, out = doctor(tokens)
    assert code == 3
    words = " ".join(out.split())
    assert "FAIL gateways reading the gateways of account" in words
    assert "--require-spend-limit, --require-spend-limit-with-auto-topup and `cfbilling gateways` read this route" in (
        words
    )
    assert "ok invoice $12.40 due this period" in words


def test_invalid_token(tokens: Emulator) -> None:
    code, out = doctor(tokens, token="made-up")
    assert code == 3
    assert "FAIL  token        Cloudflare does not recognise this token (HTTP 401, code 1000)" in out
    assert "fix: create an API token" in out


def test_expired_token(tokens: Emulator) -> None:
    code, out = doctor(tokens, token="expired-token")
    assert code == 3
    assert f"FAIL  token        user token {'e' * 32} is expired, expires 2025-01-01T00:00:00Z" in out


def test_disabled_token(tokens: Emulator) -> None:
    code, out = doctor(tokens, token="disabled-token")
    assert code == 3
    assert "is disabled" in out


def test_account_owned_token_is_verified_at_the_accounts_endpoint(tokens: Emulator) -> None:
    code, out = doctor(tokens, token="account-token")
    assert code == 0, out
    assert f"active account-owned token of {HEALTHY}" in out
    assert any(r.path.endswith(f"/accounts/{HEALTHY}/tokens/verify") for r in tokens.log)


def test_wrong_account_says_how_to_grant_access(tokens: Emulator) -> None:
    code, out = doctor(tokens, token="scoped-token")
    assert code == 3
    assert "FAIL  balance" in out
    assert "code 9109" in out
    assert f"fix: add account {HEALTHY} to the token's Account Resources with 'AI Gateway Read'" in out


def test_missing_credentials(tokens: Emulator) -> None:
    code, out = doctor(tokens, token=None)
    assert code == 2
    assert "FAIL  credentials  no API token or API key is configured" in out
    assert "CLOUDFLARE_API_TOKEN" in out
    assert tokens.log == []


def test_missing_account_is_a_warning(tokens: Emulator) -> None:
    code, out = doctor(tokens, account=None)
    assert code == 0
    assert "warn  account      not set" in out
    assert "warn  balance      not read: no account configured" in out


def test_global_key(tokens: Emulator) -> None:
    code, out = doctor(tokens, token=None, CLOUDFLARE_API_KEY=DEMO_KEY, CLOUDFLARE_EMAIL=DEMO_EMAIL)
    assert code == 0
    assert "warn credentials global API key and email from CLOUDFLARE_API_KEY" in " ".join(out.split())
    assert "prefer an API token" in out


def test_bad_configuration(tokens: Emulator) -> None:
    code, out = doctor(tokens, account="nope")
    assert code == 2
    assert "FAIL  configuration  CLOUDFLARE_ACCOUNT_ID 'nope' is not a Cloudflare account id" in out


def test_unreachable_api(tokens: Emulator) -> None:
    with Emulator() as gone:
        base_url = gone.base_url
    code, out = doctor(tokens, CLOUDFLARE_BASE_URL=base_url, CFBILLING_MAX_RETRIES="0")
    assert code == 3
    assert "connection was refused" in out
