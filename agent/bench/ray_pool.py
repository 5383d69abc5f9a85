"""The worker pool on Ray (``--cluster ray`` or ``ray://HOST:PORT``): kernel workers as actors
across the machines of a cluster, one model actor shared by all of them, the driver alone
writing the run's log.

- **Kernel workers**: one actor per CPU the cluster offers (or ``--workers``), each a ``Worker``
  of the local pool (its Coq or Lean processes, with their deadlines and restarts, the
  cheap candidate sources, Q, the search and the sound final check). A node that runs workers
  needs the prover toolchain and qstar installed.
- **Model actor**: the tactic model and the value (``load_models``), on a GPU when the config
  asks for CUDA and the cluster has one, else on the driver's node. It serves many workers'
  calls at once (a threaded actor), so the batching policy batches them as the local pool's
  does; Ray restarts it if it dies, and retries the calls.
- **Driver**: hands out theorems one at a time to idle workers, yields each record as it
  arrives (the caller appends it to the JSONL, so ``--resume`` works as on one machine), and
  sends every checked proof's steps to all workers' retrieval databases (``--online on``).

Faults: a worker actor or its whole node lost mid-theorem raises on the driver; the theorem goes
back to the queue (retried on another worker, counted once) and a replacement worker is started
where the cluster has room. After ``MAX_ATTEMPTS`` losses the theorem is recorded as an internal
error, never dropped. A driver killed mid-run leaves the log with every finished theorem;
rerunning the command with ``--resume`` runs the rest.
"""

from __future__ import annotations

import sys
from collections import deque
from typing import Iterable, Iterator

MAX_ATTEMPTS = 3
INSTALL = "--cluster ray needs Ray: pip install 'qstar[ray]' (or pip install 'ray[client]')"


def import_ray():
    """Ray, imported only when asked for; a one-line error naming the install when it is absent."""
    try:
        import ray
    except ImportError:
        from agent.backends import UsageError
        raise UsageError(INSTALL) from None
    return ray


def connect(cluster: str) -> bool:
    """Join ``cluster`` (``ray``: a runtime on this machine, started if none runs; ``ray://...``:
    a cluster through Ray Client; any other address: a cluster's GCS). True if this call
    started or joined it (and the caller should disconnect at the end)."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    if cluster == "ray":
        try:
            ray.init(address="auto", log_to_driver=False)
        except (ConnectionError, RuntimeError):
            ray.init(log_to_driver=False)
    else:
        ray.init(address=cluster, log_to_driver=False)
    return True


class _RemoteLM:
    """A kernel worker's view of the model actor's tactic model (``.for_theorem``)."""

    def __init__(self, actor):
        self.actor = actor

    def for_theorem(self, name: str):
        ray = import_ray()
        return lambda state: ray.get(self.actor.propose.remote(name, state))

    bind = for_theorem

    def close(self) -> None:
        pass


class _RemoteValue:
    """A kernel worker's view of the model actor's value."""

    def __init__(self, actor):
        self.actor = actor

    def __call__(self, states):
        return import_ray().get(self.actor.value.remote(list(states)))

    def heuristic(self, v: float) -> float:
        from agent.search.best_first import neg_log
        return neg_log(v)


class ModelServer:
    """The model actor: the tactic model and the value, loaded once for the whole cluster."""

    def __init__(self, search_cfg):
        import threading

        from agent.search.searcher import load_models
        self.models = load_models(search_cfg, batching=True)
        self._value_lock = threading.Lock()  # the calls arrive on many threads; the value batches itself

    def has(self) -> tuple[bool, bool]:
        return self.models.policy is not None, self.models.value is not None

    def propose(self, theorem: str, state):
        return self.models.server.for_theorem(theorem)(state)

    def value(self, states):
        with self._value_lock:
            return self.models.value(states)

    def close(self) -> None:
        if self.models.server is not None:
            self.models.server.close()


class KernelWorker:
    """A kernel worker actor: the local pool's ``Worker`` with the model actor's proxies."""

    def __init__(self, search_cfg, check_timeout: float, keep_tree: bool, options: dict, models_actor, has):
        from agent.bench.pool import Worker
        from agent.search.searcher import Models, build_searcher
        lm, value = has
        models = Models(_RemoteLM(models_actor) if lm else None, _RemoteLM(models_actor) if lm else None,
                        _RemoteValue(models_actor) if value else None)
        self.searcher = build_searcher(search_cfg, models=models)
        self.learned: list = []
        self._learn = self.searcher.learn
        if self._learn is not None:  # keep this worker's checked proofs, for the driver to share
            def keep(steps):
                self._learn(steps)
                self.learned.append(steps)
            self.searcher.learn = keep
        self.worker = Worker(self.searcher, check_timeout=check_timeout, keep_tree=keep_tree, options=options)

    def node(self) -> str:
        import ray
        return ray.get_runtime_context().get_node_id()

    def prove(self, item):
        rec = self.worker.prove(item)
        learned, self.learned = self.learned, []
        return rec, learned

    def learn(self, steps) -> None:
        """Steps of a proof another worker found and checked: into this worker's retrieval."""
        if self._learn is not None:
            self._learn(steps)

    def close(self) -> None:
        self.worker.close()


def run_items_ray(items: Iterable, *, search_cfg, cluster: str, check_timeout: float, workers: int = 0,
                  keep_tree: bool = False, backend_options: dict | None = None,
                  progress=None) -> Iterator[tuple[object, object]]:
    """Prove each item on the cluster; yield (item, record) as they finish (any order)."""
    from agent.search.prover import TheoremRecord
    ray = import_ray()
    items = list(items)
    started = connect(cluster)
    server, spawned = None, []
    try:
        here = ray.get_runtime_context().get_node_id()
        gpu = search_cfg.device != "cpu" and ray.cluster_resources().get("GPU", 0) >= 1
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        where = {"num_gpus": 1} if gpu else {"scheduling_strategy": NodeAffinitySchedulingStrategy(here, soft=True)}
        server = ray.remote(ModelServer).options(num_cpus=0, max_concurrency=64, max_restarts=3,
                                                 max_task_retries=-1, **where).remote(search_cfg)
        has = ray.get(server.has.remote())
        n = max(1, min(workers or _cpus(ray), len(items)))
        actor = ray.remote(KernelWorker).options(num_cpus=1, max_restarts=0)
        opts = backend_options or {}

        def spawn():
            w = actor.remote(search_cfg, check_timeout, keep_tree, opts, server, has)
            spawned.append(w)
            return w

        idle = deque(spawn() for _ in range(n))
        try:  # a worker that cannot start (a bad flag, no prover on its node) says why, once
            ray.get([w.node.remote() for w in idle])
        except ray.exceptions.RayActorError as e:
            from agent.backends import UsageError
            lines = [line.strip() for line in str(e).splitlines() if "Error: " in line] or [str(e)]
            why = lines[-1].split("Error: ", 1)[-1]  # the cause the traceback ends with
            raise UsageError(f"a kernel worker did not start on the cluster: {why[:300]}") from None
        live = n
        todo = deque((it, 0) for it in items)
        running: dict = {}  # future -> (item, attempts, worker)
        while todo or running:
            while todo and idle:
                it, tries = todo.popleft()
                w = idle.popleft()
                running[w.prove.remote(it)] = (it, tries, w)
            if not running:
                raise RuntimeError("no CPU left in the Ray cluster for a kernel worker; the log keeps "
                                   "every finished theorem: rerun with --resume when the cluster is back")
            done, _ = ray.wait(list(running), num_returns=1)
            it, tries, w = running.pop(done[0])
            try:
                rec, learned = ray.get(done[0])
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError,
                    ray.exceptions.NodeDiedError, ray.exceptions.ObjectLostError) as e:
                live -= 1
                print(f"qstar: a worker was lost during {it.theorem.name} ({type(e).__name__}); "
                      "it goes back to the queue", file=sys.stderr)
                if tries + 1 >= MAX_ATTEMPTS:
                    yield it, TheoremRecord(it.theorem.name, "error", None, 0, 0.0, "internal_error",
                                            f"its worker was lost {MAX_ATTEMPTS} times")
                else:
                    todo.appendleft((it, tries + 1))
                if live < min(n, _cpus(ray)):  # the cluster still has room: a replacement
                    idle.append(spawn())
                    live += 1
                continue
            idle.append(w)
            for steps in learned:  # online learning across the cluster
                for other in list(idle) + [v[2] for v in running.values()]:
                    if other is not w:
                        other.learn.remote(steps)
            yield it, rec
    finally:
        for w in spawned:
            try:
                ray.get(w.close.remote(), timeout=30)
            except Exception:  # already dead, or stuck: killed below either way
                pass
            ray.kill(w)
        if server is not None:
            ray.kill(server)
        if started:
            ray.shutdown()


def _cpus(ray) -> int:
    """CPUs of the cluster's live nodes."""
    return max(int(ray.cluster_resources().get("CPU", 0)), 0)
