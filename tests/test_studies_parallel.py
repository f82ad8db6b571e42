"""Studies give the same numbers serially, on local processes and on a Dask cluster (SPEC §5 Scale).

Chunks are fixed by case index and every chunk starts from the base basis, so even duals at degenerate
vertices must agree bit for bit, whatever the number of workers.
"""
import numpy as np
import pytest

from planner.inputs import load
from models.solve import Solver
from planner.studies.pool import Job, Pool
from planner.studies.stockpile import library_scenarios, run_study
from planner.studies.sweep import build_sweep, make_parameter, parse_values, run_grid
from tests.conftest import write_input
from tests.test_shadow_price_property import generated_sheets
from tests.test_stockpile import paper_case


def sweep_numbers(data, pool):
    parameter = make_parameter(data, "Licences", "approval_rate", "set", {})
    points, _ = run_grid(build_sweep(data, parameter, parse_values("0:1:0.05")), pool)
    return [(p.objective, p.unmet, p.licence_shadow) for p in points]


def assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x[0] == y[0]
        for u, v in zip(x[1:], y[1:]):
            assert np.array_equal(u, v)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return load(write_input(tmp_path_factory.mktemp("g") / "case", generated_sheets(3))).data


def test_sweep_on_two_local_processes_matches_serial(generated):
    serial = sweep_numbers(generated, Pool(chunk=4))
    with Pool(workers=2, chunk=4) as pool:
        assert_same(sweep_numbers(generated, pool), serial)


def objective_of(solver, status, case):
    return solver.objective


def test_a_worker_that_dropped_a_job_is_sent_it_again(generated):
    """Each worker receives a job once and keeps the latest two; a job used again after others is re-sent."""
    parameter = make_parameter(generated, "Licences", "approval_rate", "set", {})
    model = build_sweep(generated, parameter, parse_values("0:1:0.25"))
    base = Solver(model.lp_first)
    base.run()
    jobs = [Job(model.lp_first, base.basis(), objective_of) for _ in range(3)]
    cases = [model.case(i) for i in range(len(model.values))]
    serial = Pool(chunk=2).map(jobs[0], cases)
    with Pool(workers=2, chunk=2) as pool:
        runs = [pool.map(job, cases) for job in jobs + jobs]  # the second round finds job 0 dropped
    assert len(set(serial)) > 1 and all(run == serial for run in runs)


def test_stockpile_on_two_local_processes_matches_serial(tmp_path):
    data = load(write_input(tmp_path / "case", paper_case())).data
    serial = run_study(data, library_scenarios(data), Pool(chunk=1), method="decomposition", curve=False)
    with Pool(workers=2, chunk=1) as pool:
        parallel = run_study(data, library_scenarios(data), pool, method="decomposition", curve=False)
    assert (parallel.rp, parallel.ws, parallel.eev) == (serial.rp, serial.ws, serial.eev)
    assert np.array_equal(parallel.cost, serial.cost) and np.array_equal(parallel.unmet, serial.unmet)


def test_dask_local_cluster_matches_serial(generated):
    distributed = pytest.importorskip("distributed")
    serial = sweep_numbers(generated, Pool(chunk=4))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Pool(dask=cluster.scheduler_address, chunk=4) as pool:
            assert_same(sweep_numbers(generated, pool), serial)
