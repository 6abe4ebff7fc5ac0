"""The Pulumi extra: without a usable Pulumi SDK every Pulumi surface says so in one line, naming the extra."""

from __future__ import annotations

from importlib import metadata

import pytest

import pulumi_cfbilling
from pulumi_cfbilling.core import requires as _requires
from pulumi_cfbilling.plugin import main as plugin_main


def missing(name: str) -> str:
    if name == "pulumi":
        raise metadata.PackageNotFoundError(name)
    return metadata.version(name)


def test_without_pulumi_a_pulumi_name_is_a_one_line_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metadata, "version", missing)
    monkeypatch.delitem(pulumi_cfbilling.__dict__, "guard", raising=False)
    with pytest.raises(ImportError) as caught:
        pulumi_cfbilling.guard  # noqa: B018 - the lazy import is the point
    assert str(caught.value) == (
        "cannot use pulumi_cfbilling.guard: the Pulumi surfaces of pulumi-cfbilling need the Pulumi SDK: "
        "pip install '<the clone or wheel you installed from>[pulumi]' (pulumi-cfbilling is not on PyPI)"
    )


def test_an_old_pulumi_is_named_with_the_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metadata, "version", lambda name: "3.100.0")
    assert _requires.pulumi_problem() == (
        "pulumi-cfbilling needs the Pulumi SDK 3.272 or newer (3.100.0 is installed): "
        "pip install --upgrade 'pulumi>=3.272'"
    )


def test_the_plugin_without_pulumi_exits_1_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(metadata, "version", missing)
    with pytest.raises(SystemExit) as caught:
        plugin_main(["127.0.0.1:9"])
    assert caught.value.code == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "pulumi-resource-cfbilling: the Pulumi surfaces of pulumi-cfbilling need the Pulumi SDK: "
        "pip install '<the clone or wheel you installed from>[pulumi]' (pulumi-cfbilling is not on PyPI)\n"
    )
