"""What training reads besides the captions: the textual vectors that initialise Te (and how a
training word finds its row), the caption dataset a config names, and the images whose statistics
standardise the model's image input."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from vgbench.embeddings.core import LOAD_CASE
from vgbench.grounding.config import Config

def load_textual(source: str, words: set[str] | None = None):
    """The textual vectors that initialise Te (a path in any format or a registry name): every
    row `textual_lookup` can resolve a training word to, so a capitalised row serves a
    lower-case word."""
    from vgbench.embeddings import load_embeddings
    return load_embeddings(source, words=words, case=LOAD_CASE)


def load_dataset(cfg: Config):
    """The caption dataset `data.dataset` names: the bundled Flickr8k or a built dataset folder."""
    from vgbench.caption_data import dataset as ds
    if cfg.data.dataset == "flickr8k":
        return ds.load_flickr8k(data_root=cfg.data.data_root, vocab_size=cfg.data.vocab_size)
    path = Path(cfg.data.dataset)
    if not path.is_dir():
        raise ValueError(f"data.dataset = {cfg.data.dataset!r}: expected 'flickr8k' or a dataset folder")
    return ds.CaptionDataset.load(path)


def textual_lookup(textual) -> Callable[[str], np.ndarray | None]:
    """word -> its textual vector (exact case, else lower case), or None."""
    def lookup(word: str):
        i = textual.row(word, LOAD_CASE)
        return None if i < 0 else np.asarray(textual.vectors[i], dtype=np.float32)
    return lookup


def standardisation_images(features: np.ndarray, train_split, mode: str) -> np.ndarray:
    """The image vectors whose per-dimension mean and std standardise the model's image input
    (data.standardise): the training split's images, each once ("train"), or every image ("all")."""
    rows = np.unique(train_split.image_index) if mode == "train" else slice(None)
    return np.asarray(features[rows], dtype=np.float64)
