"""Every file reeplan writes goes through here (SPEC §6: outputs are all or nothing, never over an input).

A command opens `planned(inputs, outputs)` before any work: an output that is an input file (a member
of an input CSV folder, through a symlink, a hard link or another spelling of the path), a folder, or
the same file as another output is refused there (InputError, exit 2). Writers stage each file with
`staged(target)`: a temporary file beside the target, renamed into place only when the whole command
has succeeded; on any failure every temporary file (and any folder made for it) is removed, so earlier
files stay untouched. Outside `planned`, `staged` writes that one file the same way. Files end up
readable as the user's umask allows. A file that cannot be written raises OutputError (exit 1: a
failure outside the input) with a one-line reason.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from planner.issues import InputError, Problem
from planner.reader import csv_files


class OutputError(Exception):
    """An output file cannot be written (disk, permissions): not the input's fault."""


def _key(path: Path) -> str:
    """One spelling per file: symlinks, `..` and `.` resolved (case folded where the system does)."""
    return os.path.normcase(os.path.realpath(path))


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)  # also hard links
    except OSError:
        pass
    return _key(a) == _key(b)


def input_files(path: Path) -> list[Path]:
    """The files an input consists of: the workbook itself, or every .csv file of a CSV folder."""
    path = Path(path)
    return csv_files(path) if path.is_dir() else [path]


def conflicts(inputs: list[Path], outputs: dict[str, Path]) -> list[Problem]:
    """Outputs that would write over an input, a folder, or each other; `outputs` maps option -> path."""
    problems = []
    seen: dict[str, tuple[str, Path]] = {}
    folders = [_key(p) for p in inputs if Path(p).is_dir()]
    for option, out in outputs.items():
        where = f"{option} {out}"
        if out.is_dir():
            problems.append(Problem(where, None, None, "is a folder; give a file name"))
            continue
        hit = next((f for p in inputs for f in input_files(p) if _same(out, f)), None)
        if hit is not None:
            problems.append(Problem(where, None, None, f"is the input file {hit}: reeplan never writes over "
                                                       "its input; choose another output name"))
        elif out.suffix.lower() == ".csv" and os.path.dirname(_key(out)) in folders:
            problems.append(Problem(where, None, None, "is inside the input CSV folder, where it would be read as "
                                                       "input next time; choose another output name"))
        first = seen.setdefault(_key(out).casefold(), (option, out))
        if first[0] != option:
            problems.append(Problem(where, None, None, f"is also the {first[0]} output {first[1]}: each output "
                                                       "needs its own file"))
    return problems


def _writable(target: Path) -> None:
    """Fail early, before any work, when the target's folder cannot be made or written."""
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {target}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {target}: no permission to write in {folder}")


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


class _Batch:
    """Temporary files staged for their targets, renamed together by `commit`."""

    def __init__(self, inputs=(), outputs=()):
        self.inputs = list(inputs)
        self.declared = {_key(p) for p in outputs}
        self.temps: dict[Path, Path] = {}  # target -> temporary file beside it
        self.made: list[Path] = []  # folders created for the targets, outermost first

    def stage(self, target: Path) -> Path:
        target = Path(target)
        if _key(target) not in self.declared:  # a writer the command did not declare: check it all the same
            problems = conflicts(self.inputs, {"output": target})
            if problems:
                raise InputError(problems)
            self.declared.add(_key(target))
        self.drop(target)
        try:
            missing = [p for p in reversed(target.parent.parents) if not p.exists()]
            missing += [target.parent] if not target.parent.exists() else []
            target.parent.mkdir(parents=True, exist_ok=True)
            self.made += missing
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=target.suffix)
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
        os.close(fd)
        self.temps[target] = Path(tmp)
        return Path(tmp)

    def drop(self, target: Path) -> None:
        tmp = self.temps.pop(Path(target), None)
        if tmp is not None and tmp.exists():
            tmp.unlink()

    def commit(self) -> None:
        mode = _file_mode()
        current = None
        try:
            for current, tmp in self.temps.items():
                os.chmod(tmp, mode)
            for current in list(self.temps):  # only renames are left: nothing here writes data
                os.replace(self.temps[current], current)
                del self.temps[current]
        except OSError as exc:
            raise OutputError(f"cannot write {current}: {exc.strerror or exc}") from None
        self.made = []

    def discard(self) -> None:
        for target in list(self.temps):
            self.drop(target)
        for folder in reversed(self.made):
            try:
                folder.rmdir()
            except OSError:
                pass  # not empty or already gone: leave it
        self.made = []


_open: _Batch | None = None  # the batch of the command being run, if any


@contextmanager
def planned(inputs, outputs: dict[str, Path | None]):
    """Check a command's outputs against its inputs and each other, then write them all or none.

    `inputs`: input paths (a workbook or a CSV folder); `outputs`: option name -> path (None: not asked).
    Files staged inside the block are renamed into place when it ends without an exception.
    """
    global _open
    outputs = {option: Path(p) for option, p in outputs.items() if p is not None}
    inputs = [Path(p) for p in inputs if p is not None]
    problems = conflicts(inputs, outputs)
    if problems:
        raise InputError(problems)
    for out in outputs.values():
        _writable(out)
    batch, previous = _Batch(inputs, outputs.values()), _open
    _open = batch
    try:
        yield batch
        batch.commit()
    finally:
        _open = previous
        batch.discard()


@contextmanager
def staged(target: Path):
    """A temporary path to write `target` to; renamed into place with the rest of the command's outputs."""
    batch = _open or _Batch()
    tmp = batch.stage(target)
    try:
        yield tmp
    except BaseException as exc:
        batch.drop(target)
        if batch is not _open:
            batch.discard()
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
        raise
    if batch is not _open:
        try:
            batch.commit()
        finally:
            batch.discard()
