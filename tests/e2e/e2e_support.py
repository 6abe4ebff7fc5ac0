"""Helpers of the end-to-end suite: the engines' environment, programs copied into temp dirs, engine runs.

Every test here runs a real engine (the Pulumi CLI with its language hosts, or terraform) in a temp directory
against the emulator on loopback, with the registries switched off. `tests/e2e/engines/prepare.py` builds the engines and
writes their environment; without it these tests skip, unless CFBILLING_E2E=required (CI), where they fail.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

# Read at import: the suite's autouse fixture clears CFBILLING_* and HOME before each test.
REQUIRED = os.environ.get("CFBILLING_E2E") == "required"
_CACHE = Path(os.environ.get("CFBILLING_ENGINES_CACHE") or Path.home() / ".cache" / "cfbilling-engines")
# Binaries of the user's own (a real Pulumi CLI and hosts, say), first on PATH (tests/e2e/README.md).
_USER_BIN = tuple(folder for folder in os.environ.get("CFBILLING_E2E_BIN", "").split(os.pathsep) if folder)
# The caller's PATH without any folder holding our commands (CI puts the test venv's bin first): a test that
# wants the plugin on PATH says so.
_SYSTEM_PATH = os.pathsep.join(
    folder
    for folder in os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin").split(os.pathsep)
    if not (Path(folder) / "pulumi-resource-cfbilling").exists() and not (Path(folder) / "cfbilling").exists()
)

# The machine's config folder for every engine run of the session: the Terraform launcher finds the Python that
# serves the provider there (install-provider records it), whatever HOME a test has.
CONFIG_HOME = Path(tempfile.mkdtemp(prefix="cfbilling-e2e-config-"))
atexit.register(shutil.rmtree, CONFIG_HOME, True)

SOURCE = "registry.terraform.io/pulumi-cfbilling/cfbilling"
TOFU_SOURCE = "registry.opentofu.org/pulumi-cfbilling/cfbilling"

HOW_TO = (
    "the end-to-end suite needs the engines: run `python3 tests/e2e/engines/prepare.py` (needs Go, Node.js and npm; "
    "see README, Development), then `CFBILLING_E2E=required python -m pytest tests/e2e`"
)

# The outputs every example program exports, named as in `cfbilling balance --format json`.
AGREED_OUTPUTS = (
    "accountId",
    "balance",
    "balanceUsd",
    "hasDefaultPaymentMethod",
    "autoTopupEnabled",
    "topupAmountUsd",
    "topupThresholdUsd",
    "topupLastFailedAt",
)


def load_prepare() -> ModuleType:
    """tests/e2e/engines/prepare.py as a module (the suite reuses its cache layout and wheel rebuild)."""
    spec = importlib.util.spec_from_file_location(
        "cfbilling_prepare", REPO / "tests" / "e2e" / "engines" / "prepare.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Engines:
    """The environment `tests/e2e/engines/prepare.py` wrote, plus helpers to run programs under it."""

    root: Path
    values: dict[str, str]

    @classmethod
    def find(cls) -> Engines | None:
        env_json = _CACHE / "env.json"
        if not env_json.exists():
            return None
        values = json.loads(env_json.read_text())
        for folder in values["CFBILLING_ENGINES_PATH"].split(os.pathsep):
            if not Path(folder).is_dir():
                return None
        return cls(_CACHE, values)

    def environ(self, *, extra_path: tuple[Path, ...] = (), **overrides: str) -> dict[str, str]:
        """A clean environment: the engines' settings, their binaries first on PATH, nothing of the caller's
        Cloudflare or Pulumi settings."""
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CLOUDFLARE_", "CFBILLING_", "PULUMI_", "VIRTUAL_ENV", "PIP_", "GO", "npm_"))
            and k not in ("PATH", "TF_CLI_CONFIG_FILE")
        }
        env = {**base, **self.values}
        engines = self.values["CFBILLING_ENGINES_PATH"].split(os.pathsep)
        paths = [*_USER_BIN, *engines, *map(str, extra_path), _SYSTEM_PATH]
        env["PATH"] = os.pathsep.join(paths)
        env["XDG_CONFIG_HOME"] = str(CONFIG_HOME)
        env.update(overrides)
        return env

    def wheel_sources(self) -> tuple[str, ...]:
        return tuple(self.values["PIP_FIND_LINKS"].split())


def make_venv(engines: Engines, where: Path, *requirements: str) -> Path:
    """A virtualenv holding exactly ``requirements`` (and their dependencies), installed offline."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    env = engines.environ()
    run([str(where / "bin" / "python"), "-m", "pip", "install", "--quiet", *requirements], env=env, timeout=600)
    return where


def run(
    cmd: list[str], *, env: Mapping[str, str], cwd: Path | None = None, timeout: float = 300, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError(
            f"`{' '.join(cmd)}` exited {result.returncode}\n--- stdout\n{result.stdout[-6000:]}\n"
            f"--- stderr\n{result.stderr[-6000:]}"
        )
    return result


@dataclass
class Project:
    """A Pulumi project copied into a temp dir, with its own PULUMI_HOME, file backend and stack."""

    engines: Engines
    dir: Path
    env: dict[str, str]
    stack: str = "dev"
    runs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        engines: Engines,
        source: Path,
        workdir: Path,
        *,
        base_url: str,
        token: str | None,
        extra_path: tuple[Path, ...] = (),
        name: str | None = None,
    ) -> Project:
        target = workdir / (name or source.name)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("venv", "node_modules", "sdk", "Pulumi.*.yaml"))
        state = workdir / "state"
        state.mkdir(exist_ok=True)
        overrides = {
            "PULUMI_HOME": str(workdir / "pulumi-home"),
            "PULUMI_BACKEND_URL": f"file://{state}",
            "CLOUDFLARE_BASE_URL": base_url,
        }
        if token is not None:
            overrides["CLOUDFLARE_API_TOKEN"] = token
        return cls(engines, target, engines.environ(extra_path=extra_path, **overrides))

    def pulumi(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        result = run(["pulumi", *args], env=self.env, cwd=self.dir, timeout=timeout, check=check)
        self.runs.append(result)
        return result

    def init(self, config: Mapping[str, str] | None = None, secrets: Mapping[str, str] | None = None) -> None:
        self.pulumi("stack", "init", self.stack, "--non-interactive")
        for key, value in (config or {}).items():
            self.pulumi("config", "set", key, value, "--non-interactive")
        for key, value in (secrets or {}).items():
            self.pulumi("config", "set", "--secret", key, value, "--non-interactive")

    def preview(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.pulumi("preview", "--non-interactive", "--color", "never", *args, check=check)

    def up(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.pulumi("up", "--yes", "--non-interactive", "--color", "never", *args, check=check)

    def outputs(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.pulumi("stack", "output", "--json", "--show-secrets").stdout)
        return value

    def export(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.pulumi("stack", "export", "--show-secrets").stdout)
        return value

    def transcript(self) -> str:
        """Everything every engine run printed, for leak searches."""
        return "\n".join(r.stdout + r.stderr for r in self.runs)


@dataclass
class TerraformDir:
    """An example copied into a temp dir and run with ``terraform`` (or ``tofu``) under ``env``; runs are kept."""

    dir: Path
    env: dict[str, str]
    binary: str = "terraform"
    runs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)

    @classmethod
    def copy(cls, example: str, tmp_path: Path, env: dict[str, str], binary: str = "terraform") -> TerraformDir:
        target = tmp_path / example
        shutil.copytree(EXAMPLES / example, target)
        return cls(target, env, binary)

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = run([self.binary, *args, "-no-color"], env=self.env, cwd=self.dir, check=check)
        self.runs.append(result)
        return result

    def transcript(self) -> str:
        """Everything every run printed, for leak searches."""
        return "\n".join(r.stdout + r.stderr for r in self.runs)


def balance_json(env: Mapping[str, str], account: str) -> dict[str, Any]:
    """What `cfbilling balance --format json` reports for one account, from the same settings."""
    cli = Path(sys.executable).with_name("cfbilling")
    command = [str(cli)] if cli.exists() else [sys.executable, "-m", "pulumi_cfbilling"]
    result = run([*command, "balance", "--account-id", account, "--format", "json"], env=env)
    document: dict[str, Any] = json.loads(result.stdout)
    (entry,) = document["accounts"]
    return entry


def assert_agreed_outputs(outputs: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    """The agreed outputs equal the CLI's values key by key (a null output is absent from a Pulumi stack)."""
    for key in AGREED_OUTPUTS:
        assert outputs.get(key) == expected[key], (
            f"{key}: program says {outputs.get(key)!r}, CLI says {expected[key]!r}"
        )


def decoded_blobs(document: Any) -> Iterator[bytes]:
    """Every string in a JSON document, and the base64-decoded bytes of those that decode (pickles)."""
    if isinstance(document, dict):
        for value in document.values():
            yield from decoded_blobs(value)
    elif isinstance(document, list):
        for value in document:
            yield from decoded_blobs(value)
    elif isinstance(document, str):
        yield document.encode()
        with contextlib.suppress(ValueError):
            yield base64.b64decode(document, validate=True)
