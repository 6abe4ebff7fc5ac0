"""Real-engine benchmark: what our data functions and the provider plugin add to `pulumi preview`.

    python3 tests/e2e/engines/prepare.py && python benchmarks/engine.py [--rounds 7]

Runs the Pulumi CLI built by tests/e2e/engines/prepare.py (offline, local file backend) against the emulator on
loopback. Each round previews every program once, in a shuffled order; medians are reported. Programs:

- Python: an empty program; the same with one `get_credit_balance_output` call; with twenty calls.
- YAML: an empty program; the same with the plugin's `getCreditBalance` invoke (plugin launch included), the
  plugin installed from the release tarball (`pulumi plugin install --file`), and the same with the plugin from
  its source folder (`plugins: providers:`), where the YAML host launches it once more to read its schema
  (Pulumi caches the schema of installed plugins only).

Targets: one data-function call adds under 0.3 s to a preview; twenty add under 0.05 s more than one (issue 27); the
plugin's launch and invoke add under 1 s to a YAML preview (the installed plugin; the source folder is shown).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator, demo_fixture

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "0123456789abcdef0123456789abcdef"
PY_HEADER = "import pulumi\nimport pulumi_cfbilling as cfbilling\n"
PY_CALL = 'pulumi.export("b{i}", cfbilling.get_credit_balance_output("{account}").balance_usd)\n'
YAML_PLUGINS = """\
plugins:
  providers:
    - name: cfbilling
      path: {provider}
"""
YAML_INVOKE = """\
variables:
  credits:
    fn::invoke:
      function: cfbilling:index:getCreditBalance
      arguments:
        accountId: {account}
outputs:
  balanceUsd: ${{credits.balanceUsd}}
"""


# Runs release/release.py's plugin_tarball() for this platform and Python (argv: release.py, wheel dir, out dir).
_PLUGIN_TARBALL = """
import importlib.util, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("release", sys.argv[1])
release = importlib.util.module_from_spec(spec)
spec.loader.exec_module(release)
from pulumi_cfbilling.cli.install_provider import target_platform
out = Path(sys.argv[3])
out.mkdir(parents=True, exist_ok=True)
python = f"{sys.version_info.major}.{sys.version_info.minor}"
print(release.plugin_tarball(Path(sys.argv[2]), target_platform(), [python], out, release.source_date_epoch()))
"""


def engines_env() -> dict[str, str]:
    """The offline environment tests/e2e/engines/prepare.py wrote (benchmarks/terraform.py uses it too), tools first."""
    root = Path(os.environ.get("CFBILLING_ENGINES_CACHE") or Path.home() / ".cache" / "cfbilling-engines")
    found = root / "env.json"
    if not found.exists():
        raise SystemExit("benchmarks: run `python3 tests/e2e/engines/prepare.py` first")
    values: dict[str, str] = json.loads(found.read_text())
    caller = ("PIP_", "PULUMI_", "CLOUDFLARE_", "GO", "TF_")  # none of the caller's own settings leak in
    env = {k: v for k, v in os.environ.items() if not k.startswith(caller)}
    env.update(values)
    env["PATH"] = values["CFBILLING_ENGINES_PATH"] + os.pathsep + os.environ["PATH"]
    return env


def python_program(where: Path, venv: Path, calls: int) -> Path:
    where.mkdir(parents=True)
    body = PY_HEADER + "".join(PY_CALL.format(i=i, account=ACCOUNT) for i in range(calls))
    (where / "__main__.py").write_text(body)
    (where / "Pulumi.yaml").write_text(
        f"name: bench-py-{calls}\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: {venv}\n"
    )
    return where


def yaml_program(where: Path, *, invoke: bool, provider: Path | None = None) -> Path:
    where.mkdir(parents=True)
    body = f"name: bench-{where.name}\nruntime: yaml\n"
    if provider is not None:
        body += YAML_PLUGINS.format(provider=provider)
    if invoke:
        body += YAML_INVOKE.format(account=ACCOUNT)
    (where / "Pulumi.yaml").write_text(body)
    return where


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    env = engines_env()
    # No rate limit: these measure speed, many rounds in a row (fleet.py measures the budget).
    with tempfile.TemporaryDirectory() as scratch, Emulator(fixture=demo_fixture(), rate_limit=None) as emulator:
        root = Path(scratch)
        venv = root / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        install = [str(venv / "bin" / "pip"), "install", "--quiet", "pulumi-cfbilling[pulumi]"]
        subprocess.run(install, env=env, check=True)
        provider = root / "provider"
        shutil.copytree(REPO / "provider", provider, ignore=shutil.ignore_patterns("venv"))
        (provider / "venv").symlink_to(venv)
        programs = {
            "python, empty": python_program(root / "py0", venv, 0),
            "python, 1 call": python_program(root / "py1", venv, 1),
            "python, 20 calls": python_program(root / "py20", venv, 20),
            "yaml, empty": yaml_program(root / "yaml0", invoke=False),
            "yaml, invoke, installed plugin": yaml_program(root / "yaml1", invoke=True),
            "yaml, invoke, plugin from source": yaml_program(root / "yaml2", invoke=True, provider=provider),
        }
        env.update(
            PULUMI_HOME=str(root / "home"),
            PULUMI_BACKEND_URL=f"file://{root}",
            CLOUDFLARE_BASE_URL=emulator.base_url,
            CLOUDFLARE_API_TOKEN=DEMO_TOKEN,
        )
        ours = next(p for p in env["PIP_FIND_LINKS"].split() if p.endswith("wheelhouse-ours"))
        # The release command's plugin tarball, for this machine and Python only, from the suite's own wheel.
        made = subprocess.run(
            [sys.executable, "-c", _PLUGIN_TARBALL, str(REPO / "release" / "release.py"), ours, str(root / "dist")],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        tarball = made.stdout.strip().splitlines()[-1]
        version = tarball.rsplit("-v", 1)[1].split("-")[0]
        subprocess.run(
            ["pulumi", "plugin", "install", "resource", "cfbilling", version, "--file", tarball],
            env=env,
            check=True,
            capture_output=True,
        )
        for program in programs.values():
            subprocess.run(
                ["pulumi", "stack", "init", "bench", "--non-interactive"],
                cwd=program,
                env=env,
                check=True,
                capture_output=True,
            )
            subprocess.run(
                ["pulumi", "preview", "--non-interactive"], cwd=program, env=env, check=True, capture_output=True
            )  # warm-up: plugin venvs, byte-code caches
        samples: dict[str, list[float]] = {name: [] for name in programs}
        for _ in range(args.rounds):
            order = list(programs.items())
            random.shuffle(order)
            for name, program in order:
                started = time.perf_counter()
                subprocess.run(
                    ["pulumi", "preview", "--non-interactive"], cwd=program, env=env, check=True, capture_output=True
                )
                samples[name].append(time.perf_counter() - started)
        requests = len(emulator.log)
    med = {name: statistics.median(values) for name, values in samples.items()}
    print(f"Real-engine `pulumi preview`, {args.rounds} interleaved rounds, medians ({requests} emulator requests)\n")
    print("| program | median wall | spread (min-max) |\n|---|---:|---:|")
    for name, values in samples.items():
        print(f"| {name} | {med[name]:.2f} s | {min(values):.2f}-{max(values):.2f} s |")

    def added(program: str, baseline: str) -> float:
        # The median of the per-round differences: each round runs both programs back to back (in shuffled
        # order), so a machine that slows down or speeds up between rounds cancels out of the difference.
        return statistics.median(a - b for a, b in zip(samples[program], samples[baseline], strict=True))

    one = added("python, 1 call", "python, empty")
    twenty = added("python, 20 calls", "python, 1 call")
    plugin = added("yaml, invoke, installed plugin", "yaml, empty")
    source = added("yaml, invoke, plugin from source", "yaml, empty")
    checks = [
        (f"one data-function call adds {one:.2f} s", one < 0.3, "under 0.3 s"),
        (f"twenty calls add {twenty:.3f} s more than one", twenty < 0.05, "under 0.05 s"),
        (f"the installed plugin's launch and invoke add {plugin:.2f} s to a YAML preview", plugin < 1.0, "under 1 s"),
    ]
    print("\nDifferences are medians of the per-round differences (paired within each round).\n")
    for text, ok, target in checks:
        print(f"- {text} (target {target}: {'met' if ok else 'MISSED'})")
    print(f"- from its source folder the plugin adds {source:.2f} s (launched twice: once for its schema)")
    pairs = sorted(a - b for a, b in zip(samples["python, 20 calls"], samples["python, 1 call"], strict=True))
    quartiles = statistics.quantiles(pairs, n=4) if len(pairs) > 1 else [pairs[0]] * 3
    print(
        f"- twenty against one, per round: {pairs[0]:+.3f} to {pairs[-1]:+.3f} s, "
        f"middle half {quartiles[0]:+.3f} to {quartiles[2]:+.3f} s (the engine's own noise)"
    )
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
