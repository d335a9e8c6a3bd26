"""The one way vgbench reads its own .pt files: `torch.load(weights_only=True)`; and the model a
training checkpoint holds.

A checkpoint is a file other people hand around, so loading it must never run code: torch's
weights-only unpickler accepts tensors, containers and plain values, plus the few numpy types an
older checkpoint may hold (the boolean `known` mask), registered here and nowhere else.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch


def _safe_numpy_globals() -> list:
    """numpy's reconstructors and the dtype classes of arrays saved inside checkpoints."""
    core = getattr(np, "_core", None) or np.core
    items: list = [core.multiarray._reconstruct, core.multiarray.scalar, np.ndarray, np.dtype]
    for name in ("BoolDType", "Float32DType", "Float64DType", "Int64DType", "Int32DType", "UInt8DType"):
        dtype_cls = getattr(np.dtypes, name, None)
        if dtype_cls is not None:
            items.append(dtype_cls)
    return items


SAFE_GLOBALS = _safe_numpy_globals()

CHECKPOINT_FORMAT = "vgbench-vge-checkpoint"
CHECKPOINT_VERSION = 1


def load_state(path: str | os.PathLike, what: str = "vgbench checkpoint") -> Any:
    """The saved object of a vgbench .pt file, unpickled weights-only (no code can run).

    Raises ValueError naming the file when it is missing, not a torch file, or holds anything
    beyond tensors, containers, plain values and numpy arrays.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file, expected a {what}")
    with open(path, "rb") as fh:
        if fh.read(4) != b"PK\x03\x04":  # torch.save writes a zip archive
            raise ValueError(f"{path}: not a torch file, expected a {what} (.pt)")
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a bad or hostile file
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        if "Unsupported global" in str(exc) or "Unsupported operand" in str(exc):
            reason = ("it holds Python objects beyond tensors and plain values, which vgbench never "
                      "unpickles")
        raise ValueError(f"{path}: not a readable {what} ({reason})") from None


def save_state(state: Any, path: str | os.PathLike) -> Path:
    """Write a .pt file atomically; a failed write (a full disk) keeps the previous file and is an
    OSError naming the file."""
    from vgbench.atomic import atomic_path
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            torch.save(state, tmp)
    except (OSError, RuntimeError) as exc:  # torch reports a failed write as RuntimeError
        reason = " ".join(str(exc).split())[:200]
        raise OSError(getattr(exc, "errno", None),
                      f"could not write it ({reason}); check the free disk space. The previous "
                      f"{path.name}, if any, is kept", str(path)) from exc
    return path


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """The state of a training checkpoint (ValueError naming the file for anything else)."""
    path = Path(path)
    state = load_state(path, "vgbench training checkpoint")
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a vgbench training checkpoint")
    return state


def model_from_checkpoint(state: dict[str, Any]) -> tuple[torch.nn.Module, Any]:
    """The model of a training checkpoint's state, in eval mode, with its Config."""
    from vgbench.grounding.config import config_from_dict
    from vgbench.grounding.model import build_model
    cfg = config_from_dict(state["config"])
    sd = state["model"]
    known = np.asarray(state["known"], dtype=bool)
    te = sd["te_orig"].numpy()
    feat_dim = sd["feat_mean"].shape[0] if "feat_mean" in sd else 1
    model = build_model(cfg.model, te, known, feat_dim)
    model.load_state_dict(sd)
    model.eval()
    return model, cfg
