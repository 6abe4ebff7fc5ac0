"""The public face: a sorted ``__all__`` that resolves, one exception root, and a light import."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pulumi_cfbilling as package
from pulumi_cfbilling.core import errors
from pulumi_cfbilling.testing.emulator import DEMO_TOKEN, Emulator

HEALTHY = "0123456789abcdef0123456789abcdef"


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
        "pulumi_cfbilling.cli.doctor, pulumi_cfbilling.cli.terraform_external, pulumi_cfbilling.cli.schema, "
        "pulumi_cfbilling.cli.emulator, pulumi_cfbilling.cli.demo; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'grpc')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- What the README and the examples name still works ---------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
DOCS = [
    ROOT / "README.md",
    *sorted(p for p in (ROOT / "examples").rglob("*") if p.is_file() and "node_modules" not in p.parts),
]


def _blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def _python_sources() -> list[str]:
    examples = [p.read_text("utf-8") for p in (ROOT / "examples").rglob("*.py")]
    return [*_blocks("python"), *examples]


def test_every_import_and_attribute_the_docs_use_exists() -> None:
    import importlib

    checked = 0
    for source in _python_sources():
        aliases: dict[str, str] = {}
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("pulumi_cfbilling"):
                        importlib.import_module(alias.name)
                        aliases[alias.asname or alias.name] = alias.name
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pulumi_cfbilling"):
                module = importlib.import_module(node.module or "")
                for alias in node.names:
                    assert hasattr(module, alias.name), f"{node.module}.{alias.name}"
                    checked += 1
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                module = importlib.import_module(aliases[node.value.id])
                assert hasattr(module, node.attr), f"{aliases[node.value.id]}.{node.attr}"
                checked += 1
    assert checked >= 5


def test_every_file_path_the_readme_names_exists() -> None:
    text = (ROOT / "README.md").read_text("utf-8")
    tops = ("pulumi_cfbilling/", "tests/", "examples/", "benchmarks/", "provider/", "release/", ".ci/")
    paths = {p for p in re.findall(r"`([\w./-]+)`", text) if p.startswith(tops)}
    paths |= {p for p in re.findall(r"[ (]((?:examples|tests|benchmarks|engines)/[\w./-]+\w)", text)}
    assert len(paths) >= 10
    # Not shipped: a virtual environment the README has the reader create, and what the benchmarks write.
    written = ("examples/policy-pack/venv", "benchmarks/results/latest.md")
    missing = sorted(p for p in paths if not (ROOT / p).exists() and p not in written)
    assert missing == []
    for name in ("ARCHITECTURE.md", "schema.json", "LICENSE"):
        assert (ROOT / name).exists()


def _command_lines() -> list[str]:
    """``cfbilling ...`` as the README's shell blocks and inline code, and the example scripts, write it."""
    text = (ROOT / "README.md").read_text("utf-8")
    sources = [*_blocks("sh"), *(p.read_text("utf-8") for p in (ROOT / "examples").rglob("*.sh"))]
    sources += [span.replace("\\|", "|") for span in re.findall(r"`(cfbilling [^`]+)`", text)]  # table cells
    lines = []
    for block in sources:
        for line in block.replace("\\\n", " ").splitlines():
            found = re.search(r"(?:^|[\s/])cfbilling ([a-z].*)", line)
            # Usage synopses (``[--format text|json]``) are not command lines.
            if found and "pip install" not in line.split("cfbilling")[0] and "[" not in line:
                lines.append(re.split(r"\s#|\||>|&&|;", found.group(1))[0].strip())
    return lines


def test_every_cfbilling_command_line_the_docs_show_parses() -> None:
    from pulumi_cfbilling.cli import build_parser

    parser = build_parser()
    lines = _command_lines()
    assert len(lines) >= 8
    for line in lines:
        words = ["VALUE" if "$" in w else w for w in shlex.split(line)]  # a shell variable stands for a value
        try:
            parser.parse_args(words)
        except SystemExit as error:  # pragma: no cover - the message names the line
            raise AssertionError(f"README command does not parse: {line}") from error


def test_every_config_key_the_docs_name_is_read() -> None:
    from pulumi_cfbilling.core.settings import SETTINGS
    from pulumi_cfbilling.guardrails.rules import GUARDRAILS
    from pulumi_cfbilling.service.schema import package_schema

    functions = set(package_schema()["functions"])
    known = {f"cfbilling:{s.camel}" for s in SETTINGS} | {
        f"cloudflare:{s.cloudflare}" for s in SETTINGS if s.cloudflare
    }
    policy_keys = {"accountIds", "timeoutSeconds", *(g.camel for g in GUARDRAILS)}
    for path in DOCS:
        text = path.read_text("utf-8", errors="replace")
        for token in re.findall(r"\bcfbilling:index:\w+", text):
            assert token in functions, f"{path.name}: {token}"
        for key in re.findall(r"\b(?:cfbilling|cloudflare):(?!index)[a-zA-Z]+\b", text):
            assert key in known, f"{path.name}: {key}"
    config = json.loads((ROOT / "examples" / "policy-pack" / "policy-config.json").read_text("utf-8"))
    for settings in config.values():
        assert set(settings.get("config", settings)) - {"enforcementLevel"} <= policy_keys


# The package's modules a plain `cfbilling check` (one account, one balance guardrail) imports. A new one on this
# path costs every CI run its import time: adding it here is a decision, not an accident (issue 27). The usage
# history, the runway, the gateways and invoices, charts, watch, metrics and the answer cache stay off it.
CHECK_PATH = {
    "pulumi_cfbilling",
    "pulumi_cfbilling.__main__",
    *(f"pulumi_cfbilling.{name}" for name in ("api", "cli", "core", "guardrails", "service")),
    *(f"pulumi_cfbilling.api.{name}" for name in ("budget", "client", "models", "response", "transport")),
    *(f"pulumi_cfbilling.cli.{name}" for name in ("_common", "_progress", "_render", "_report", "check")),
    *(
        f"pulumi_cfbilling.core.{m}"
        for m in ("amounts", "errors", "records", "secrets", "settings", "text", "values", "version")
    ),
    *(f"pulumi_cfbilling.guardrails.{name}" for name in ("checks", "rules")),
    *(f"pulumi_cfbilling.service.{name}" for name in ("accounts", "cache", "documents", "fleet", "reader")),
}


def test_a_plain_check_imports_only_the_modules_it_runs(emulator: Emulator) -> None:
    code = (
        "import sys\n"
        "from pulumi_cfbilling.__main__ import main\n"
        f"sys.argv = ['cfbilling', 'check', '--account-id', '{HEALTHY}', '--min-balance-usd', '1']\n"
        "main()\n"
        "print('MODULES', sorted(m for m in sys.modules if m.startswith('pulumi_cfbilling')), file=sys.stderr)\n"
    )
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CLOUDFLARE_BASE_URL": emulator.base_url}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("MODULES ")]
    loaded = set(ast.literal_eval(line.removeprefix("MODULES ")))
    assert "1 of 1 account passes" in result.stdout  # the check ran to its verdict
    assert loaded == CHECK_PATH, (sorted(loaded - CHECK_PATH), sorted(CHECK_PATH - loaded))


def test_our_own_processes_skip_pydantic_plugins_unless_the_user_says(emulator: Emulator) -> None:
    # Looking for pydantic plugins scans every installed distribution's entry points: the CLI, the plugin and the
    # Terraform provider are our own processes and skip it (issue 27), but a value the user set is kept.
    code = (
        "import os, sys\n"
        "from pulumi_cfbilling.__main__ import main\n"
        f"sys.argv = ['cfbilling', 'check', '--account-id', '{HEALTHY}', '--min-balance-usd', '1']\n"
        "main()\n"
        "from pydantic.plugin import _loader\n"
        "print('PLUGINS', os.environ.get('PYDANTIC_DISABLE_PLUGINS'), _loader._plugins is None, file=sys.stderr)\n"
    )
    base = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    base |= {"CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CLOUDFLARE_BASE_URL": emulator.base_url}
    for given, expected in ((None, "PLUGINS __all__ True"), ("", "PLUGINS  False")):
        env = base if given is None else {**base, "PYDANTIC_DISABLE_PLUGINS": given}
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
        assert "1 of 1 account passes" in result.stdout
        assert expected in result.stderr.splitlines(), result.stderr[-500:]
    for module in ("pulumi_cfbilling.plugin", "pulumi_cfbilling.terraform"):
        source = Path(sys.modules["pulumi_cfbilling"].__file__ or "").parent.joinpath(
            *module.split(".")[1:], "__init__.py"
        )
        assert 'os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")' in source.read_text("utf-8"), module
