"""The test environment's own settings, read once when the suite is collected.

They are not the product's settings: ``CFBILLING_E2E`` (whether the end-to-end suite must run), where CI put the
linters it built (``CFBILLING_ACTIONLINT``, ``CFBILLING_SHELLCHECK``, ``CFBILLING_PROMTOOL``) and the engines (``CFBILLING_ENGINES_CACHE``),
The autouse ``clean_environment``
fixture clears every ``CFBILLING_*`` variable before each test so that no product setting leaks in; reading
these here, at import (collection) time, keeps them out of its reach.
"""

from __future__ import annotations

import os

__all__ = ["NAMES", "SETTINGS", "e2e_required", "get"]

NAMES = (
    "CFBILLING_E2E",
    "CFBILLING_ACTIONLINT",
    "CFBILLING_SHELLCHECK",
    "CFBILLING_PROMTOOL",
    "CFBILLING_ENGINES_CACHE",
)

SETTINGS: dict[str, str] = {name: os.environ[name] for name in NAMES if os.environ.get(name)}


def get(name: str) -> str | None:
    """A test-environment setting as it was when the suite started."""
    if name not in NAMES:
        raise KeyError(f"{name} is not a test-environment setting; known: {', '.join(NAMES)}")
    return SETTINGS.get(name)


def e2e_required() -> bool:
    """CI: every end-to-end test and every tool it needs must be there (a failure, not a skip)."""
    return get("CFBILLING_E2E") == "required"
