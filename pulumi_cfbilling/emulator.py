"""Kept for existing imports: the emulator lives in :mod:`pulumi_cfbilling.testing.emulator`."""

from __future__ import annotations

from .testing.emulator import DEMO_EMAIL, DEMO_KEY, DEMO_TOKEN, Emulator, LoggedRequest, demo_fixture

__all__ = ["DEMO_EMAIL", "DEMO_KEY", "DEMO_TOKEN", "Emulator", "LoggedRequest", "demo_fixture"]
