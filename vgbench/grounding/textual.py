"""The textual matrix Te that every grounding model starts from, set up one way for all of them.

Rows that came from the textual embedding (`known`) are trainable only when Te is fine-tuned; the
others (special tokens, training words the embedding lacks) are trainable, since a frozen
random vector would only be noise, unless model.unknown_rows = "zero" makes them frozen zero rows. `te_orig` keeps the starting values for the regulariser and the
export. Parameter names are part of the checkpoint format.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn


def checked_textual(te_init: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """te_init as float32 and known as bool, with matching shapes."""
    te_init = np.asarray(te_init, dtype=np.float32)
    known = np.asarray(known, dtype=bool)
    if te_init.ndim != 2 or known.shape != (te_init.shape[0],):
        raise ValueError(f"te_init {te_init.shape} and known {known.shape} do not match")
    return te_init, known


def register_textual(module: nn.Module, te_init: np.ndarray, known: np.ndarray, finetune_te: bool,
                     zero_extra: bool = False) -> None:
    """Give `module` te_known, te_extra, te_orig and the row permutation that `current_te` undoes;
    `zero_extra`: the rows without a textual vector are zero and frozen (model.unknown_rows = "zero")."""
    if zero_extra:
        te_init = te_init.copy()
        te_init[~known] = 0.0
    known_ids, extra_ids = np.flatnonzero(known), np.flatnonzero(~known)
    order = np.concatenate([known_ids, extra_ids])
    row_of = np.empty(len(known), dtype=np.int64)
    row_of[order] = np.arange(len(known))
    module.register_buffer("row_of", torch.from_numpy(row_of), persistent=False)
    module.register_buffer("known_ids", torch.from_numpy(known_ids), persistent=False)
    module.te_known = nn.Parameter(torch.from_numpy(te_init[known_ids].copy()), requires_grad=finetune_te)
    module.te_extra = nn.Parameter(torch.from_numpy(te_init[extra_ids].copy()), requires_grad=not zero_extra)
    module.register_buffer("te_orig", torch.from_numpy(te_init.copy()))


def current_te(module: nn.Module) -> torch.Tensor:
    """The module's current Te (|V| x d) in vocabulary order."""
    return torch.cat([module.te_known, module.te_extra])[module.row_of]
