"""The project's own local runtime: a PostgreSQL cluster with TimescaleDB and a Mosquitto broker.

Both live in a folder of their own (the state folder of `curbside services up`, or a temporary
folder in the tests), on ports of their own, and are started, checked and stopped here. The
binaries come from the operating system (deploy/install-services.sh installs them).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from curbside.errors import RuntimeServiceError
from curbside.processes import running_pid, spawn, terminate

DEPLOY_DIR = Path(__file__).resolve().parents[1] / "deploy"


def free_port() -> int:
    """A TCP port on the loopback interface that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(check: Callable[[], bool], timeout_s: float, what: str, log_file: Path) -> None:
    """Poll `check` until it holds; else fail naming `what` with the end of its log."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeServiceError(f"{what} did not come up within {timeout_s:g} s: {_tail(log_file)}")


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def _service_user(name: str) -> str | None:
    """The unprivileged user a server runs as when we are root, else None (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(name)
    except KeyError as exc:
        raise RuntimeServiceError(
            f"user {name!r} is missing: run deploy/install-services.sh"
        ) from exc
    return name


def _hand_over(path: Path, user: str | None) -> None:
    """Create `path` and give it to `user`, checking that the user can reach it."""
    path.mkdir(parents=True, exist_ok=True)
    if user is None:
        return
    shutil.chown(path, user=user, group=pwd.getpwnam(user).pw_gid)
    for parent in path.resolve().parents:
        if parent.stat().st_mode & 0o001 == 0:
            raise RuntimeServiceError(
                f"user {user!r} cannot reach {path} because {parent} is closed to others; "
                "set CURBSIDE_STATE_DIR to a folder under /tmp or /var/lib"
            )


def postgres_bindir() -> Path:
    """The newest PostgreSQL server's binaries (override with CURBSIDE_PG_BINDIR)."""
    configured = os.environ.get("CURBSIDE_PG_BINDIR")
    if configured:
        return Path(configured)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=_major_version)
    if not found:
        raise RuntimeServiceError("PostgreSQL server not found: run deploy/install-services.sh")
    return Path(found[-1]).parent


def _major_version(path: str) -> int:
    return int(Path(path).parts[-3])


def timescaledb_available(bindir: Path) -> bool:
    sharedir = subprocess.run(
        [str(bindir / "pg_config"), "--sharedir"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return bool(glob.glob(f"{sharedir}/extension/timescaledb--*.sql"))


@dataclass(frozen=True)
class LocalPostgres:
    """A PostgreSQL cluster in `root` listening on 127.0.0.1:`port`, TimescaleDB preloaded."""

    root: Path
    port: int
    database: str = "curbside"
    user: str = "curbside"
    durable: bool = True
    """False trades crash safety for speed (fsync off): right for throwaway test clusters."""
    timescaledb: bool = True
    """Preload TimescaleDB when it is installed; False gives a plain PostgreSQL cluster."""

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            list(args), capture_output=True, text=True, user=_service_user("postgres")
        )
        if result.returncode != 0:
            raise RuntimeServiceError(f"{Path(args[0]).name} failed: {result.stderr.strip()}")
        return result

    def initialize(self) -> bool:
        """Create the cluster if there is none; True when it was created now."""
        if (self.data_dir / "PG_VERSION").exists():
            return False
        _hand_over(self.root, _service_user("postgres"))
        bindir = postgres_bindir()
        self._run(
            str(bindir / "initdb"), "-D", str(self.data_dir), "-U", self.user,
            "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": "200",
            "shared_buffers": "256MB",
            "timezone": "'UTC'",
        }
        if self.timescaledb and timescaledb_available(bindir):
            settings["shared_preload_libraries"] = "'timescaledb'"
            settings["timescaledb.telemetry_level"] = "off"
        if not self.durable:
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        conf = "".join(f"{key} = {value}\n" for key, value in settings.items())
        with (self.data_dir / "postgresql.conf").open("a") as handle:
            handle.write("\n# curbside local runtime\n" + conf)
        return True

    def is_running(self) -> bool:
        if not (self.data_dir / "postmaster.pid").exists():
            return False
        result = subprocess.run(
            [str(postgres_bindir() / "pg_ctl"), "status", "-D", str(self.data_dir)],
            capture_output=True,
            user=_service_user("postgres"),
        )
        return result.returncode == 0

    def start(self) -> None:
        """Initialise when needed, start unless running, and create the database."""
        self.initialize()
        if not self.is_running():
            self._run(
                str(postgres_bindir() / "pg_ctl"), "start", "-w", "-t", "60",
                "-D", str(self.data_dir), "-l", str(self.log_file),
            )  # fmt: skip
        self._create_database()

    def _create_database(self) -> None:
        import psycopg

        admin = f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.database}"')

    def stop(self) -> None:
        if self.is_running():
            self._run(
                str(postgres_bindir() / "pg_ctl"), "stop", "-w", "-m", "fast",
                "-D", str(self.data_dir),
            )  # fmt: skip


@dataclass(frozen=True)
class LocalMosquitto:
    """A Mosquitto broker in `root` on 127.0.0.1:`port`, configured from deploy/mosquitto."""

    root: Path
    port: int
    persistent: bool = True

    @property
    def config_file(self) -> Path:
        return self.root / "mosquitto.conf"

    @property
    def log_file(self) -> Path:
        return self.root / "mosquitto.log"

    @property
    def pid_file(self) -> Path:
        return self.root / "mosquitto.pid"

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def write_config(self) -> None:
        user = _service_user("mosquitto")
        _hand_over(self.root / "data", user)
        template = (DEPLOY_DIR / "mosquitto" / "local.conf").read_text()
        replacements = {
            "@PORT@": str(self.port),
            "@USER_LINE@": f"user {user}" if user else "",
            "@PERSISTENCE@": "true" if self.persistent else "false",
            "@DATA_DIR@": str(self.root / "data"),
            "@LOG_FILE@": str(self.root / "data" / "mosquitto.log"),
        }
        for placeholder, value in replacements.items():
            template = template.replace(placeholder, value)
        self.config_file.write_text(template)

    def is_running(self) -> bool:
        return running_pid(self.pid_file) is not None and port_open(self.port)

    def start(self) -> None:
        if self.is_running():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self.write_config()
        spawn(["mosquitto", "-c", str(self.config_file)], self.log_file, self.pid_file)
        log_file = self.root / "data" / "mosquitto.log"
        wait_until(lambda: port_open(self.port), 10, "mosquitto", log_file)

    def stop(self) -> None:
        terminate(self.pid_file)
