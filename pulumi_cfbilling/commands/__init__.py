"""Handlers of the ``cfbilling`` commands: each takes the parsed arguments and returns an exit code."""

from .balance import balance
from .check import check
from .demo import demo
from .doctor import doctor
from .emulator import emulator
from .schema import schema
from .terraform import terraform_external

__all__ = ["balance", "check", "demo", "doctor", "emulator", "schema", "terraform_external"]
