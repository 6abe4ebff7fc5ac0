"""Delivering ``cfbilling watch``'s messages through Apprise: Slack, Teams, Discord, e-mail, PagerDuty, webhooks.

Each notification URL (``--notify``, ``CFBILLING_NOTIFY_URLS``) is an :class:`Outlet`. The URL holds secrets (a
webhook token, a password), so it lives in a :class:`~pulumi_cfbilling.core.secrets.Secret` and is named in
messages only by its position and scheme (``notification URL 2 (slack)``); Apprise's own log, which prints URLs
and payloads at debug level, is silenced for the whole process once Apprise is loaded. Apprise is imported only
when a URL is new (to check it) or a message is due: a run with nothing to say never loads it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..core.errors import ConfigurationError
from ..core.secrets import Secret

__all__ = ["Outlet", "check_outlets", "deliver", "read_notify_urls"]

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,30})://")


@dataclass(frozen=True)
class Outlet:
    """One notification URL: its secret text, its position (from 1) and its scheme, which alone are shown."""

    url: Secret
    position: int
    scheme: str

    @property
    def name(self) -> str:
        """``notification URL 2 (slack)``: how messages speak of it."""
        return f"notification URL {self.position} ({self.scheme})"


def read_notify_urls(given: Sequence[str] | None, environment: str | None, label: str) -> list[Outlet]:
    """The URLs of ``--notify`` flags, else of ``CFBILLING_NOTIFY_URLS`` (separated by spaces, commas or lines).

    A value without a ``scheme://`` is refused, naming its position only (it may be a secret pasted whole).
    """
    texts = list(given or []) or [part for part in re.split(r"[\s,]+", environment or "") if part]
    outlets = []
    for position, text in enumerate(texts, start=1):
        match = _SCHEME.match(text.strip())
        if match is None:
            raise ConfigurationError(
                f"{label}: value {position} is not a notification URL (scheme://...), such as "
                "slack://TOKEN_A/TOKEN_B/TOKEN_C or json://host/path: see Apprise's list of services"
            )
        outlets.append(Outlet(Secret(text.strip()), position, match.group(1).lower()))
    return outlets


def _apprise() -> Any:
    import apprise  # loaded only to check a new URL or to deliver

    # Apprise logs the URLs it posts to (with their tokens) and the payloads: none of it may reach a log.
    quiet = logging.getLogger("apprise")
    quiet.setLevel(logging.CRITICAL + 1)
    quiet.propagate = False
    return apprise


def check_outlets(outlets: Sequence[Outlet], label: str) -> None:
    """Refuse, before anything is read, a URL Apprise cannot send to (an unknown scheme, a malformed token)."""
    apprise = _apprise()
    for outlet in outlets:
        if apprise.Apprise.instantiate(outlet.url.reveal()) is None:
            raise ConfigurationError(
                f"{label}: {outlet.name} is not a URL Apprise can send to: check the service's URL format in "
                "Apprise's documentation (the URL itself is not shown: it holds secrets)"
            )


def deliver(outlet: Outlet, title: str, body: str, kind: str) -> bool:
    """Send one message to one URL; ``True`` when the service took it. Never raises for a failed delivery."""
    apprise = _apprise()
    sender = apprise.Apprise()
    if not sender.add(outlet.url.reveal()):
        return False
    notify_type = {"success": apprise.NotifyType.SUCCESS, "warning": apprise.NotifyType.WARNING}.get(
        kind, apprise.NotifyType.FAILURE
    )
    try:
        return bool(
            sender.notify(body=body, title=title, notify_type=notify_type, body_format=apprise.NotifyFormat.TEXT)
        )
    except Exception:  # a plugin's own bug must not end the run: the message stays queued for the next one
        return False
