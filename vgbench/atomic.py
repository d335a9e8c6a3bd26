"""Atomic writes: write beside the target, then rename, so a crash never leaves half a file, and
output folders replaced as a whole, so a folder never mixes two runs.

Why every temporary thing lives in a marked folder: vgbench removes only what it can prove it
made. Each temporary or staged file sits in a folder `.NAME.<pid>-<random>.tmp` (or `.old` for a
previous output on its way out) holding a marker file, `.vgbench-temp`, that records the folder's
own name, its kind and the writer's process id. What a killed or out-of-space run left behind is
recognised by that marker (and its process being gone) and removed by the next run; anything
else, whatever its name, is never touched. Files in an output folder belong to vgbench only when
its manifest (`.vgbench-files`) lists them: a file of the same name that it does not list is an
error, never overwritten.
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

MANIFEST = ".vgbench-files"
TEMP_MARK = ".vgbench-temp"
_MARK_HEADER = "vgbench temporary folder v1"
_PAYLOAD = {"tmp": "output", "old": "previous"}  # the payload's name inside each kind of folder


class NotOursError(ValueError):
    """An output would overwrite (or an output folder is) something vgbench did not write."""


# ---------------------------------------------------------------------------- marked temporaries
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _marked_folder(parent: Path, target: str, kind: str) -> Path:
    """A new folder `.TARGET.<pid>-<random>.KIND` in `parent` carrying vgbench's marker."""
    folder = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target}.{os.getpid()}-", suffix=f".{kind}"))
    try:
        (folder / TEMP_MARK).write_text(f"{_MARK_HEADER}\nfolder {folder.name}\nkind {kind}\n"
                                        f"target {target}\npid {os.getpid()}\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def _read_mark(entry: os.DirEntry | Path) -> dict[str, str] | None:
    """The marker of a folder vgbench made (its recorded name must be the folder's own), else None."""
    path = Path(entry)
    if path.is_symlink() or not path.is_dir():
        return None
    mark = path / TEMP_MARK
    try:
        if mark.is_symlink() or not mark.is_file() or mark.stat().st_size > 4096:
            return None
        lines = mark.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if not lines or lines[0] != _MARK_HEADER:
        return None
    fields = dict(line.split(" ", 1) for line in lines[1:] if " " in line)
    if (fields.get("folder") != path.name or fields.get("kind") not in _PAYLOAD
            or not fields.get("pid", "").isdigit() or not fields.get("target")
            or "/" in fields["target"] or fields["target"] in (".", "..")):
        return None
    return fields


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


def is_temporary(path: str | os.PathLike) -> bool:
    """Whether `path` is a temporary folder vgbench made (a live or a killed writer's)."""
    return _read_mark(Path(path)) is not None


def remove_stale_temps(folder: str | os.PathLike, name: str | None = None) -> list[Path]:
    """Remove the temporary folders that killed vgbench runs left in `folder` (only those for
    the target `name` when given): only folders carrying vgbench's marker whose writer is gone.
    A previous output caught between its two renames (its folder gone) is put back instead of
    removed. Returns the folders removed."""
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    with os.scandir(folder) as entries:
        candidates = [Path(e.path) for e in entries if e.name.startswith(".")]
    for path in candidates:
        mark = _read_mark(path)
        if mark is None or (name is not None and mark["target"] != name) or _alive(int(mark["pid"])):
            continue
        payload, original = path / _PAYLOAD[mark["kind"]], folder / mark["target"]
        if mark["kind"] == "old" and payload.is_dir() and not os.path.lexists(original):
            with contextlib.suppress(OSError):
                os.rename(payload, original)
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


# ------------------------------------------------------------------------------------ files
@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path (same name, inside a marked folder beside the target); rename it
    onto `path` on success. On any exception the temporary is removed and `path` left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = _marked_folder(path.parent, path.name, "tmp")
    tmp = folder / path.name
    try:
        tmp.touch()
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


# --------------------------------------------------------------------------- up-front checks
def check_writable(folder: str | os.PathLike) -> None:
    """Fail now, naming the folder, when files cannot be created in `folder` (or, when it does
    not exist yet, in the nearest folder above it): before the long work, not after it."""
    folder = Path(folder)
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is not a folder; the output needs a folder", str(probe))
    try:
        fd, name = tempfile.mkstemp(dir=probe, prefix=".vgbench-probe-", suffix=".tmp")
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write here ({exc.strerror or exc})", str(folder)) from None
    os.close(fd)
    os.unlink(name)


def check_output_dir(path: str | os.PathLike, names: Iterable[str] = (), owner: str | None = None) -> None:
    """Before the long work: `path` can be written, and none of `names` (files the run will write)
    is there without being listed in the folder's manifest."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a folder; the output needs a folder",
                                 str(path))
    check_writable(path)
    if path.is_dir():
        _refuse_clashes(path, set(names), _manifest(path, manifest_name(owner)), manifest_name(owner))


def refuse_same_file(out: str | os.PathLike, inputs: Iterable[str | os.PathLike | None]) -> None:
    """Refuse an output path that is one of the inputs (also through a symlink or another
    spelling of the path): writing it would destroy the input."""
    out_real = os.path.realpath(out)
    for item in inputs:
        if item is None or not os.path.exists(item):
            continue
        same = os.path.realpath(item) == out_real
        if not same and os.path.exists(out):
            with contextlib.suppress(OSError):
                same = os.path.samefile(item, out)
        if same:
            raise ValueError(f"{out}: the output is the input {item}; writing it would destroy the "
                             f"input - choose another output path")


# ----------------------------------------------------------------------------- output folders
def manifest_name(owner: str | None = None) -> str:
    """The file listing what one writer put into a folder (several writers may share a folder)."""
    return MANIFEST if not owner else f"{MANIFEST}-{owner}"


def _manifest(folder: Path, name: str) -> set[str]:
    """Names a previous run listed; only plain relative names inside the folder are trusted."""
    try:
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, UnicodeDecodeError):
        return set()
    return {n for n in lines if n and not Path(n).is_absolute() and ".." not in Path(n).parts}


def _tree(folder: Path) -> tuple[set[str], set[str]]:
    """(files and symlinks, empty folders) under `folder`, as relative names; vgbench's marked
    temporary folders (a live writer's, or one a killed writer left) are not part of it."""
    files: set[str] = set()
    empty: set[str] = set()
    for root, dirs, names in os.walk(folder):
        here = Path(root)
        dirs[:] = [d for d in dirs if not is_temporary(here / d)]
        links = [d for d in dirs if (here / d).is_symlink()]
        dirs[:] = [d for d in dirs if d not in links]
        for n in names + links:
            files.add((here / n).relative_to(folder).as_posix())
        if here != folder and not names and not dirs and not links:
            empty.add(here.relative_to(folder).as_posix())
    return files, empty


def _refuse_clashes(path: Path, produced: set[str], previous: set[str], listing: str) -> None:
    """A file this run writes may replace only an earlier vgbench file (listed in the manifest)."""
    for name in sorted(produced):
        target = path / name
        parts = Path(name).parts
        for i in range(1, len(parts)):  # a folder this run needs is one of the user's files
            above = path.joinpath(*parts[:i])
            if os.path.lexists(above) and (above.is_symlink() or not above.is_dir()):
                raise NotOursError(f"{above}: exists and is not a folder, and this run writes "
                                   f"{name} there; not replacing it - move it away or choose "
                                   f"another output folder")
        if os.path.lexists(target) and (name not in previous or target.is_dir()):
            raise NotOursError(f"{target}: exists and was not written by vgbench (not listed in "
                               f"{path / listing}); not overwriting it - move it away or choose "
                               f"another output folder")


@contextlib.contextmanager
def atomic_output_dir(path: str | os.PathLike, owner: str | None = None, *,
                      replace_all: bool = False) -> Iterator[Path]:
    """Yield an empty staging folder; on success `path` holds what was written there (plus
    files and folders vgbench did not write, which are never touched).

    A folder holding only a previous run's files (listed in its `.vgbench-files`) or nothing is
    replaced by the staging folder with two renames. A folder that also holds anything else (a
    user's notes, an empty folder) gets the new files moved in one by one, and the previous run's
    files that this run does not produce are removed; a new file whose name is taken by a file
    vgbench did not write is an error (NotOursError) and nothing is changed. Where the folder
    cannot be renamed (a mount point, another device) the files are written into it one by one,
    each through a temporary file and a rename. On any exception, including a full disk while
    writing, `path` is left as it was and the staging folder is removed; a staging folder left by
    a killed run is removed by the next run. `owner` names the writer when several write into
    one folder: each removes only its own earlier files. `replace_all`: everything already in the
    folder counts as an earlier run's (for a caller that has checked the folder is wholly its
    own, e.g. by a signature file), except a subfolder that is an output of its own (it holds a
    listing, e.g. a 100d study inside the 50d study's folder): that run's files stay as they are.
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
    try:
        root = _marked_folder(parent, path.name, "tmp")
    except OSError:
        if not path.is_dir():
            raise
        root = _marked_folder(path, path.name, "tmp")  # the folder above cannot be written
    stage = root / _PAYLOAD["tmp"]
    try:
        stage.mkdir()
        yield stage
        listing = manifest_name(owner)
        produced = _tree(stage)[0] - {listing}
        (stage / listing).write_text("".join(f"{n}\n" for n in sorted(produced)), encoding="utf-8")
        os.chmod(stage, 0o777 & ~_umask())
        _commit(stage, path, listing, replace_all)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _nested_outputs(path: Path, files: set[str]) -> set[str]:
    """The files under subfolders of `path` that hold a listing of their own: another run's output
    folder nested in this one, which replacing this one must not take away."""
    roots = {Path(n).parent for n in files
             if Path(n).name.startswith(MANIFEST) and Path(n).parent != Path(".")}
    return {n for n in files if any(root in Path(n).parents for root in roots)}


def _swappable(path: Path) -> bool:
    """A folder may be renamed away unless it is a symlink, a mount point or holds the working
    directory."""
    if path.is_symlink() or os.path.ismount(path):
        return False
    here, target = Path.cwd().resolve(), path.resolve()
    return target != here and target not in here.parents


def _commit(stage: Path, path: Path, listing: str, replace_all: bool = False) -> None:
    if not path.exists():
        os.rename(stage, path)
        return
    remove_stale_temps(path)  # what killed writes left inside
    files, empty = _tree(path)
    previous = files - _nested_outputs(path, files) if replace_all else _manifest(path, listing)
    produced = _tree(stage)[0] - {listing}
    if not replace_all:
        _refuse_clashes(path, produced, previous, listing)
    foreign = files - previous - {listing} | (set() if replace_all else empty)
    inside = stage.resolve().is_relative_to(path.resolve())  # staged in the folder itself
    if not foreign and not inside and _swappable(path) and _swap(stage, path):
        return
    for name in sorted(produced):
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        _move_in(stage / name, target)
    for name in sorted(previous - produced - {listing}):
        old = path / name
        if old.is_symlink() or old.is_file():
            old.unlink()
            for above in old.parents:  # folders emptied by this; never `path` itself
                if above == path or not above.is_relative_to(path):
                    break
                try:
                    above.rmdir()
                except OSError:
                    break
    _move_in(stage / listing, path / listing)


def _swap(stage: Path, path: Path) -> bool:
    """Replace `path` by `stage` with two renames; False (nothing changed) where the folder
    cannot be renamed (a mount point: EBUSY; another device: EXDEV; no right to the parent)."""
    try:
        old = _marked_folder(path.parent, path.name, "old")
    except OSError:
        return False
    moved = old / _PAYLOAD["old"]
    try:
        os.rename(path, moved)
    except OSError:
        shutil.rmtree(old, ignore_errors=True)
        return False
    try:
        os.rename(stage, path)
    except BaseException:
        os.rename(moved, path)
        shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return True


def _move_in(source: Path, target: Path) -> None:
    """Move one staged file onto `target`: a rename, or where the two are on different devices,
    a copy into a temporary file beside the target and a rename of that."""
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EBUSY, errno.EPERM, errno.EACCES):
            raise
        with atomic_path(target) as tmp:
            shutil.copyfile(source, tmp)
