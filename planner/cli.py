"""The `reeplan` command line (SPEC §6).

Exit codes: 0 solved (shortfalls are results), 2 invalid input, 3 no plan exists, 1 anything else.
Messages go to standard error; the one-screen summary to standard output.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import numpy as np

from planner.issue_report import write_issue_report
from planner.issues import InputError, Problem
from planner.outputs import OutputError, planned
from planner.reader import UnreadableInput, read_input
from planner.report import decorate
from planner.overrides import BASE
from planner.run import NoPlan, bundled_input, load, solve_plan
from planner.scenarios import compare_scenarios, scenario_names
from planner.summary import summary_text
from planner.template import write_template
from planner.workbook import write_json, write_workbook

EXIT_OK, EXIT_OTHER, EXIT_INVALID, EXIT_NO_PLAN = 0, 1, 2, 3


def default_output(input_path: Path, command: str, scenario: str | None = None, suffix: str = ".xlsx") -> Path:
    """results/<input name>[-<scenario>]-<command>.xlsx (SPEC §6)."""
    name = input_path.stem + (f"-{scenario}" if scenario else "")
    return Path("results") / f"{name}-{command}{suffix}"


def _warn(problems) -> None:
    for p in problems:
        click.echo(str(p), err=True)


def _run(action) -> int:
    """Run a command body, turning known failures into messages and exit codes (never a traceback)."""
    try:
        action()
        return EXIT_OK
    except InputError as exc:
        _warn(exc.warnings)
        click.echo(f"Invalid input: {len(exc.problems)} problem(s)", err=True)
        _warn(exc.problems)
        return EXIT_INVALID
    except NoPlan as exc:
        click.echo(str(exc), err=True)
        return EXIT_NO_PLAN
    except OutputError as exc:
        click.echo(f"error: {exc} (nothing was written)", err=True)
        return EXIT_OTHER
    except Exception as exc:  # noqa: BLE001 - the last line of defence for a planner-facing tool
        if os.environ.get("REEPLAN_DEBUG"):
            raise
        click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        return EXIT_OTHER


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reeplan", message="reeplan %(version)s")
def cli():
    """reeplan: who gets scarce rare earth supply, and what one more licensed tonne is worth."""
    _tolerant_console()


def _tolerant_console() -> None:
    """A console that cannot encode a character (a Chinese name on a Latin-1 terminal) shows an escape
    instead of failing a run whose outputs are already written."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):
            pass  # not a text stream we can change (e.g. replaced by a test harness)


@cli.command()
@click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Result workbook (.xlsx).")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write the results as JSON.")
@click.option("--scenario", default=None, help="Solve this scenario of the Scenarios sheet.")
@click.option("--all-scenarios", is_flag=True, help="Solve every scenario and write one comparison workbook.")
def solve(input_path, output, json_path, scenario, all_scenarios):
    """Solve INPUT (.xlsx or CSV folder; default: the bundled US baseline) and write the result workbook."""
    def body():
        path = input_path or bundled_input()
        out = output or default_output(path, "scenarios" if all_scenarios else "solve")
        with planned([path], {"-o" if output else "output": out, "--json": json_path}):
            loaded = load(path)
            _warn(loaded.warnings)
            if all_scenarios:
                text = _solve_all(loaded, out)
            else:
                outcome = solve_plan(loaded, scenario or BASE)
                _warn(outcome.warnings)
                write_workbook(outcome.result.sheets, out, decorate=lambda wb: decorate(wb, outcome.result))
                if json_path:
                    write_json(outcome.result.to_json(outcome.solution.status, outcome.solution.objective), json_path)
                text = summary_text(loaded.data, outcome, out)
        click.echo(text)  # once every output is in place
    sys.exit(_run(body))


def _solve_all(loaded, out: Path) -> str:
    names = scenario_names(loaded)
    with click.progressbar(length=len(names), label="scenarios", file=sys.stderr) as bar:
        sheets = compare_scenarios(loaded, progress=lambda name: bar.update(1), warn=_warn)
    write_workbook(sheets, out)
    table = sheets["Scenarios"].drop(columns=["note"], errors="ignore").to_string(index=False)
    return f"{table}\ncomparison workbook: {out}"


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--report", type=click.Path(path_type=Path),
              help="Write a copy of the input with every problem highlighted and an Issues sheet.")
def validate(input_path, report):
    """Report every problem in INPUT; exit 0 if there is none."""
    def body():
        with planned([input_path], {"--report": report}) as outputs:
            try:
                loaded = load(input_path)
            except InputError as exc:
                if report:
                    _report_invalid(input_path, exc, report, outputs)
                raise
            _warn(loaded.warnings)
            if report:
                write_issue_report(Path(input_path), loaded.warnings, report)
        click.echo(f"{input_path}: valid ({len(loaded.warnings)} warning(s))")
    sys.exit(_run(body))


def _report_invalid(input_path, exc: InputError, report: Path, outputs) -> None:
    """`validate --report` on an invalid input: its purpose, so the report is written although we exit 2."""
    if not isinstance(exc, UnreadableInput):
        try:
            write_issue_report(Path(input_path), exc.problems + exc.warnings, report)
        except UnreadableInput:
            pass
        else:
            outputs.commit()
            click.echo(f"validation report: {report}", err=True)
            return
    click.echo("no validation report: the input cannot be read (see below)", err=True)


@cli.command()
@click.argument("output", metavar="OUT.xlsx", type=click.Path(path_type=Path))
@click.option("--blank", is_flag=True, help="An empty, documented template instead of the bundled data.")
def template(output, blank):
    """Write the input template (with the bundled data unless --blank)."""
    def body():
        with planned([] if blank else [bundled_input()], {"output": output}):
            write_template(output, None if blank else read_input(bundled_input()))
        click.echo(f"template: {output}")
    sys.exit(_run(body))


def main():
    cli(prog_name="reeplan")


# ---------------------------------------------------------------- studies

def _study_options(function):
    for option in reversed((
        click.option("-o", "--output", type=click.Path(path_type=Path), help="Result workbook (.xlsx)."),
        click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write the results as JSON."),
        click.option("--sample", type=click.IntRange(min=1), default=None,
                     help="Study N scenarios drawn from the Uncertainty sheet."),
        click.option("--seed", type=int, default=None, help="Seed of --sample (the same seed, the same scenarios)."),
        click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Solve on this many local processes."),
        click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
                     help="Solve on an existing dask.distributed scheduler (install reeplan[dask])."),
        click.option("--quiet", is_flag=True, help="No progress bar."),
    )):
        function = option(function)
    return function


def _sampled(data, sample, seed):
    from planner.studies.sampling import sample_scenarios

    if sample is None:
        if seed is not None:
            raise InputError([Problem("--seed", None, None, "--seed needs --sample N")])
        return None
    return sample_scenarios(data, sample, 0 if seed is None else seed)


def _pool(workers, dask_address, quiet, label):
    from planner.studies.pool import Pool
    from tqdm import tqdm

    bar = tqdm(desc=label, unit=" solves", file=sys.stderr, disable=quiet, dynamic_ncols=True)
    return Pool(workers, dask_address, progress=bar.update), bar


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--sheet", required=True, help="Sheet of the parameter, e.g. Licences.")
@click.option("--column", required=True, help="Numeric column, e.g. approval_rate.")
@click.option("--values", required=True, help="0,0.25,0.5 or start:stop:step (stop included).")
@click.option("--operation", type=click.Choice(["set", "scale", "add"]), default="set", show_default=True)
@click.option("--source", default=None, help="Only rows with this source (; list).")
@click.option("--material", default=None, help="Only rows with this material (; list).")
@click.option("--sector", default=None, help="Only rows with this sector (; list).")
@click.option("--period", default=None, help="Only rows with this period (; list).")
@click.option("--process", default=None, help="Only rows with this process (; list).")
@click.option("--stockpile", default=None, help="Only rows with this stockpile (; list).")
@click.option("--licence", default=None, help="Only rows with this licence (; list).")
@click.option("--end-use", "end_use", default=None, help="Only licences whose end_use is these sectors.")
@click.option("--scenario", default=None, help="Sweep this scenario instead of the base case.")
@click.option("--exact", is_flag=True, help="Trace the optimal cost exactly between the first and last value.")
@_study_options
def sweep(input_path, sheet, column, values, operation, scenario, exact, output, json_path, sample, seed, workers,
          dask_address, quiet, **keys):
    """Solve INPUT once per value of one parameter, changed like an override row (SPEC §5)."""
    from planner.studies import report
    from planner.studies.sweep import build_sweep, make_parameter, parse_values, run_exact, run_grid

    def body():
        out = output or default_output(input_path, "sweep", scenario)
        with planned([input_path], {"-o" if output else "output": out, "--json": json_path}):
            loaded = load(input_path)
            _warn(loaded.warnings)
            data = _case(loaded, scenario, _sampled(loaded.data, sample, seed))
            parameter = make_parameter(data, sheet, column, operation, keys)
            points_values = parse_values(values)
            model = build_sweep(data, parameter, points_values)
            pool, bar = _pool(workers, dask_address, quiet, "sweep")
            with pool, bar:
                bar.total = len(points_values)
                points, groups = run_grid(model, pool)
            breakpoints = run_exact(model)[1] if exact else None
            tables = report.sweep_tables(parameter, model, points, groups, breakpoints)
            write_workbook(tables, out)
            if json_path:
                write_json(report.sweep_json(parameter, model, points, groups, breakpoints), json_path)
            text = report.sweep_text(parameter, points, breakpoints, out)
        click.echo(text)
    sys.exit(_run(body))


def _case(loaded, scenario, sampled):
    """The data a sweep starts from: the base case, a named scenario, or one of the sampled scenarios."""
    from planner.overrides import apply_scenario

    if sampled is not None:
        names = {name.casefold(): case for name, case in sampled}
        if scenario is None or scenario.casefold() not in names:
            raise InputError([Problem("--scenario", None, None, "with --sample, name one of the sampled scenarios "
                                      f"(sample-0001 … sample-{len(sampled):04d})")])
        return names[scenario.casefold()]
    if scenario is None:
        return loaded.data
    data, warnings = apply_scenario(loaded.data, scenario)
    _warn(warnings)
    return data


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--method", type=click.Choice(["auto", "ef", "decomposition"]), default="auto", show_default=True,
              help="Extensive form, L-shaped decomposition, or chosen by size.")
@_study_options
def stockpile(input_path, method, output, json_path, sample, seed, workers, dask_address, quiet):
    """Size every sizable stockpile row against the scenarios (two-stage stochastic LP, SPEC §5)."""
    from planner.studies import report
    from planner.studies.stockpile import library_scenarios, run_study, Scenarios

    def body():
        out = output or default_output(input_path, "stockpile")
        with planned([input_path], {"-o" if output else "output": out, "--json": json_path}):
            loaded = load(input_path)
            _warn(loaded.warnings)
            sampled = _sampled(loaded.data, sample, seed)
            scenarios = (library_scenarios(loaded.data) if sampled is None else
                         Scenarios([n for n, _ in sampled], np.full(len(sampled), 1 / len(sampled)),
                                   [d for _, d in sampled]))
            pool, bar = _pool(workers, dask_address, quiet, "stockpile")
            with pool, bar:
                result = run_study(loaded.data, scenarios, pool, method=method)
            write_workbook(report.stockpile_tables(result), out)
            if json_path:
                write_json(report.stockpile_json(result), json_path)
            text = report.stockpile_text(result, out)
        click.echo(text)
    sys.exit(_run(body))
