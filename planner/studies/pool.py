"""Run many solves of one compiled LP: serially, on local processes, or on a Dask cluster.

A `Job` is the LP every case starts from (plain arrays: HiGHS objects do not pickle), variants shipped
once (e.g. every scenario's numbers) and a readout that turns a solved case into the numbers a study
keeps. A `Case` is a variant, a few changed numbers, and columns fixed at given values.

Work is cut into chunks fixed by case index, never by the number of workers, and chunk k always goes
to worker k mod W. A worker keeps one warm HiGHS model per job. A case with a `key` (a scenario solved
again and again at new first-stage decisions) starts from its own last basis, kept by the worker that
solved it; a case with a `start` from that key's basis (the same scenario at another plan); any other
case from the job's base basis at the start of its chunk, else from the previous case's. Every solve
therefore starts from a basis that does not depend on how many workers there are, and the answer depends
only on the LP and its starting basis, so numbers are identical serially, on local processes and on Dask.
A case that only moves fixed columns from the case before keeps its basis without a HiGHS run where that
basis stays optimal (`models.solve.KeptBasisSolver`). One HiGHS thread per process, processes started with
`spawn`, never two solves in threads of one process.
"""
from __future__ import annotations

import pickle
import uuid
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Callable

import numpy as np

from models.compiled import LinearProgram
from models.solve import KeptBasisSolver, Solver

Basis = tuple[np.ndarray, np.ndarray]
Numbers = dict[str, tuple[np.ndarray, np.ndarray]]  # target array -> (positions, values)


@dataclass
class Case:
    numbers: Numbers = field(default_factory=dict)
    variant: int | None = None  # apply the job's variant first (e.g. a scenario), then `numbers`
    fixed: tuple[np.ndarray, np.ndarray] | None = None  # columns fixed at values (lower = upper)
    key: object = None  # solve from this key's last basis (kept by the worker), and keep the new one
    start: object = None  # without a basis of its own yet, start from this key's (e.g. the same scenario's)


@dataclass
class Job:
    lp: LinearProgram
    basis: Basis  # the base solution's basis: every chunk starts here
    readout: Callable[[Solver, str, Case], object]  # (solver, status, case) -> result; importable, picklable
    variants: list[Numbers] = field(default_factory=list)  # shipped once per worker, named by cases
    key: str = field(default_factory=lambda: uuid.uuid4().hex)

    def case_lp(self, case: Case) -> LinearProgram:
        arrays = {}
        layers = ([self.variants[case.variant]] if case.variant is not None else []) + [case.numbers]
        if case.fixed is not None:
            layers.append({"col_lower": case.fixed, "col_upper": case.fixed})
        for numbers in layers:
            for target, (where, values) in numbers.items():
                array = arrays.get(target)
                if array is None:
                    array = arrays[target] = getattr(self.lp, target).copy()
                array[where] = values
        return self.lp.with_numbers(**arrays)


def chunk_size(lp: LinearProgram) -> int:
    """Cases per chunk: about 0.1–1 s of warm re-solves, from the LP's size alone. A chunk's first case starts
    from the base basis and pays for the distance from it, so chunks must be long enough to amortise that."""
    return int(min(64, max(2, 1_000_000 // max(lp.num_col, 1))))


@dataclass
class _Warm:
    job: Job
    solver: KeptBasisSolver
    base: object  # job.basis as a HighsBasis, converted once
    bases: dict = field(default_factory=dict)  # case key -> the HiGHS basis it ended at


_WARM: OrderedDict[str, _Warm] = OrderedDict()  # per worker process: the live models of the latest jobs
_KEEP_JOBS = 2  # a study alternates between a few jobs (scenario solves, wait-and-see): keep their bases


def _warm_for(job: Job) -> _Warm:
    if job.key not in _WARM:
        while len(_WARM) >= _KEEP_JOBS:
            _WARM.popitem(last=False)
        solver = KeptBasisSolver(job.lp)
        solver.highs.setOptionValue("presolve", "off")  # warm starts need the basis of the full LP
        solver.set_basis(*job.basis)
        _WARM[job.key] = _Warm(job, solver, solver.highs.getBasis())
    _WARM.move_to_end(job.key)
    return _WARM[job.key]


def run_chunk(job: Job, cases: list[Case]) -> list:
    """Solve `cases` in order on this process's warm model of `job`."""
    warm = _warm_for(job)
    solver, bases = warm.solver, warm.bases
    h = solver.highs
    results = []
    for i, case in enumerate(cases):
        solver.update(job.case_lp(case))
        if case.key in bases:
            solver.set_highs_basis(bases[case.key])
        elif case.start in bases:
            solver.set_highs_basis(bases[case.start])
        elif i == 0:
            solver.set_highs_basis(warm.base)
        status = solver.run()
        if case.key is not None:
            bases[case.key] = h.getBasis()
        results.append(job.readout(solver, status, case))
    return results


class NotShipped(Exception):
    """This worker no longer holds the job (it kept newer ones): send the job with the chunk."""


def _run_pickled(job_bytes: bytes | None, key: str, cases: list[Case]) -> list:
    if key in _WARM:
        job = _WARM[key].job
    elif job_bytes is None:
        raise NotShipped(key)
    else:
        job = pickle.loads(job_bytes)
    return run_chunk(job, cases)


class Pool:
    """Where the solves run: in this process (workers=1), on local processes, or on a Dask scheduler."""

    def __init__(self, workers: int = 1, dask: str | None = None, progress: Callable[[int], None] | None = None,
                 chunk: int | None = None):
        self.workers = max(1, int(workers))
        self.dask_address = dask
        self.progress = progress or (lambda n: None)
        self.chunk = chunk  # cases per chunk; by default from the LP's size (never from the number of workers)
        self._executors: list[ProcessPoolExecutor] = []
        self._shipped: list[set[str]] = []  # per local worker: the jobs sent to it
        self._client = None
        self._scattered: dict[str, object] = {}  # job key -> the job's bytes on every Dask worker

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for executor in self._executors:
            executor.shutdown(cancel_futures=True)
        self._executors, self._shipped = [], []
        if self._client is not None:
            self._client.close()
            self._client = None
        self._scattered = {}

    @property
    def parallel(self) -> bool:
        return self.dask_address is not None or self.workers > 1

    def map(self, job: Job, cases: list[Case], group: int = 1) -> list:
        """Every case's readout, in case order. With `group` > 1 the cases come in groups of that many (one
        scenario at several plans, say), and a chunk holds as many whole groups as it would hold single
        cases: group k then runs on the same worker as case k of a map without groups, where its bases are."""
        size = (self.chunk or chunk_size(job.lp)) * group
        chunks = [cases[i:i + size] for i in range(0, len(cases), size)]
        if not self.parallel:
            results = []
            for chunk in chunks:
                results.append(run_chunk(job, chunk))
                self.progress(len(chunk))
        elif self.dask_address is not None:
            results = self._map_dask(job, chunks)
        else:
            results = self._map_local(job, chunks)
        return [r for chunk in results for r in chunk]

    def _map_local(self, job: Job, chunks: list[list[Case]]) -> list[list]:
        """Chunk k on process k mod W; the job travels once per process (a worker runs its chunks in order)."""
        if not self._executors:  # one process each, so that chunk k always lands on the same worker
            self._executors = [ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
                               for _ in range(self.workers)]
            self._shipped = [set() for _ in range(self.workers)]
        job_bytes: list[bytes] = []  # pickled when first needed

        def submit(i: int, always_ship: bool = False):
            worker = i % self.workers
            ship = always_ship or job.key not in self._shipped[worker]
            if ship and not job_bytes:
                job_bytes.append(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
            self._shipped[worker].add(job.key)
            return self._executors[worker].submit(_run_pickled, job_bytes[0] if ship else None, job.key, chunks[i])

        futures = {submit(i): i for i in range(len(chunks))}
        out: list = [None] * len(chunks)
        for future in as_completed(futures):
            i = futures[future]
            try:
                out[i] = future.result()
            except NotShipped:
                out[i] = submit(i, always_ship=True).result()
            self.progress(len(chunks[i]))
        return out

    def _map_dask(self, job: Job, chunks: list[list[Case]]) -> list[list]:
        from distributed import Client, as_completed as dask_completed

        if self._client is None:
            self._client = Client(self.dask_address)
        workers = sorted(self._client.scheduler_info()["workers"])
        if job.key not in self._scattered:
            self._scattered[job.key] = self._client.scatter(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL),
                                                            broadcast=True)
        shipped = self._scattered[job.key]
        futures = {self._client.submit(_run_pickled, shipped, job.key, chunk, pure=False,
                                       workers=[workers[i % len(workers)]], allow_other_workers=False): i
                   for i, chunk in enumerate(chunks)}
        out: list = [None] * len(chunks)
        for future in dask_completed(list(futures)):
            i = futures[future]
            out[i] = future.result()
            self.progress(len(chunks[i]))
        return out
