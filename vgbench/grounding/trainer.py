"""Train the VGE model (or a caption-only baseline) on an image-caption dataset.

Why it is built this way:
- Every random choice (caption order, which captions become negatives, init) is a function of
  (seed, epoch, step), so a run resumed from any checkpoint - after an epoch or mid-epoch - retraces
  the uninterrupted run exactly on CPU, and no RNG state has to be saved.
- One caption per image per batch: each epoch visits every training caption once, in rounds; within a
  round each image appears once, and batches never cross rounds, so a swapped-in negative caption
  always belongs to a different image.
- Logs (JSONL, CSV, chart; training_log.py) are rebuilt from the history stored in the checkpoint after
  every epoch and written atomically, so a killed run never leaves a half log and a resumed one
  continues it.
- An epoch visits every training caption once (5 per image on Flickr8k); dev losses use fixed
  negatives, so epochs compare. The paper selects on the dev loss; train.select = "intrinsic" selects
  on MEN dev + SimVerb dev instead (reports/grid shows the dev loss falls while the vectors worsen).
- Multi-GPU / multi-process: under torchrun each rank takes a slice of every global batch (DDP averages
  the gradients); rank 0 alone writes files. The backend is gloo on CPU, nccl on CUDA.
"""
from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from vgbench.atomic import remove_stale_temps, write_text_atomic
from vgbench.grounding.batches import epoch_batches, limit_split, make_batch
from vgbench.grounding.checkpoint import CHECKPOINT_FORMAT, CHECKPOINT_VERSION, load_checkpoint, save_state
from vgbench.grounding.config import Config, config_from_dict, dumps_toml
from vgbench.grounding.machine import run_record
from vgbench.grounding.inputs import load_dataset, load_textual, standardisation_images, textual_lookup
from vgbench.grounding.model import build_model, init_textual_rows, singular_values
from vgbench.grounding.run_dir import claim_run_dir, remove_unfinished_run
from vgbench.grounding.training_log import write_logs
from vgbench.progress import progress_bar

log = logging.getLogger(__name__)

N_SPECIAL = 4  # <pad> <unk> <s> </s>, ids 0..3 (the vocabulary contract)


class _Stop(Exception):
    """Raised by the test hook `stop_after_steps` to imitate a killed run."""


# ------------------------------------------------------------------------------------ the trainer
class Trainer:
    """`Trainer(cfg).run()` trains, checkpoints, logs and returns a summary dict.

    `dataset` / `textual` may be given in memory (tests, notebooks); otherwise they are read as the
    config says. `evaluator(grounder) -> {name: score}` (higher is better) runs after each epoch when
    train.eval_each_epoch is set (the callers pass vgbench.evaluation.dev_scores.dev_scorer).
    """

    def __init__(self, cfg: Config, dataset=None, textual=None, progress: bool = True,
                 evaluator: Callable[[Any], dict[str, float]] | None = None):
        self.cfg = cfg.validate()
        self.progress = progress
        self.dataset = dataset
        self.textual = textual
        self.evaluator = evaluator
        if cfg.train.eval_each_epoch and evaluator is None:
            raise ValueError("train.eval_each_epoch = true needs an evaluator: pass evaluator="
                             "vgbench.evaluation.dev_scores.dev_scorer(cfg.train.eval_sets)")
        self.stop_after_steps: int | None = None  # test hook: imitate a kill after this many steps
        self.rank, self.world = _dist_info()

    # -- setup --------------------------------------------------------------------------------
    def _setup(self) -> None:
        cfg = self.cfg
        if cfg.train.threads:
            torch.set_num_threads(cfg.train.threads)
        self.device = _pick_device(cfg.train.device, self.rank)
        if self.world > 1 and not torch.distributed.is_initialized():
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            torch.distributed.init_process_group(backend)
        if self.dataset is None:
            self.dataset = load_dataset(cfg)
        ds = self.dataset
        self.vocab_words = list(ds.vocab.words)
        self.train_split = limit_split(ds.splits["train"], cfg.data.limit_train)
        self.dev_split = limit_split(ds.splits["dev"], cfg.data.limit_dev)
        if self.textual is None:
            self.textual = load_textual(cfg.data.textual, set(self.vocab_words))
        torch.manual_seed(cfg.train.seed)
        te, known = init_textual_rows(self.vocab_words, textual_lookup(self.textual), N_SPECIAL,
                                      cfg.train.seed)
        self.known = known
        feats = standardisation_images(ds.features, self.train_split, cfg.data.standardise)
        self.model = build_model(cfg.model, te, known, ds.features.shape[1],
                                 ds.vocab.pad_id, ds.vocab.bos_id, ds.vocab.eos_id,
                                 feats.mean(0).astype(np.float32), feats.std(0).astype(np.float32)
                                 ).to(self.device)
        self.net = self.model
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = DDP(self.model, device_ids=ids)
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.opt = torch.optim.NAdam(params, lr=cfg.train.lr)
        self.amp = cfg.train.amp and (self.device.type == "cuda" or
                                      (self.device.type == "cpu" and cfg.train.amp_cpu))
        log.info("model: %d trainable parameters, %d/%d vocabulary words have textual vectors",
                 sum(p.numel() for p in params), int(known[N_SPECIAL:].sum()), len(known) - N_SPECIAL)
        self.machine = run_record(self.device, self.amp, cfg.train.bucket_by_length, cfg.train.seed)

    # -- checkpoints --------------------------------------------------------------------------
    def _state(self, epoch: int, step: int, accum: dict[str, float]) -> dict[str, Any]:
        return {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
                "config": self.cfg.to_dict(), "vocab": self.vocab_words, "known": self.known,
                "model": self.model.state_dict(), "optimizer": self.opt.state_dict(),
                "epoch": epoch, "step": step, "accum": dict(accum),
                "history": list(self.history), "best": dict(self.best), "bad_epochs": self.bad_epochs}

    def _save(self, path: Path, state: dict[str, Any]) -> None:
        if self.rank != 0:
            return
        save_state(state, path)

    def _restore(self, path: Path) -> tuple[int, int, dict[str, float]]:
        state = load_checkpoint(path)
        saved = config_from_dict(state["config"])
        if _model_signature(saved) != _model_signature(self.cfg):
            raise ValueError(f"{path}: checkpoint was trained with different model settings; "
                             "resume with the same config (or start a new run name)")
        if state["vocab"] != self.vocab_words:
            raise ValueError(f"{path}: checkpoint vocabulary differs from the dataset's")
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])
        self.history, self.best, self.bad_epochs = state["history"], state["best"], state["bad_epochs"]
        return state["epoch"], state["step"], state["accum"]

    # -- evaluation ---------------------------------------------------------------------------
    @torch.no_grad()
    def dev_loss(self, epoch: int) -> dict[str, float]:
        """Mean dev losses (eval-mode BatchNorm; fixed negatives, so epochs are comparable)."""
        self.model.eval()
        sums: dict[str, float] = {}
        n_total = 0
        split = self.dev_split
        bs = self.cfg.train.batch_size
        for step, rows in enumerate(epoch_batches(split.image_index, bs, 12345, 0)):
            batch = make_batch(split, self.dataset.features, rows, 12345, 0, step, self.device)
            out = self.model(**batch.kwargs())      # float32: mixed precision is for training only
            n = len(rows)
            n_total += n
            for k, v in out.items():
                if k != "n_tokens":
                    sums[k] = sums.get(k, 0.0) + float(v) * n
        self.model.train()
        return {f"dev_{k}": v / max(n_total, 1) for k, v in sums.items()}

    def _intrinsic(self) -> dict[str, float]:
        if not self.cfg.train.eval_each_epoch:
            return {}
        from vgbench.grounding.grounder import Grounder
        grounder = Grounder.from_model(self.model, self.vocab_words, self.known, self.cfg)
        return {f"eval_{k}": float(v) for k, v in self.evaluator(grounder).items()}

    def _autocast(self):
        if self.amp:
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # -- the loop -----------------------------------------------------------------------------
    def run(self, resume: bool = False) -> dict[str, Any]:
        """Train epoch after epoch until the epochs, the patience or the time limit run out."""
        self._setup()
        start_epoch, start_step, accum = self._start(resume)
        if self.cfg.train.keep_epoch_grounders and start_epoch == 0 and start_step == 0:
            self._save_grounder(self.cfg.run_dir / "grounders" / "epoch_000.pt")
        self.model.train()
        self.stopped = "epochs"
        began = time.perf_counter()
        for epoch in range(start_epoch, self.cfg.train.epochs):
            reason = self._stop_reason(time.perf_counter() - began)
            if reason:
                self.stopped = reason
                break
            first = start_step if epoch == start_epoch else 0
            tic = time.perf_counter()
            seen, accum = self._train_epoch(epoch, first, accum if first else {})
            row = self._epoch_row(epoch, accum, seen, tic)
            improved = self._select(row)
            self._end_epoch(epoch, improved)
            log.info("epoch %d: %s", epoch + 1, {k: v for k, v in row.items() if isinstance(v, float)})
        return self._finish()

    def _start(self, resume: bool) -> tuple[int, int, dict[str, float]]:
        """A fresh run (its folder emptied of an unfinished run's files) or the state of last.pt:
        (epoch, step within it, the epoch's running loss sums)."""
        run_dir = self.cfg.run_dir
        last = run_dir / "last.pt"
        self.history: list[dict[str, Any]] = []
        self.best: dict[str, Any] = {"epoch": -1, "score": None}
        self.bad_epochs = 0
        start: tuple[int, int, dict[str, float]] = (0, 0, {})
        if resume:
            if not last.exists():
                raise ValueError(f"--resume: no checkpoint at {last}")
            start = self._restore(last)
            log.info("resumed %s at epoch %d step %d", last, start[0], start[1])
        elif self.rank == 0:
            if last.exists():
                raise ValueError(f"{run_dir} already holds a run; pass --resume to continue it or "
                                 "choose another name (--set name=...)")
            claim_run_dir(run_dir)
            remove_unfinished_run(run_dir)
            write_text_atomic(run_dir / "config.toml", dumps_toml(self.cfg))
        if self.rank == 0:
            for folder in (run_dir, run_dir / "grounders"):  # what a killed run of ours left
                remove_stale_temps(folder)
        return start

    def _stop_reason(self, spent: float) -> str | None:
        """Why no further epoch starts: patience used up, or the next epoch would end past the limit."""
        t = self.cfg.train
        if self.bad_epochs >= t.patience:
            return "early stopping"
        if t.time_limit_s and self.history and spent + self.history[-1]["seconds_total"] > t.time_limit_s:
            return "time limit"
        return None

    def _train_epoch(self, epoch: int, first: int, accum: dict[str, float]) -> tuple[int, dict[str, float]]:
        """The epoch's steps from `first` on; returns the captions seen and the running loss sums
        (weighted by batch size; accum["n"] counts the captions)."""
        t = self.cfg.train
        batches = epoch_batches(self.train_split.image_index, t.batch_size, t.seed, epoch,
                                self.train_split.lengths if t.bucket_by_length else None)
        tic, seen = time.perf_counter(), 0
        with progress_bar(len(batches), f"epoch {epoch + 1}/{t.epochs}", "batch",
                          self.progress and self.rank == 0, initial=first) as bar:
            for step in range(first, len(batches)):
                out = self._step(epoch, step, batches[step])
                for k, v in out.items():
                    if k != "n_tokens":
                        accum[k] = accum.get(k, 0.0) + float(v.detach()) * len(batches[step])
                accum["n"] = accum.get("n", 0.0) + len(batches[step])
                seen += len(batches[step])
                bar.update(1)
                bar.set_postfix(loss=f"{float(out['loss'].detach()):.3f}",
                                cap_s=f"{seen / max(time.perf_counter() - tic, 1e-9):.0f}")
                every = t.checkpoint_every_steps
                if every and (step + 1) % every == 0 and step + 1 < len(batches):
                    self._save(self.cfg.run_dir / "last.pt", self._state(epoch, step + 1, accum))
                if self.stop_after_steps is not None:
                    self.stop_after_steps -= 1
                    if self.stop_after_steps <= 0:
                        raise _Stop()
        return seen, accum

    def _step(self, epoch: int, step: int, rows: np.ndarray) -> dict[str, torch.Tensor]:
        """One optimiser step on the captions `rows`; returns the model's losses."""
        t = self.cfg.train
        batch = make_batch(self.train_split, self.dataset.features, rows, t.seed, epoch, step,
                           self.device, self.rank, self.world)
        with self._autocast():
            out = self.net(**batch.kwargs())
        self.opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        self.opt.step()
        return out

    def _epoch_row(self, epoch: int, accum: dict[str, float], seen: int, tic: float) -> dict[str, Any]:
        """The epoch's line of the history (begun at `tic`): train and dev losses, word-dev scores,
        speed, M's spectrum."""
        seconds = time.perf_counter() - tic
        if self.world > 1:  # BatchNorm statistics drift per rank: rank 0's become everyone's
            for buf in self.model.buffers():
                torch.distributed.broadcast(buf, src=0)
        row: dict[str, Any] = {"epoch": epoch + 1}
        row.update({f"train_{k}": v / accum["n"] for k, v in accum.items() if k != "n"})
        row.update(self.dev_loss(epoch))
        row.update(self._intrinsic() if self.rank == 0 else {})
        row["captions_per_s"] = seen / max(seconds, 1e-9)
        row["seconds"] = seconds
        row["seconds_total"] = time.perf_counter() - tic
        row["m_singular_values"] = [float(x) for x in singular_values(
            self.model.grounding_matrix().detach().cpu().numpy())[:8]]
        if self.world > 1:  # rank 0's intrinsic scores decide for everyone
            box = [row]
            torch.distributed.broadcast_object_list(box, src=0)
            row = box[0]
        return row

    def _select(self, row: dict[str, Any]) -> bool:
        """Score the epoch, append it to the history and keep the best; True when it is the best."""
        score = self._score(row)
        improved = self.best["score"] is None or score < self.best["score"]
        row["selection_score"] = score
        row["best"] = improved
        self.history.append(row)
        if improved:
            self.best = {"epoch": row["epoch"], "score": score}
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        return improved

    def _end_epoch(self, epoch: int, improved: bool) -> None:
        """Checkpoints, grounders and logs after an epoch (last.pt after best.pt, so a resume never
        loses a best)."""
        run_dir, t = self.cfg.run_dir, self.cfg.train
        state = self._state(epoch + 1, 0, {})
        if improved:
            self._save(run_dir / "best.pt", state)
            self._save_grounder(run_dir / "grounder.pt")
        if t.keep_epoch_grounders:
            self._save_grounder(run_dir / "grounders" / f"epoch_{epoch + 1:03d}.pt")
        if t.keep_epoch_checkpoints:
            self._save(run_dir / f"epoch_{epoch + 1:03d}.pt", state)
        self._save(run_dir / "last.pt", state)
        if self.rank == 0:
            write_logs(run_dir, self.history)

    def _finish(self) -> dict[str, Any]:
        summary = {"run_dir": str(self.cfg.run_dir), "best_epoch": self.best["epoch"],
                   "best_score": self.best["score"], "epochs_run": len(self.history),
                   "stopped": self.stopped, "machine": self.machine, "history": self.history}
        if self.rank == 0:
            write_text_atomic(self.cfg.run_dir / "summary.json", json.dumps(summary, indent=1) + "\n")
        return summary

    def _save_grounder(self, path: Path) -> None:
        if self.rank == 0:
            from vgbench.grounding.grounder import Grounder
            Grounder.from_model(self.model, self.vocab_words, self.known, self.cfg).save(path)

    def _score(self, row: dict[str, Any]) -> float:
        """Lower is better: the dev loss, or minus the mean quick intrinsic score."""
        if self.cfg.train.select == "intrinsic":
            vals = [v for k, v in row.items() if k.startswith("eval_") and isinstance(v, float)
                    and not math.isnan(v)]
            if not vals:
                raise ValueError("train.select = intrinsic but the evaluator returned no scores")
            return -float(np.mean(vals))
        return float(row["dev_loss"])


# ---------------------------------------------------------------------------------------- helpers
def train(cfg: Config, resume: bool = False, **kwargs) -> dict[str, Any]:
    """Train as configured; see Trainer."""
    return Trainer(cfg, **kwargs).run(resume=resume)


def _model_signature(cfg: Config) -> dict[str, Any]:
    return {"model": cfg.model.__dict__, "seed": cfg.train.seed, "bs": cfg.train.batch_size,
            "bucket": cfg.train.bucket_by_length,
            "lr": cfg.train.lr, "data": cfg.data.__dict__}


def _dist_info() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    return rank, world


def _pick_device(name: str, rank: int) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)) % torch.cuda.device_count())
        return torch.device("cpu")
    dev = torch.device(name)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"train.device = {name!r} but CUDA is not available; use \"auto\" or \"cpu\"")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"train.device = {name!r} but only {torch.cuda.device_count()} CUDA "
                             f"device(s) are visible")
    if dev.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ValueError(f"train.device = {name!r} but MPS is not available; use \"auto\" or \"cpu\"")
    return dev
