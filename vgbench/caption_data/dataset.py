"""The grounding trainer's data: tokenized captions (per split) paired with rows of an image-feature matrix.

Built once from caption files + a feature store, saved as plain `.npy` arrays and opened
memory-mapped (the nanoGPT way), with the vocabulary beside them so training and export agree.
Every caption that does not make it in is counted in `report`, with examples.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from vgbench.atomic import atomic_output_dir
from vgbench.caption_data.captions import MAX_EXAMPLES, CaptionFile, read_captions
from vgbench.caption_data.features import FeatureStore
from vgbench.paths import cache_dir
from vgbench.caption_data.splits import SPLITS, random_split, resolve_split, parse_random_spec
from vgbench.caption_data.vocab import Vocabulary, tokenize

log = logging.getLogger(__name__)
DATASET_VERSION = 1


@dataclass
class CaptionSplit:
    """Captions of one split: word ids WITHOUT <s>/</s>, right-padded with 0 (<pad>)."""
    tokens: np.ndarray       # int32 (n_captions, max_len)
    lengths: np.ndarray      # int32 (n_captions,)
    image_index: np.ndarray  # int32 (n_captions,): row of the caption's image in the dataset's features

    def __len__(self) -> int:
        return int(self.lengths.shape[0])

    @property
    def n_images(self) -> int:
        return int(np.unique(self.image_index).size)


@dataclass
class CaptionDataset:
    vocab: Vocabulary
    features: np.ndarray            # (n_images, dim) float16/float32, possibly a read-only memmap
    image_names: list[str]          # row order of `features`
    splits: dict[str, CaptionSplit]
    report: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """The captions point into the image vectors and the vocabulary, or a one-line error:
        a feature matrix with fewer rows than the captions use would otherwise fail mid-training."""
        where = "caption dataset"
        feats = self.features
        if feats.ndim != 2:
            raise ValueError(f"{where}: image vectors must be a matrix, found shape {feats.shape}")
        if feats.shape[0] != len(self.image_names):
            raise ValueError(f"{where}: {feats.shape[0]} image vectors for {len(self.image_names)} "
                             f"image names; expected one vector per image")
        for name, split in self.splits.items():
            if split.tokens.ndim != 2 or split.lengths.ndim != 1 or split.image_index.ndim != 1:
                raise ValueError(f"{where}: split {name!r} needs a token matrix and 1-D lengths and "
                                 f"image rows, found shapes {split.tokens.shape}, {split.lengths.shape}, "
                                 f"{split.image_index.shape}")
            n = len(split.lengths)
            if split.tokens.shape[0] != n or split.image_index.shape[0] != n:
                raise ValueError(f"{where}: split {name!r} has {split.tokens.shape[0]} token rows, {n} "
                                 f"lengths and {split.image_index.shape[0]} image rows; expected equal")
            if n == 0:
                continue
            lo, hi = int(np.min(split.image_index)), int(np.max(split.image_index))
            if lo < 0 or hi >= feats.shape[0]:
                raise ValueError(f"{where}: split {name!r} points to image row {hi if hi >= feats.shape[0] else lo}, "
                                 f"but the image vectors cover rows 0..{feats.shape[0] - 1}; rebuild the "
                                 f"dataset from its feature store")
            if int(np.min(split.lengths)) < 0 or int(np.max(split.lengths)) > split.tokens.shape[1]:
                raise ValueError(f"{where}: split {name!r} has caption lengths outside 0..{split.tokens.shape[1]}")
            if split.tokens.size and (int(np.min(split.tokens)) < 0 or int(np.max(split.tokens)) >= len(self.vocab)):
                raise ValueError(f"{where}: split {name!r} has word ids outside the vocabulary of "
                                 f"{len(self.vocab)} words")

    @property
    def feature_dim(self) -> int:
        return int(self.features.shape[1])

    def captions(self, split: str, i: int) -> list[str]:
        """Caption i of `split` as words (for inspection)."""
        s = self.splits[split]
        return self.vocab.decode(s.tokens[i, :s.lengths[i]])

    def save(self, directory: str | os.PathLike) -> Path:
        """Write the dataset into `directory` as a whole (vgbench.atomic.atomic_output_dir): an
        earlier dataset there is replaced, any other existing folder is refused."""
        directory = Path(directory)
        if directory.exists() and not (directory / "dataset.json").is_file():
            raise ValueError(f"{directory}: exists and is not a saved caption dataset; not replacing it")
        with atomic_output_dir(directory, replace_all=True) as tmp:
            self.vocab.save(tmp / "vocab.json")
            np.save(tmp / "features.npy", np.asarray(self.features))
            (tmp / "images.txt").write_text("".join(f"{n}\n" for n in self.image_names), encoding="utf-8")
            for name, s in self.splits.items():
                np.save(tmp / f"{name}.tokens.npy", np.asarray(s.tokens, dtype=np.int32))
                np.save(tmp / f"{name}.lengths.npy", np.asarray(s.lengths, dtype=np.int32))
                np.save(tmp / f"{name}.image_index.npy", np.asarray(s.image_index, dtype=np.int32))
            doc = {"format": "vgbench-caption-dataset", "version": DATASET_VERSION,
                   "splits": list(self.splits), "meta": self.meta, "report": self.report}
            (tmp / "dataset.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | os.PathLike, mmap: bool = True) -> "CaptionDataset":
        directory = Path(directory)
        doc_path = directory / "dataset.json"
        if not doc_path.is_file():
            raise FileNotFoundError(f"{directory}: not a saved caption dataset (no dataset.json)")
        try:
            doc = json.loads(doc_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{doc_path}: line {exc.lineno}: not JSON ({exc.msg})") from None
        if (not isinstance(doc, dict) or doc.get("format") != "vgbench-caption-dataset"
                or doc.get("version") != DATASET_VERSION or not isinstance(doc.get("splits"), list)):
            raise ValueError(f"{doc_path}: expected a vgbench caption dataset, version {DATASET_VERSION}")
        mode = "r" if mmap else None
        try:
            names = [n for n in (directory / "images.txt").read_text(encoding="utf-8").split("\n") if n]
            splits = {name: CaptionSplit(np.load(directory / f"{name}.tokens.npy", mmap_mode=mode),
                                         np.load(directory / f"{name}.lengths.npy", mmap_mode=mode),
                                         np.load(directory / f"{name}.image_index.npy", mmap_mode=mode))
                      for name in doc["splits"]}
            return cls(Vocabulary.load(directory / "vocab.json"),
                       np.load(directory / "features.npy", mmap_mode=mode), names, splits,
                       doc.get("report", {}), doc.get("meta", {}))
        except ValueError as exc:
            raise ValueError(f"{directory}: {exc}") from None

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={len(v)} captions" for k, v in self.splits.items())
        return (f"CaptionDataset({len(self.image_names)} images x {self.feature_dim}, "
                f"{len(self.vocab)} vocab, {parts})")


def _examples(items: Sequence) -> list:
    return list(items[:MAX_EXAMPLES])


def _as_paths(captions) -> list[Path]:
    if isinstance(captions, (str, os.PathLike)):
        return [Path(captions)]
    return [Path(c) for c in captions]


def build_dataset(captions: str | os.PathLike | Sequence | Mapping[str, Any],
                  features_dir: str | os.PathLike, split: str | Mapping[str, Any] | None = None,
                  vocab_size: int = 10000, data_root: str | os.PathLike | None = None, *,
                  fmt: str | None = None, min_count: int = 1, max_len: int | None = None,
                  features_name: str | None = None) -> CaptionDataset:
    """Tokenize captions, pair them with image vectors, split by image, build the vocabulary on train.

    captions: a caption file, a list of them, or {split: file(s)} (e.g. COCO's train and val JSON;
      then each file's captions form that split, and `split` must be None or "by-file").
    split: "flickr8k-standard" (default for a single file; the lists beside the caption file, else
      in DATA_ROOT/flickr8k or the copy shipped in vgbench/data/flickr8k), "random:SEED[:train,dev,test fractions]", or {split: names or list file}.
    max_len: truncate longer captions to this many words (counted in the report); None keeps all.
    """
    store = FeatureStore.open(features_dir, features_name)
    files = _read_caption_files(captions, split, fmt)
    by_file = isinstance(captions, Mapping)
    all_images = list(dict.fromkeys(c.image for _, f in files for c in f.captions))
    rows = _ImageRows(store.index)
    image_rows = {img: rows.of(img) for img in all_images}
    if by_file:
        split_lists = _file_splits(files, all_images)
    else:
        split_lists = _listed_splits(files, all_images, image_rows, split, data_root)
    image_split = {img: s for s, imgs in split_lists.items() for img in imgs}
    walk = _keep_captions(files, image_rows, image_split, max_len)
    vocab = Vocabulary.build((t for t, _ in walk.kept["train"]), max_size=vocab_size, min_count=min_count)

    # Feature rows: the images that keep at least one caption, in store order.
    used = sorted({image_rows[img] for s in SPLITS for _, img in walk.kept[s]})
    new_row = {r: i for i, r in enumerate(used)}
    image_names = [store.names[r] for r in used]
    features = np.asarray(store.vectors[used]) if used else np.zeros((0, store.dim), store.vectors.dtype)
    splits = {s: _encode_split(walk.kept[s], vocab, lambda img: new_row[image_rows[img]]) for s in SPLITS}

    report = {
        "caption_files": [{"path": str(f.path), "format": f.format, "split": name,
                           "captions_read": len(f.captions), "unreadable": f.problem_summary()}
                          for name, f in files],
        "captions_read": sum(len(f.captions) for _, f in files),
        "unreadable_lines": sum(len(f.problems) for _, f in files),
        "dropped_captions": {k: {"count": len(v), "images": len(walk.dropped_images[k]),
                                 "examples": _examples(v)} for k, v in walk.dropped.items()},
        "truncated_captions": walk.truncated,
        "images_matched_by_file_name": rows.matched_by_base,
        "splits": {s: _split_stats(s, splits[s], split_lists.get(s, []), walk, vocab) for s in SPLITS},
        "vocabulary": {"size": len(vocab), "words": len(vocab) - 4, "max_size": vocab_size,
                       "min_count": min_count,
                       "train_word_types": len({w for t, _ in walk.kept["train"] for w in t})},
    }
    _log_problems(report)
    split_desc = "by-file" if by_file else (split if isinstance(split, str) else
                                             ("custom" if split is not None else "flickr8k-standard"))
    meta = {"captions": [str(f.path) for _, f in files], "split": split_desc, "vocab_size": vocab_size,
            "min_count": min_count, "max_len": max_len, "tokenizer": "lower-case, punctuation -> space, split",
            "features": {"store": str(store.path), **{k: v for k, v in store.meta.items() if k != "skipped"}}}
    return CaptionDataset(vocab, features, image_names, splits, report, meta)


def _read_caption_files(captions, split, fmt: str | None) -> list[tuple[str | None, CaptionFile]]:
    """(split name or None, parsed file) for every caption file; per-split files name their split."""
    if not isinstance(captions, Mapping):
        return [(None, read_captions(p, fmt)) for p in _as_paths(captions)]
    if split not in (None, "by-file"):
        raise ValueError("captions given per split ({split: file}): leave split unset or 'by-file'")
    unknown = set(captions) - set(SPLITS)
    if unknown:
        raise ValueError(f"unknown split names {sorted(unknown)}; expected {SPLITS}")
    return [(name, read_captions(p, fmt)) for name, paths in captions.items() for p in _as_paths(paths)]


class _ImageRows:
    """Image name -> feature-store row: the exact name, else a unique file-name match (COCO folders)."""

    def __init__(self, index: Mapping[str, int]):
        self.index = index
        self.by_base: dict[str, int | None] = {}
        for n, i in index.items():
            b = n.rsplit("/", 1)[-1]
            self.by_base[b] = None if b in self.by_base else i
        self.matched_by_base = 0

    def of(self, image: str) -> int | None:
        r = self.index.get(image)
        if r is None:
            r = self.by_base.get(image.rsplit("/", 1)[-1])
            self.matched_by_base += r is not None
        return r


def _file_splits(files, all_images: list[str]) -> dict[str, list[str]]:
    """Captions given per split: an image's split is its caption file's (never two of them)."""
    image_split: dict[str, str] = {}
    for name, f in files:
        for img in f.images:
            if image_split.setdefault(img, name) != name:
                raise ValueError(f"image {img!r} has captions in both the {image_split[img]} and "
                                 f"the {name} caption files")
    return {s: [i for i in all_images if image_split.get(i) == s] for s in SPLITS}


def _listed_splits(files, all_images: list[str], image_rows: dict[str, int | None], split,
                   data_root) -> dict[str, list[str]]:
    """The images of each split by `split`: the standard Flickr8k lists, a seeded random split of the
    images that have a vector, or the user's lists."""
    spec = split if split is not None else "flickr8k-standard"
    flickr_dir = _flickr_lists_dir(files[0][1].path, data_root) if spec == "flickr8k-standard" else None
    if isinstance(spec, str) and spec.startswith("random:"):
        seed, fractions = parse_random_spec(spec)
        return random_split([i for i in all_images if image_rows[i] is not None], seed, fractions)
    split_lists = resolve_split(spec, all_images, flickr_dir)
    listed = {img for imgs in split_lists.values() for img in imgs}
    if flickr_dir is not None and all_images and not any(i in listed for i in all_images):
        names = ", ".join(str(f.path) for _, f in files)
        raise ValueError(f"split 'flickr8k-standard': none of the {len(all_images)} images of {names} "
                         f"is in the split lists of {flickr_dir}; choose a split (random:SEED, or "
                         f"lists per split)")
    return split_lists


@dataclass
class _Walk:
    """The captions kept per split (words, image), and those dropped, by reason, with examples."""
    kept: dict[str, list[tuple[list[str], str]]] = field(default_factory=lambda: {s: [] for s in SPLITS})
    dropped: dict[str, list[str]] = field(default_factory=lambda: {
        "image_in_no_split": [], "image_without_vector": [], "no_words_after_tokenization": []})
    dropped_images: dict[str, set] = field(init=False)
    truncated: int = 0

    def __post_init__(self) -> None:
        self.dropped_images = {k: set() for k in self.dropped}


def _keep_captions(files, image_rows: dict[str, int | None], image_split: dict[str, str],
                   max_len: int | None) -> _Walk:
    """Walk the captions: keep (tokenized, truncated to `max_len`), or count why not."""
    walk = _Walk()
    for _, f in files:
        for c in f.captions:
            s = image_split.get(c.image)
            toks = tokenize(c.text) if image_rows[c.image] is not None and s is not None else None
            if image_rows[c.image] is None:
                reason = "image_without_vector"
            elif s is None:
                reason = "image_in_no_split"
            else:
                reason = None if toks else "no_words_after_tokenization"
            if reason:
                walk.dropped[reason].append(f"{f.path.name}:{c.line} {c.image}: {c.text[:60]}")
                walk.dropped_images[reason].add(c.image)
                continue
            if max_len is not None and len(toks) > max_len:
                toks = toks[:max_len]
                walk.truncated += 1
            walk.kept[s].append((toks, c.image))
    return walk


def _encode_split(caps: list[tuple[list[str], str]], vocab: Vocabulary, row) -> CaptionSplit:
    """Word ids right-padded with 0, lengths, and each caption's image row (`row(image)`)."""
    width = max((len(t) for t, _ in caps), default=0)
    tokens = np.zeros((len(caps), width), dtype=np.int32)
    lengths = np.zeros(len(caps), dtype=np.int32)
    image_index = np.zeros(len(caps), dtype=np.int32)
    for i, (toks, img) in enumerate(caps):
        tokens[i, :len(toks)] = vocab.encode(toks)
        lengths[i] = len(toks)
        image_index[i] = row(img)
    return CaptionSplit(tokens, lengths, image_index)


def _split_stats(name: str, split: CaptionSplit, listed: list[str], walk: _Walk,
                 vocab: Vocabulary) -> dict[str, Any]:
    """A split's counts for the report: images listed and used, captions, tokens, <unk> rate, and
    the listed images that lost every caption."""
    tokens, lengths = split.tokens, split.lengths
    n_tok = int(lengths.sum())
    captioned = {img for _, img in walk.kept[name]}
    no_vector = walk.dropped_images["image_without_vector"]
    no_caps = [img for img in listed if img not in captioned and img not in no_vector]
    no_vec = [img for img in listed if img in no_vector]
    return {
        "images_listed": len(listed), "images": len(captioned), "captions": len(split),
        "max_len": int(tokens.shape[1]), "tokens": n_tok,
        "unk_rate": round(float((tokens == vocab.unk_id).sum()) / n_tok, 6) if n_tok else 0.0,
        "listed_images_without_captions": {"count": len(no_caps), "examples": _examples(no_caps)},
        "listed_images_without_vector": {"count": len(no_vec), "examples": _examples(no_vec)},
    }


def _log_problems(report: dict[str, Any]) -> None:
    for k, v in report["dropped_captions"].items():
        if v["count"]:
            log.warning("dropped %d captions (%d images): %s, e.g. %s", v["count"], v["images"],
                        k.replace("_", " "), v["examples"][0])
    if report["unreadable_lines"]:
        log.warning("%d unreadable caption lines (see report['caption_files'])", report["unreadable_lines"])


def _flickr_lists_dir(caption_path: Path, data_root) -> Path:
    """The standard split lists: beside the caption file, else in the Flickr8k folder (data root's or
    the copy shipped with vgbench)."""
    from vgbench.caption_data.bundled import flickr8k_dir
    from vgbench.caption_data.splits import FLICKR8K_FILES
    if (caption_path.parent / FLICKR8K_FILES["train"]).is_file():
        return caption_path.parent
    candidate = flickr8k_dir(data_root)
    if (candidate / FLICKR8K_FILES["train"]).is_file():
        return candidate
    raise FileNotFoundError(f"split 'flickr8k-standard': no {FLICKR8K_FILES['train']} beside "
                            f"{caption_path} nor in {candidate}")


def load_flickr8k(data_root: str | os.PathLike | None = None, vocab_size: int = 10000, *,
                  cache: str | os.PathLike | None = None, rebuild: bool = False) -> CaptionDataset:
    """The standard Flickr8k dataset (captions, standard split, EfficientNet-Lite0 vectors).

    Read from DATA_ROOT/flickr8k when a data root (argument or $VGBENCH_DATA) holds it, else from the
    copy shipped with the package (vgbench/data/flickr8k). Every input is checked against its recorded
    SHA-256 first; the built dataset is cached under the cache dir, keyed by those checksums (or, for
    files without one, by path, size and mtime) and the settings.
    """
    from vgbench.caption_data.bundled import CAPTIONS, DATASET_FILES, FEATURES, flickr8k_dir, require, verify
    flickr = flickr8k_dir(data_root)
    sums = verify(flickr, DATASET_FILES)
    h = hashlib.sha256(f"v{DATASET_VERSION} vocab={vocab_size}".encode())
    for name, digest in sums.items():
        if digest is None:
            p = require(flickr, name)
            st = p.stat()
            digest = f"{p.resolve()} {st.st_size} {st.st_mtime_ns}"
        h.update(f"{name} {digest}\n".encode())
    target = cache_dir(cache) / "datasets" / f"flickr8k-{h.hexdigest()[:16]}"
    if not rebuild and (target / "dataset.json").is_file():
        try:
            return CaptionDataset.load(target)
        except (OSError, ValueError) as exc:
            log.warning("cached dataset %s unreadable (%s); rebuilding", target, exc)
    ds = build_dataset(require(flickr, CAPTIONS), flickr / FEATURES, "flickr8k-standard",
                       vocab_size=vocab_size, data_root=data_root)
    ds.meta["inputs_sha256"] = sums
    try:
        ds.save(target)
        return CaptionDataset.load(target)
    except OSError as exc:
        log.warning("could not cache the dataset in %s (%s)", target, exc)
        return ds
