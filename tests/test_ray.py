"""The worker pool on a real multi-node Ray cluster on this machine (ray.cluster_utils: a head
and two worker nodes on 127.0.0.1, each its own raylet), with the real Coq kernel: the same
proved set as the local pool, a node removed mid-run, a driver killed mid-run."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, qstar, requires_coq

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'qstar[ray]')")
pytestmark = pytest.mark.xdist_group("ray")  # one test process, one cluster (scripts/test.sh runs two)

CTX = "Require Import Reals Lra Lia.\nOpen Scope R_scope.\n"
STATEMENTS = [f"Lemma l{i} (x y : R) (h0 : x + y = {i + 3}) (h1 : x - y = 1) : x = {(i + 4) / 2}." for i in range(4)] + \
    [f"Lemma n{i} (a b : nat) : (a + b + {i} = {i} + b + a)%nat." for i in range(4)] + \
    ["Lemma hard (x : R) (h : x * x * x = 8) : x = 2.", "Lemma bad (x : R) (h : x = 1) : x = 2."]
COMMON = ["--model", "none", "--budget", "6", "--timeout", "8", "--tactic-timeout", "3", "--hammer", "off",
          "--goal-args", "off"]


def _suite(tmp_path, names=None):
    path = tmp_path / "suite.jsonl"
    with open(path, "w") as f:
        for s in STATEMENTS:
            if names is not None and s.split()[1] not in names:
                continue
            f.write(json.dumps({"name": s.split()[1], "split": "test", "header": CTX, "formal_statement": s}) + "\n")
    return path


def _rows(folder):
    return [json.loads(line) for line in open(folder / "results.jsonl")]


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gcs_running() -> bool:
    """Whether any Ray runtime's GCS runs on this machine (what ``--cluster ray`` would join)."""
    import pathlib
    for cmd in pathlib.Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"gcs_server" in cmd.read_bytes().split(b"\0")[0]:
                return True
        except OSError:
            continue
    return False


def _has_client() -> bool:
    import importlib.util
    return importlib.util.find_spec("grpc") is not None  # what ray[client] adds


@pytest.fixture(scope="module")
def client_port():
    """The port of the Ray Client server the test cluster's head runs (chosen when the cluster
    starts, not at import)."""
    return _free_port()


@pytest.fixture(scope="module")
def local_proved(tmp_path_factory):
    """What the local pool (two worker processes, no Ray) proves of the whole suite: run once, the
    baseline every cluster run of this module is compared with."""
    out = tmp_path_factory.mktemp("local")
    r = qstar("bench", str(_suite(out)), "--out", str(out / "local"), "--workers", "2", *COMMON)
    assert r.returncode == 0, r.stderr
    rows = _rows(out / "local")
    assert sorted(x["name"] for x in rows) == sorted(s.split()[1] for s in STATEMENTS)
    return frozenset(x["name"] for x in rows if x["status"] == "proved")


@pytest.fixture(scope="module")
def cluster(client_port):
    from ray.cluster_utils import Cluster
    head = {"num_cpus": 1, **({"ray_client_server_port": client_port} if _has_client() else {})}
    c = Cluster(initialize_head=True, head_node_args=head)
    nodes = [c.add_node(num_cpus=1), c.add_node(num_cpus=1)]
    c.wait_for_nodes()
    yield c, nodes
    c.shutdown()


def test_the_ray_tests_run_in_one_test_process(request):
    """Two test processes each starting a cluster would join each other's ("auto" finds any local
    runtime): the module's xdist_group must hold (it did not under pytest 9 with xdist 3.8)."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not run with --dist loadgroup")
    assert request.node.nodeid.endswith("@ray"), request.node.nodeid


def test_cluster_without_ray_says_how_to_install(tmp_path):
    fake = tmp_path / "noray" / "ray"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('no ray here')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "noray")}
    r = qstar("bench", str(_suite(tmp_path)), "--out", str(tmp_path / "b"), "--cluster", "ray", *COMMON, env=env)
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert "pip install 'qstar[ray]'" in last and "Traceback" not in r.stderr
    r = qstar("bench", str(_suite(tmp_path)), "--out", str(tmp_path / "c"), "--cluster", "moon", *COMMON)
    assert r.returncode != 0 and "--cluster 'moon'" in r.stderr


@requires_coq
def test_cluster_ray_with_no_runtime_running_starts_one_that_lives_as_long_as_the_run(tmp_path, local_proved):
    """The README's one-machine path: no Ray runtime runs (this test comes before the module's
    cluster starts), `--cluster ray` starts one, and it lives through the run (started from a
    short-lived thread, Ray's parent-death signal would kill its GCS and raylet at once)."""
    assert not _gcs_running(), "a Ray runtime already runs on this machine (`ray stop` ends it)"
    names = ["l0", "n0", "bad"]
    suite = _suite(tmp_path, names)
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    r = qstar("bench", str(suite), "--out", str(tmp_path / "ray"), "--cluster", "ray", "--workers", "2", *COMMON,
              env=env, timeout=400)
    assert r.returncode == 0, r.stderr[-2000:]
    assert sorted(x["name"] for x in _rows(tmp_path / "ray")) == sorted(names)  # every row
    proved = lambda d: {x["name"] for x in _rows(tmp_path / d) if x["status"] == "proved"}  # noqa: E731
    assert proved("ray") == local_proved & set(names) == {"l0", "n0"}


@requires_coq
def test_a_ray_cluster_proves_what_the_local_pool_proves_and_survives_a_lost_node(tmp_path, cluster,
                                                                                 local_proved):
    c, nodes = cluster
    suite, local = _suite(tmp_path), local_proved
    assert {"l0", "n0"} <= local and "bad" not in local
    # a worker node removed in the middle of a run: every theorem still recorded exactly once, and
    # the proved set is the local pool's (the same run without a loss is the Ray Client test's and
    # the `--cluster ray` test's)
    out = tmp_path / "lost"
    p = subprocess.Popen([sys.executable, "-m", "agent.cli", "bench", str(suite), "--out", str(out),
                          "--cluster", c.address, *COMMON], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while not (out / "results.jsonl").is_file() or not (out / "results.jsonl").read_text().strip():
        assert p.poll() is None and time.monotonic() - t0 < 300, "the run ended before any theorem"
        time.sleep(0.2)
    c.remove_node(nodes[1])
    _, err = p.communicate(timeout=600)
    assert p.returncode == 0, err
    # one worker per node (a worker takes a CPU; each node has one): the removed node's worker
    # was lost with its theorem, or with the next one handed to it
    assert "a worker was lost during" in err
    rows = _rows(out)
    assert sorted(x["name"] for x in rows) == sorted(s.split()[1] for s in STATEMENTS)
    assert {x["name"] for x in rows if x["status"] == "proved"} == local
    assert not any(x["stop_reason"] == "internal_error" for x in rows)
    c.add_node(num_cpus=1)  # back to three nodes for the next test
    c.wait_for_nodes()


@requires_coq
def test_a_driver_killed_mid_run_resumes_with_no_theorem_lost_or_twice(tmp_path, cluster):
    c, _ = cluster
    suite, out = _suite(tmp_path), tmp_path / "killed"
    args = [sys.executable, "-m", "agent.cli", "bench", str(suite), "--out", str(out), "--cluster", c.address, *COMMON]
    p = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    while not (out / "results.jsonl").is_file() or len((out / "results.jsonl").read_text().splitlines()) < 2:
        assert p.poll() is None and time.monotonic() - t0 < 300
        time.sleep(0.1)
    p.send_signal(signal.SIGKILL)
    p.wait()
    before = len(_rows(out))
    assert before < len(STATEMENTS)
    r = qstar("bench", str(suite), "--out", str(out), "--cluster", c.address, "--resume", *COMMON)
    assert r.returncode == 0, r.stderr
    rows = _rows(out)
    assert sorted(x["name"] for x in rows) == sorted(s.split()[1] for s in STATEMENTS)


@requires_coq
@pytest.mark.skipif(not (ROOT / "agent" / "default_model" / "v1" / "config.json").exists(),
                    reason="no bundled LM in this checkout (agent/default_model/v1)")
def test_the_model_actor_serves_the_network_and_its_value_to_every_worker(tmp_path, cluster):
    c, _ = cluster
    # the statements the assertions below are about (the long-running ones add nothing here)
    suite = _suite(tmp_path, names=("l0", "l1", "n0", "n1", "bad"))
    net = ["--model", "default-lm", "--ordering", "astar", "--astar-lambda", "0.5", "--samples", "4",
           *COMMON[2:]]
    r = qstar("collect", str(suite), "--out", str(tmp_path / "net"), "--cluster", c.address, *net)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in open(tmp_path / "net" / "records.jsonl")]
    assert sorted(x["name"] for x in rows) == ["bad", "l0", "l1", "n0", "n1"]
    proved = {x["name"] for x in rows if x["status"] == "proved"}
    assert {"l0", "l1", "n0", "n1"} <= proved and "bad" not in proved
    assert not any(x["stop_reason"] == "internal_error" for x in rows)
    # the network's candidates reached the workers' searches through the model actor, and A*
    # ordered their nodes by its value
    edges = [e for x in rows for e in x["tree"]["edges"]]
    assert any("lm" in (e.get("sources") or {}) for e in edges)
    assert any(n["value"] is not None for x in rows for n in x["tree"]["nodes"])


def test_a_worker_that_cannot_start_says_why_in_one_line(tmp_path, cluster):
    c, _ = cluster
    r = qstar("bench", str(_suite(tmp_path)), "--out", str(tmp_path / "b"), "--cluster", c.address,
              "--retrieval", str(tmp_path / "missing.jsonl.gz"), *COMMON)
    assert r.returncode == 2, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "did not start" in last and "no such file" in last and "Traceback" not in r.stderr


def test_an_address_where_no_cluster_answers_ends_in_one_line_within_the_deadline():
    code = ("import sys\nfrom agent.backends import UsageError\nfrom agent.bench.ray_pool import connect\n"
            "try:\n    connect('127.0.0.1:1', timeout=3)\n"
            "except UsageError as e:\n    print(f'qstar: error: {e}', file=sys.stderr); sys.exit(2)\n")
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert time.monotonic() - t0 < 60  # Ray alone waits minutes here; the process must not hang at exit
    last = r.stderr.strip().splitlines()[-1]
    assert "no Ray cluster answered within 3 s" in last and "Traceback" not in r.stderr


@requires_coq
def test_a_worker_past_its_deadline_is_killed_and_its_theorem_recorded_once(tmp_path, cluster):
    # a deadline no real theorem meets (loading Reals alone takes longer): each attempt's worker
    # is killed and replaced, and after the last attempt the theorem is recorded as an error
    c, _ = cluster
    code = f"""
import json, sys
from agent.bench.bench import BenchConfig, bench_items
from agent.bench.ray_pool import MAX_ATTEMPTS, run_items_ray
from agent.search.searcher import SearchConfig
search = SearchConfig(model="none", budget=6, timeout=8, tactic_timeout=3, hammer="off", goal_args="off")
items = bench_items(BenchConfig(suite={str(_suite(tmp_path))!r}, out="", search=search, limit=2))
out = [(it.theorem.name, rec.to_json()) for it, rec in
       run_items_ray(items, search_cfg=search, cluster={c.address!r}, check_timeout=30, deadline=0.3)]
print(json.dumps(out))
"""
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert sorted(name for name, _ in out) == ["l0", "l1"]  # each recorded exactly once
    for _, rec in out:
        assert rec["status"] == "error" and rec["stop_reason"] == "internal_error"
        assert "lost 3 times" in rec["message"] and "killed" in rec["message"]
    assert r.stderr.count("no answer within 0.3 s: killed") == 6  # three attempts each


@requires_coq
@pytest.mark.skipif(not _has_client(), reason="Ray Client is not installed (pip install 'ray[client]')")
def test_a_driver_through_ray_client_proves_the_same_set(tmp_path, cluster, client_port, local_proved):
    # ray://HOST:PORT: the command runs off the cluster (a laptop) and drives it through Ray Client
    names = ("l0", "l1", "n0", "n1", "bad")
    suite = _suite(tmp_path, names=names)
    r = qstar("bench", str(suite), "--out", str(tmp_path / "client"), "--cluster", f"ray://127.0.0.1:{client_port}",
              *COMMON)
    assert r.returncode == 0, r.stderr
    rows = _rows(tmp_path / "client")
    assert sorted(x["name"] for x in rows) == sorted(names)
    proved = {x["name"] for x in rows if x["status"] == "proved"}
    assert proved == local_proved & set(names) and {"l0", "n0"} <= proved and "bad" not in proved
    assert not any(x["stop_reason"] == "internal_error" for x in rows)


@requires_coq
def test_a_model_actor_that_stops_answering_fails_its_theorem_not_the_run(tmp_path, cluster):
    # a kernel worker's wait on the model actor has a deadline (PROPOSE_TIMEOUT, cut to 1 s here):
    # an actor that never answers makes that theorem an internal error, and the worker goes on
    c, _ = cluster
    code = f"""
import json, time, ray
from agent.bench import ray_pool
from agent.bench.bench import BenchConfig, bench_items
from agent.bench.pool import Worker
from agent.search.searcher import Models, SearchConfig, build_searcher
ray.init(address={c.address!r}, log_to_driver=False)

class Hang:  # a test double of the model actor: it never answers
    def propose(self, theorem, state):
        time.sleep(3600)

hang = ray.remote(Hang).options(num_cpus=0).remote()
ray_pool.PROPOSE_TIMEOUT = 1.0
search = SearchConfig(model="none", budget=6, timeout=30, tactic_timeout=3, hammer="off", goal_args="off")
lm = ray_pool._RemoteLM(hang)
worker = Worker(build_searcher(search, models=Models(lm, lm, None)), check_timeout=30, keep_tree=False, options={{}})
items = bench_items(BenchConfig(suite={str(_suite(tmp_path, ["l0", "n0"]))!r}, out="", search=search))
t0 = time.monotonic()
out = [worker.prove(it).to_json() for it in items]
print(json.dumps({{"records": out, "seconds": time.monotonic() - t0}}))
worker.close()
"""
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert [x["stop_reason"] for x in got["records"]] == ["internal_error", "internal_error"]
    assert all("GetTimeoutError" in x["message"] for x in got["records"])
    assert got["seconds"] < 60  # each theorem's wait ended at the deadline, not at the search's 30 s
