"""A throw-away PostgreSQL cluster for the tests: Debian's ``postgresql`` package, no mocks.

``initdb`` and ``pg_ctl`` run in a fresh temporary folder, on a free local port, listening on
127.0.0.1 only and on a Unix socket in that folder. ``initdb`` refuses to run as root, so when
the tests run as root (CI does) the cluster runs as an unprivileged user (``postgres`` when the
package made one, else ``nobody``) that owns the folder. The superuser ``keel_admin`` logs in
with a password over TCP (scram-sha-256), exactly as an administrator's URL would; TLS is on,
with a certificate for ``keel.test`` signed by a test authority (``ca_file``), so the tests can
connect with ``sslmode=verify-full`` (host ``keel.test``, ``hostaddr=127.0.0.1``).

Several engineers' test runs share the machine: every cluster picks its own port and folder.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ADMIN = "keel_admin"
ADMIN_PASSWORD = "admin-secret-Ω"
TLS_HOST = "keel.test"


def pg_bin() -> Path:
    """The newest ``/usr/lib/postgresql/N/bin`` (Debian's layout), or PG_BIN."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    roots = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not roots:
        raise RuntimeError(
            "PostgreSQL is not installed: the service tests need Debian's `postgresql` package "
            "(see the README's test line: apt-get install postgresql)."
        )
    return roots[-1].parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> str | None:
    """The unprivileged user to run the cluster as, when running as root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and there is no unprivileged user to run PostgreSQL")


def _make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A test certificate authority and a server certificate for keel.test and localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Keel test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TLS_HOST)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(TLS_HOST),
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = folder / "ca.pem"
    cert_file = folder / "server.crt"
    key_file = folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file


@dataclass
class Cluster:
    """One running throw-away cluster."""

    root: Path
    port: int = 0
    user: str | None = None
    bin: Path = field(default_factory=pg_bin)
    _databases: int = 0

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def ca_file(self) -> Path:
        return self.root / "ca.pem"

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        return ["runuser", "-u", self.user, "--", *cmd] if self.user else cmd

    def init(self) -> None:
        self.user = _run_as()
        self.root.chmod(0o755)
        pwfile = self.root / "pw"
        pwfile.write_text(ADMIN_PASSWORD + "\n", encoding="utf-8")
        _make_certificates(self.root)
        if self.user:
            info = pwd.getpwnam(self.user)
            for path in (self.root, pwfile, self.root / "server.key", self.root / "server.crt"):
                os.chown(path, info.pw_uid, info.pw_gid)
        subprocess.run(
            self._cmd("initdb", "-D", str(self.data), "-U", ADMIN, f"--pwfile={pwfile}",
                      "--auth-host=scram-sha-256", "--auth-local=scram-sha-256",
                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"),
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        pwfile.unlink()
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                "\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 40\nshared_buffers = 32MB\n"
                f"ssl = on\nssl_cert_file = '{self.root / 'server.crt'}'\n"
                f"ssl_key_file = '{self.root / 'server.key'}'\n"
            )
        self.start()

    def start(self) -> None:
        last_error = ""
        for _attempt in range(8):
            if not self.port:
                self.port = _free_port()
            result = subprocess.run(
                self._cmd("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                          "-t", "60", "-o", f"-p {self.port}", "start"),
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            if result.returncode == 0:
                return
            last_error = result.stdout + result.stderr
            log = self.root / "log"
            if log.exists() and "already in use" in log.read_text(errors="replace"):
                self.port = 0  # another run took the port first: take another
                continue
            break
        raise RuntimeError(f"PostgreSQL did not start: {last_error}")

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            self._cmd("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop"),
            capture_output=True, timeout=120,
        )  # fmt: skip

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(
        self,
        database: str = "postgres",
        *,
        user: str = ADMIN,
        password: str | None = ADMIN_PASSWORD,
        tls: bool = False,
    ) -> str:
        """A connection URL: local (127.0.0.1, no TLS required), or ``tls``: host keel.test at
        127.0.0.1 with verify-full against the test authority."""
        auth = urllib.parse.quote(user, safe="")
        if password is not None:
            auth += ":" + urllib.parse.quote(password, safe="")
        if tls:
            query = urllib.parse.urlencode(
                {"hostaddr": "127.0.0.1", "sslrootcert": str(self.ca_file)}
            )
            return f"postgresql://{auth}@{TLS_HOST}:{self.port}/{database}?{query}"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def admin_sql(self, sql: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self, prefix: str = "keel") -> str:
        """A fresh, empty database in this cluster (one per test)."""
        self._databases += 1
        name = f"{prefix}_{os.getpid()}_{self._databases}_{int(time.time() * 1000) % 100000}"
        self.admin_sql(f'CREATE DATABASE "{name}"')
        return name


def start_cluster() -> Cluster:
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="keel-pg-")))
    try:
        cluster.init()
    except BaseException:
        cluster.destroy()
        raise
    return cluster
