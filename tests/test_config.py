"""Configuration: precedence (one behaviour per test) and validation before any request."""

from __future__ import annotations

import copy
import pickle

import pytest

from pulumi_cfbilling import BillingClient, ConfigurationError
from pulumi_cfbilling.core.secrets import Secret
from pulumi_cfbilling.core.settings import (
    DEFAULT_BASE_URL,
    SURFACES,
    Source,
    choose_account,
    read_account_id,
    read_base_url,
    resolve_settings,
    setting,
    settings_for,
)

ACCOUNT = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"


def env(**values: str) -> Source:
    return Source.environment(values)


def args(**values: object) -> Source:
    return Source.arguments(values)  # type: ignore[arg-type]


def test_token_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "env-token")
    settings = resolve_settings(Source.environment())
    assert settings.credentials is not None
    assert settings.credentials.headers() == {"Authorization": "Bearer env-token"}
    assert settings.origins["api_token"] == "CLOUDFLARE_API_TOKEN"


def test_key_and_email_from_environment() -> None:
    settings = resolve_settings(env(CLOUDFLARE_API_KEY="k" * 37, CLOUDFLARE_EMAIL="a@example.com"))
    assert settings.credentials is not None
    assert settings.credentials.headers() == {"X-Auth-Email": "a@example.com", "X-Auth-Key": "k" * 37}


def test_token_wins_over_key_within_one_source() -> None:
    settings = resolve_settings(
        env(CLOUDFLARE_API_TOKEN="tok", CLOUDFLARE_API_KEY="key", CLOUDFLARE_EMAIL="a@example.com")
    )
    assert settings.credentials is not None
    assert settings.credentials.kind == "token"


def test_explicit_token_wins_over_environment_token() -> None:
    settings = resolve_settings(args(api_token="explicit"), env(CLOUDFLARE_API_TOKEN="env"))
    assert settings.credentials is not None
    assert settings.credentials.headers()["Authorization"] == "Bearer explicit"


def test_explicit_key_wins_over_environment_token() -> None:
    """The first source with a complete credential wins, whatever its kind."""
    settings = resolve_settings(args(api_key="key", email="a@example.com"), env(CLOUDFLARE_API_TOKEN="env"))
    assert settings.credentials is not None
    assert settings.credentials.kind == "key"


def test_earlier_source_without_credentials_falls_through() -> None:
    settings = resolve_settings(args(base_url="https://example.com"), env(CLOUDFLARE_API_TOKEN="env"))
    assert settings.credentials is not None
    assert settings.credentials.kind == "token"


def test_empty_string_counts_as_unset() -> None:
    settings = resolve_settings(env(CLOUDFLARE_API_TOKEN="", CLOUDFLARE_API_KEY="k", CLOUDFLARE_EMAIL="a@b.c"))
    assert settings.credentials is not None
    assert settings.credentials.kind == "key"


def test_key_without_email_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="CLOUDFLARE_API_KEY is set but CLOUDFLARE_EMAIL is not"):
        resolve_settings(env(CLOUDFLARE_API_KEY="key"))


def test_email_without_key_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="CLOUDFLARE_EMAIL is set but CLOUDFLARE_API_KEY is not"):
        resolve_settings(env(CLOUDFLARE_EMAIL="a@example.com"))


def test_email_must_look_like_an_email() -> None:
    with pytest.raises(ConfigurationError, match="not an email address"):
        resolve_settings(env(CLOUDFLARE_API_KEY="key", CLOUDFLARE_EMAIL="nobody"))


@pytest.mark.parametrize(
    ("surface", "names"),
    [
        ("cli", ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL")),
        ("program", ("cfbilling:apiToken", "CLOUDFLARE_API_TOKEN")),
        ("plugin", ("cfbilling:apiToken", "CLOUDFLARE_API_TOKEN")),
        ("terraform-provider", ("api_token in the provider block", "CLOUDFLARE_API_TOKEN")),
        ("resource", ("CLOUDFLARE_API_TOKEN", "environment only")),
    ],
)
def test_no_credentials_lists_every_way_to_set_them_on_each_surface(surface: str, names: tuple[str, ...]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        settings_for(surface, config=lambda key: None, environ={})
    message = str(caught.value)
    assert message.startswith("no Cloudflare credentials found: ")
    for name in names:
        assert name in message
    # Terraform users are never told about Pulumi config, nor the snapshot's users about a key it refuses.
    assert ("cfbilling:apiToken" in message) == (surface in ("program", "plugin"))


def test_credentials_are_optional_when_asked() -> None:
    assert resolve_settings(env(), require_credentials=False).credentials is None


@pytest.mark.parametrize("bad", ["tok\nen", "tok\ren", "tok\x00en", "tok en", "tök", " token", "token\n"])
def test_credentials_with_control_characters_are_rejected_without_echo(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="CLOUDFLARE_API_TOKEN contains") as caught:
        resolve_settings(env(CLOUDFLARE_API_TOKEN=bad))
    assert bad.strip() not in str(caught.value)


def test_key_with_line_break_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="CLOUDFLARE_API_KEY contains"):
        resolve_settings(env(CLOUDFLARE_API_KEY="key\r\nX-Evil: 1", CLOUDFLARE_EMAIL="a@example.com"))


def test_account_id_from_environment() -> None:
    settings = resolve_settings(env(CLOUDFLARE_API_TOKEN="t", CLOUDFLARE_ACCOUNT_ID=ACCOUNT))
    assert settings.account_id == ACCOUNT
    assert settings.origins["account_id"] == "CLOUDFLARE_ACCOUNT_ID"


def test_explicit_account_id_wins() -> None:
    settings = resolve_settings(args(account_id=OTHER), env(CLOUDFLARE_API_TOKEN="t", CLOUDFLARE_ACCOUNT_ID=ACCOUNT))
    assert settings.account_id == OTHER


@pytest.mark.parametrize(
    "bad",
    [
        "0123456789ABCDEF0123456789ABCDEF",
        "0123",
        "../../../user/tokens/verify/00000",
        "0123456789abcdef0123456789abcdeg",
        ACCOUNT + "0",
        "",
    ],
)
def test_malformed_account_ids_are_rejected(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="32 lowercase hex"):
        read_account_id(bad, "--account-id")


def test_malformed_account_id_in_environment_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match=r"CLOUDFLARE_ACCOUNT_ID '\.\./x' is not a Cloudflare account id"):
        resolve_settings(env(CLOUDFLARE_API_TOKEN="t", CLOUDFLARE_ACCOUNT_ID="../x"))


def test_default_base_url() -> None:
    assert resolve_settings(env(CLOUDFLARE_API_TOKEN="t")).base_url == DEFAULT_BASE_URL


def test_base_url_from_environment_drops_trailing_slash() -> None:
    settings = resolve_settings(env(CLOUDFLARE_API_TOKEN="t", CLOUDFLARE_BASE_URL="https://proxy.example/cf/v4/"))
    assert settings.base_url == "https://proxy.example/cf/v4"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8787/client/v4", "http://localhost:1/x", "http://[::1]:9/x", "http://127.1.2.3/x"]
)
def test_plain_http_is_allowed_on_loopback(url: str) -> None:
    assert read_base_url(url) == url


@pytest.mark.parametrize(
    "url", ["http://api.cloudflare.com/client/v4", "http://10.0.0.1/x", "http://localhost.evil.com/x"]
)
def test_plain_http_elsewhere_is_rejected(url: str) -> None:
    with pytest.raises(ConfigurationError, match="plain http"):
        read_base_url(url, "CLOUDFLARE_BASE_URL")


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "api.cloudflare.com/client/v4", "https://", "https://h/x?q=1", "https://h:99999/"]
)
def test_unusable_base_urls_are_rejected(url: str) -> None:
    with pytest.raises(ConfigurationError):
        read_base_url(url)


def test_base_url_with_userinfo_is_rejected_without_echo() -> None:
    with pytest.raises(ConfigurationError, match="user name or password") as caught:
        read_base_url("https://user:hunter2@example.com/x")
    assert "hunter2" not in str(caught.value)


def test_timeout_and_retries_defaults() -> None:
    settings = resolve_settings(env(CLOUDFLARE_API_TOKEN="t"))
    assert (settings.timeout, settings.max_retries) == (30.0, 3)


def test_timeout_and_retries_from_environment() -> None:
    settings = resolve_settings(env(CLOUDFLARE_API_TOKEN="t", CFBILLING_TIMEOUT="2.5", CFBILLING_MAX_RETRIES="0"))
    assert (settings.timeout, settings.max_retries) == (2.5, 0)


def test_explicit_timeout_wins() -> None:
    settings = resolve_settings(args(timeout=1.0), env(CLOUDFLARE_API_TOKEN="t", CFBILLING_TIMEOUT="9"))
    assert settings.timeout == 1.0


@pytest.mark.parametrize("bad", ["0", "-1", "nan", "inf", "soon", "601"])
def test_bad_timeouts_are_rejected(bad: str) -> None:
    with pytest.raises(ConfigurationError, match=r"CFBILLING_TIMEOUT .* is not a valid timeout"):
        resolve_settings(env(CLOUDFLARE_API_TOKEN="t", CFBILLING_TIMEOUT=bad))


@pytest.mark.parametrize("bad", ["-1", "11", "2.5", "three", "²"])
def test_bad_retry_counts_are_rejected(bad: str) -> None:
    with pytest.raises(ConfigurationError, match=r"CFBILLING_MAX_RETRIES .* is not a valid retry count"):
        resolve_settings(env(CLOUDFLARE_API_TOKEN="t", CFBILLING_MAX_RETRIES=bad))


def test_client_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "t")
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("CFBILLING_MAX_RETRIES", "1")
    client = BillingClient()
    assert client.settings.account_id == ACCOUNT
    assert client.settings.max_retries == 1


def test_client_rejects_bad_settings_before_any_request() -> None:
    with pytest.raises(ConfigurationError, match="plain http"):
        BillingClient(api_token="t", base_url="http://api.cloudflare.com/client/v4")


def test_secret_hides_its_value_everywhere() -> None:
    secret = Secret("s3cr3t-value")
    assert "s3cr3t" not in repr(secret)
    assert "s3cr3t" not in str(secret)
    assert "s3cr3t" not in f"{secret}"
    assert not hasattr(secret, "__dict__")
    assert copy.deepcopy(secret).reveal() == "s3cr3t-value"
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(secret)


def test_settings_repr_shows_no_credential() -> None:
    settings = resolve_settings(env(CLOUDFLARE_API_KEY="the-key-value", CLOUDFLARE_EMAIL="a@example.com"))
    assert "the-key-value" not in repr(settings)
    assert "a@example.com" not in repr(settings.credentials)


# -- The surface table: one source order per surface, one no-account message ---------------------------------

PULUMI_CONFIG = {
    "cfbilling:accountId": ACCOUNT,
    "cloudflare:apiToken": "cloudflare-config-token",
    "cfbilling:timeout": "7",
}


@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_every_surface_resolves_its_sources_in_table_order(surface: str) -> None:
    entry = SURFACES[surface]
    given = {"account_id": ACCOUNT, "timeout": 7} if "given" in entry.order else None
    environ = {"CLOUDFLARE_ACCOUNT_ID": OTHER, "CFBILLING_TIMEOUT": "9", "CLOUDFLARE_API_TOKEN": "env-token"}
    settings = settings_for(surface, given, config=PULUMI_CONFIG.get, environ=environ)
    first = entry.order[0]
    # The first source in the table wins for the values it holds; the environment fills the rest.
    assert (settings.account_id, settings.timeout) == (ACCOUNT, 7.0)
    expected_origin = {
        "given": entry.label(setting("account_id")),
        "cfbilling config": "Pulumi config cfbilling:accountId",
    }[first]
    assert settings.origins["account_id"] == expected_origin
    pulumi_token = first == "cfbilling config"
    assert settings.origins["api_token"] == (
        "Pulumi config cloudflare:apiToken" if pulumi_token else "CLOUDFLARE_API_TOKEN"
    )
    # Without its own values, every surface falls back to the environment.
    fallback = settings_for(surface, config=lambda key: None, environ=environ)
    assert (fallback.account_id, fallback.timeout) == (OTHER, 9.0)


@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_one_no_account_message_worded_for_each_surface(surface: str) -> None:
    settings = settings_for(surface, environ={}, require_credentials=False)
    with pytest.raises(ConfigurationError) as raised:
        choose_account(settings, None, surface)
    message = str(raised.value)
    assert message.startswith(f"no account id: pass {SURFACES[surface].account}, or ")
    assert "dash.cloudflare.com/<account id>" in message
    assert "\n" not in message
    with pytest.raises(ConfigurationError, match=f"^{SURFACES[surface].account} 'nope' is not a Cloudflare account"):
        choose_account(settings, "nope", surface)


def test_a_surface_names_its_settings_its_own_way() -> None:
    with pytest.raises(ConfigurationError, match=r"^--timeout 'soon' is not a valid timeout"):
        settings_for("cli", {"timeout": "soon"}, environ={}, require_credentials=False)
    with pytest.raises(ConfigurationError, match=r"^cfbilling:baseUrl 'ftp://x' "):
        settings_for("plugin", {"base_url": "ftp://x"}, environ={}, require_credentials=False)
    with pytest.raises(ConfigurationError, match=r"^query key timeout "):
        settings_for("terraform", {"timeout": "-1"}, environ={}, require_credentials=False)
    with pytest.raises(ConfigurationError, match=r"^Pulumi config cfbilling:timeout "):
        settings_for("program", config={"cfbilling:timeout": "0"}.get, environ={}, require_credentials=False)
