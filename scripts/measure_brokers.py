"""Celery or Dramatiq, on RabbitMQ or Redis: the measurement behind the choice in docs/deployment.md.

Needs both libraries, which Zhiku itself does not (it uses the one chosen), so run it in a scratch venv:

    python3.11 -m venv /tmp/brokervenv
    /tmp/brokervenv/bin/pip install "celery[redis]==5.7.0" "dramatiq[rabbitmq,redis]==2.2.1" psutil
    /tmp/brokervenv/bin/python scripts/measure_brokers.py

For each library and broker, with ONE worker process running one task at a time (prefetch 1, late ack, as
ingestion runs): publish rate, drain rate of no-op tasks, enqueue-to-start latency, worker RSS, and how long a
task takes to start again on a second worker after the first one is killed with SIGKILL mid-task. Queue
names are unique per run and removed afterwards (the broker is shared with other developers' runs).
"""
from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import psutil
import redis

RABBIT = "amqp://guest:guest@127.0.0.1:5672/"
REDIS = "redis://127.0.0.1:6379/13"   # the broker's own database
RECORD = redis.Redis.from_url("redis://127.0.0.1:6379/14")  # where tasks note when they ran
N_TASKS = 1000

CELERY_APP = """
import os, time, redis
from celery import Celery
record = redis.Redis.from_url("redis://127.0.0.1:6379/14")
app = Celery(broker=os.environ["BENCH_BROKER"])
app.conf.update(task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
                broker_connection_retry_on_startup=True, task_default_queue=os.environ["BENCH_QUEUE"],
                broker_transport_options={"visibility_timeout": 3600})

@app.task(name="bench.run")
def run(tag, seconds=0.0):
    record.rpush(tag, repr(time.time()))
    time.sleep(seconds)
"""

DRAMATIQ_APP = """
import os, time, redis, dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
record = redis.Redis.from_url("redis://127.0.0.1:6379/14")
url = os.environ["BENCH_BROKER"]
broker = RabbitmqBroker(url=url) if url.startswith("amqp") else RedisBroker(url=url)
dramatiq.set_broker(broker)

@dramatiq.actor(queue_name=os.environ["BENCH_QUEUE"], max_retries=0, time_limit=3_600_000)
def run(tag, seconds=0.0):
    record.rpush(tag, repr(time.time()))
    time.sleep(seconds)
"""


def start_worker(library: str, folder: Path, env: dict) -> subprocess.Popen:
    bindir = Path(sys.executable).parent
    if library == "celery":
        cmd = [str(bindir / "celery"), "-A", "bench_celery", "worker", "-c", "1", "-P", "solo", "-O", "fair",
               "-Q", env["BENCH_QUEUE"], "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "WARNING"]
    else:
        cmd = [str(bindir / "dramatiq"), "bench_dramatiq", "-p", "1", "-t", "1"]
    log = open(folder / f"worker-{time.time():.0f}.log", "w")
    return subprocess.Popen(cmd, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(tag: str, count: int, timeout: float) -> list[float]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if RECORD.llen(tag) >= count:
            return [float(x) for x in RECORD.lrange(tag, 0, -1)]
        time.sleep(0.02)
    return [float(x) for x in RECORD.lrange(tag, 0, -1)]


def worker_rss_mb(process: subprocess.Popen) -> float:
    parent = psutil.Process(process.pid)
    return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / 2**20


def measure(library: str, broker_url: str) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="brokerbench-"))
    (folder / "bench_celery.py").write_text(textwrap.dedent(CELERY_APP))
    (folder / "bench_dramatiq.py").write_text(textwrap.dedent(DRAMATIQ_APP))
    queue = f"scalebench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "BENCH_BROKER": broker_url, "BENCH_QUEUE": queue, "PYTHONPATH": str(folder),
           "dramatiq_queue_prefetch": "1"}
    os.environ.update({k: env[k] for k in ("BENCH_BROKER", "BENCH_QUEUE")})
    sys.path.insert(0, str(folder))
    module = __import__(f"bench_{library}")
    send = (lambda tag, s=0.0: module.run.delay(tag, s)) if library == "celery" else \
        (lambda tag, s=0.0: module.run.send(tag, s))
    result: dict = {"library": library, "broker": broker_url.split(":")[0]}
    worker = start_worker(library, folder, env)
    try:
        started = time.time()
        send("warm-" + queue)
        wait_for("warm-" + queue, 1, 60)
        result["worker_ready_s"] = round(time.time() - started, 2)
        result["worker_rss_mb"] = round(worker_rss_mb(worker), 1)
        # enqueue-to-start latency, one task at a time
        latencies = []
        for i in range(50):
            tag = f"lat-{queue}-{i}"
            t = time.time()
            send(tag)
            latencies.append((wait_for(tag, 1, 10)[0] - t) * 1000)
        result["latency_ms_p50"] = round(statistics.median(latencies), 2)
        result["latency_ms_p95"] = round(sorted(latencies)[int(0.95 * len(latencies)) - 1], 2)
        # publish rate, then drain rate, of no-op tasks
        tag = f"drain-{queue}"
        t = time.time()
        for _ in range(N_TASKS):
            send(tag)
        published = time.time()
        times = wait_for(tag, N_TASKS, 300)
        result["publish_per_s"] = round(N_TASKS / (published - t))
        result["drain_per_s"] = round(len(times) / (max(times) - t))
        # redelivery: SIGKILL the worker mid-task, start another one, time until the task runs again
        tag = f"kill-{queue}"
        send(tag, 30.0)
        wait_for(tag, 1, 30)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        killed = time.time()
        worker = start_worker(library, folder, env)
        runs = wait_for(tag, 2, 180)
        result["redelivered_after_kill_s"] = round(runs[1] - killed, 1) if len(runs) > 1 else "not within 180 s"
    finally:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        worker.wait()
        sys.path.remove(str(folder))
        sys.modules.pop(f"bench_{library}", None)
        cleanup(queue, broker_url)
    return result


def cleanup(queue: str, broker_url: str) -> None:
    for key in RECORD.scan_iter(f"*{queue}*"):
        RECORD.delete(key)
    if broker_url.startswith("amqp"):
        import pika

        connection = pika.BlockingConnection(pika.URLParameters(RABBIT))
        channel = connection.channel()
        for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
            channel.queue_delete(name)
        connection.close()
    else:
        broker = redis.Redis.from_url(broker_url)
        for key in broker.scan_iter(f"*{queue}*"):
            broker.delete(key)


def main() -> None:
    libraries = sys.argv[1:] or ["dramatiq", "celery"]
    results = [measure(library, url) for library in libraries for url in (RABBIT, REDIS)]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
