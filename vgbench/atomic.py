"""Atomic writes: write beside the target, then rename, so a crash never leaves half a file, and
output folders replaced as a whole, so a folder never mixes two runs.

Temporary names carry the writer's process id (`.NAME.<pid>-XXXX.tmp`): what a killed or
out-of-space run left behind is recognised by the next run (its process is gone) and removed.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

MANIFEST = ".vgbench-files"
_TEMP = re.compile(r"^\..+\.(\d+)-[A-Za-z0-9_]+\.(tmp|old)$")
_LEGACY_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")  # written before temp names held a pid


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto `path` on success.

    On any exception the temporary file is removed and the target is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file normal permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def remove_stale_temps(folder: str | os.PathLike, name: str | None = None,
                       legacy: bool = False) -> list[Path]:
    """Remove temporary files and folders that a killed run left in `folder` (only those of
    `name` when given); a temp whose process still runs is left alone. `legacy` also removes
    temps without a process id (older versions), for folders only one process writes to.
    Returns what was removed."""
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    prefix = f".{name}." if name else "."
    with os.scandir(folder) as entries:
        for entry in entries:
            m = _TEMP.match(entry.name)
            if not entry.name.startswith(prefix):
                continue
            if m is None and not (legacy and _LEGACY_TEMP.match(entry.name)):
                continue
            if m is not None and _alive(int(m.group(1))):
                continue
            target = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(target, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
            removed.append(target)
    return removed


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() or p.is_symlink()}


def manifest_name(owner: str | None = None) -> str:
    """The file listing what one writer put into a folder (several writers may share a folder)."""
    return MANIFEST if not owner else f"{MANIFEST}-{owner}"


def _manifest(folder: Path, name: str) -> set[str]:
    """Names a previous run listed; only plain relative names inside the folder are trusted."""
    try:
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return set()
    return {n for n in lines if n and not Path(n).is_absolute() and ".." not in Path(n).parts}


@contextlib.contextmanager
def atomic_output_dir(path: str | os.PathLike, owner: str | None = None, *,
                      replace_all: bool = False) -> Iterator[Path]:
    """Yield an empty staging folder beside `path`; on success `path` holds exactly what was
    written there (plus files vgbench did not write, which are never touched).

    A folder holding only a previous run's files (listed in its `.vgbench-files`) or nothing is
    replaced by the staging folder with two renames. A folder that also holds other files (a
    user's notes, a pipeline's README) gets the new files moved in one by one, and the previous
    run's files that this run does not produce are removed. On any exception, including a full
    disk while writing, `path` is left as it was and the staging folder is removed; a staging
    folder left by a killed run is removed by the next run. `owner` names the writer when
    several write into one folder: each removes only its own earlier files. `replace_all`: every
    file already in the folder counts as an earlier run's (for a caller that has checked the folder
    is wholly its own, e.g. one written before manifests existed).
    """
    path = Path(path)
    if path.name in ("", ".", ".."):
        path = path.resolve()
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a folder; the output needs a folder",
                                 str(path))
    parent = path.parent
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(parent, path.name)
    stage = Path(tempfile.mkdtemp(dir=parent, prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp"))
    try:
        yield stage
        listing = manifest_name(owner)
        produced = _files(stage) - {listing}
        (stage / listing).write_text("".join(f"{n}\n" for n in sorted(produced)), encoding="utf-8")
        os.chmod(stage, 0o777 & ~_umask())
        _commit(stage, path, listing, replace_all)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def _swappable(path: Path) -> bool:
    """A folder may be renamed away unless it is a symlink or holds the working directory."""
    if path.is_symlink():
        return False
    here, target = Path.cwd().resolve(), path.resolve()
    return target != here and target not in here.parents


def _commit(stage: Path, path: Path, listing: str, replace_all: bool = False) -> None:
    if not path.exists():
        os.rename(stage, path)
        return
    remove_stale_temps(path, legacy=True)  # what killed writes left inside is no one's output
    previous = _files(path) if replace_all else _manifest(path, listing)
    foreign = _files(path) - previous - {listing}
    if not foreign and _swappable(path):
        old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}-",
                                    suffix=".old"))
        os.rmdir(old)
        os.rename(path, old)
        try:
            os.rename(stage, path)
        except BaseException:
            os.rename(old, path)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    produced = _files(stage) - {listing}
    for name in sorted(produced):
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / name, target)
    for name in sorted(previous - produced):
        with contextlib.suppress(FileNotFoundError):
            (path / name).unlink()
    os.replace(stage / listing, path / listing)
