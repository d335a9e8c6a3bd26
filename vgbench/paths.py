"""Where things live: the data root (a user's extra data) and vgbench's cache folder; one place
decides, so every command agrees.

The built-in benchmarks ship inside the package (vgbench.datasets.store) and need no data root;
the root holds what a user brings: their own word-pair files and STS folders, caption data.
"""
from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "VGBENCH_DATA"


class DataRootError(FileNotFoundError):
    """The data root could not be found; the message says how to point at it."""


def find_data_root(explicit: str | os.PathLike | None = None) -> Path | None:
    """The data root, or None when none is configured (no argument, no $VGBENCH_DATA): it is never
    guessed, so a checkout behaves the same wherever it sits. A configured root that is not a
    folder is an error."""
    if explicit:
        root = Path(explicit)
    elif os.environ.get(ENV_VAR):
        root = Path(os.environ[ENV_VAR])
    else:
        return None
    if not root.is_dir():
        raise DataRootError(f"data root {root} is not a directory (from --data-root or ${ENV_VAR})")
    return root.resolve()


def data_root(explicit: str | os.PathLike | None = None) -> Path:
    """Return the data root: the explicit path, else $VGBENCH_DATA."""
    root = find_data_root(explicit)
    if root is None:
        raise DataRootError(
            f"no data root: pass --data-root DIR or set ${ENV_VAR} to the folder of your extra data")
    return root


def cache_dir(explicit: str | os.PathLike | None = None) -> Path:
    """vgbench's cache folder: `explicit`, else $VGBENCH_CACHE, else $XDG_CACHE_HOME/vgbench, else
    ~/.cache/vgbench (fetched embeddings, packed datasets, unpacked benchmarks, cached results)."""
    if explicit:
        return Path(explicit)
    if os.environ.get("VGBENCH_CACHE"):
        return Path(os.environ["VGBENCH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "vgbench"


def package_path(*parts: str) -> Path:
    """A file or folder shipped inside the installed package (configs, the Flickr8k demo data),
    found through importlib.resources, so it is wherever pip put vgbench, never the source tree."""
    from importlib.resources import files
    resource = files("vgbench").joinpath(*parts)
    if not isinstance(resource, Path):  # a zip import: vgbench reads its data as plain files
        raise FileNotFoundError(f"vgbench is imported from an archive ({resource}); install it "
                                f"unpacked (pip install vgbench) to use its shipped data")
    return resource


CONFIGS = "configs"


def shipped_configs() -> list[str]:
    """The names of the training configs shipped with vgbench (`vgbench train NAME`)."""
    return sorted(p.stem for p in package_path(CONFIGS).glob("*.toml"))


def config_path(name: str | os.PathLike) -> Path:
    """A training config: the file `name` when it exists or names a folder, else the shipped config
    of that name (`vge`, `vge.toml`); an error listing the shipped names otherwise."""
    path = Path(name)
    if path.is_file() or path.parent != Path("."):
        return path  # a path to a file: reading it says what is wrong with it
    shipped = package_path(CONFIGS, path.name if path.suffix == ".toml" else f"{path.name}.toml")
    if shipped.is_file():
        return shipped
    raise FileNotFoundError(f"{name}: no such config file, and not a config shipped with vgbench "
                            f"({', '.join(shipped_configs())})")


def regular_file(path: str | os.PathLike, expected: str = "a file") -> Path:
    """`path`, once it is known to be a regular file (symlinks followed).

    Why up front: a FIFO blocks a reader forever, /dev/zero never ends and a folder cannot be read
    as one; each is refused in one line before anything is opened. A missing path raises
    FileNotFoundError as usual."""
    import stat
    p = Path(path)
    mode = os.stat(p).st_mode
    if stat.S_ISREG(mode):
        return p
    kind = ("a directory" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    raise ValueError(f"{p}: is {kind}; expected {expected} (a regular file on disk)")
