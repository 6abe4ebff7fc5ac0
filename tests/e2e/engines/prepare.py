#!/usr/bin/env python3
"""Build and cache everything the end-to-end suite runs, from the registries only, then write its environment.

    python3 tests/e2e/engines/prepare.py            # builds what is missing (cold: tens of minutes; warm: seconds)
    . "$(python3 tests/e2e/engines/prepare.py --env-path)"

What it makes, under ``$CFBILLING_ENGINES_CACHE`` (default ``~/.cache/cfbilling-engines``), each piece in a
folder keyed by its version or by a hash of its sources, so a new version builds beside the old one:

- the Pulumi CLI (``pkg/v3/cmd/pulumi`` at PULUMI_VERSION, from the Go module proxy, version stamped in);
- ``pulumi-language-yaml`` (pulumi-yaml at YAML_VERSION, in a module of its own: it needs its own pkg/v3);
- ``pulumi-language-{python,nodejs,go}``: the proxy does not serve Pulumi's hosts, so ``tests/e2e/engines/langhost``
  (ours) is built against pkg/v3 and sdk/v3 at PULUMI_VERSION, with Pulumi's own helper scripts from the sdk/v3
  module of the same version beside it (``pulumi-language-python-exec``, ``pulumi-resource-pulumi-python``);
- OpenTofu's ``tofu`` at TOFU_VERSION (built inside its module, which `go install` refuses);
- a Terraform filesystem mirror holding ``hashicorp/external`` 2.4.0: the proxy does not serve
  terraform-provider-external either, so ``tests/e2e/engines/tfexternal`` (ours, on terraform-plugin-framework) stands in;
- a wheelhouse: this project's own wheel (rebuilt whenever its sources change) and every wheel its runtime,
  ``policy`` extra and build need, so tests install with ``PIP_NO_INDEX``;
- the npm cache for the TypeScript example (after generating its SDK) and the Go module cache for the Go
  example, so tests run with ``npm --offline`` and ``GOPROXY=off``;
- ``tests/e2e/engines/chart`` installed (``npm ci``: Mermaid's parser, jsdom, puppeteer-core), so the suite parses the
  step summary's charts as GitHub's Mermaid would;
- ``env.sh`` (and ``env.json``): PATH, a local file backend, no update check, no plugin downloads, Terraform's
  CLI config, registries switched off.

Every fetch is retried; free disk is checked first. Uses only the standard library.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

PULUMI_VERSION = "v3.274.1"
YAML_VERSION = "v1.25.0"
TOFU_VERSION = "v1.10.10"
EXTERNAL_VERSION = "2.4.0"
# npm serves @pulumi/pulumi up to this release; the TypeScript example pins it.
NODE_SDK_VERSION = "3.270.0"

ENGINES = Path(__file__).resolve().parent
REPO = ENGINES.parents[2]  # tests/e2e/engines -> the repository
COLD_DISK_BYTES = 8 * 1024**3  # Go build cache, module cache, binaries, wheels and npm cache, with room
WARM_DISK_BYTES = 512 * 1024**2
ATTEMPTS = 4
# Besides our dependencies: the build backend and front end (wheels and sdists build offline) and pip, setuptools
# and wheel, which Pulumi's Python toolchain upgrades in every virtualenv it creates.
BUILD_WHEELS = ("setuptools>=77", "wheel", "pip", "build", "twine", "pipx")


def log(message: str) -> None:
    print(f"prepare: {message}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    configured = os.environ.get("CFBILLING_ENGINES_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "cfbilling-engines"


def go_env(root: Path, *, online: bool) -> dict[str, str]:
    """Go's caches live in the engine cache: the cold time is honest and nothing leaks into ~/go."""
    env = dict(os.environ)
    env.update(
        GOMODCACHE=str(root / "go" / "mod"),
        GOCACHE=str(root / "go" / "build"),
        GOPATH=str(root / "go" / "path"),
        GOTOOLCHAIN="local",
        GOFLAGS="-mod=mod",
        CGO_ENABLED="0",
    )
    if not online:
        env.update(GOPROXY="off", GOSUMDB="off")
    return env


def pip_env(root: Path) -> dict[str, str]:
    """Pip's download cache lives in the engine cache too."""
    return {**os.environ, "PIP_CACHE_DIR": str(root / "pip")}


def run(
    cmd: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    retry: bool = False,
    capture: bool = False,
) -> str:
    """Run a command; with ``retry``, a failure (a network fetch) is tried again with growing pauses."""
    for attempt in range(1, (ATTEMPTS if retry else 1) + 1):
        result = subprocess.run(list(cmd), cwd=cwd, env=env, text=True, capture_output=True, check=False)
        if result.returncode == 0:
            return result.stdout if capture else ""
        detail = (result.stderr or result.stdout).strip().splitlines()[-15:]
        if attempt < (ATTEMPTS if retry else 1):
            log(f"{' '.join(cmd[:3])} failed (attempt {attempt}), retrying: {detail[-1:] or ''}")
            time.sleep(5 * attempt)
            continue
        raise SystemExit(f"prepare: `{' '.join(cmd)}` failed in {cwd or Path.cwd()}:\n" + "\n".join(detail))
    raise AssertionError("unreachable")


def digest(paths: Iterable[Path], *extra: str) -> str:
    """A short hash of files' names and contents (and extra strings): the cache key of a built piece."""
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(str(path.relative_to(REPO)).encode())
        h.update(path.read_bytes())
    for item in extra:
        h.update(item.encode())
    return h.hexdigest()[:16]


def source_files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.suffix in suffixes and "__pycache__" not in p.parts]


def package_sources() -> list[Path]:
    """What our wheel is built from: a change to any of these rebuilds it."""
    return [
        *source_files(REPO / "pulumi_cfbilling", (".py", ".json", ".typed")),
        REPO / "pyproject.toml",
        REPO / "README.md",
        REPO / "LICENSE",
    ]


def check_disk(root: Path, needed: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(root).free
    if free < needed:
        raise SystemExit(
            f"prepare: {root} has {free / 1024**3:.1f} GiB free; building the engines needs about "
            f"{needed / 1024**3:.1f} GiB: free some space or set CFBILLING_ENGINES_CACHE to a larger disk"
        )


def build_go_tool(
    root: Path, name: str, module_dir: Path, requires: Sequence[str], package: str, ldflags: str, out: Path
) -> None:
    """Build ``package`` in a throwaway module that requires exactly ``requires`` (no replace lines needed)."""
    module_dir.mkdir(parents=True, exist_ok=True)
    env = go_env(root, online=True)
    if not (module_dir / "go.mod").exists():
        run(["go", "mod", "init", f"cfbilling.local/{name}"], cwd=module_dir, env=env)
    # `go get` of the package (not just the module) records every module its build needs; `go build` then
    # fetches their sources. (`go mod download all` would also ask for test-only modules the proxy refuses.)
    run(["go", "get", *requires], cwd=module_dir, env=env, retry=True)
    tmp = out.with_suffix(".partial")
    build = ["go", "build", "-trimpath", "-ldflags", ldflags, "-o", str(tmp), package]
    run(build, cwd=module_dir, env=env, retry=True)
    tmp.replace(out)
    out.with_name(out.name + ".version").write_text(requires[0].rpartition("@")[2])


def built(binary: Path, version: str) -> bool:
    """Whether ``binary`` was built whole at ``version`` (the stamp is written after the binary)."""
    stamp = binary.with_name(binary.name + ".version")
    return binary.exists() and stamp.exists() and stamp.read_text() == version


def pulumi_cli(root: Path) -> Path:
    home = root / f"pulumi-{PULUMI_VERSION}"
    binary = home / "bin" / "pulumi"
    if built(binary, PULUMI_VERSION):
        return binary.parent
    log(f"building the Pulumi CLI {PULUMI_VERSION} from the Go module proxy (10 to 20 minutes cold)")
    binary.parent.mkdir(parents=True, exist_ok=True)
    build_go_tool(
        root,
        "pulumi",
        home / "module",
        [
            f"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@{PULUMI_VERSION}",
            f"github.com/pulumi/pulumi/sdk/v3@{PULUMI_VERSION}",
        ],
        "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
        f"-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version={PULUMI_VERSION}",
        binary,
    )
    return binary.parent


def yaml_host(root: Path) -> Path:
    home = root / f"pulumi-language-yaml-{YAML_VERSION}"
    binary = home / "bin" / "pulumi-language-yaml"
    if built(binary, YAML_VERSION):
        return binary.parent
    log(f"building pulumi-language-yaml {YAML_VERSION}")
    binary.parent.mkdir(parents=True, exist_ok=True)
    build_go_tool(
        root,
        "yaml",
        home / "module",
        [f"github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@{YAML_VERSION}"],
        "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml",
        f"-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version={YAML_VERSION}",
        binary,
    )
    return binary.parent


def opentofu(root: Path) -> Path:
    """OpenTofu's CLI, built inside its own module: its go.mod has replace directives, so `go install` refuses."""
    home = root / f"opentofu-{TOFU_VERSION}"
    binary = home / "bin" / "tofu"
    if built(binary, TOFU_VERSION):
        return binary.parent
    log(f"building OpenTofu {TOFU_VERSION}")
    env = go_env(root, online=True)
    found = run(
        ["go", "mod", "download", "-json", f"github.com/opentofu/opentofu@{TOFU_VERSION}"],
        env=env,
        retry=True,
        capture=True,
    )
    with tempfile.TemporaryDirectory() as scratch:
        module = Path(scratch) / "opentofu"
        shutil.copytree(json.loads(found)["Dir"], module)
        # The module cache is read-only and the copy keeps its modes: `go` may update go.mod and go.sum, and
        # the temporary folder must be removable afterwards.
        for path in module.rglob("*"):
            path.chmod(path.stat().st_mode | 0o200)
        binary.parent.mkdir(parents=True, exist_ok=True)
        ldflags = "-s -w -X github.com/opentofu/opentofu/version.dev=no"
        partial = binary.with_suffix(".partial")  # as build_go_tool: a binary is there whole or not at all
        run(["go", "build", "-ldflags", ldflags, "-o", str(partial), "./cmd/tofu"], cwd=module, env=env, retry=True)
        partial.replace(binary)
    binary.with_name(binary.name + ".version").write_text(TOFU_VERSION)  # last: the build was whole
    return binary.parent


def language_hosts(root: Path) -> Path:
    src = ENGINES / "langhost"
    key = digest(source_files(src, (".go", ".mod", ".sum")), PULUMI_VERSION)
    home = root / f"langhost-{key}"
    bindir = home / "bin"
    if (bindir / "pulumi-language-python-exec").exists():
        return bindir
    log("building the python, nodejs and go language hosts (tests/e2e/engines/langhost)")
    bindir.mkdir(parents=True, exist_ok=True)
    env = go_env(root, online=True)
    binary = bindir / "pulumi-language-python"
    ldflags = f"-s -w -X main.version={PULUMI_VERSION}"
    build = ["go", "build", "-trimpath", "-ldflags", ldflags, "-o", str(binary), "."]
    run(build, cwd=src, env=env, retry=True)
    for runtime in ("nodejs", "go"):
        link = bindir / f"pulumi-language-{runtime}"
        link.unlink(missing_ok=True)
        link.symlink_to(binary.name)
    # Pulumi's own helper scripts, from the sdk/v3 module of the same release.
    sdk = json.loads(
        run(
            ["go", "mod", "download", "-json", f"github.com/pulumi/pulumi/sdk/v3@{PULUMI_VERSION}"],
            env=env,
            retry=True,
            capture=True,
        )
    )["Dir"]
    for relative in ("python/dist/pulumi-resource-pulumi-python", "python/cmd/pulumi-language-python-exec"):
        target = bindir / Path(relative).name
        shutil.copyfile(Path(sdk) / relative, target)
        target.chmod(0o755)
    return bindir


def terraform_mirror(root: Path) -> Path:
    src = ENGINES / "tfexternal"
    key = digest(source_files(src, (".go", ".mod", ".sum")))
    mirror = root / f"terraform-mirror-{key}"
    platform_dir = f"{platform.system().lower()}_{_go_arch()}"
    binary = (
        mirror
        / "registry.terraform.io"
        / "hashicorp"
        / "external"
        / EXTERNAL_VERSION
        / platform_dir
        / f"terraform-provider-external_v{EXTERNAL_VERSION}"
    )
    if binary.exists():
        return mirror
    log("building the stand-in for hashicorp/external (tests/e2e/engines/tfexternal)")
    binary.parent.mkdir(parents=True, exist_ok=True)
    env = go_env(root, online=True)
    build = ["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(binary), "."]
    run(build, cwd=src, env=env, retry=True)
    return mirror


def _go_arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def wheelhouse(root: Path) -> tuple[Path, Path]:
    """Dependency wheels (keyed by pyproject.toml) and our own wheel (keyed by every source file)."""
    deps = root / f"wheelhouse-deps-{digest([REPO / 'pyproject.toml'], *BUILD_WHEELS)}"
    if not (deps / ".complete").exists():
        log("downloading the wheels the tests install (pip)")
        deps.mkdir(parents=True, exist_ok=True)
        run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(deps), f"{REPO}[policy,terraform]"],
            env=pip_env(root),
            retry=True,
        )
        run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(deps), *BUILD_WHEELS],
            env=pip_env(root),
            retry=True,
        )
        for stale in deps.glob("pulumi_cfbilling-*.whl"):
            stale.unlink()
        (deps / ".complete").write_text("")
    ours = own_wheel(root, deps)
    return deps, ours


def platform_wheels(root: Path, ours: Path) -> Path:
    """What the release command bundles in the plugin tarballs, for every platform it builds and this Python.

    The release test (tests/e2e/test_release.py) builds every artifact twice, offline: pip finds them here.
    """
    release = REPO / "release" / "release.py"
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    folder = root / f"wheelhouse-platforms-{digest([REPO / 'pyproject.toml', release], version)}"
    if (folder / ".complete").exists():
        return folder
    spec = importlib.util.spec_from_file_location("cfbilling_release", release)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder.mkdir(parents=True, exist_ok=True)
    for target, tags in module.PIP_PLATFORMS.items():
        log(f"downloading the plugin's wheels for {target}, Python {version} (pip)")
        flags = [flag for tag in tags for flag in ("--platform", tag)]
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(folder), "--only-binary=:all:",
                   *flags, "--python-version", version, "--implementation", "cp", "--find-links", str(ours),
                   "pulumi-cfbilling[pulumi]"]  # fmt: skip
        run(command, env=pip_env(root), retry=True)
    for stale in folder.glob("pulumi_cfbilling-*.whl"):
        stale.unlink()
    (folder / ".complete").write_text("")
    return folder


def own_wheel(root: Path, deps: Path) -> Path:
    """The project's wheel, rebuilt offline from the wheelhouse whenever a source file changed."""
    ours = root / "wheelhouse-ours"
    key = digest(package_sources())
    marker = ours / f".{key}"
    if marker.exists():
        return ours
    log("building this project's wheel")
    shutil.rmtree(ours, ignore_errors=True)
    ours.mkdir(parents=True)
    env = {**pip_env(root), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(deps)}
    with tempfile.TemporaryDirectory() as scratch:
        # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
        copy = Path(scratch) / "src"
        skip = shutil.ignore_patterns(".git", ".venv*", "venv", "node_modules", "build", "*.egg-info")
        shutil.copytree(REPO, copy, ignore=skip)
        wheel = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(ours), str(copy)]
        run(wheel, env=env)
    marker.write_text(key)
    return ours


def example_sdk(pulumi_bin: Path, hosts: Path, program: Path, language: str, home: Path) -> None:
    """Generate the example's SDK from schema.json with the real CLI, as the README tells users to."""
    env = {**os.environ, "PATH": f"{pulumi_bin}:{hosts}:{os.environ['PATH']}", "PULUMI_HOME": str(home)}
    env.update(PULUMI_SKIP_UPDATE_CHECK="true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true")
    args = ["pulumi", "package", "gen-sdk", str(REPO / "schema.json"), "--language", language, "--out", "sdk"]
    if language == "nodejs":
        args.append("--local")
    run(args, cwd=program, env=env)


def npm_cache(root: Path, pulumi_bin: Path, hosts: Path) -> Path:
    """Fill the npm cache with everything the TypeScript example and its generated SDK install."""
    example = REPO / "examples" / "typescript"
    cache = root / "npm"
    marker = cache / f".example-{digest([example / 'package.json', REPO / 'schema.json'])}"
    if marker.exists():
        return cache
    log("filling the npm cache for the TypeScript example")
    with tempfile.TemporaryDirectory() as scratch:
        program = Path(scratch) / "typescript"
        shutil.copytree(example, program)
        example_sdk(pulumi_bin, hosts, program, "nodejs", Path(scratch) / "home")
        run(["npm", "install", "--no-audit", "--no-fund", "--cache", str(cache)], cwd=program, retry=True)
    marker.write_text("")
    return cache


def chart_tools(root: Path) -> Path:
    """Install ``tests/e2e/engines/chart`` (Mermaid, jsdom, puppeteer-core; pinned by its lock file): ``node_modules``."""
    source = ENGINES / "chart"
    lock = [source / "package.json", source / "package-lock.json"]
    folder = root / f"chart-{digest(lock)}"
    if (folder / ".complete").exists():
        return folder / "node_modules"
    log("installing the Mermaid chart tools (npm ci)")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for path in lock:
        shutil.copyfile(path, folder / path.name)
    cache = root / "npm"
    run(["npm", "ci", "--no-audit", "--no-fund", "--cache", str(cache)], cwd=folder, retry=True)
    (folder / ".complete").write_text("")
    return folder / "node_modules"


def go_modules(root: Path, pulumi_bin: Path, hosts: Path) -> None:
    """Fill the Go module cache with everything the Go example builds with."""
    example = REPO / "examples" / "go"
    key = digest([example / "go.mod", example / "go.sum", REPO / "schema.json"])
    marker = root / "go" / f".example-{key}"
    if marker.exists():
        return
    log("filling the Go module cache for the Go example")
    with tempfile.TemporaryDirectory() as scratch:
        program = Path(scratch) / "go"
        shutil.copytree(example, program)
        example_sdk(pulumi_bin, hosts, program, "go", Path(scratch) / "home")
        shutil.copyfile(example / "sdk.go.mod", program / "sdk" / "go" / "go.mod")
        env = go_env(root, online=True)
        run(["go", "build", "-o", os.devnull, "."], cwd=program, env=env, retry=True)
        # The Go host lists the module graph (`go list -m all`), which needs every go.mod in it.
        run(["go", "list", "-m", "-json", "all"], cwd=program, env=env, retry=True, capture=True)
    marker.write_text("")


def engine_bin(root: Path, folders: Sequence[Path]) -> Path:
    """One folder holding the CLI and every language host.

    The engine takes a host found beside `pulumi` as bundled, and warns about one found elsewhere on PATH. Hard
    links (copies across file systems) of the binaries; symbolic links point where theirs did (the hosts find
    their helper scripts through them).
    """
    key = hashlib.sha256("\n".join(str(f) for f in folders).encode()).hexdigest()[:16]
    combined = root / f"bin-{key}"
    if (combined / ".complete").exists():
        return combined
    shutil.rmtree(combined, ignore_errors=True)
    combined.mkdir()
    for folder in folders:
        for item in sorted(folder.iterdir()):
            target = combined / item.name
            if item.is_symlink():
                target.symlink_to(item.resolve())
            elif item.is_file() and os.access(item, os.X_OK):
                try:
                    os.link(item, target)
                except OSError:
                    shutil.copy2(item, target)
    (combined / ".complete").write_text("")
    return combined


def write_environment(
    root: Path, paths: Sequence[Path], mirror: Path, wheels: Sequence[Path], npm: Path, chart: Path
) -> Path:
    tf_config = root / "terraform.rc"
    tf_config.write_text(
        "disable_checkpoint = true\n"
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/external"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/external"]\n  }\n'
        "}\n"
    )
    env = {
        "CFBILLING_ENGINES": str(root),
        "CFBILLING_ENGINES_PATH": os.pathsep.join(str(p) for p in paths),
        "PULUMI_HOME": str(root / "pulumi-home"),
        "PULUMI_BACKEND_URL": f"file://{root / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": "",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_DISABLE_REGISTRY_RESOLVE": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
        "TF_CLI_CONFIG_FILE": str(tf_config),
        "CHECKPOINT_DISABLE": "1",
        "GOMODCACHE": str(root / "go" / "mod"),
        "GOCACHE": str(root / "go" / "build"),
        "GOPATH": str(root / "go" / "path"),
        "GOPROXY": "off",
        "GOSUMDB": "off",
        "GOFLAGS": "-mod=mod",
        "GOTOOLCHAIN": "local",
        "CFBILLING_CHART_MODULES": str(chart),
        "npm_config_cache": str(npm),
        "npm_config_offline": "true",
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": " ".join(str(folder) for folder in wheels),
    }
    (root / "state").mkdir(exist_ok=True)
    (root / "env.json").write_text(json.dumps(env, indent=2) + "\n")
    lines = [f"export {key}={_quote(value)}" for key, value in env.items()]
    lines.append('export PATH="$CFBILLING_ENGINES_PATH:$PATH"')
    script = root / "env.sh"
    script.write_text(
        "# Written by tests/e2e/engines/prepare.py: the offline environment of the end-to-end suite.\n"
        + "\n".join(lines)
        + "\n"
    )
    return script


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def vet(root: Path) -> int:
    """``go vet ./...`` in each Go module of ours (the language hosts, the ``external`` stand-in), as CI runs it."""
    env = go_env(root, online=True)
    for module in (ENGINES / "langhost", ENGINES / "tfexternal"):
        log(f"go vet {module.relative_to(REPO)}")
        run(["go", "vet", "./..."], cwd=module, env=env)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-path", action="store_true", help="print the path of env.sh and exit")
    parser.add_argument("--vet", action="store_true", help="run `go vet` on our Go modules (CI does) and exit")
    args = parser.parse_args(argv)
    root = cache_root()
    if args.env_path:
        print(root / "env.sh")
        return 0
    if args.vet:
        return vet(root)
    for tool in ("go", "npm", "node"):
        if shutil.which(tool) is None:
            raise SystemExit(f"prepare: `{tool}` is not on PATH; the end-to-end suite needs Go, Node.js and npm")
    started = time.monotonic()
    warm = (root / "env.json").exists()
    check_disk(root, WARM_DISK_BYTES if warm else COLD_DISK_BYTES)
    pulumi_bin = pulumi_cli(root)
    yaml_bin = yaml_host(root)
    hosts = language_hosts(root)
    mirror = terraform_mirror(root)
    deps, ours = wheelhouse(root)
    platforms = platform_wheels(root, ours)
    npm = npm_cache(root, pulumi_bin, hosts)
    chart = chart_tools(root)
    tofu = opentofu(root)
    go_modules(root, pulumi_bin, hosts)
    bins = [engine_bin(root, [pulumi_bin, yaml_bin, hosts]), tofu]
    script = write_environment(root, bins, mirror, [ours, deps, platforms], npm, chart)
    log(f"ready in {time.monotonic() - started:.1f} s: . {script}")
    print(script)
    return 0


if __name__ == "__main__":
    sys.exit(main())
