"""A certificate authority and a server certificate for the emulator's TLS mode, made at start.

Python's ``ssl`` cannot make certificates, so the ``openssl`` command does: a CA, then a certificate for
``127.0.0.1`` and ``localhost`` signed by it. Clients trust the CA through ``SSL_CERT_FILE`` or
``REQUESTS_CA_BUNDLE``, as they would a corporate proxy's: exactly what the TLS tests need to prove.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import tempfile
from pathlib import Path

from ..core.errors import ConfigurationError

__all__ = ["server_context"]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)  # noqa: S603, S607


def server_context(host: str) -> tuple[tempfile.TemporaryDirectory[str], Path, ssl.SSLContext]:
    """(the folder holding the files, the CA certificate, a server context with the signed certificate)."""
    if shutil.which("openssl") is None:
        raise ConfigurationError("the emulator's TLS mode needs the openssl command: install it, or drop --tls")
    folder = tempfile.TemporaryDirectory(prefix="cfbilling-emulator-tls-")
    root = Path(folder.name)
    names = f"subjectAltName=IP:{host},IP:127.0.0.1,DNS:localhost"
    try:
        _openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=cfbilling emulator CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            cwd=root,
        )
        _openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            f"/CN={host}",
            "-addext",
            names,
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            cwd=root,
        )
        (root / "ext.cnf").write_text(names + "\n")
        _openssl(
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "server.pem",
            cwd=root,
        )
    except subprocess.CalledProcessError as failure:
        folder.cleanup()
        detail = failure.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise ConfigurationError(f"openssl could not make the emulator's certificate: {detail[0]}") from None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(root / "server.pem", root / "server.key")
    return folder, root / "ca.pem", context
