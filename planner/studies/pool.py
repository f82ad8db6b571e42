"""Run many solves of one compiled LP: serially, on local processes, or on a Dask cluster.

A `Job` is the LP every case starts from (plain arrays: HiGHS objects do not pickle) and a readout
that turns a solved case into the numbers a study keeps. A `Case` is a few changed numbers, columns
fixed at given values, and optionally the basis to start from.

Work is cut into chunks fixed by case index (never by the number of workers). A worker keeps one warm
HiGHS model per job; at the start of every chunk it clears the solver and starts from the job's base
basis, then solves the chunk's cases in order, each from the previous case's basis (or the case's
own). Results are therefore identical serially, on local processes and on Dask. One HiGHS thread per
process, processes started with `spawn`, never two solves in threads of one process.
"""
from __future__ import annotations

import math
import pickle
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Callable

import numpy as np

from models.compiled import LinearProgram
from models.solve import OPTIMAL, Solver

Basis = tuple[np.ndarray, np.ndarray]


Numbers = dict[str, tuple[np.ndarray, np.ndarray]]  # target array -> (positions, values)


@dataclass
class Case:
    numbers: Numbers = field(default_factory=dict)
    variant: int | None = None  # apply the job's variant first (e.g. a scenario), then `numbers`
    fixed: tuple[np.ndarray, np.ndarray] | None = None  # columns fixed at values (lower = upper)
    basis: Basis | None = None  # start from this basis rather than the previous case's


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


_WARM: dict[str, tuple[Job, Solver]] = {}  # per worker process: the live model of each job


def _solver_for(job: Job) -> Solver:
    if job.key not in _WARM:
        _WARM.clear()  # one job at a time per worker keeps memory bounded
        solver = Solver(job.lp)
        solver.highs.setOptionValue("presolve", "off")  # warm starts need the basis of the full LP
        _WARM[job.key] = (job, solver)
    return _WARM[job.key][1]


def run_chunk(job: Job, cases: list[Case]) -> list:
    """Solve `cases` in order on this process's warm model of `job`, from the job's base basis."""
    solver = _solver_for(job)
    solver.highs.clearSolver()
    results = []
    for i, case in enumerate(cases):
        solver.update(job.case_lp(case))
        start = case.basis if case.basis is not None else (job.basis if i == 0 else None)
        if start is not None:
            solver.set_basis(*start)
        status = solver.run()
        results.append(job.readout(solver, status, case))
    return results


def _run_pickled(job_bytes: bytes, key: str, cases: list[Case]) -> list:
    job = _WARM[key][0] if key in _WARM else pickle.loads(job_bytes)
    return run_chunk(job, cases)


class Pool:
    """Where the solves run: in this process (workers=1), on local processes, or on a Dask scheduler."""

    def __init__(self, workers: int = 1, dask: str | None = None, progress: Callable[[int], None] | None = None,
                 chunk: int | None = None):
        self.workers = max(1, int(workers))
        self.dask_address = dask
        self.progress = progress or (lambda n: None)
        self.chunk = chunk  # cases per chunk; by default from the LP's size (never from the number of workers)
        self._executor = None
        self._client = None

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None
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
        if not self.parallel or len(chunks) <= 1:
            results = []
            for chunk in chunks:
                results += run_chunk(job, chunk)
                self.progress(len(chunk))
            return results
        job_bytes = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        if self.dask_address is not None:
            return self._map_dask(job, job_bytes, chunks)
        if self._executor is None:
            self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("spawn"))
        futures = {self._executor.submit(_run_pickled, job_bytes, job.key, chunk): i for i, chunk in enumerate(chunks)}
        return self._collect(futures, chunks, as_completed(futures), lambda f: f.result())

    def _map_dask(self, job: Job, job_bytes: bytes, chunks: list[list[Case]]) -> list:
        from distributed import Client, as_completed as dask_completed

        if self._client is None:
            self._client = Client(self.dask_address)
        shipped = self._client.scatter(job_bytes, broadcast=True)
        futures = {self._client.submit(_run_pickled, shipped, job.key, chunk, pure=False): i
                   for i, chunk in enumerate(chunks)}
        return self._collect(futures, chunks, dask_completed(list(futures)), lambda f: f.result())

    def _collect(self, futures, chunks, completed, result) -> list:
        out: list = [None] * len(chunks)
        for future in completed:
            i = futures[future]
            out[i] = result(future)
            self.progress(len(chunks[i]))
        return [r for chunk in out for r in chunk]


def objective_readout(solver: Solver, status: str, case: Case) -> float:
    """The simplest readout: the optimal objective (inf without a plan)."""
    return solver.objective if status == OPTIMAL else math.inf
