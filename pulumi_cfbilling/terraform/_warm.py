"""A warm server for the provider's starts, which Terraform makes three times per plan.

Terraform starts the provider for the schema, for validation and for the plan, and each cold start spends about 0.1 s
importing Python, gRPC and the plugin protocol before its handshake. A start first asks the warm server of its
environment to serve it. The server already has gRPC, the protocol, the provider and the client loaded; it forks a
child that takes this start's stdin, stdout and stderr (passed over the socket), working directory and environment,
prints the handshake to Terraform and serves until Terraform shuts it down. The start waits for the child's exit code
and exits with it, so Terraform sees its plugin process live and end as before; if the start is killed, the child sees
its socket close and exits too.

With no server to ask, the start serves itself, cold, and first forks one (detached) for the next start: the server
loads on the other core while the start loads for itself, and costs it a fork, not an interpreter.

What keeps it safe:

- A server serves only starts whose environment is the one it was started with: its socket is named by a digest of
  every variable but the start's own client certificate (and of the interpreter, install and version of this
  package), and it checks the digest again. Credentials and proxies are therefore the start's own, exactly as in a
  cold start, and an upgrade is never served by the code it replaced.
- The socket lives in ``$XDG_RUNTIME_DIR/cfbilling-tf-<uid>`` (else ``/tmp/cfbilling-tf-<uid>``), a folder only this
  user can enter, checked (owner, mode, not a link) before every use; anything else means a cold start.
- A server exits after :data:`IDLE_SECONDS` without a start, or when its socket is no longer its own.
- ``CFBILLING_TF_WARM=false`` turns it off (a cold start each time, no server). It is Linux only.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import json
import os
import socket
import stat
import sys
import time
from collections.abc import Callable, Mapping, Sequence

__all__ = ["IDLE_SECONDS", "ask", "enabled", "fork_server", "run_server", "socket_path"]

IDLE_SECONDS = 10.0
"""How long a server waits for the next start: the rest of one plan, or a plan run right after another."""


# Per start, not per environment: go-plugin makes a new client certificate for each launch.
_PER_START = frozenset({"PLUGIN_CLIENT_CERT"})
_MAX_REQUEST = 1024 * 1024
_FORKED = b"F"


def enabled(env: Mapping[str, str]) -> bool:
    """Whether starts go through a warm server: ``CFBILLING_TF_WARM``, default yes, on Linux.

    It is read by the one yes/no parser: a value that is not yes or no raises ``ConfigurationError``, and the
    provider says so and does not start.
    """
    value = env.get("CFBILLING_TF_WARM")
    wanted = True
    if value is not None and value.strip():
        from ..core.values import read_flag

        wanted = bool(read_flag(value, "CFBILLING_TF_WARM"))
    # Linux only: on macOS a process forked after its system frameworks loaded (requests asks them for the proxy
    # settings) can crash in the child, so every start there is cold.
    return wanted and sys.platform.startswith("linux")


def _digest(env: Mapping[str, str]) -> str:
    """The environment, and the code that would serve it: another interpreter, install or version is another server."""
    from ..core.version import __version__

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = [sys.executable, package, __version__, os.stat(__file__).st_mtime_ns]
    kept = sorted((key, value) for key, value in env.items() if key not in _PER_START)
    return hashlib.sha256(json.dumps([code, kept]).encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _folder() -> str | None:
    """The private folder of this user's servers, made if missing; ``None`` when it is not safe to use."""
    base = os.environ.get("XDG_RUNTIME_DIR") or "/tmp"  # noqa: S108 - a per-user folder, checked below
    folder = os.path.join(base, f"cfbilling-tf-{os.getuid()}")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        found = os.lstat(folder)
    except OSError:
        return None
    private = stat.S_ISDIR(found.st_mode) and found.st_uid == os.getuid() and not found.st_mode & 0o077
    return folder if private else None


def socket_path(env: Mapping[str, str]) -> str | None:
    """The socket of the server for this environment, or ``None`` when there can be none."""
    folder = _folder()
    if folder is None:
        return None
    path = os.path.join(folder, f"{_digest(env)}.sock")
    return path if len(path.encode()) < 100 else None  # a Unix socket's path holds about 100 bytes


def ask(path: str, env: Mapping[str, str]) -> int | None:
    """Have the warm server at ``path`` serve this start: its exit code, or ``None`` to serve cold.

    ``path`` is :func:`socket_path` of ``env``. ``None`` means nothing was printed yet, so a cold start is clean.
    """
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(path)
    except OSError:
        connection.close()
        return None
    with connection:
        request = json.dumps({"env": dict(env), "cwd": os.getcwd()}).encode("utf-8", "surrogateescape")
        descriptors = array.array("i", [0, 1, 2])
        try:
            connection.settimeout(10)
            connection.sendmsg(
                [len(request).to_bytes(4, "big") + request], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, descriptors)]
            )
            if connection.recv(1) != _FORKED:
                return None  # refused or gone before forking: nothing was printed, so a cold start is clean
        except OSError:
            return None
        # The child serves now, for as long as Terraform needs it: wait for its exit code, however long.
        connection.settimeout(None)
        try:
            code = connection.recv(1)
        except OSError:
            code = b""
    return code[0] if code else 1  # no code: the child died without saying


def fork_server(path: str, load: Sequence[Callable[[], object]], serve_child: Callable[[socket.socket], None]) -> None:
    """From a cold start: fork the server for the next starts, detached, and go on serving this one.

    Forked before the start loads anything, so the server loads (``load``, a module at a time) on the other core while
    the start loads for itself: by the plan's next start, it is ready.
    """
    if os.fork() != 0:
        return
    try:
        os.setsid()  # not in Terraform's process group: its Ctrl-C is for the starts
        quiet = os.open(os.devnull, os.O_RDWR)
        for target in (0, 1, 2):  # Terraform reads the start's stdout and stderr until they close: let go of them
            os.dup2(quiet, target)
        os.close(quiet)
        run_server(path, load, serve_child)
    finally:
        os._exit(0)


def run_server(path: str, load: Sequence[Callable[[], object]], serve_child: Callable[[socket.socket], None]) -> None:
    """Accept starts on ``path`` until idle; each is forked to ``serve_child(connection)``, which never returns.

    ``load`` is done a step at a time between starts: a start that comes meanwhile is forked at once (it loads what
    it lacks itself, as a cold start would), and later ones find more loaded. Steps are kept small (a module each):
    a start that comes during one waits for its end. No thread is started here: a fork copies only the thread that
    calls it.
    """
    import selectors

    if socket_path(os.environ) != path:
        return  # not this environment's socket, or not in a private folder: serve nothing
    digest = os.path.basename(path).removesuffix(".sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(path)
    except OSError:
        if _alive(path):
            return  # another server of this environment won the race
        try:
            os.unlink(path)
            listener.bind(path)
        except OSError:
            return
    inode = os.stat(path).st_ino
    listener.listen(16)
    steps = list(load)
    waiting = selectors.DefaultSelector()
    waiting.register(listener, selectors.EVENT_READ)
    last = time.monotonic()
    try:
        while time.monotonic() - last < IDLE_SECONDS:
            ready = waiting.select(timeout=0 if steps else 0.5)
            _reap()
            if not _still_ours(path, inode):
                return
            if ready:
                connection, _ = listener.accept()
                last = time.monotonic()
                _take(connection, listener, digest, serve_child)
            elif steps:
                _step(steps.pop(0))
    finally:
        if _still_ours(path, inode):
            os.unlink(path)
        listener.close()


def _step(step: Callable[[], object]) -> None:
    """One step of loading; one that fails is left to the starts (they load what they lack, and say why)."""
    with contextlib.suppress(Exception):
        step()


def _take(
    connection: socket.socket, listener: socket.socket, digest: str, serve_child: Callable[[socket.socket], None]
) -> None:
    """Read one start's request and fork its child; a request that is not well formed is dropped."""
    descriptors: list[int] = []
    with connection:
        try:
            connection.settimeout(5)
            request, descriptors = _receive(connection)
            env, cwd = request["env"], request["cwd"]
            if not (isinstance(env, dict) and isinstance(cwd, str) and len(descriptors) == 3):
                return
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()) or _digest(env) != digest:
                return  # another environment: that start serves cold
            child = os.fork()
            if child == 0:
                _become(connection, listener, descriptors, env, cwd, serve_child)
            connection.sendall(_FORKED)
        except (OSError, ValueError, KeyError, TypeError):
            return
        finally:
            for descriptor in descriptors:
                os.close(descriptor)


def _receive(connection: socket.socket) -> tuple[dict[str, object], list[int]]:
    size = array.array("i").itemsize
    head, ancillary, _, _ = connection.recvmsg(4, socket.CMSG_LEN(3 * size))
    descriptors: list[int] = []
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            received = array.array("i")
            received.frombytes(data[: len(data) - (len(data) % size)])
            descriptors.extend(received)
    try:
        length = int.from_bytes(head, "big") if len(head) == 4 else -1
        if not 0 < length <= _MAX_REQUEST:
            raise ValueError("a malformed request")
        body = b""
        while len(body) < length:
            chunk = connection.recv(length - len(body))
            if not chunk:
                raise ValueError("a request cut short")
            body += chunk
        document = json.loads(body.decode("utf-8", "surrogateescape"))
        if not isinstance(document, dict):
            raise ValueError("a request that is not an object")
    except BaseException:
        for descriptor in descriptors:
            os.close(descriptor)
        raise
    return document, descriptors


def _become(
    connection: socket.socket,
    listener: socket.socket,
    descriptors: list[int],
    env: dict[str, str],
    cwd: str,
    serve_child: Callable[[socket.socket], None],
) -> None:
    """In the forked child: become the start that asked (its stdio, folder and environment), then serve it."""
    try:
        listener.close()
        for target, descriptor in enumerate(descriptors):
            os.dup2(descriptor, target)
            os.close(descriptor)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        connection.settimeout(None)
        serve_child(connection)
    finally:
        os._exit(1)  # serve_child exits itself; reaching here is a failure


def _reap() -> None:
    """Collect the children that ended (their starts have their codes already)."""
    while True:
        try:
            child, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if child == 0:
            return


def _alive(path: str) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        return False
    finally:
        probe.close()
    return True


def _still_ours(path: str, inode: int) -> bool:
    try:
        return os.stat(path).st_ino == inode
    except OSError:
        return False
