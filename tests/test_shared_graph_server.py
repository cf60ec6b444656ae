"""With workers on a broker, the local ArcadeDB Bolt server is one process that every Zhiku process shares:
processes starting together start one, and none stops it when it exits."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from zhiku.core.settings import Settings


def test_processes_share_one_local_graph_server_that_outlives_them(tmp_path):
    from zhiku.graph.graph_connection import GraphConnection

    fields = {"data_dir": str(tmp_path / "data"), "broker_url": "amqp://guest:guest@127.0.0.1:5672/"}
    env = {**os.environ, **{f"ZHIKU_{k.upper()}": v for k, v in fields.items()}}
    probe = ("from zhiku.core.settings import Settings; from zhiku.graph.graph_connection import GraphConnection;"
             "c = GraphConnection(Settings(_env_file=None)); c.driver().verify_connectivity();"
             "print(c.server.info.pid); c.close()")
    # two processes need the graph at the same moment: one server starts, both use it
    starters = [subprocess.Popen([sys.executable, "-c", probe], env=env, stdout=subprocess.PIPE, text=True)
                for _ in range(2)]
    pids = {int(p.communicate(timeout=180)[0].strip().splitlines()[-1]) for p in starters}
    graph_dir = tmp_path / "data" / "graph"
    try:
        assert len(pids) == 1 and all(p.returncode == 0 for p in starters)
        server_pid = pids.pop()
        os.kill(server_pid, 0)  # still running after both processes exited
        # a third process (the API, here) finds it through its pid file and uses it too
        connection = GraphConnection(Settings(_env_file=None, **fields))
        connection.driver().verify_connectivity()
        assert connection.server.info.pid == server_pid and not connection.server.launched
        connection.close()
        assert json.loads((graph_dir / "server.json").read_text())["pid"] == server_pid
    finally:
        subprocess.run([sys.executable, "-m", "zhiku.graph.bolt_server", "stop", "--data-dir", str(graph_dir)],
                       env=env, timeout=120, check=False)


def test_the_graph_store_works_through_a_routing_uri(bolt_server):
    """ZHIKU_NEO4J_URI=neo4j://… (a cluster's routing scheme): the driver asks the server for its routing table and
    sends reads to readers, writes to the writer. ArcadeDB's Bolt server answers the routing request too."""
    import uuid

    from neo4j import Neo4jDriver

    from zhiku.graph.graph_connection import GraphConnection
    from zhiku.graph.graph_store import ChunkFacts, EntityInput, GraphStore, RelationInput
    from tests.conftest import graph_settings

    fields = graph_settings(bolt_server)
    fields["neo4j_uri"] = fields["neo4j_uri"].replace("bolt://", "neo4j://")
    connection = GraphConnection(Settings(_env_file=None, data_dir="unused", **fields))
    try:
        driver = connection.driver()
        assert isinstance(driver, Neo4jDriver)  # the routing driver, not a direct connection
        store = GraphStore(driver, connection.database)
        store.ensure_schema()
        kb = f"kb-{uuid.uuid4().hex[:8]}"
        store.write_chunk_facts(kb, "d1", 1, [ChunkFacts("c1", [EntityInput("甲公司", "ORG"), EntityInput("乙公司", "ORG")],
                                                         [RelationInput("甲公司", "担保", "乙公司")])])
        assert {e.name for e in store.search_entities([kb], "公司")} == {"甲公司", "乙公司"}
        store.remove_kb(kb)
    finally:
        connection.close()


def test_a_launched_local_server_is_rehearsed_once_and_a_found_one_is_not(tmp_path, monkeypatch):
    """Runtime._open_graph_store warms the write path of a server its process launched (GraphStore.rehearse_writes,
    once however often the stores are opened), not of one it found running; the rehearsal stores nothing."""
    from zhiku.api.runtime import Runtime
    from zhiku.graph.graph_store import REHEARSAL_KB, GraphStore

    rehearsed = []
    original = GraphStore.rehearse_writes

    def counted(self):
        rehearsed.append(self)
        return original(self)
    monkeypatch.setattr(GraphStore, "rehearse_writes", counted)
    # with a broker no process stops the server on close: the second runtime finds it running
    fields = {"data_dir": str(tmp_path / "data"), "broker_url": "amqp://guest:guest@127.0.0.1:5672/"}
    first = Runtime(Settings(_env_file=None, **fields))
    try:
        store = first._open_graph_store()
        first._open_graph_store()  # open_stores runs twice when a caller opened them before start()
        assert first.graph_connection.server.launched and len(rehearsed) == 1
        assert store._read("MATCH (n) WHERE n.kb_id = $kb OR n.of_kb = $kb RETURN count(n) AS n",
                           kb=REHEARSAL_KB)[0]["n"] == 0
        second = Runtime(Settings(_env_file=None, **fields))
        second._open_graph_store()
        assert not second.graph_connection.server.launched and len(rehearsed) == 1
        second.graph_connection.close()
    finally:
        first.graph_connection.close()
        subprocess.run([sys.executable, "-m", "zhiku.graph.bolt_server", "stop", "--data-dir",
                        str(tmp_path / "data" / "graph")], timeout=120, check=False)
