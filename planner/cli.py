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

from planner.issue_report import write_issue_report
from planner.issues import InputError, Problem, grouped
from planner.reader import read_input
from planner.overrides import BASE
from planner.run import NoPlan, bundled_input, load, scenario_name, solve_plan
from planner.template import write_template
from planner.workbook import write_json

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


def _refuse_overwrite(input_path: Path, *outputs: Path | None) -> None:
    inputs = {Path(input_path).resolve()}
    for out in outputs:
        if out is not None and out.exists() and out.resolve() in inputs:
            raise InputError([Problem(str(out), None, None, "this output path is the input file: it is never overwritten")])


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
def solve(input_path, output, json_path, scenario, all_scenarios, example, log, all_causes):
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
        path = bundled_input("example") if example else (input_path or bundled_input())
        loaded = load(path)
        _warn(loaded.warnings)
        if all_scenarios:
            from planner.scenarios import compare_scenarios, scenario_json, scenarios_text, write_scenarios

            out = output or default_output(path, "solve", "all-scenarios")
            _refuse_overwrite(path, out, json_path)
            with click.progressbar(length=len(loaded.data["Scenarios"]) + 1, label="scenarios", file=sys.stderr) as bar:
                comparison = compare_scenarios(loaded, progress=lambda name: bar.update(1), warn=_warn, log=log)
            payload = scenario_json(comparison) if json_path else None
            write_scenarios(comparison, out)
            if json_path:
                write_json(payload, json_path)
            click.echo(scenarios_text(comparison, [out] + ([json_path] if json_path else [])))
            return
        from planner.report import write_result
        from planner.summary import summary_text

        scenario_known = scenario_name(loaded, scenario) if scenario else BASE
        out = output or default_output(path, "solve", scenario_known)
        _refuse_overwrite(path, out, json_path)
        outcome = solve_plan(loaded, scenario_known, log=log, all_causes=all_causes)
        _warn(outcome.warnings)
        payload = outcome.result.to_json() if json_path else None
        write_result(outcome.result, out)
        if json_path:
            write_json(payload, json_path)
        click.echo(summary_text(outcome.result, [out] + ([json_path] if json_path else [])))
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
        _refuse_overwrite(input_path, report)
        try:
            loaded = load(input_path)
        except InputError as exc:
            if report and Path(input_path).exists() and Path(input_path).suffix.lower() != ".xls":
                write_issue_report(Path(input_path), exc.problems + exc.warnings, report)
                click.echo(f"validation report: {report}", err=True)
            raise
        _warn(loaded.warnings)
        if report:
            write_issue_report(Path(input_path), loaded.warnings, report)
        click.echo(f"{input_path}: valid ({len(loaded.warnings)} warning(s))")
    sys.exit(_run(body))


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
        for source in (first, second):
            _refuse_overwrite(source, out)
        comparison = compare_results(a, b)
        write_comparison(comparison, out)
        click.echo(compare_text(comparison, out))
    sys.exit(_run(body))


def main():
    cli(prog_name="reeplan")
