"""Helpers for service tests: certificates, free ports, `honest serve` subprocesses."""

import datetime
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_test_certificate(tmp: Path, host: str = "localhost") -> tuple[bytes, bytes]:
    """A self-signed certificate + key for ``host`` (and 127.0.0.1), PEM bytes."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    (tmp / "cert.pem").write_bytes(cert_pem)
    (tmp / "key.pem").write_bytes(key_pem)
    return cert_pem, key_pem


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServeProcess:
    """``honest serve`` as a subprocess; waits until it has written its port file."""

    def __init__(self, tmp: Path, *args: str, port: int = 0, name: str = "serve"):
        self.port_file = tmp / f"{name}.port"
        self.log = open(tmp / f"{name}.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "honest_cli", "serve", "--port", str(port),
             "--port-file", str(self.port_file), "--workers", "1", *args],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONUNBUFFERED="1"))
        t_end = time.monotonic() + 90
        while not self.port_file.exists():
            if self.proc.poll() is not None or time.monotonic() > t_end:
                self.stop()
                raise RuntimeError("honest serve did not start: "
                                   + (tmp / f"{name}.log").read_text())
            time.sleep(0.1)
        lines = self.port_file.read_text().split("\n")
        self.port = int(lines[0])
        #: the /metrics port, when the server was started with --metrics-port
        self.metrics_port = next((int(x.split()[1]) for x in lines if x.startswith("metrics ")),
                                 None)
        #: the HTTP reward port, when started with --http-port
        self.http_port = next((int(x.split()[1]) for x in lines if x.startswith("http ")), None)
        self.address = f"127.0.0.1:{self.port}"

    def terminate(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


def dense_system(n: int = 70, seed: int = 0) -> dict:
    """A dense n x n linear system with big coefficients: a solve that takes seconds
    (n=125: ~1.5 s on the 2-core development machine; n=160: 4.3 s on the fastest)."""
    r = random.Random(seed)
    return {"domain": "linear", "query": "x0", "premises": [
        " + ".join(f"{r.randint(1, 10**6)}*x{j}" for j in range(n)) + f" = {r.randint(1, 10**6)}"
        for _ in range(n)]}
