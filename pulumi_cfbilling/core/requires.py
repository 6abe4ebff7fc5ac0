"""The extras, checked where they are needed: a one-line error naming what to do, never an ImportError traceback.

The package alone brings the client and the CLI; the Pulumi surfaces (data functions, guard, the snapshot
resource, the policy) and the provider plugin need its ``pulumi`` extra (:func:`install_hint` says how)
(Pulumi programs have ``pulumi`` already); the native Terraform provider needs the ``terraform`` extra, whose
``tf`` framework exists for Python 3.11 and newer only (so on 3.10 the extra installs nothing).
"""

from __future__ import annotations

import importlib.util
import sys

from .errors import ConfigurationError

__all__ = ["PULUMI_FLOOR", "install_hint", "pulumi_problem", "require_pulumi", "terraform_problem"]

PULUMI_FLOOR = (3, 272)
"""The oldest Pulumi SDK with what this package uses (the provider framework, dynamic provider config)."""


def install_hint(extra: str) -> str:
    """How to add an extra, for a package installed from a clone or a wheel (it is on no public index)."""
    return f"pip install '<the clone or wheel you installed from>[{extra}]' (pulumi-cfbilling is not on PyPI)"


_INSTALL = install_hint("pulumi")


def pulumi_problem() -> str | None:
    """Why the Pulumi SDK cannot be used here, in one line, or ``None`` when it can."""
    from importlib import metadata  # here, not at the top: the Terraform provider's every start never needs it

    try:
        version = metadata.version("pulumi")
    except metadata.PackageNotFoundError:
        return f"the Pulumi surfaces of pulumi-cfbilling need the Pulumi SDK: {_INSTALL}"
    parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    if parts < PULUMI_FLOOR:
        floor = ".".join(map(str, PULUMI_FLOOR))
        upgrade = f"pip install --upgrade 'pulumi>={floor}'"
        return f"pulumi-cfbilling needs the Pulumi SDK {floor} or newer ({version} is installed): {upgrade}"
    return None


def terraform_problem() -> str | None:
    """Why the native Terraform provider cannot run here, in one line, or ``None`` when it can."""
    if sys.version_info < (3, 11):
        return (
            "the native Terraform provider needs Python 3.11 or newer (its `tf` framework does), and this is "
            f"Python {sys.version_info.major}.{sys.version_info.minor}: install the terraform extra with a newer "
            "Python, or use `cfbilling terraform-external` with Terraform's external data source"
        )
    if importlib.util.find_spec("tf") is None:
        return (
            f"the native Terraform provider needs the `tf` framework (the terraform extra): {install_hint('terraform')}"
        )
    return None


def require_pulumi() -> None:
    """Raise a one-line :class:`ConfigurationError` when the Pulumi SDK is missing or too old."""
    problem = pulumi_problem()
    if problem is not None:
        raise ConfigurationError(problem)
