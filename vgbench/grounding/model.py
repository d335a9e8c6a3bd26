"""The paper's multi-task visual grounding model (Shahmohammadi et al. 2021, Section 3) in one file.

    Te (|V| x d, textual vectors)  --M (d x c, no bias)-->  grounded inputs Ge(w) = Te(w)·M
    image vector --Linear-tanh-Linear--> h0 (c)
    L_FW: GRU_f over <s> w1..wn with h0, BatchNorm, ·M^T (back to the textual space), ·Te^T, softmax
          cross-entropy on w1..wn </s>
    L_BW: GRU_b, the same on the reversed caption
    L_B:  GRU_m over w1..wn with h0, last state, BatchNorm, Linear -> sigmoid "caption matches image";
          the caller swaps half of a batch's captions for captions of other images
    R(a, b) = a/|V| Σ_w (b − cos(Te_orig(w), Te(w)))   (only when Te is fine-tuned)

Choices where the paper is silent (each one a ModelConfig field where it matters):
- Start/end tokens: the LMs read `<s> w1..wn` and predict `w1..wn </s>` (boundary_tokens=true), so the
  first word is predicted from the image alone and the caption's end is modelled; with
  boundary_tokens=false they read w1..w(n-1) and predict w2..wn. The matcher reads w1..wn only.
- Special tokens (<unk>, <s>, </s>) and training words missing from the textual vectors get rows drawn
  from N(mean, std) of the known rows (per dimension, seeded) and are trainable, even with a
  frozen Te: a frozen random vector would only be noise (model.unknown_rows = "zero": frozen zero rows). <pad> is zero and never used (sequences are
  packed, so padding never reaches a GRU, a BatchNorm or a loss).
- BatchNorm sits on every GRU's output states (packed: over real tokens only), before M^T for the LMs
  and before the classifier for the matcher ("applied after each GRU", Section 4).
- The image->h0 network is Linear(F, H)-tanh-Linear(H, c) with H = c by default, shared by the three
  GRUs; image features are standardised with the training split's mean and std (data.standardise =
  "all": every image's; stored in the model).
- Negatives for L_B replace captions for the matcher only; the LMs always see the true caption (an LM
  trained on a mismatched image would learn to ignore the image).
- R's mean runs over the words that have a textual vector (the others have no Te_orig).
- The C_GloVe baseline ("L_FW with one GRU and a fully connected layer", Section 5) reads Te(w)
  directly (no M, no image, h0 = 0); its GRU output goes through BatchNorm and a Linear(c, d) and is
  scored against Te^T like the VGE model, so the two differ only by M and the image. Its embedding is
  the refined Te.

Two options that are not in the paper, added to test why grounding lowered the scores on Flickr8k
(reports/grid): output_bias (a per-word softmax bias, so word frequency need not be encoded through
M) and m_orthogonal (M·Mᵀ = I: Ge keeps Te's cosines and only the fine-tuned Te can change).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from vgbench.grounding.config import ModelConfig
from vgbench.grounding.textual import checked_textual, current_te, register_textual


class VGEModel(nn.Module):
    """The multi-task grounding model, or (kind="caption_lm") the caption-only C_GloVe baseline.

    `te_init` (|V| x d) holds the textual vectors of the training vocabulary; `known` marks the rows
    that came from the textual embedding (the rest: specials and missing words, see module doc).
    """
    # The full-vocabulary softmax in chunks with its gradient fused in (exact; see
    # full_softmax_cross_entropy). False: the plain materialised logits, kept for the benchmark.
    fused_softmax: bool = True

    def __init__(self, cfg: ModelConfig, te_init: np.ndarray, known: np.ndarray, feat_dim: int,
                 pad_id: int = 0, bos_id: int = 2, eos_id: int = 3,
                 feat_mean: np.ndarray | None = None, feat_std: np.ndarray | None = None):
        super().__init__()
        self.cfg = cfg
        self.pad_id, self.bos_id, self.eos_id = pad_id, bos_id, eos_id
        te_init, known = checked_textual(te_init, known)
        n_vocab, d = te_init.shape
        cfg.check_dims(d, feat_dim)
        grounded_dim = cfg.grounded_dim
        self.vge = cfg.kind == "vge"
        self.use_fw = cfg.loss_fw
        self.use_bw = cfg.loss_bw and self.vge
        self.use_image = cfg.use_image and self.vge
        self.use_match = cfg.loss_match and self.use_image

        register_textual(self, te_init, known, cfg.finetune_te, cfg.unknown_rows == "zero")

        if self.vge:
            self.M = nn.Parameter(torch.empty(d, grounded_dim))
            if cfg.m_init == "orthogonal":
                nn.init.orthogonal_(self.M)
            else:
                nn.init.xavier_uniform_(self.M)
            if cfg.m_orthogonal:
                from torch.nn.utils.parametrizations import orthogonal
                orthogonal(self, "M")
            gru_in = grounded_dim
        else:
            self.M = None
            gru_in = d
            self.fc = nn.Linear(grounded_dim, d)
        if self.use_image:
            hidden = cfg.image_hidden or grounded_dim
            self.image_mlp = nn.Sequential(nn.Linear(feat_dim, hidden), nn.Tanh(),
                                           nn.Linear(hidden, grounded_dim))
            mean = np.zeros(feat_dim, np.float32) if feat_mean is None else feat_mean
            std = np.ones(feat_dim, np.float32) if feat_std is None else feat_std
            self.register_buffer("feat_mean", torch.as_tensor(np.asarray(mean, np.float32)))
            self.register_buffer("feat_std", torch.as_tensor(np.maximum(np.asarray(std, np.float32), 1e-6)))
        self.out_bias = nn.Parameter(torch.zeros(n_vocab)) if cfg.output_bias else None
        norm = (lambda: nn.BatchNorm1d(grounded_dim)) if cfg.batchnorm else (lambda: nn.Identity())
        if self.use_fw:
            self.gru_f, self.bn_f = nn.GRU(gru_in, grounded_dim, batch_first=True), norm()
        if self.use_bw:
            self.gru_b, self.bn_b = nn.GRU(gru_in, grounded_dim, batch_first=True), norm()
        if self.use_match:
            self.gru_m, self.bn_m = nn.GRU(gru_in, grounded_dim, batch_first=True), norm()
            self.classifier = nn.Linear(grounded_dim, 1)

    # ----------------------------------------------------------------------------------- pieces
    def te(self) -> torch.Tensor:
        """The current textual matrix Te (|V| x d) in vocabulary order."""
        return current_te(self)

    def grounding_matrix(self) -> torch.Tensor:
        """M (d x c); the identity for the caption-only baseline, whose embedding is Te itself."""
        if self.M is None:
            return torch.eye(self.te_orig.shape[1], device=self.te_orig.device)
        return self.M

    def h0(self, images: torch.Tensor | None, batch: int, device) -> torch.Tensor | None:
        if not self.use_image or images is None:
            return None  # nn.GRU treats None as zeros
        x = (images.float() - self.feat_mean) / self.feat_std
        return self.image_mlp(x).unsqueeze(0).contiguous()

    def _inputs(self, te: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        x = F.embedding(ids, te)
        return x @ self.M if self.vge else x

    def _lm_loss(self, gru: nn.GRU, bn: nn.Module, te: torch.Tensor, inp: torch.Tensor,
                 tgt: torch.Tensor, lengths: torch.Tensor, h0) -> tuple[torch.Tensor, int]:
        out = run_gru(gru, self._inputs(te, inp), h0)
        valid = positions(lengths, inp.shape[1])
        h = bn(out[valid])                                      # real tokens only (N x c)
        targets = tgt[valid]
        back = h @ self.M.t() if self.vge else self.fc(h)      # to the textual space (N x d)
        n = int((targets != self.pad_id).sum())
        if self.fused_softmax:                                  # scored against every word, in chunks
            loss = full_softmax_cross_entropy(back, te, self.out_bias, targets, self.pad_id)
        else:
            logits = back @ te.t()                              # N x |V|, materialised
            if self.out_bias is not None:
                logits = logits + self.out_bias
            loss = F.cross_entropy(logits.float(), targets, ignore_index=self.pad_id)
        return loss, n

    def _lm_pair(self, tokens: torch.Tensor, lengths: torch.Tensor):
        """(input, target, lengths) for an LM over `tokens` (B x L, right-padded, no boundaries)."""
        b, L = tokens.shape
        if self.cfg.boundary_tokens:
            bos = torch.full((b, 1), self.bos_id, dtype=tokens.dtype, device=tokens.device)
            pad = torch.full((b, 1), self.pad_id, dtype=tokens.dtype, device=tokens.device)
            inp = torch.cat([bos, tokens], 1)
            tgt = torch.cat([tokens, pad], 1)
            tgt[torch.arange(b, device=tokens.device), lengths] = self.eos_id
            return inp, tgt, lengths + 1
        inp, tgt = tokens[:, :-1], tokens[:, 1:].clone()
        lens = (lengths - 1).clamp(min=1)
        tgt[lengths <= 1, 0] = self.pad_id                      # one-word captions: nothing to predict
        return inp, tgt, lens

    @staticmethod
    def reverse(tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Each caption reversed within its length; padding stays at the right."""
        b, L = tokens.shape
        pos = torch.arange(L, device=tokens.device).expand(b, L)
        src = lengths.unsqueeze(1) - 1 - pos
        valid = src >= 0
        out = torch.gather(tokens, 1, src.clamp(min=0))
        return torch.where(valid, out, torch.zeros_like(out))

    def regulariser(self) -> torch.Tensor:
        cos = F.cosine_similarity(self.te_orig[self.known_ids], self.te_known, dim=1, eps=1e-8)
        return self.cfg.reg_alpha * (self.cfg.reg_beta - cos).mean()

    # ---------------------------------------------------------------------------------- forward
    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor, images: torch.Tensor | None = None,
                match_tokens: torch.Tensor | None = None, match_lengths: torch.Tensor | None = None,
                match_labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """All enabled losses for one batch, their sum under "loss", and counts for averaging."""
        te = self.te()
        b = tokens.shape[0]
        h0 = self.h0(images, b, tokens.device)
        out: dict[str, torch.Tensor] = {}
        total = tokens.new_zeros((), dtype=torch.float32)
        if self.use_fw:
            inp, tgt, lens = self._lm_pair(tokens, lengths)
            out["fw"], n = self._lm_loss(self.gru_f, self.bn_f, te, inp, tgt, lens, h0)
            out["n_tokens"] = torch.tensor(float(n))
            total = total + out["fw"]
        if self.use_bw:
            inp, tgt, lens = self._lm_pair(self.reverse(tokens, lengths), lengths)
            out["bw"], _ = self._lm_loss(self.gru_b, self.bn_b, te, inp, tgt, lens, h0)
            total = total + out["bw"]
        if self.use_match and match_tokens is not None:
            out_m = run_gru(self.gru_m, self._inputs(te, match_tokens), h0)
            last = out_m[torch.arange(b, device=out_m.device), (match_lengths - 1).clamp(min=0)]
            logit = self.classifier(self.bn_m(last)).squeeze(1).float()
            labels = match_labels.float()
            out["match"] = F.binary_cross_entropy_with_logits(logit, labels)
            out["match_acc"] = ((logit > 0).float() == labels).float().mean().detach()
            total = total + out["match"]
        if self.cfg.finetune_te:
            out["reg"] = self.regulariser()
            total = total + out["reg"]
        out["loss"] = total
        return out

    # ---------------------------------------------------------------------------------- export
    @torch.no_grad()
    def export_state(self) -> dict[str, np.ndarray]:
        """What grounding needs: M, and Te before/after training (rows in vocabulary order)."""
        return {"M": self.grounding_matrix().detach().float().cpu().numpy(),
                "te_finetuned": self.te().detach().float().cpu().numpy(),
                "te_original": self.te_orig.detach().float().cpu().numpy()}


SOFTMAX_CHUNK_ROWS = 128


class _FullSoftmaxCE(torch.autograd.Function):
    """Mean cross-entropy of softmax(back·Teᵀ + bias) over the whole vocabulary, rows `chunk` at a time.

    The plain way materialises an N x |V| logit matrix (about 140 MB per LM and batch at |V| = 10k) and
    walks it several times forward and backward; on a CPU that memory traffic, not the matmuls, was
    most of a training step. Here each chunk's logits stay in cache, and because the loss is a leaf of
    the graph its gradient (softmax - onehot) is formed in the same pass and kept for backward. Exact:
    the same loss and gradients up to float summation order.
    """

    @staticmethod
    def forward(ctx, back, te, bias, targets, ignore_index: int, chunk: int):
        valid = targets != ignore_index
        n_valid = int(valid.sum())
        want = ctx.needs_input_grad
        g_back = torch.zeros_like(back) if want[0] else None
        g_te = torch.zeros_like(te) if want[1] else None
        g_bias = torch.zeros_like(bias) if bias is not None and want[2] else None
        total = back.new_zeros((), dtype=torch.float64)
        te_t = te.t()
        for s in range(0, back.shape[0], chunk):
            b, t, v = back[s:s + chunk], targets[s:s + chunk], valid[s:s + chunk]
            logits = b @ te_t if bias is None else torch.addmm(bias, b, te_t)
            target_logit = logits.gather(1, t.unsqueeze(1)).squeeze(1)
            top = logits.amax(1, keepdim=True)
            logits.sub_(top).exp_()
            norm = logits.sum(1, keepdim=True)
            lse = (top + norm.log()).squeeze(1)
            total += ((lse - target_logit) * v).sum(dtype=torch.float64)
            if g_back is None and g_te is None and g_bias is None:
                continue
            p = logits.div_(norm)                                   # softmax
            rows = torch.arange(len(t), device=t.device)
            p[rows, t] -= 1.0                                       # minus the one-hot target
            if not bool(v.all()):
                p.mul_(v.unsqueeze(1).to(p.dtype))                  # ignored rows add nothing
            if g_back is not None:
                torch.mm(p, te, out=g_back[s:s + chunk])
            if g_te is not None:
                g_te.addmm_(p.t(), b)
            if g_bias is not None:
                g_bias += p.sum(0)
        scale = 1.0 / max(n_valid, 1)
        ctx.scale = scale
        ctx.save_for_backward(*(g if g is not None else torch.empty(0) for g in (g_back, g_te, g_bias)))
        ctx.have = (g_back is not None, g_te is not None, g_bias is not None)
        return (total * scale).to(back.dtype) if n_valid else back.new_tensor(float("nan"))

    @staticmethod
    def backward(ctx, grad):
        saved = ctx.saved_tensors
        out = [g * (grad * ctx.scale) if have else None for g, have in zip(saved, ctx.have)]
        return out[0], out[1], out[2], None, None, None


def full_softmax_cross_entropy(back: torch.Tensor, te: torch.Tensor, bias: torch.Tensor | None,
                               targets: torch.Tensor, ignore_index: int,
                               chunk: int | None = None) -> torch.Tensor:
    """F.cross_entropy(back @ te.T + bias, targets, ignore_index) without the N x |V| logits.
    Chunks of SOFTMAX_CHUNK_ROWS rows on a CPU (cache-sized); on a GPU, memory is the only limit."""
    if chunk is None:
        chunk = SOFTMAX_CHUNK_ROWS if back.device.type == "cpu" else 8192
    back, te = back.float(), te.float()
    with torch.autocast(back.device.type, enabled=False):     # float32 logits under mixed precision
        if not torch.is_grad_enabled():    # evaluation: the loss alone, no gradient is formed
            return _FullSoftmaxCE.forward(_NoGrad(), back, te, bias, targets, ignore_index, chunk)
        return _FullSoftmaxCE.apply(back, te, bias, targets, ignore_index, chunk)


class _NoGrad:
    """Stand-in context for a forward-only call of _FullSoftmaxCE (no gradient is formed)."""
    needs_input_grad = (False, False, False, False, False, False)

    def save_for_backward(self, *tensors) -> None:
        pass


def run_gru(gru: nn.GRU, x: torch.Tensor, h0: torch.Tensor | None) -> torch.Tensor:
    """Outputs of `gru` over right-padded inputs (B x L x in). Padding sits after every real token,
    so the outputs at real positions equal those of a packed sequence; running padded is faster on
    CPU (the packed backward zero-fills a gradient buffer at every time step)."""
    out, _ = gru(x, h0)
    return out


def positions(lengths: torch.Tensor, width: int) -> torch.Tensor:
    """Mask (B x width) of the real tokens of right-padded sequences."""
    return torch.arange(width, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


def build_model(cfg: ModelConfig, *args, **kwargs) -> nn.Module:
    """The model of `cfg.kind`: VGEModel ("vge", "caption_lm") or CaptionImageModel ("caption_image");
    both take (cfg, te_init, known, feat_dim, pad_id, bos_id, eos_id, feat_mean, feat_std)."""
    if cfg.kind == "caption_image":
        from vgbench.grounding.caption_image import CaptionImageModel
        return CaptionImageModel(cfg, *args, **kwargs)
    return VGEModel(cfg, *args, **kwargs)


def flops_per_caption(cfg: ModelConfig, d: int, vocab: int, tokens: float, feat_dim: int = 1280) -> float:
    """Dense matmul FLOPs to train on one caption of `tokens` words (forward + backward = 3x forward).

    Counts GRU input/recurrent matmuls, M / M^T / FC projections, the full-vocabulary scoring and
    the image MLP; ignores element-wise work. Used to state throughput as a fraction of peak.
    """
    if cfg.kind == "caption_image":
        from vgbench.grounding.caption_image import caption_image_flops
        return caption_image_flops(cfg.grounded_dim, d, cfg.lstm_hidden or feat_dim, tokens)
    grounded_dim = cfg.grounded_dim
    vge = cfg.kind == "vge"
    gru_in = grounded_dim if vge else d
    gru = 2 * 3 * (gru_in + grounded_dim) * grounded_dim          # per token per GRU
    steps = tokens + 1 if cfg.boundary_tokens else tokens - 1
    per_lm = steps * (gru + 2 * grounded_dim * d + 2 * d * vocab + (2 * d * grounded_dim if vge else 0))
    n_lm = int(cfg.loss_fw) + int(cfg.loss_bw and vge)
    fwd = n_lm * per_lm
    if vge and cfg.loss_match and cfg.use_image:
        fwd += tokens * (gru + 2 * d * grounded_dim) + 2 * grounded_dim
    if vge and cfg.use_image:
        h = cfg.image_hidden or grounded_dim
        fwd += 2 * (feat_dim * h + h * grounded_dim)
    return 3.0 * fwd


def init_textual_rows(words: list[str], lookup, n_special: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Te's initial rows for a vocabulary: `lookup(word) -> vector | None`.

    Rows without a textual vector (the first `n_special` ids and missing words) are drawn from
    N(mean, std) of the known rows, per dimension, with `seed`; the padding row (id 0) is zero.
    """
    vecs: list[np.ndarray | None] = [None if i < n_special else lookup(w) for i, w in enumerate(words)]
    known = np.array([v is not None for v in vecs], dtype=bool)
    if not known.any():
        raise ValueError("none of the training words has a textual vector: wrong textual file?")
    known_mat = np.stack([v for v in vecs if v is not None]).astype(np.float32)
    d = known_mat.shape[1]
    mean, std = known_mat.mean(0), known_mat.std(0)
    rng = np.random.default_rng(seed)
    te = np.empty((len(words), d), dtype=np.float32)
    te[known] = known_mat
    n_missing = int((~known).sum())
    te[~known] = (mean + std * rng.standard_normal((n_missing, d))).astype(np.float32)
    te[0] = 0.0
    return te, known


def singular_values(M: np.ndarray) -> np.ndarray:
    """M's singular values, largest first (M's rank is at most d whatever c is)."""
    return np.linalg.svd(np.asarray(M, dtype=np.float64), compute_uv=False)


__all__ = ["VGEModel", "build_model", "flops_per_caption", "init_textual_rows", "singular_values"]
