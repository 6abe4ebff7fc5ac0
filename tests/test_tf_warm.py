"""The Terraform provider's warm server: later starts are forked from a process that has everything loaded.

Each test gives the starts its own ``XDG_RUNTIME_DIR``, so the servers it makes are its own. A start is warm when
its own process never loads gRPC (``/proc/<pid>/maps``): the child that serves it does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import provider_command, provider_schema_over_tls

from pulumi_cfbilling.terraform import _warm

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux only)")

COOKIE = {
    "TF_PLUGIN_MAGIC_COOKIE": "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
    "PLUGIN_CLIENT_CERT": "unused",
}


class Start:
    """One start of the provider, as Terraform makes it: the handshake read, the protocol spoken over TLS."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            provider_command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
        )
        assert self.process.stdout is not None
        self.handshake = self.process.stdout.readline().strip()

    def loaded_grpc(self) -> bool:
        return "cygrpc" in Path(f"/proc/{self.process.pid}/maps").read_text()

    def schema_and_shutdown(self) -> set[str]:
        names = provider_schema_over_tls(self.handshake)
        assert self.process.wait(timeout=30) == 0
        return names

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def servers(folder: Path) -> list[int]:
    """The warm servers whose sockets are in ``folder``: the session leaders among the provider's processes."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            pid = int(entry.name)
            leader = os.getsid(pid) == pid
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        ours = b"pulumi_cfbilling.terraform" in command or b"terraform-provider-cfbilling" in command
        if ours and leader and f"XDG_RUNTIME_DIR={folder}\0".encode() in environ:
            found.append(pid)
    return found


def wait_for(condition: object, what: str, bound: float = 15.0) -> None:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {bound:g} s: {what}")


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    # Short, as XDG_RUNTIME_DIR is (/run/user/1000): a Unix socket's path holds about 100 bytes, and pytest's
    # folders are longer than that.
    folder = Path(tempfile.mkdtemp(prefix="cfw", dir="/tmp"))
    env = {**os.environ, **COOKIE, "XDG_RUNTIME_DIR": str(folder), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("CFBILLING_TF_WARM", None)
    yield env, folder
    for pid in servers(folder):  # end the servers the test started (one may have left by itself meanwhile)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    shutil.rmtree(folder, ignore_errors=True)


def test_the_first_start_is_cold_and_leaves_a_server_that_serves_the_next(
    runtime: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, folder = runtime
    first = Start(env, tmp_path)
    try:
        assert first.loaded_grpc()  # cold: it serves itself
        assert "cfbilling_credit_balance" in first.schema_and_shutdown()
    finally:
        first.stop()
    private = folder / f"cfbilling-tf-{os.getuid()}"
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    wait_for(lambda: list(private.glob("*.sock")), "the server's socket")
    for _ in range(2):  # and the ones after: each a child of the server
        start = Start({**env, "PLUGIN_CLIENT_CERT": "another per start"}, tmp_path)
        try:
            assert not start.loaded_grpc()
            assert "cfbilling_gateways" in start.schema_and_shutdown()
        finally:
            start.stop()
    assert len(servers(folder)) == 1


def test_another_environment_is_never_served_by_the_server(
    runtime: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, folder = runtime
    first = Start(env, tmp_path)
    first.schema_and_shutdown()
    private = folder / f"cfbilling-tf-{os.getuid()}"
    wait_for(lambda: list(private.glob("*.sock")), "the server's socket")
    other = Start({**env, "CLOUDFLARE_API_TOKEN": "another-token-entirely"}, tmp_path)
    try:
        assert other.loaded_grpc()  # its own credentials: a cold start, and a server of its own
        other.schema_and_shutdown()
    finally:
        other.stop()
    wait_for(lambda: len(list(private.glob("*.sock"))) == 2, "a second server, for the other environment")


def test_the_socket_is_the_environments_not_the_starts(
    runtime: tuple[dict[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    env, folder = runtime
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    path = _warm.socket_path(env)
    assert path is not None
    assert path.startswith(str(folder))
    assert _warm.socket_path({**env, "PLUGIN_CLIENT_CERT": "another start's"}) == path
    assert _warm.socket_path({**env, "CLOUDFLARE_API_TOKEN": "another-token"}) != path
    assert "another" not in path  # a digest names it, nothing of the environment


def test_a_killed_start_takes_its_child_with_it(runtime: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    env, folder = runtime
    Start(env, tmp_path).schema_and_shutdown()
    private = folder / f"cfbilling-tf-{os.getuid()}"
    wait_for(lambda: list(private.glob("*.sock")), "the server's socket")
    start = Start(env, tmp_path)
    assert not start.loaded_grpc()
    (server,) = servers(folder)
    children = children_of(server)
    assert children
    start.process.kill()  # what Terraform does to a plugin that does not stop
    start.process.wait()
    wait_for(lambda: all(_state(child) in ("gone", "Z") for child in children), "the child's exit")


def test_a_server_exits_when_its_socket_is_gone(runtime: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    env, folder = runtime
    Start(env, tmp_path).schema_and_shutdown()
    private = folder / f"cfbilling-tf-{os.getuid()}"
    wait_for(lambda: list(private.glob("*.sock")), "the server's socket")
    (server,) = servers(folder)
    for sock in private.glob("*.sock"):
        sock.unlink()
    wait_for(lambda: not Path(f"/proc/{server}").exists() or "Z" in _state(server), "the server's exit")


def children_of(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return "gone"


def test_a_folder_others_can_enter_is_never_used(runtime: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    env, folder = runtime
    shared = folder / f"cfbilling-tf-{os.getuid()}"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    for _ in range(2):
        start = Start(env, tmp_path)
        try:
            assert start.loaded_grpc()  # cold, both times
            start.schema_and_shutdown()
        finally:
            start.stop()
    assert not list(shared.iterdir())
    assert servers(folder) == []


def test_turned_off_every_start_is_cold_and_a_bad_value_is_one_line(
    runtime: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, folder = runtime
    for _ in range(2):
        start = Start({**env, "CFBILLING_TF_WARM": "false"}, tmp_path)
        try:
            assert start.loaded_grpc()
            start.schema_and_shutdown()
        finally:
            start.stop()
    assert not (folder / f"cfbilling-tf-{os.getuid()}").exists() or not list(
        (folder / f"cfbilling-tf-{os.getuid()}").glob("*.sock")
    )
    done = subprocess.run(
        provider_command(), env={**env, "CFBILLING_TF_WARM": "maybe"}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stdout.count("\n") == 1, done.stdout
    assert "CFBILLING_TF_WARM" in done.stdout
    assert "Traceback" not in done.stderr


def test_every_module_a_server_loads_exists() -> None:
    # A step that fails is skipped by the server (an optimisation never stops a start): a renamed module must not
    # quietly make every plan's starts load it themselves.
    import importlib

    from pulumi_cfbilling import terraform

    for name in terraform._LOADS:
        importlib.import_module(name)
    assert "pulumi_cfbilling.terraform._provider" in terraform._LOADS
    assert "pulumi_cfbilling.api.client" in terraform._LOADS


def test_a_socket_path_too_long_for_unix_means_cold_starts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True, mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(deep))
    assert _warm.socket_path(dict(os.environ)) is None


def test_an_idle_server_exits_and_takes_its_socket_away(runtime: tuple[dict[str, str], Path]) -> None:
    env, folder = runtime
    code = (
        "import os, sys\n"
        "from pulumi_cfbilling.terraform import _warm\n"
        "_warm.IDLE_SECONDS = 0.5\n"
        "path = _warm.socket_path(os.environ)\n"
        "print(path, flush=True)\n"
        "_warm.run_server(path, [], lambda connection: None)\n"
        "print('exited', os.path.exists(path), flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    path, exited = done.stdout.splitlines()
    assert path.startswith(str(folder))
    assert exited == "exited False"


def test_a_forked_child_has_a_credential_digest_key_of_its_own() -> None:
    code = (
        "import os\n"
        "from pulumi_cfbilling.core import secrets\n"
        "read, write = os.pipe()\n"
        "if os.fork() == 0:\n"
        "    os.write(write, secrets._DIGEST_KEY)\n"
        "    os._exit(0)\n"
        "os.wait()\n"
        "print(os.read(read, 64) != secrets._DIGEST_KEY)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True", done.stderr
