"""Test doubles shipped with the package: the emulator of Cloudflare's API and its fixtures.

They use nothing of the client or configuration layers, so a bug there cannot hide by being mirrored here.
"""
