"""Batches of caption rows: which captions an epoch visits in which order, the negatives of image-
sentence matching, and the tensors one step reads. Every random choice is a function of (seed,
epoch, step), so a resumed run retraces the uninterrupted one (see trainer.py)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vgbench.caption_data.dataset import CaptionSplit

BUCKET_POOL = 32  # batches whose captions are sorted by length together when bucketing


def epoch_batches(image_index: np.ndarray, batch_size: int, seed: int, epoch: int,
                  lengths: np.ndarray | None = None) -> list[np.ndarray]:
    """Caption indices of every batch of an epoch: each caption once, no image twice in a batch.

    With `lengths` (train.bucket_by_length) the captions of every BUCKET_POOL batches of a round are
    sorted by length before they are cut into batches, so a batch holds captions of similar length
    and the recurrent nets spend little time on padding; batches are still drawn in random order.
    """
    rng = np.random.default_rng([seed, epoch, 0])
    image_index = np.asarray(image_index)
    order = np.argsort(image_index, kind="stable")
    images, starts, counts = np.unique(image_index[order], return_index=True, return_counts=True)
    # Shuffle each image's captions: caption k of image i goes to round k.
    groups = [rng.permutation(order[s:s + n]) for s, n in zip(starts, counts)]
    batches: list[np.ndarray] = []
    for k in range(int(counts.max()) if len(counts) else 0):
        members = np.array([g[k] for g in groups if len(g) > k], dtype=np.int64)
        members = members[rng.permutation(len(members))]
        if lengths is not None:
            pool = batch_size * BUCKET_POOL
            members = np.concatenate([chunk[np.argsort(np.asarray(lengths)[chunk], kind="stable")]
                                      for chunk in np.array_split(members, range(pool, len(members), pool))])
        for s in range(0, len(members), batch_size):
            chunk = members[s:s + batch_size]
            if len(chunk) >= 2:  # BatchNorm and negatives need two captions
                batches.append(chunk)
    return [batches[i] for i in rng.permutation(len(batches))]


def negatives(n: int, seed: int, epoch: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """(source row of each matcher caption, label): half the rows take another row's caption."""
    rng = np.random.default_rng([seed, epoch, step, 1])
    src = np.arange(n)
    labels = np.ones(n, dtype=np.float32)
    neg = rng.permutation(n)[: n // 2]
    shift = int(rng.integers(1, n))
    src[neg] = (neg + shift) % n  # batch rows are distinct images, so this is always another image
    labels[neg] = 0.0
    return src, labels


@dataclass
class Batch:
    """One step's tensors: the captions, their images, and the matcher's captions and labels."""
    tokens: torch.Tensor
    lengths: torch.Tensor
    images: torch.Tensor
    match_tokens: torch.Tensor
    match_lengths: torch.Tensor
    match_labels: torch.Tensor

    def kwargs(self) -> dict[str, torch.Tensor]:
        """The model's keyword arguments."""
        return dict(tokens=self.tokens, lengths=self.lengths, images=self.images,
                    match_tokens=self.match_tokens, match_lengths=self.match_lengths,
                    match_labels=self.match_labels)


def make_batch(split, features: np.ndarray, rows: np.ndarray, seed: int, epoch: int, step: int,
               device: torch.device, rank: int = 0, world: int = 1) -> Batch:
    """Tensors for caption rows `rows` (negatives drawn on the whole batch, then this rank's slice)."""
    lengths = np.asarray(split.lengths[rows], dtype=np.int64)
    width = max(int(lengths.max()), 1)
    tokens = np.asarray(split.tokens[rows, :width], dtype=np.int64)
    src, labels = negatives(len(rows), seed, epoch, step)
    mine = slice(rank, None, world)
    img = np.asarray(features[np.asarray(split.image_index[rows])[mine]], dtype=np.float32)
    t = lambda a, dt=torch.long: torch.as_tensor(np.ascontiguousarray(a), dtype=dt).to(device)
    return Batch(t(tokens[mine]), t(lengths[mine]), t(img, torch.float32),
                 t(tokens[src][mine]), t(lengths[src][mine]), t(labels[mine], torch.float32))


def limit_split(split, n: int):
    """The first `n` captions of a split (data.limit_train / limit_dev); 0 keeps them all."""
    if not n or n >= len(split.lengths):
        return split
    return CaptionSplit(split.tokens[:n], split.lengths[:n], split.image_index[:n])
