"""The authors' later caption -> image model (Shahmohammadi, Heitmeier, Shafaei-Bajestan, Lensch &
Baayen, "Language with vision: a study on grounded word and sentence embeddings", Behavior Research
Methods 2023), as `model.kind = "caption_image"`.

    Te (|V| x d, frozen textual vectors) --M (d x c, no bias, Xavier)--> Ge(w) = Te(w)·M
    LSTM(c -> H) over the mapped caption w1..wn (no boundary tokens); its last state h_n
    loss = mean squared error between h_n and the caption's image vector, standardised per dimension

H is the image-vector size (model.lstm_hidden = 0), so the LSTM's last state is compared with the image
vector directly, with no output layer. Grounded vectors are Te(w)·M, zero-shot as for the 2021 model.

Choices where the paper's text is silent (as in model.py): training words missing from the textual
vectors and the special tokens get rows drawn from N(mean, std) of the known rows and stay trainable
(a frozen random row would be noise; model.unknown_rows = "zero" makes them frozen zero rows); the image
statistics are the training split's (data.standardise = "all": every image's; stored in the model). The LSTM runs over right-padded inputs and h_n is read at each caption's last real token, which
equals the packed sequence's final state (padding comes after every real token); the trainer batches
captions of similar length, so little work is spent on padding.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from vgbench.grounding.config import ModelConfig
from vgbench.grounding.textual import checked_textual, current_te, register_textual


class CaptionImageModel(nn.Module):
    """Caption -> image-vector regression through a linear map M; same interface as VGEModel."""

    def __init__(self, cfg: ModelConfig, te_init: np.ndarray, known: np.ndarray, feat_dim: int,
                 pad_id: int = 0, bos_id: int = 2, eos_id: int = 3,
                 feat_mean: np.ndarray | None = None, feat_std: np.ndarray | None = None):
        super().__init__()
        self.cfg = cfg
        self.pad_id = pad_id
        te_init, known = checked_textual(te_init, known)
        d = te_init.shape[1]
        cfg.check_dims(d, feat_dim)
        register_textual(self, te_init, known, cfg.finetune_te, cfg.unknown_rows == "zero")
        self.M = nn.Parameter(torch.empty(d, cfg.grounded_dim))
        nn.init.xavier_uniform_(self.M)
        self.lstm = nn.LSTM(cfg.grounded_dim, feat_dim, batch_first=True)  # lstm_hidden is 0 or feat_dim
        mean = np.zeros(feat_dim, np.float32) if feat_mean is None else feat_mean
        std = np.ones(feat_dim, np.float32) if feat_std is None else feat_std
        self.register_buffer("feat_mean", torch.as_tensor(np.asarray(mean, np.float32)))
        self.register_buffer("feat_std", torch.as_tensor(np.maximum(np.asarray(std, np.float32), 1e-6)))

    def te(self) -> torch.Tensor:
        """The current textual matrix Te (|V| x d) in vocabulary order."""
        return current_te(self)

    def grounding_matrix(self) -> torch.Tensor:
        return self.M

    def target(self, images: torch.Tensor) -> torch.Tensor:
        """The image vectors, standardised per dimension with the training split's statistics."""
        return (images.float() - self.feat_mean) / self.feat_std

    def encode(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The LSTM's state after each caption's last word (B x H)."""
        x = F.embedding(tokens, self.te()) @ self.M
        out, _ = self.lstm(x)
        last = (lengths - 1).clamp(min=0)
        return out[torch.arange(tokens.shape[0], device=tokens.device), last]

    def regulariser(self) -> torch.Tensor:
        cos = F.cosine_similarity(self.te_orig[self.known_ids], self.te_known, dim=1, eps=1e-8)
        return self.cfg.reg_alpha * (self.cfg.reg_beta - cos).mean()

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor, images: torch.Tensor | None = None,
                **_unused) -> dict[str, torch.Tensor]:
        """{"mse": mean squared error over captions and image dimensions, "loss": mse (+ R)}.
        Matcher inputs (negatives for the 2021 model) are accepted and ignored."""
        if images is None:
            raise ValueError("model.kind = caption_image needs the captions' image vectors")
        width = max(int(lengths.max()), 1)
        mse = F.mse_loss(self.encode(tokens[:, :width], lengths).float(), self.target(images))
        out = {"mse": mse, "loss": mse}
        if self.cfg.finetune_te:
            out["reg"] = self.regulariser()
            out["loss"] = mse + out["reg"]
        return out

    @torch.no_grad()
    def export_state(self) -> dict[str, np.ndarray]:
        return {"M": self.M.detach().float().cpu().numpy(),
                "te_finetuned": self.te().detach().float().cpu().numpy(),
                "te_original": self.te_orig.detach().float().cpu().numpy()}


def caption_image_flops(grounded_dim: int, d: int, hidden: int, tokens: float) -> float:
    """Dense matmul FLOPs to train on one caption (forward + backward = 3x forward)."""
    per_token = 2 * 4 * hidden * (grounded_dim + hidden) + 2 * d * grounded_dim
    return 3.0 * tokens * per_token


__all__ = ["CaptionImageModel", "caption_image_flops"]
