"""Run many solves of one compiled LP: serially, on local processes, or on a Dask cluster.

A `Job` is the LP every case starts from (plain arrays: HiGHS objects do not pickle), variants shipped
once (e.g. every scenario's numbers) and a readout that turns a solved case into the numbers a study
keeps. A `Case` is a variant, a few changed numbers, and columns fixed at given values.

Work is cut into chunks fixed by case index, never by the number of workers, and chunk i always goes
to worker i mod W. A worker keeps one warm HiGHS model per job. A case with a `key` (a scenario solved
again and again at new first-stage decisions) starts from its own last basis, kept by the worker that
solved it; any other case starts from the job's base basis at the start of its chunk, else from the
previous case's. Every solve therefore starts from a basis that does not depend on how many workers
there are, and HiGHS's answer depends only on the LP and its starting basis, so numbers are identical
serially, on local processes and on Dask. One HiGHS thread per process, processes started with
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
from models.solve import Solver

Basis = tuple[np.ndarray, np.ndarray]
Numbers = dict[str, tuple[np.ndarray, np.ndarray]]  # target array -> (positions, values)


@dataclass
class Case:
    numbers: Numbers = field(default_factory=dict)
    variant: int | None = None  # apply the job's variant first (e.g. a scenario), then `numbers`
    fixed: tuple[np.ndarray, np.ndarray] | None = None  # columns fixed at values (lower = upper)
    key: object = None  # solve from this key's last basis (kept by the worker), and keep the new one


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
        for numbers in layers:
            for target, (where, values) in numbers.items():
                array = arrays.get(target)
                if array is None:
                    array = arrays[target] = getattr(self.lp, target).copy()
                array[where] = values
        if case.fixed is not None:
            where, values = case.fixed
            for target in ("col_lower", "col_upper"):
                array = arrays.get(target)
                if array is None:
                    array = arrays[target] = getattr(self.lp, target).copy()
                array[where] = values
        return self.lp.with_numbers(**arrays)


def chunk_size(lp: LinearProgram) -> int:
    """Cases per chunk: about 0.1–1 s of warm re-solves, from the LP's size alone."""
    return int(min(64, max(2, 400_000 // max(lp.num_col, 1))))


@dataclass
class _Warm:
    job: Job
    solver: Solver
    bases: dict = field(default_factory=dict)  # case key -> the HiGHS basis it ended at


_WARM: OrderedDict[str, _Warm] = OrderedDict()  # per worker process: the live models of the latest jobs
_KEEP_JOBS = 2  # a study alternates between a few jobs (scenario solves, wait-and-see): keep their bases


def _warm_for(job: Job) -> _Warm:
    if job.key not in _WARM:
        while len(_WARM) >= _KEEP_JOBS:
            _WARM.popitem(last=False)
        solver = Solver(job.lp)
        solver.highs.setOptionValue("presolve", "off")  # warm starts need the basis of the full LP
        _WARM[job.key] = _Warm(job, solver)
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
            h.setBasis(bases[case.key])
        elif i == 0:
            solver.set_basis(*job.basis)
        status = solver.run()
        if case.key is not None:
            bases[case.key] = h.getBasis()
        results.append(job.readout(solver, status, case))
    return results


def _run_pickled(job_bytes: bytes, key: str, cases: list[Case]) -> list:
    job = _WARM[key].job if key in _WARM else pickle.loads(job_bytes)
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
        self._client = None

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for executor in self._executors:
            executor.shutdown(cancel_futures=True)
        self._executors = []
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def parallel(self) -> bool:
        return self.dask_address is not None or self.workers > 1

    def map(self, job: Job, cases: list[Case]) -> list:
        """Every case's readout, in case order."""
        size = self.chunk or chunk_size(job.lp)
        chunks = [cases[i:i + size] for i in range(0, len(cases), size)]
        if not self.parallel:
            results = []
            for chunk in chunks:
                results += run_chunk(job, chunk)
                self.progress(len(chunk))
            return results
        job_bytes = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        if self.dask_address is not None:
            return self._map_dask(job, job_bytes, chunks)
        if not self._executors:  # one process each, so that chunk i always lands on the same worker
            self._executors = [ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
                               for _ in range(self.workers)]
        futures = {self._executors[i % self.workers].submit(_run_pickled, job_bytes, job.key, chunk): i
                   for i, chunk in enumerate(chunks)}
        return self._collect(futures, chunks, as_completed(futures))

    def _map_dask(self, job: Job, job_bytes: bytes, chunks: list[list[Case]]) -> list:
        from distributed import Client, as_completed as dask_completed

        if self._client is None:
            self._client = Client(self.dask_address)
        workers = sorted(self._client.scheduler_info()["workers"])
        shipped = self._client.scatter(job_bytes, broadcast=True)
        futures = {self._client.submit(_run_pickled, shipped, job.key, chunk, pure=False,
                                       workers=[workers[i % len(workers)]], allow_other_workers=False): i
                   for i, chunk in enumerate(chunks)}
        return self._collect(futures, chunks, dask_completed(list(futures)))

    def _collect(self, futures, chunks, completed) -> list:
        out: list = [None] * len(chunks)
        for future in completed:
            i = futures[future]
            out[i] = future.result()
            self.progress(len(chunks[i]))
        return [r for chunk in out for r in chunk]
