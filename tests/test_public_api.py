"""The public face: a sorted ``__all__`` that resolves, one exception root, and a light import."""

from __future__ import annotations

import subprocess
import sys

import pulumi_cfbilling as package
from pulumi_cfbilling import errors


def isort_order(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps: CONSTANTS, then Classes, then everything else, each alphabetical."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert package.__all__ == sorted(package.__all__, key=isort_order)
    for name in package.__all__:
        assert getattr(package, name) is not None, name


def test_every_module_all_is_sorted() -> None:
    import importlib
    import pkgutil

    for info in pkgutil.walk_packages(package.__path__, prefix="pulumi_cfbilling."):
        if info.name.endswith(("__main__", "demo_program")):  # programs run on import
            continue
        module = importlib.import_module(info.name)
        names = getattr(module, "__all__", None)
        if names is not None:
            assert list(names) == sorted(names, key=isort_order), info.name


def test_one_exception_root_exported_from_the_top_level() -> None:
    exported = [getattr(package, n) for n in package.__all__]
    classes = [c for c in exported if isinstance(c, type) and issubclass(c, Exception)]
    assert {c.__name__ for c in classes} == {n for n in errors.__all__ if n != "CloudflareErrorDetail"}
    for cls in classes:
        assert issubclass(cls, package.CfBillingError)
        assert cls.__doc__


def test_exception_tree() -> None:
    assert issubclass(package.APITimeoutError, package.APIConnectionError)
    for cls in (
        package.AuthenticationError,
        package.PermissionDeniedError,
        package.NotFoundError,
        package.RateLimitError,
        package.ServerError,
    ):
        assert issubclass(cls, package.APIStatusError)
    for cls in (package.APIConnectionError, package.APIStatusError, package.APIResponseError):
        assert issubclass(cls, package.APIError)
    assert not issubclass(package.ConfigurationError, package.APIError)


def test_errors_survive_pickling_with_their_details() -> None:
    import pickle

    error = package.RateLimitError(
        "m", account_id="a", status_code=429, errors=(package.CloudflareErrorDetail(971, "w"),), ray_id="r"
    )
    error.retry_after = 5.0
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.status_code, copy.codes, copy.ray_id, copy.retry_after) == (
        package.RateLimitError,
        "m",
        429,
        (971,),
        "r",
        5.0,
    )


def test_importing_the_package_and_cli_does_not_import_pulumi_or_grpc() -> None:
    code = (
        "import sys, pulumi_cfbilling, pulumi_cfbilling.cli, pulumi_cfbilling.cli.balance, pulumi_cfbilling.cli.check, "
        "pulumi_cfbilling.cli.doctor, pulumi_cfbilling.cli.terraform, pulumi_cfbilling.cli.schema, "
        "pulumi_cfbilling.cli.emulator, pulumi_cfbilling.cli.demo; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'grpc')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
