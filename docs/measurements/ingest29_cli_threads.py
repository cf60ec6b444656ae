"""`zhiku ingest <folder>`'s CPU by thread, before and after its first upload (issue #14 point 6, session 29): the
command runs as the bench runs it (its own process, an empty data folder), and every thread of it and of the graph
server it launches is read from /proc every 0.25 s. The command prints its start-up time; each thread's CPU is split
at that moment (the sample nearest to it), so what the start-up leaves running beside the first jobs shows.

    OMP_NUM_THREADS=1 python docs/measurements/ingest29_cli_threads.py FOLDER WORKDIR > threads.json

Thread names are Python's (`threading`) where Python started the thread, the kernel's otherwise (the model's OpenMP
threads, the JVM's); threads of one kind are summed.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _tasks(pid: int) -> dict[int, tuple[str, float]]:
    found = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        found[int(tid)] = (stat[stat.index("(") + 1:stat.rindex(")")], (int(fields[11]) + int(fields[12])) / TICK)
    return found


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for task in os.listdir(f"/proc/{pid}/task")
                for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except OSError:
        return []


def _kind(process: str, name: str) -> str:
    name = re.sub(r"[-_ ]?\d+$", "", re.sub(r"lease-[0-9a-f]+", "lease", name))
    return f"{process}: {name}"


def _table(cpu: dict[str, float]) -> dict[str, float]:
    return {"all": round(sum(cpu.values()), 2)} | {k: round(v, 2) for k, v in sorted(cpu.items(), key=lambda x: -x[1])
                                                   if v >= 0.05}


def main(folder: str, workdir: str) -> None:
    data = Path(workdir)
    shutil.rmtree(data, ignore_errors=True)
    env = {**os.environ, "ZHIKU_DATA_DIR": str(data)}
    env.pop("ZHIKU_DATABASE_URL", None)
    started = time.perf_counter()
    command = subprocess.Popen([sys.executable, "-m", "zhiku.api.cli", "ingest", folder, "--kb", "bench-ingest"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    samples: list[tuple[float, dict[tuple[int, int], tuple[str, float]]]] = []
    while command.poll() is None:
        now: dict[tuple[int, int], tuple[str, float]] = {}
        for pid in [command.pid, *_children(command.pid)]:
            process = "command" if pid == command.pid else "graph server"
            for tid, (name, cpu) in _tasks(pid).items():
                now[(pid, tid)] = (_kind(process, name), cpu)
        samples.append((time.perf_counter() - started, now))
        time.sleep(0.25)
    output = command.stdout.read()
    startup = float(re.search(r"start-up ([\d.]+) s", output).group(1))
    # the command's clock starts after its imports: put the split where its start-up ended on ours
    total = float(re.search(r"files ingested in ([\d.]+) s", output).group(1))
    split_at = samples[-1][0] - total + startup
    at_split = min(samples, key=lambda s: abs(s[0] - split_at))[1]
    last: dict[tuple[int, int], tuple[str, float]] = {}
    for _, now in samples:
        last.update(now)
    before, after = defaultdict(float), defaultdict(float)
    for key, (kind, cpu) in last.items():
        split = at_split.get(key, (kind, 0.0))[1]
        before[kind] += split
        after[kind] += cpu - split
    print(json.dumps({"output_tail": output.strip().splitlines()[-1], "startup_s": startup,
                      "cpu_before_first_upload": _table(before), "cpu_after_first_upload": _table(after),
                      "load_average": os.getloadavg()[0]}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
