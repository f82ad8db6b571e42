"""The `reeplan` command line (SPEC §6). Command bodies are thin: the work is in planner modules.

Exit codes: 0 solved (shortfalls are results), 2 invalid input or usage, 3 no plan exists, 1 anything else.
Messages go to standard error; the one-screen summary to standard output.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import click

from planner.issues import InputError, NoPlan, Problem, grouped
from planner.outputs import OutputError, planned
from planner.reader import UnreadableInput
from planner.schema import BASE

# Command bodies import what they need: `reeplan --help` and `validate` start without the solver stack.

EXIT_OK, EXIT_OTHER, EXIT_INVALID, EXIT_NO_PLAN = 0, 1, 2, 3
EXIT_CODES = ("Exit codes: 0 done (shortfalls are results, not errors); 2 invalid input or options (every "
              "problem listed); 3 no plan exists (the conflicting limits listed); 1 anything else.")


def _epilog(*examples: str) -> str:
    """Help text after the options: examples (kept on their own lines) and the exit codes."""
    lines = ["\b", "Examples:"] + [f"  {e}" for e in examples]
    return "\n".join(lines) + "\n\n" + EXIT_CODES


def safe_name(text: str) -> str:
    """A scenario or input name as a file name part: letters, digits, '.', '_' and '-' only."""
    return re.sub(r"[^\w.-]+", "_", text).strip("._") or "x"


def input_name(path: Path) -> str:
    return path.stem if path.suffix.lower() in (".xlsx", ".xlsm", ".xls") else path.name


def default_output(input_path: Path, command: str, scenario: str | None = None, suffix: str = ".xlsx") -> Path:
    """results/<input name>[-<scenario>]-<command>.xlsx (SPEC §6): runs of different scenarios never collide."""
    part = f"-{safe_name(scenario)}" if scenario and scenario.casefold() != BASE else ""
    return Path("results") / f"{safe_name(input_name(Path(input_path)))}{part}-{command}{suffix}"


def _check_suffix(option: str, path: Path | None, *suffixes: str) -> None:
    if path is not None and path.suffix.lower() not in suffixes:
        raise click.UsageError(f"{option} {path}: the file must end in {' or '.join(suffixes)}")


def _warn(problems) -> None:
    for line in grouped(problems):
        click.echo(line, err=True)


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
    except click.UsageError as exc:
        exc.show()
        return EXIT_INVALID
    except Exception as exc:  # noqa: BLE001 - the last line of defence for a planner-facing tool
        if os.environ.get("REEPLAN_DEBUG"):
            raise
        click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        return EXIT_OTHER


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True},
             epilog=_epilog("reeplan solve", "reeplan solve my-plan.xlsx --scenario full-denial --json out.json",
                            "reeplan validate my-plan.xlsx --report issues.xlsx", "reeplan template my-plan.xlsx",
                            "reeplan compare results/a-solve.xlsx results/b-solve.xlsx"))
@click.version_option(package_name="reeplan", message="reeplan %(version)s")
def cli():
    """reeplan: who gets scarce rare earth supply, and what one more licensed tonne is worth.

    Results are written under ./results unless -o says otherwise; messages go to standard error and a
    one-screen summary to standard output.
    """
    _tolerant_console()


def _tolerant_console() -> None:
    """A console that cannot encode a character (a Chinese name on a Latin-1 terminal) shows an escape
    instead of failing a run whose outputs are already written."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):
            pass  # not a text stream we can change (e.g. replaced by a test harness)


@cli.command(epilog=_epilog("reeplan solve                         # the bundled US baseline",
                            "reeplan solve --example               # the small teaching case, from any folder",
                            "reeplan solve plan.xlsx --scenario full-denial   # -> results/plan-full-denial-solve.xlsx",
                            "reeplan solve plan.xlsx --all-scenarios --json all.json",
                            "reeplan solve plan.xlsx -o out.xlsx --json out.json --log"))
@click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), show_default=False,
              help="Result workbook (.xlsx). [default: results/<input>[-<scenario>]-solve.xlsx]")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write the results as JSON (.json).")
@click.option("--scenario", default=None, help="Solve this scenario of the Scenarios sheet. [default: base]")
@click.option("--all-scenarios", is_flag=True, help="Solve the base case and every scenario; one comparison workbook.")
@click.option("--example", is_flag=True, help="Solve the small bundled teaching case instead of INPUT.")
@click.option("--log", "-v", "--verbose", "log", is_flag=True, help="Show HiGHS's solver log on standard error.")
@click.option("--all-causes", is_flag=True,
              help="ShortfallCauses for every shortfall even on a very large plan (by default the largest are "
                   "explained, as many as the plan's size allows in a few seconds).")
@click.option("--sample", type=click.IntRange(min=1), default=None,
              help="Scenarios drawn from the Uncertainty sheet instead of the Scenarios sheet (sample-0001 …): "
                   "compare them with --all-scenarios, or solve one with --scenario.")
@click.option("--seed", type=int, default=None, help="Seed of --sample (the same seed, the same scenarios).")
def solve(input_path, output, json_path, scenario, all_scenarios, example, log, all_causes, sample, seed):
    """Solve INPUT (.xlsx workbook or folder of CSV files) and write the result workbook.

    Without INPUT: the bundled US baseline (2026-2030, quarterly).
    """
    def body():
        if all_scenarios and scenario:
            raise click.UsageError("--scenario and --all-scenarios exclude each other: choose one")
        if example and input_path:
            raise click.UsageError("--example solves the bundled teaching case: give no INPUT with it")
        _check_suffix("-o", output, ".xlsx")
        _check_suffix("--json", json_path, ".json")
        from planner.inputs import bundled_input, load
        from planner.workbook import write_json

        path = bundled_input("example") if example else (input_path or bundled_input())
        loaded = load(path)
        _warn(loaded.warnings)
        sampled = _sampled(loaded.data, sample, seed)
        if all_scenarios:
            from planner.scenarios import compare_scenarios, scenario_json, scenarios_text, write_scenarios

            out = output or default_output(path, "solve", "all-scenarios" if sampled is None else
                                           f"all-{len(sampled)}-samples")
            with planned([path], {"-o" if output else "output": out, "--json": json_path}):
                count = len(sampled) if sampled is not None else len(loaded.data["Scenarios"]) + 1
                with click.progressbar(length=count, label="scenarios", file=sys.stderr) as bar:
                    comparison = compare_scenarios(loaded, progress=lambda name: bar.update(1), warn=_warn, log=log,
                                                   sampled=sampled)
                write_scenarios(comparison, out)
                if json_path:
                    write_json(scenario_json(comparison), json_path)
            click.echo(scenarios_text(comparison, [out] + ([json_path] if json_path else [])))
            return
        from planner.report import write_result
        from planner.run import scenario_name, solve_plan
        from planner.summary import summary_text

        data = _case(loaded, scenario, sampled) if sampled is not None else None
        scenario_known = scenario.strip() if data is not None else (scenario_name(loaded, scenario) if scenario else BASE)
        out = output or default_output(path, "solve", scenario_known)
        with planned([path], {"-o" if output else "output": out, "--json": json_path}):
            outcome = solve_plan(loaded, scenario_known, log=log, all_causes=all_causes, data=data)
            _warn(outcome.warnings)
            write_result(outcome.result, out)
            if json_path:
                write_json(outcome.result.to_json(), json_path)
        click.echo(summary_text(outcome.result, [out] + ([json_path] if json_path else [])))  # once all are in place
    sys.exit(_run(body))


@cli.command(epilog=_epilog("reeplan validate my-plan.xlsx", "reeplan validate my-plan.xlsx --report issues.xlsx",
                            "reeplan validate inputs-folder/"))
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--report", type=click.Path(path_type=Path),
              help="Write a copy of the input with every problem highlighted and an Issues sheet (.xlsx).")
def validate(input_path, report):
    """Report every problem in INPUT (.xlsx or CSV folder); exit 0 if there is none."""
    def body():
        _check_suffix("--report", report, ".xlsx")
        from planner.inputs import load
        from planner.issue_report import write_issue_report

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
    from planner.issue_report import write_issue_report

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


@cli.command(epilog=_epilog("reeplan template my-plan.xlsx", "reeplan template empty.xlsx --blank",
                            "reeplan template my-plan.xlsx --force   # replace an existing file"))
@click.argument("output", metavar="OUT.xlsx", type=click.Path(path_type=Path))
@click.option("--blank", is_flag=True, help="An empty, documented template instead of the bundled data.")
@click.option("--force", is_flag=True, help="Replace OUT.xlsx if it exists (it is never replaced otherwise).")
def template(output, blank, force):
    """Write the input workbook to fill in (with the bundled US baseline unless --blank)."""
    def body():
        _check_suffix("OUT", output, ".xlsx")
        if output.exists() and not force:
            raise click.UsageError(f"{output} exists: it may hold your data. Add --force to replace it, "
                                   "or choose another name")
        from planner.inputs import bundled_input
        from planner.reader import read_input
        from planner.template import write_template

        with planned([] if blank else [bundled_input()], {"output": output}):
            write_template(output, None if blank else read_input(bundled_input()))
        click.echo(f"template: {output}")
    sys.exit(_run(body))


@cli.command(epilog=_epilog("reeplan compare results/plan-solve.xlsx results/plan-full-denial-solve.xlsx",
                            "reeplan compare base.json denial.json -o diff.xlsx"))
@click.argument("first", metavar="A", type=click.Path(path_type=Path))
@click.argument("second", metavar="B", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), show_default=False,
              help="Comparison workbook (.xlsx). [default: results/<A>-vs-<B>-compare.xlsx]")
def compare(first, second, output):
    """What changed from result A to result B (workbooks or JSON written by `reeplan solve`).

    Objective and spend, unmet t per sector and material, procurement per source and material, licence
    shadow prices: a workbook (with a chart) and a one-screen summary.
    """
    def body():
        from planner.compare import compare_results, compare_text, read_result, write_comparison

        _check_suffix("-o", output, ".xlsx")
        a, b = read_result(first), read_result(second)
        out = output or Path("results") / f"{safe_name(a.name)}-vs-{safe_name(b.name)}-compare.xlsx"
        with planned([first, second], {"-o" if output else "output": out}):
            comparison = compare_results(a, b)
            write_comparison(comparison, out)
        click.echo(compare_text(comparison, out))
    sys.exit(_run(body))


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
    from planner.inputs import load
    from planner.studies import report
    from planner.studies.sweep import build_sweep, make_parameter, parse_values, run_exact, run_grid
    from planner.studies.workbook import write_sweep_workbook
    from planner.workbook import write_json

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
            write_sweep_workbook(out, parameter, model, points, groups, breakpoints, data,
                                 input_name=input_name(input_path), scenario=scenario or BASE)
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
    import numpy as np

    from planner.inputs import load
    from planner.studies import report
    from planner.studies.stockpile import Scenarios, library_scenarios, run_study
    from planner.studies.workbook import write_stockpile_workbook
    from planner.workbook import write_json

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
            write_stockpile_workbook(out, result, loaded.data, input_name=input_name(input_path), sample=sample,
                                     seed=seed)
            if json_path:
                write_json(report.stockpile_json(result), json_path)
            text = report.stockpile_text(result, out)
        click.echo(text)
    sys.exit(_run(body))


def main():
    cli(prog_name="reeplan")
