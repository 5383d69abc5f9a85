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
where the cluster has room. A worker that has not answered by the theorem's deadline (every
limit a theorem's work has, summed, plus slack: ``theorem_deadline``) is killed and counted as
lost the same way. After ``MAX_ATTEMPTS`` losses the theorem is recorded as an internal error,
never dropped. A driver killed mid-run leaves the log with every finished theorem; rerunning the
command with ``--resume`` runs the rest. Joining the cluster and starting the actors have
deadlines too (``CONNECT_TIMEOUT``, ``START_TIMEOUT``): an address where no cluster answers ends
the run with one line instead of waiting.
"""

from __future__ import annotations

import sys
from collections import deque
from typing import Iterable, Iterator

MAX_ATTEMPTS = 3
CONNECT_TIMEOUT = 60.0  # seconds to join a cluster (Ray itself waits minutes on a dead address)
LOCAL_START_TIMEOUT = 180.0  # seconds to join or start a Ray runtime on this machine
START_TIMEOUT = 600.0  # seconds for the model actor (a GPU model's load) and the workers to start
SLACK = 120.0  # seconds a worker may run past the sum of a theorem's limits before it is killed
INSTALL = "--cluster ray needs Ray: pip install 'qstar[ray]' (or pip install 'ray[client]')"


def import_ray():
    """Ray, imported only when asked for; a one-line error naming the install when it is absent."""
    try:
        import ray
    except ImportError:
        from agent.backends import UsageError
        raise UsageError(INSTALL) from None
    return ray


def connect(cluster: str, timeout: float = CONNECT_TIMEOUT) -> bool:
    """Join ``cluster`` (``ray``: a runtime on this machine, started if none runs; ``ray://...``:
    a cluster through Ray Client; any other address: a cluster's GCS). True if this call
    started or joined it (and the caller should disconnect at the end). No answer within
    ``timeout`` seconds, or an address Ray refuses: a one-line ``UsageError``."""
    import threading

    from agent.backends import UsageError
    ray = import_ray()
    if ray.is_initialized():
        return False
    outcome: list = []

    def join(address) -> None:
        try:
            ray.init(address=address, log_to_driver=False)
            outcome.append(None)
        except Exception as e:  # noqa: BLE001 - said in one line below
            outcome.append(e)

    # Joining: Ray's own wait on an address where nothing answers runs for minutes, so it runs in
    # a thread we stop waiting for (and from a thread Ray leaves qstar's SIGTERM handling alone).
    import logging
    quiet = _Drop("SIGTERM handler is not set")  # Ray's note that it joins from a thread
    logging.getLogger("ray._private.worker").addFilter(quiet)
    for attempt in range(2):
        t = threading.Thread(target=join, args=("auto" if cluster == "ray" else cluster,), name="ray-init",
                             daemon=True)
        t.start()
        t.join(LOCAL_START_TIMEOUT if cluster == "ray" else timeout)
        # Ray Client's proxy starts a server process per driver; one that dies at start (seen
        # under load: empty logs, "Starting Ray client server failed") is worth one more try
        if attempt or not (outcome and outcome[0] is not None and "client server failed" in str(outcome[0])):
            break
        print("qstar: Ray Client's server for this driver did not start; trying once more", file=sys.stderr)
        outcome.clear()
        ray.shutdown()
    logging.getLogger("ray._private.worker").removeFilter(quiet)
    if cluster == "ray" and outcome and isinstance(outcome[0], (ConnectionError, RuntimeError)):
        # No runtime runs here: start one from the calling (main) thread. Ray starts its GCS and
        # raylet with the parent-death signal, which Linux sends when the *thread* that started
        # them ends: started from a short-lived thread, they would die at once.
        outcome.clear()
        _start_local(ray, outcome)
    if not outcome:
        if cluster == "ray":
            raise UsageError(f"--cluster ray: no Ray runtime started on this machine within "
                             f"{LOCAL_START_TIMEOUT:.0f} s (`ray status` says what runs)")
        raise UsageError(f"--cluster {cluster}: no Ray cluster answered within {timeout:.0f} s "
                         "(is it running? `ray status` on its head says)")
    if outcome[0] is not None:
        e = outcome[0]
        why = " ".join(str(e).split())[:300]
        if cluster.startswith("ray://") and "ray[client]" in why:
            why = "ray:// addresses need Ray Client: pip install 'qstar[ray]' (or pip install 'ray[client]')"
        raise UsageError(f"--cluster {cluster}: could not join: {why}")
    return True


class _StartTimeout(Exception):
    pass


def _start_local(ray, outcome: list) -> None:
    """``ray.init()`` (a new runtime on this machine, living as long as this process) in this
    thread, cut after LOCAL_START_TIMEOUT by SIGALRM in the main thread; the signal handlers
    qstar had (agent.proc.interrupt: SIGTERM, SIGHUP, SIGINT) are put back after Ray's."""
    import signal
    import threading
    main = threading.current_thread() is threading.main_thread()
    kept = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)} if main else {}

    def alarm(signum, frame):
        raise _StartTimeout()

    old_alarm = signal.signal(signal.SIGALRM, alarm) if main else None
    if main:
        signal.setitimer(signal.ITIMER_REAL, LOCAL_START_TIMEOUT)
    try:
        ray.init(log_to_driver=False)
        outcome.append(None)
    except _StartTimeout:
        ray.shutdown()  # nothing appended: the caller says the runtime did not start in time
    except Exception as e:  # noqa: BLE001 - said in one line by the caller
        outcome.append(e)
    finally:
        if main:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_alarm)
            for s, h in kept.items():
                if h is not None:
                    signal.signal(s, h)


class _Drop:
    """A logging filter that drops the records whose message contains ``text``."""

    def __init__(self, text: str):
        self.text = text

    def filter(self, record) -> bool:
        return self.text not in record.getMessage()


def theorem_deadline(search_cfg, check_timeout: float) -> float:
    """Seconds a worker may take on one theorem before the driver counts it lost: the search's
    limit, the statement's load (Coq's, or Lean's header and statement), two final checks (the
    theorem's, and its bare statement's when a prelude is dropped), the hammer's cut, plus
    ``SLACK``."""
    from agent.backends import load_limit
    hammer = 2 * search_cfg.hammer_limit + 15 if search_cfg.hammer in ("auto", "full") else 0.0
    return search_cfg.timeout + load_limit() + 2 * check_timeout + hammer + SLACK


PROPOSE_TIMEOUT = 300.0  # seconds a kernel worker waits for the model actor's proposals for one state


class _RemoteLM:
    """A kernel worker's view of the model actor's tactic model (``.for_theorem``)."""

    def __init__(self, actor):
        self.actor = actor

    def for_theorem(self, name: str):
        ray = import_ray()
        # a model actor that stops answering fails this theorem (an internal error), not the run
        return lambda state: ray.get(self.actor.propose.remote(name, state), timeout=PROPOSE_TIMEOUT)

    bind = for_theorem

    def close(self) -> None:
        pass


class _RemoteValue:
    """A kernel worker's view of the model actor's value."""

    def __init__(self, actor):
        self.actor = actor

    def __call__(self, states):
        return import_ray().get(self.actor.value.remote(list(states)), timeout=PROPOSE_TIMEOUT)

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
                  deadline: float | None = None) -> Iterator[tuple[object, object]]:
    """Prove each item on the cluster; yield (item, record) as they finish (any order).
    ``deadline``: seconds a worker may take on one theorem (default ``theorem_deadline``)."""
    import time

    from agent.backends import UsageError
    from agent.search.prover import TheoremRecord
    ray = import_ray()
    items = list(items)
    deadline = deadline if deadline is not None else theorem_deadline(search_cfg, check_timeout)
    started = connect(cluster)
    server, spawned = None, []
    try:
        here = ray.get_runtime_context().get_node_id()
        gpu = search_cfg.device != "cpu" and ray.cluster_resources().get("GPU", 0) >= 1
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        where = {"num_gpus": 1} if gpu else {"scheduling_strategy": NodeAffinitySchedulingStrategy(here, soft=True)}
        server = ray.remote(ModelServer).options(num_cpus=0, max_concurrency=64, max_restarts=3,
                                                 max_task_retries=-1, **where).remote(search_cfg)
        try:
            has = ray.get(server.has.remote(), timeout=START_TIMEOUT)
        except ray.exceptions.GetTimeoutError:
            raise UsageError(f"the model actor did not start within {START_TIMEOUT:.0f} s") from None
        n = max(1, min(workers or _cpus(ray), len(items)))
        actor = ray.remote(KernelWorker).options(num_cpus=1, max_restarts=0)
        opts = backend_options or {}

        def spawn():
            w = actor.remote(search_cfg, check_timeout, keep_tree, opts, server, has)
            spawned.append(w)
            return w

        idle = deque(spawn() for _ in range(n))
        try:  # a worker that cannot start (a bad flag, no prover on its node) says why, once
            ray.get([w.node.remote() for w in idle], timeout=START_TIMEOUT)
        except ray.exceptions.GetTimeoutError:
            raise UsageError(f"no kernel worker started within {START_TIMEOUT:.0f} s: does the cluster "
                             "have a free CPU? (`ray status`)") from None
        except ray.exceptions.RayActorError as e:
            lines = [line.strip() for line in str(e).splitlines() if "Error: " in line] or [str(e)]
            why = lines[-1].split("Error: ", 1)[-1]  # the cause the traceback ends with
            raise UsageError(f"a kernel worker did not start on the cluster: {why[:300]}") from None
        live = n
        todo = deque((it, 0) for it in items)
        running: dict = {}  # future -> (item, attempts, worker, when the driver stops waiting)

        def lost(it, tries, why):
            """A worker lost with ``it``: the theorem back to the queue (or its record, at the
            last attempt), and a replacement worker where the cluster has room."""
            nonlocal live
            live -= 1
            last = tries + 1 >= MAX_ATTEMPTS
            print(f"qstar: a worker was lost during {it.theorem.name} ({why}); "
                  + ("it is recorded as an error" if last else "it goes back to the queue"), file=sys.stderr)
            if live < min(n, _cpus(ray)):
                idle.append(spawn())
                live += 1
            if last:
                return TheoremRecord(it.theorem.name, "error", None, 0, 0.0, "internal_error",
                                     f"its worker was lost {MAX_ATTEMPTS} times (last: {why})")
            todo.appendleft((it, tries + 1))
            return None

        while todo or running:
            while todo and idle:
                it, tries = todo.popleft()
                w = idle.popleft()
                running[w.prove.remote(it)] = (it, tries, w, time.monotonic() + deadline)
            if not running:
                raise RuntimeError("no CPU left in the Ray cluster for a kernel worker; the log keeps "
                                   "every finished theorem: rerun with --resume when the cluster is back")
            wait = max(0.0, min(v[3] for v in running.values()) - time.monotonic())
            done, _ = ray.wait(list(running), num_returns=1, timeout=wait)
            if not done:  # past its deadline: the worker is stuck (or its node unreachable)
                now = time.monotonic()
                for fut in [f for f, v in running.items() if v[3] <= now]:
                    it, tries, w, _ = running.pop(fut)
                    ray.kill(w, no_restart=True)
                    rec = lost(it, tries, f"no answer within {deadline:g} s: killed")
                    if rec is not None:
                        yield it, rec
                continue
            it, tries, w, _ = running.pop(done[0])
            try:
                rec, learned = ray.get(done[0])
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError,
                    ray.exceptions.NodeDiedError, ray.exceptions.ObjectLostError) as e:
                rec = lost(it, tries, type(e).__name__)
                if rec is not None:
                    yield it, rec
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
