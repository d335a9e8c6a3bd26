"""A tiny planted image-caption task for the VGE tests (in memory, same attributes as the data layer).

Three image concepts; each concept is described by two synonyms that are interchangeable in its
captions but whose textual vectors are planted far apart (cosine about -0.6). A model that learns
from the images should bring synonyms closer and keep words of different concepts apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vgbench.embeddings.core import Embeddings

SPECIALS = ["<pad>", "<unk>", "<s>", "</s>"]
CONCEPTS = {"A": ("dog", "hound"), "B": ("car", "truck"), "C": ("tree", "oak")}
CONTEXT = ["a", "the", "there", "is", "here", "big", "small", "red", "and"]


@dataclass
class Vocab:
    words: list[str]
    pad_id: int = 0
    unk_id: int = 1
    bos_id: int = 2
    eos_id: int = 3

    def __len__(self) -> int:
        return len(self.words)

    def id(self, word: str) -> int:
        return self.words.index(word) if word in self.words else self.unk_id

    def encode(self, tokens):
        return [self.id(t) for t in tokens]


@dataclass
class Split:
    tokens: np.ndarray
    lengths: np.ndarray
    image_index: np.ndarray

    def __len__(self) -> int:
        return len(self.lengths)


@dataclass
class Dataset:
    vocab: Vocab
    features: np.ndarray
    image_names: list[str]
    splits: dict
    report: dict = field(default_factory=dict)


VERBS = {"A": ("runs", "barks", "plays"), "B": ("drives", "parks", "stops"), "C": ("grows", "stands", "sways")}


def _captions(rng, concept: str) -> list[list[str]]:
    """Five captions of one image: a synonym of its concept (either one) in varied contexts."""
    syn, verbs = CONCEPTS[concept], VERBS[concept]
    out = []
    for _ in range(5):
        w, v = syn[rng.integers(2)], verbs[rng.integers(3)]
        adj = CONTEXT[5 + rng.integers(3)]
        form = rng.integers(4)
        out.append([["there", "is", "a", w], ["the", adj, w, v, "here"], ["a", w, v],
                    [w, v, "and", v]][form])
    return out


def make_task(n_images: int = 60, d: int = 8, feat_dim: int = 12, seed: int = 0,
              missing: tuple[str, ...] = ()) -> tuple[Dataset, Embeddings]:
    """(dataset, textual vectors). `missing` words get no textual vector."""
    rng = np.random.default_rng(seed)
    content = [w for pair in CONCEPTS.values() for w in pair] + [v for vs in VERBS.values() for v in vs]
    words = SPECIALS + CONTEXT + content
    vocab = Vocab(words)
    concepts = list(CONCEPTS)
    centres = rng.normal(size=(len(concepts), feat_dim)) * 3
    img_concept = np.array([i % len(concepts) for i in range(n_images)])
    features = (centres[img_concept] + rng.normal(size=(n_images, feat_dim))).astype(np.float16)
    splits = {}
    cut = {"train": range(0, int(n_images * .7)), "dev": range(int(n_images * .7), int(n_images * .85)),
           "test": range(int(n_images * .85), n_images)}
    for name, imgs in cut.items():
        caps, idx = [], []
        for i in imgs:
            for cap in _captions(rng, concepts[img_concept[i]]):
                caps.append(vocab.encode(cap))
                idx.append(i)
        L = max(map(len, caps))
        tokens = np.zeros((len(caps), L), dtype=np.int32)
        for r, c in enumerate(caps):
            tokens[r, :len(c)] = c
        splits[name] = Split(tokens, np.array([len(c) for c in caps], np.int32), np.array(idx, np.int32))
    # Textual vectors: random, except that each synonym pair is planted far apart.
    vecs = {w: rng.normal(size=d) for w in CONTEXT + content}
    for a, b in CONCEPTS.values():
        u = vecs[a] / np.linalg.norm(vecs[a])
        r = rng.normal(size=d)
        r -= r @ u * u
        r /= np.linalg.norm(r)
        vecs[b] = (-0.6 * u + 0.8 * r) * np.linalg.norm(vecs[a])
    tw = [w for w in vecs if w not in missing] + ["unrelated", "words"]
    tv = np.stack([vecs[w] for w in tw if w in vecs] + [rng.normal(size=d) for _ in range(2)])
    textual = Embeddings(tw, tv.astype(np.float32), "synthetic-textual")
    ds = Dataset(vocab, features, [f"img{i}.jpg" for i in range(n_images)], splits)
    return ds, textual


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def save_task(directory, **kwargs):
    """The task on disk, as the CLI reads it: (dataset folder, GloVe-format textual file)."""
    from pathlib import Path

    from vgbench.embeddings import save_embeddings
    from vgbench.caption_data.dataset import CaptionDataset, CaptionSplit
    from vgbench.caption_data.vocab import Vocabulary
    ds, textual = make_task(**kwargs)
    real = CaptionDataset(Vocabulary(ds.vocab.words), np.asarray(ds.features), ds.image_names,
                          {k: CaptionSplit(s.tokens, s.lengths, s.image_index) for k, s in ds.splits.items()})
    directory = Path(directory)
    real.save(directory / "dataset")
    save_embeddings(textual, directory / "textual.txt", "glove")
    return directory / "dataset", directory / "textual.txt"


def synonym_scores(emb) -> tuple[float, float, int]:
    """(mean cosine of synonym pairs, mean cosine of words of different concepts, how many of the
    six concept words have their synonym as nearest neighbour among the concept words)."""
    words = [w for pair in CONCEPTS.values() for w in pair]
    syn = [cos(emb[a], emb[b]) for a, b in CONCEPTS.values()]
    groups = list(CONCEPTS.values())
    across = [cos(emb[a], emb[b]) for i, g in enumerate(groups) for h in groups[i + 1:]
              for a in g for b in h]
    hits = 0
    for a, b in CONCEPTS.values():
        for x, y in ((a, b), (b, a)):
            sims = {w: cos(emb[x], emb[w]) for w in words if w != x}
            hits += max(sims, key=sims.get) == y
    return float(np.mean(syn)), float(np.mean(across)), hits
