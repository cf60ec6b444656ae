"""The Bolt connection the service uses: a configured Neo4j, or the local ArcadeDB server it launches.

The local server is its own process (its own session, pid file in its data folder), so every Zhiku process
on the machine shares one: the first to need it starts it (under a file lock, so processes starting together
do not start two), the others find it through its pid file. With a broker (ZHIKU_BROKER_URL: API and worker
processes side by side) no process stops it when it exits, as the others still use it; stop it with
`python -m zhiku.graph.bolt_server stop --data-dir <graph data dir>`.
"""
from __future__ import annotations

import fcntl
import logging
import threading

from neo4j import Driver, GraphDatabase

from zhiku.core.errors import ConfigurationError
from zhiku.core.settings import Settings
from zhiku.graph.bolt_server import BoltServerError, EmbeddedBoltServer

log = logging.getLogger(__name__)


class GraphConnection:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.server: EmbeddedBoltServer | None = None
        self._driver: Driver | None = None
        self._database: str | None = settings.neo4j_database
        self._lock = threading.Lock()

    @property
    def database(self) -> str | None:
        return self._database

    def driver(self) -> Driver:
        """Connects on first use (starting the local server when no ZHIKU_NEO4J_URI is set)."""
        with self._lock:
            if self._driver is None:
                self._driver = self._connect()
            return self._driver

    def _connect(self) -> Driver:
        s = self.settings
        if s.neo4j_uri:
            driver = GraphDatabase.driver(s.neo4j_uri, auth=(s.neo4j_user, s.neo4j_password or ""))
        else:
            self.server = EmbeddedBoltServer(s.resolved_graph_data_dir, port=s.graph_bolt_port,
                                             password=s.neo4j_password, heap=s.graph_heap, jit=s.graph_jit)
            s.resolved_graph_data_dir.mkdir(parents=True, exist_ok=True)
            try:
                with open(s.resolved_graph_data_dir / ".start.lock", "w") as lock:
                    fcntl.flock(lock, fcntl.LOCK_EX)
                    info = self.server.start()
            except BoltServerError as exc:
                raise ConfigurationError(f"the local knowledge-graph server did not start: {exc}") from exc
            self._database = self._database or info.database
            driver = GraphDatabase.driver(info.uri, auth=self.server.auth())
        try:
            driver.verify_connectivity()
        except Exception as exc:  # noqa: BLE001 - any driver error means the same thing to the operator
            driver.close()
            raise ConfigurationError(f"cannot reach the knowledge-graph server ({s.neo4j_uri or 'local'}): {exc}. "
                                     "Check ZHIKU_NEO4J_URI, user and password.") from exc
        return driver

    def close(self) -> None:
        with self._lock:
            if self._driver is not None:
                self._driver.close()
                self._driver = None
            if self.server is not None:
                if not self.settings.broker_url:  # alone on the machine: nobody else uses it
                    self.server.stop()  # only stops a server this process launched
                self.server = None
