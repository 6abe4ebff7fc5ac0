"""The Pulumi extra, checked where it is needed: a one-line error naming it, never an ImportError traceback.

``pip install pulumi-cfbilling`` brings the client and the CLI only; the Pulumi surfaces (data functions, guard,
the snapshot resource, the policy) and the provider plugin need ``pip install 'pulumi-cfbilling[pulumi]'``
(Pulumi programs have ``pulumi`` already).
"""

from __future__ import annotations

from importlib import metadata

from .errors import ConfigurationError

__all__ = ["PULUMI_FLOOR", "pulumi_problem", "require_pulumi"]

PULUMI_FLOOR = (3, 272)
"""The oldest Pulumi SDK with what this package uses (the provider framework, dynamic provider config)."""
_INSTALL = "pip install 'pulumi-cfbilling[pulumi]'"


def pulumi_problem() -> str | None:
    """Why the Pulumi SDK cannot be used here, in one line, or ``None`` when it can."""
    try:
        version = metadata.version("pulumi")
    except metadata.PackageNotFoundError:
        return f"the Pulumi surfaces of pulumi-cfbilling need the Pulumi SDK: {_INSTALL}"
    parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    if parts < PULUMI_FLOOR:
        floor = ".".join(map(str, PULUMI_FLOOR))
        return f"pulumi-cfbilling needs the Pulumi SDK {floor} or newer ({version} is installed): {_INSTALL} --upgrade"
    return None


def require_pulumi() -> None:
    """Raise a one-line :class:`ConfigurationError` when the Pulumi SDK is missing or too old."""
    problem = pulumi_problem()
    if problem is not None:
        raise ConfigurationError(problem)
