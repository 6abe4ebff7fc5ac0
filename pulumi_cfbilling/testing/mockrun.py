"""Run a Pulumi program under the SDK's mock runtime: no Pulumi CLI, no engine, no cloud account.

Used by ``cfbilling demo`` and by the tests of the example programs. The mocks behave like the engine where it
matters here: dynamic resources are served by their own (unpickled, configured) provider, reads included; stack
outputs are serialized with ``rpc.serialize_properties`` exactly as for a real engine, so a value the engine would
refuse fails here too; and a ``pulumi.RunError`` ends the run with its one-line message.

Pulumi's root stack survives a second ``set_mocks`` in one process, so each program runs in a process of its own:
:func:`run_in_subprocess` starts ``python -m pulumi_cfbilling.testing.mockrun``, which prints the result as JSON.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import re
import runpy
import subprocess
import sys
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ProgramResult", "run_in_subprocess", "run_program"]


@dataclass
class ProgramResult:
    """What a run produced: stack outputs as the engine would store them, the error that stopped it, warnings."""

    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)


class _Collector(logging.Handler):
    def __init__(self, result: ProgramResult) -> None:
        super().__init__(logging.WARNING)
        self.result = result

    def emit(self, record: logging.LogRecord) -> None:
        self.result.warnings.append(record.getMessage())


def _project_name(program: Path) -> str:
    """The ``name:`` in the program's ``Pulumi.yaml`` (it is the namespace of ``pulumi.Config()``), else ``demo``."""
    manifest = program / "Pulumi.yaml"
    if program.is_dir() and manifest.exists():
        match = re.search(r"^name:\s*([\w.-]+)\s*$", manifest.read_text("utf-8"), re.MULTILINE)
        if match:
            return match.group(1)
    return "demo"


def run_program(
    program: Path, config: Mapping[str, str], *, preview: bool = False, project: str | None = None, stack: str = "dev"
) -> ProgramResult:
    """Run ``program`` (a folder with ``__main__.py``, or a ``.py`` file) in this process; call once per process."""
    import pulumi
    import pulumi.runtime
    from google.protobuf import json_format
    from pulumi.runtime import rpc, settings
    from pulumi.runtime.stack import wait_for_rpcs
    from pulumi.runtime.sync_await import _sync_await

    result = ProgramResult()
    project = project or _project_name(program)
    logger = logging.getLogger("pulumi_cfbilling.testing.mockrun")
    logger.propagate = False
    logger.addHandler(_Collector(result))
    pulumi.runtime.set_mocks(
        _engine_like_mocks(config, project, result), project=project, stack=stack, preview=preview, logger=logger
    )
    pulumi.runtime.config.set_all_config(dict(config), [])
    entry = program / "__main__.py" if program.is_dir() else program
    sys.path.insert(0, str(entry.parent))
    try:
        runpy.run_path(str(entry), run_name="__main__")
        _sync_await(wait_for_rpcs())
        root = settings.get_root_resource()
        exported = getattr(root, "outputs", {}) if root is not None else {}
        struct = _sync_await(rpc.serialize_properties(dict(exported), {}))
        result.outputs = json_format.MessageToDict(struct)
    except pulumi.RunError as error:
        result.error = str(error)
    except Exception:
        result.error = traceback.format_exc()
    return result


def _engine_like_mocks(config: Mapping[str, str], project: str, result: ProgramResult) -> Any:
    """Mocks that serve dynamic resources with their own provider, as the engine's dynamic provider host does."""
    import dill  # type: ignore[import-untyped]
    import pulumi.runtime
    from pulumi.dynamic import ConfigureRequest
    from pulumi.dynamic.config import Config
    from pulumi.runtime.rpc import unwrap_rpc_secret

    # An explicit pulumi-python provider is configured with its own inputs; the default one gets every key.
    explicit: dict[str, dict[str, Any]] = {}

    class EngineLikeMocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
            result.resources.append(f"{args.typ}::{args.name}")
            if args.typ == "pulumi:providers:pulumi-python":
                explicit[f"{args.name}-id"] = dict(args.inputs)
            if not args.typ.startswith("pulumi-python:dynamic"):
                return args.resource_id or f"{args.name}-id", dict(args.inputs)
            inputs = dict(args.inputs)
            serialized = unwrap_rpc_secret(inputs.pop("__provider"))
            provider = dill.loads(base64.b64decode(serialized))  # noqa: S301 - pickled by this very run
            provider_id = (args.provider or "").rpartition("::")[2]
            given = explicit[provider_id] if provider_id in explicit else dict(config)
            provider.configure(ConfigureRequest(Config(given, project)))
            if args.resource_id:
                read = provider.read(args.resource_id, inputs)
                return read.id, dict(read.outs or {})
            created = provider.create(inputs)
            return created.id, dict(created.outs or {})

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], None]:
            # The engine would have the cfbilling plugin answer the package's own functions: a live read here.
            if args.token.startswith("cfbilling:index:"):
                from ..program.mocks import live_document

                return live_document(args.token, dict(args.args)), None
            return {}, None

    return EngineLikeMocks()


def run_in_subprocess(
    program: Path,
    config: Mapping[str, str],
    *,
    preview: bool = False,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> ProgramResult:
    """Run ``program`` under mocks in a fresh Python process and return its result."""
    command = [sys.executable, "-m", __name__, str(program), "--config", json.dumps(dict(config))]
    if preview:
        command.append("--preview")
    completed = subprocess.run(  # noqa: S603 - our own module, arguments we built
        command, capture_output=True, text=True, timeout=timeout, check=False, env={**os.environ, **(env or {})}
    )
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        return ProgramResult(
            error=f"the mock run failed (exit {completed.returncode}): {completed.stderr.strip()[-2000:]}"
        )
    return ProgramResult(**json.loads(lines[-1]))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pulumi_cfbilling.testing.mockrun PROGRAM --config JSON [--preview]``: print the result as JSON."""
    parser = argparse.ArgumentParser(prog="python -m pulumi_cfbilling.testing.mockrun")
    parser.add_argument("program", type=Path)
    parser.add_argument("--config", default="{}", help="stack config as a JSON object of full keys")
    parser.add_argument("--preview", action="store_true")
    args = parser.parse_args(argv)
    result = run_program(args.program, json.loads(args.config), preview=args.preview)
    sys.stdout.flush()
    print(json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
