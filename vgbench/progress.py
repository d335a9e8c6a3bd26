"""The one progress bar: quiet unless asked (`enabled`), never left on screen, tqdm underneath.

Long work (reading a large file, featurizing, training, grounding, evaluating many sets) shows a
bar when the caller asks; the library itself passes `enabled=False` by default.
"""
from __future__ import annotations


def progress_bar(total: int | float | None, desc: str, unit: str, enabled: bool = True, *,
                 initial: int = 0, unit_scale: bool = False, leave: bool = False):
    """A tqdm bar (disabled, and free to update, when not `enabled`)."""
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=initial, desc=desc, unit=unit, unit_scale=unit_scale,
                disable=not enabled, leave=leave, dynamic_ncols=True)
