"""Train/dev/test splits of images: Flickr8k's standard lists, per-file (COCO), or a seeded random split.

A split assigns *images* (never single captions) so that no image is seen in two splits.
"""
from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Iterable, Mapping, Sequence

SPLITS = ("train", "dev", "test")
FLICKR8K_FILES = {"train": "Flickr_8k.trainImages.txt", "dev": "Flickr_8k.devImages.txt",
                  "test": "Flickr_8k.testImages.txt"}


def read_image_list(path: str | os.PathLike) -> list[str]:
    """One image name per line (blank lines ignored); duplicates are an error."""
    path = Path(path)
    names: list[str] = []
    seen: dict[str, int] = {}
    with open(path, "r", encoding="utf-8-sig") as fh:
        for n, line in enumerate(fh, 1):
            name = line.strip()
            if not name:
                continue
            if name in seen:
                raise ValueError(f"{path}: line {n}: image {name!r} already listed on line {seen[name]}")
            seen[name] = n
            names.append(name)
    return names


def flickr8k_standard(flickr_dir: str | os.PathLike) -> dict[str, list[str]]:
    """The standard Flickr8k split (Hodosh et al. 2013) from the three list files in `flickr_dir`."""
    flickr_dir = Path(flickr_dir)
    out = {}
    for split, fname in FLICKR8K_FILES.items():
        p = flickr_dir / fname
        if not p.is_file():
            raise FileNotFoundError(f"{p}: Flickr8k split list not found")
        out[split] = read_image_list(p)
    check_disjoint(out)
    return out


def random_split(images: Iterable[str], seed: int,
                 fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> dict[str, list[str]]:
    """Shuffle the (sorted, de-duplicated) images with `seed` and cut by `fractions` (train, dev, test)."""
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"split fractions must be three non-negative numbers summing to 1, got {fractions}")
    names = sorted(set(images))
    random.Random(seed).shuffle(names)
    n_train = round(len(names) * fractions[0])
    n_dev = round(len(names) * fractions[1])
    return {"train": sorted(names[:n_train]), "dev": sorted(names[n_train:n_train + n_dev]),
            "test": sorted(names[n_train + n_dev:])}


def parse_random_spec(spec: str) -> tuple[int, tuple[float, float, float]]:
    """'random:SEED' or 'random:SEED:TRAIN,DEV,TEST' (fractions) -> (seed, fractions)."""
    parts = spec.split(":")
    try:
        seed = int(parts[1])
        fr = tuple(float(x) for x in parts[2].split(",")) if len(parts) > 2 else (0.8, 0.1, 0.1)
        if len(parts) > 3 or len(fr) != 3:
            raise ValueError
    except (IndexError, ValueError):
        raise ValueError(f"bad split {spec!r}: expected 'random:SEED' or 'random:SEED:0.8,0.1,0.1'") from None
    return seed, fr  # type: ignore[return-value]


def resolve_split(spec: str | Mapping[str, object], images: Sequence[str],
                  flickr_dir: str | os.PathLike | None = None) -> dict[str, list[str]]:
    """Turn a split spec into {split: [image names]}.

    spec: "flickr8k-standard" (lists in `flickr_dir`), "random:SEED[:fractions]", or a dict
    mapping "train"/"dev"/"test" to a list of image names or to a file with one name per line.
    """
    if isinstance(spec, str):
        if spec == "flickr8k-standard":
            if flickr_dir is None:
                raise ValueError("split 'flickr8k-standard' needs the Flickr8k folder with the split lists")
            return flickr8k_standard(flickr_dir)
        if spec.startswith("random:"):
            seed, fractions = parse_random_spec(spec)
            return random_split(images, seed, fractions)
        raise ValueError(f"unknown split {spec!r}: expected 'flickr8k-standard', 'random:SEED' or a dict")
    unknown = set(spec) - set(SPLITS)
    if unknown:
        raise ValueError(f"unknown split names {sorted(unknown)}; expected {SPLITS}")
    out: dict[str, list[str]] = {}
    for name in SPLITS:
        value = spec.get(name, [])
        if isinstance(value, (str, os.PathLike)):
            out[name] = read_image_list(value)
        else:
            out[name] = [str(v) for v in value]  # type: ignore[union-attr]
    check_disjoint(out)
    return out


def check_disjoint(splits: Mapping[str, Sequence[str]]) -> None:
    seen: dict[str, str] = {}
    for name, images in splits.items():
        for img in images:
            if img in seen and seen[img] != name:
                raise ValueError(f"image {img!r} is in both the {seen[img]} and the {name} split")
            seen[img] = name
