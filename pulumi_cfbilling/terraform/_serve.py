"""Serve the provider to Terraform: HashiCorp's go-plugin handshake over a Unix socket, with TLS.

``tf`` ships a runner, but it keeps an RSA-1024 server key for a week under ``~/.cache``. This one serves TLS
with a P-256 key on a socket in a private (0700) temporary folder, so only this user's processes can reach it.
Terraform starts a provider three times per plan, and importing ``cryptography`` to make a key costs each start
a tenth of a second, so the key and certificate are kept for a week in a file only this user can read
(``$XDG_CACHE_HOME/pulumi-cfbilling/terraform-tls.json``: a key guarding a socket only this user can reach
protects nothing from this user's processes anyway) and made afresh when missing, unreadable or due.

It does not demand Terraform's client certificate (``PLUGIN_CLIENT_CERT``): go-plugin's is a P-521 key, which
gRPC's TLS stack does not offer to accept, so Go would send none and every call would fail. The servicer (the
protocol itself) is ``tf``'s.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["serve"]

_CORE_PROTOCOL = 1
_PROTOCOL = 6
_LIFETIME = timedelta(days=7)


def _server_certificate() -> tuple[bytes, bytes, bytes]:
    """A fresh self-signed P-256 certificate for ``localhost``: (key PEM, certificate PEM, certificate DER)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + _LIFETIME)
        # go-plugin's client pins this certificate as its only root: it must be a CA for "localhost".
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return (
        key_pem,
        certificate.public_bytes(serialization.Encoding.PEM),
        certificate.public_bytes(serialization.Encoding.DER),
    )


def _cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pulumi-cfbilling" / "terraform-tls.json"


def _tls_material() -> tuple[bytes, bytes, bytes]:
    """The kept key and certificate when still good for a day, else fresh ones (kept for the next start)."""
    path = _cache_file()
    try:
        kept = json.loads(path.read_text("ascii"))
        if float(kept["renew_after"]) > time.time():
            return kept["key"].encode(), kept["cert"].encode(), base64.b64decode(kept["der"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # missing, unreadable or corrupt: make new ones
    key_pem, cert_pem, cert_der = _server_certificate()
    renew = time.time() + (_LIFETIME - timedelta(days=1)).total_seconds()
    document = {
        "key": key_pem.decode(),
        "cert": cert_pem.decode(),
        "der": base64.b64encode(cert_der).decode(),
        "renew_after": renew,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = path.with_name(f"{path.name}.{os.getpid()}")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            json.dump(document, handle)
        os.replace(partial, path)
    except OSError:
        pass  # a read-only home: the next start makes its own
    return key_pem, cert_pem, cert_der


def serve(provider: Any, done: Callable[[], None] | None = None) -> NoReturn:
    """Serve ``provider`` until Terraform shuts it down; prints the handshake line on stdout, then exits.

    ``done`` runs just before the exit (a warm server's child tells its start the exit code there).
    """
    import grpc
    from tf.gen import grpc_controller_pb2 as controller_pb
    from tf.gen import grpc_controller_pb2_grpc as controller_rpc
    from tf.gen import grpc_stdio_pb2_grpc as stdio_rpc
    from tf.gen import tfplugin_pb2_grpc as rpc
    from tf.provider import ProviderServicer

    stopped = threading.Event()

    class Controller(controller_rpc.GRPCControllerServicer):  # type: ignore[misc]
        def Shutdown(self, request: Any, context: Any) -> Any:
            stopped.set()
            return controller_pb.Empty()

    class Stdio(stdio_rpc.GRPCStdioServicer):  # type: ignore[misc]
        def StreamStdio(self, request: Any, context: Any) -> Iterator[Any]:
            # Nothing is written to stdout or stderr after the handshake; an empty stream says so.
            return iter(())

    class Stopper(grpc.ServerInterceptor):
        def intercept_service(self, continuation: Any, details: Any) -> Any:
            if details.method == "/tfplugin6.Provider/StopProvider":
                # Terraform was interrupted: abandon the reads in flight (it shuts the plugin down after).
                from ..api import transport

                transport.abort_all()
            return continuation(details)

    # Terraform interrupts the whole process group on Ctrl-C and then stops its plugins itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), interceptors=[Stopper()])
    rpc.add_ProviderServicer_to_server(ProviderServicer(provider), server)
    controller_rpc.add_GRPCControllerServicer_to_server(Controller(), server)
    stdio_rpc.add_GRPCStdioServicer_to_server(Stdio(), server)
    with tempfile.TemporaryDirectory(prefix="cfbilling-tf-") as folder:  # mode 0700: only this user
        socket_path = os.path.join(folder, "provider.sock")
        client_certificate = os.environ.get("PLUGIN_CLIENT_CERT")
        fields = [str(_CORE_PROTOCOL), str(_PROTOCOL), "unix", socket_path, "grpc"]
        if client_certificate:
            key_pem, cert_pem, cert_der = _tls_material()
            credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)], require_client_auth=False)
            server.add_secure_port(f"unix://{socket_path}", credentials)
            fields.append(base64.b64encode(cert_der).decode().rstrip("="))
        else:  # a Terraform without AutoMTLS: the private folder is the only guard, as go-plugin does
            server.add_insecure_port(f"unix://{socket_path}")
        server.start()
        sys.stdout.write("|".join(fields) + "\n")
        sys.stdout.flush()
        stopped.wait()
        server.stop(grace=0.5).wait()
    # Terraform waits for the process to end before it goes on: skip the interpreter's slow teardown of
    # gRPC's threads (nothing is left to flush or save).
    sys.stdout.flush()
    if done is not None:
        done()
    os._exit(0)
