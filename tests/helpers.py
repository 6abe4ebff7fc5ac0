"""The one helpers module shared by the test modules.

The demo accounts, leak detectors, running the CLI and reading its one-line errors, Pulumi's mock runtime (a
recording mocks class, a log collector, resolving outputs) and the provider plugin driven over gRPC.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc
import pulumi
import pulumi.runtime
import yaml
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc
from pulumi.runtime.sync_await import _sync_await

from pulumi_cfbilling.testing.emulator import DEMO_KEY, DEMO_TOKEN, Emulator

HEALTHY = "0123456789abcdef0123456789abcdef"
LOW = "fedcba9876543210fedcba9876543210"
FAILING = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
UNKNOWN = "00000000000000000000000000000000"
# Shaped like a real API token (40 characters), but not one the emulator knows: 403 with code 10000.
WRONG_TOKEN = "not-the-token-shaped-like-one-0123456789"

# Secrets that must never show up anywhere but in the request headers they authenticate.
SECRETS = (DEMO_TOKEN, DEMO_KEY)


class LeakWatch(logging.Handler):
    """Collects every log record from every logger, formatted, to search for secrets."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + repr(record.args) + repr(record.__dict__))


def assert_no_secret(*texts: str) -> None:
    """Fail if any known secret appears in any of ``texts``."""
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"a credential leaked into: {text[:200]!r}"


def installed_command(script: str, module: str) -> list[str]:
    """The installed ``script`` beside this interpreter, else ``python -m module``."""
    beside = Path(sys.executable).with_name(script)
    return [str(beside)] if beside.exists() else [sys.executable, "-m", module]


def provider_command() -> list[str]:
    """The installed ``terraform-provider-cfbilling`` beside this interpreter, else ``python -m`` its package."""
    return installed_command("terraform-provider-cfbilling", "pulumi_cfbilling.terraform")


def assert_one_line_failure(message: str, account: str, fragment: str) -> None:
    """A failure as every surface must show it: one line naming the account and what went wrong, no traceback."""
    assert fragment in message
    assert account in message
    assert "\n" not in message
    assert "Traceback" not in message


def cfbilling_command() -> list[str]:
    """The installed ``cfbilling`` script beside this interpreter, else ``python -m pulumi_cfbilling``."""
    script = Path(sys.executable).with_name("cfbilling")
    if script.exists():
        return [str(script)]
    found = shutil.which("cfbilling")
    return [found] if found else [sys.executable, "-m", "pulumi_cfbilling"]


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``cfbilling`` in a subprocess with a clean environment plus ``env`` (and ``stdin`` as its input)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CFBILLING_"))}
    return subprocess.run(
        [*cfbilling_command(), *args],
        input=stdin,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def env_for(emu: Emulator, **extra: str) -> dict[str, str]:
    return {"CLOUDFLARE_API_TOKEN": DEMO_TOKEN, "CLOUDFLARE_BASE_URL": emu.base_url, **extra}


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cfbilling")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert_no_secret(result.stdout, result.stderr)


# -- Pulumi: the SDK's mock runtime -----------------------------------------------------------------------------


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every registered resource; resources named ``pending*`` get no id (unknown in preview)."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []
        self.calls: list[pulumi.runtime.MockCallArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        self.resources.append(args)
        if args.name.startswith("pending"):
            return "", {}
        return args.resource_id or f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], None]:
        # Under mocks the data functions and guard() ask the mocks, as generated SDKs' invokes do. These mocks
        # answer with a live read through the package's own service (against the emulator the test configured),
        # so the suite still sees what the functions do on the wire.
        self.calls.append(args)
        if args.token.startswith("cfbilling:index:"):
            from pulumi_cfbilling.program.mocks import live_document

            return live_document(args.token, dict(args.args)), None
        return {}, None


class Collector(logging.Handler):
    """Collects what the mock engine logs (pulumi.log.warn and friends)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def warnings(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno == logging.WARNING]


def resolve(output: pulumi.Output[Any]) -> Any:
    """The value of an output (``None`` when unknown), waiting for it like the engine would."""
    return _sync_await(output.future())


def is_known(output: pulumi.Output[Any]) -> bool:
    return bool(_sync_await(output.is_known()))


def unknown_output() -> pulumi.Output[str]:
    """An output whose value is unknown, as an id of a resource yet to be created during preview."""
    loop = asyncio.get_event_loop()
    value: asyncio.Future[Any] = loop.create_future()
    known: asyncio.Future[bool] = loop.create_future()
    secret: asyncio.Future[bool] = loop.create_future()
    value.set_result(None)
    known.set_result(False)
    secret.set_result(False)
    return pulumi.Output(set(), value, known, secret)


def serialize(value: Any) -> str:
    """Serialize like the engine does for stack outputs, and return it as text (to search for secrets)."""
    from pulumi.runtime import rpc

    return str(_sync_await(rpc.serialize_properties({"value": value}, {})))


def logging_for(collector: Collector | None) -> Any:
    import logging

    logger = logging.getLogger("tests.pulumi-engine")
    logger.handlers.clear()
    logger.propagate = False
    if collector is not None:
        logger.addHandler(collector)
    logger.setLevel(logging.DEBUG)
    return logger


# -- The provider plugin, started as the engine starts it -----------------------------------------------------


class Plugin:
    """A running plugin process and a stub on its port; records every response to search for secrets."""

    def __init__(self) -> None:
        command = installed_command("pulumi-resource-cfbilling", "pulumi_cfbilling.plugin")
        # As the engine does: flags, then the engine's address (nothing listens there; Invoke never calls back).
        self.process = subprocess.Popen(
            [*command, "--logtostderr", "-v=9", "127.0.0.1:9"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.strip().isdigit(), line
        self.channel = grpc.insecure_channel(f"127.0.0.1:{line.strip()}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.seen: list[str] = []

    def call(self, method: str, request: Any) -> Any:
        try:
            response = getattr(self.stub, method)(request, timeout=30)
        except grpc.RpcError as error:
            self.seen.append(f"{error.code()} {error.details()}")
            raise
        self.seen.append(str(response))
        return response

    def configure(self, emulator: Emulator, token: PropertyValue | None = None, **extra: PropertyValue) -> Any:
        args = {
            "apiToken": token or PropertyValue(DEMO_TOKEN, is_secret=True),
            "baseUrl": PropertyValue(emulator.base_url),
            **extra,
        }
        variables = {"cfbilling:config:baseUrl": emulator.base_url}
        return self.call(
            "Configure",
            provider_pb2.ConfigureRequest(
                variables=variables, args=PropertyValue.marshal_map(args), acceptSecrets=True
            ),
        )

    def invoke(self, token: str, **args: PropertyValue) -> dict[str, PropertyValue]:
        response = self.call("Invoke", provider_pb2.InvokeRequest(tok=token, args=PropertyValue.marshal_map(args)))
        assert not response.failures, response.failures
        return PropertyValue.unmarshal_map(getattr(response, "return"))

    def stop(self) -> tuple[str, str]:
        self.channel.close()
        self.process.terminate()
        stdout, stderr = self.process.communicate(timeout=10)
        return stdout, stderr


def plain(values: dict[str, PropertyValue]) -> dict[str, Any]:
    def unwrap(value: PropertyValue) -> Any:
        inner = value.value
        if hasattr(inner, "items"):
            return {k: unwrap(v) for k, v in inner.items()}
        if isinstance(inner, tuple):
            return [unwrap(v) for v in inner]
        return inner

    return {k: unwrap(v) for k, v in values.items()}


# -- The GitHub Action's check step, run in bash as the runner runs it -------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def run_action_step(
    action: dict[str, Any],
    emulator: Emulator,
    tmp_path: Path,
    extra_env: dict[str, str] | None = None,
    **given: str,
) -> subprocess.CompletedProcess[str]:
    """An action's last step as the runner runs it: inputs (defaults filled in) into env, the script in bash."""
    inputs = {name: spec.get("default", "") for name, spec in action["inputs"].items()} | given
    step = action["runs"]["steps"][-1]
    env = {
        name: EXPRESSION.sub(lambda m: inputs[m.group(1).removeprefix("inputs.")], value)
        for name, value in step["env"].items()
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CFBILLING_"))}
    env |= {**extra_env} if extra_env else {}
    env |= {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "CLOUDFLARE_API_TOKEN": DEMO_TOKEN,
        "CLOUDFLARE_BASE_URL": emulator.base_url,
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    return subprocess.run(
        ["bash", "-c", step["run"]], env={**base, **env}, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )


def run_check_step(
    emulator: Emulator, tmp_path: Path, extra_env: dict[str, str] | None = None, **given: str
) -> subprocess.CompletedProcess[str]:
    """The check action's step (``action.yml``), as :func:`run_action_step` runs it."""
    return run_action_step(ACTION, emulator, tmp_path, extra_env, **given)


def actionlint_workflow(
    actionlint: str, tmp_path: Path, actions: dict[str, Path], workflow: Path, text: str | None = None
) -> subprocess.CompletedProcess[str]:
    """actionlint on ``workflow`` (or ``text`` in its place) in a git checkout holding ``actions`` (path -> file).

    actionlint resolves ``uses: ./`` and ``uses: ./watch`` from the repository of a file under .github/workflows.
    """
    for where, source in actions.items():
        target = tmp_path / where
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    copied = tmp_path / ".github" / "workflows" / workflow.name
    copied.parent.mkdir(parents=True, exist_ok=True)
    copied.write_text(text if text is not None else workflow.read_text())
    if not (tmp_path / ".git").exists():
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([actionlint, str(copied)], cwd=tmp_path, capture_output=True, text=True, env=env)


def provider_schema_over_tls(handshake: str) -> set[str]:
    """Speak to a Terraform provider start as Terraform does, from its handshake line: the data sources of its
    schema, read over TLS on its Unix socket; then shut it down."""
    import base64

    import grpc
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from tf.gen import grpc_controller_pb2, grpc_controller_pb2_grpc, tfplugin_pb2, tfplugin_pb2_grpc

    core, protocol, network, address, kind, certificate = handshake.strip().split("|")
    assert (core, protocol, network, kind) == ("1", "6", "unix", "grpc")
    der = base64.b64decode(certificate + "=" * (-len(certificate) % 4))
    pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
    channel = grpc.secure_channel(
        f"unix:{address}",
        grpc.ssl_channel_credentials(root_certificates=pem),
        options=[("grpc.ssl_target_name_override", "localhost")],
    )
    schema = tfplugin_pb2_grpc.ProviderStub(channel).GetProviderSchema(
        tfplugin_pb2.GetProviderSchema.Request(), timeout=30
    )
    grpc_controller_pb2_grpc.GRPCControllerStub(channel).Shutdown(grpc_controller_pb2.Empty(), timeout=30)
    channel.close()
    return set(schema.data_source_schemas)
