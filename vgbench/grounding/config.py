"""Training configuration: one TOML file per setting, plus `--set k=v` overrides. The settings of
the paper and the demo ship in `vgbench/configs/` and are named by their stem (`vgbench train vge`).

Every switch of the paper's ablations is a field here, so an ablation is a config, not a code edit.
The defaults are the paper's (Sections 3-4) except where a field's comment says otherwise.
Code derives variants with `Config.with_(train=dict(epochs=3))`, checked exactly as a TOML file or a
`--set` is; `--set` strings are parsed once, at the command line (`parse_overrides`).
"""
from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from vgbench.paths import regular_file

MODEL_KINDS = ("vge", "caption_lm", "caption_image")
EXPORT_TE = ("original", "finetuned")
SELECT = ("dev_loss", "intrinsic")
M_INITS = ("xavier", "orthogonal")
UNKNOWN_ROWS = ("trainable", "zero")
STANDARDISE = ("train", "all")
DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


@dataclass
class DataConfig:
    # "flickr8k" (built through vgbench.caption_data.dataset.load_flickr8k) or a folder written by
    # CaptionDataset.save.
    dataset: str = "flickr8k"
    data_root: str | None = None
    vocab_size: int = 10000
    # Textual vectors that initialise Te (a path in any format or a registry name).
    textual: str = "glove-6b-50d"
    # Keep only this many training captions (0 = all): for smoke runs and tests.
    limit_train: int = 0
    limit_dev: int = 0
    # The images whose per-dimension mean and std standardise the image vectors: the training split's
    # ("train", default) or every image of the dataset ("all", the throwaway prototype's choice).
    standardise: str = "train"


@dataclass
class ModelConfig:
    # "vge": the paper's model. "caption_lm": the C_GloVe baseline (Te -> GRU -> FC, tied to Te).
    # "caption_image": the authors' 2023 model (Te·M -> LSTM -> image vector, MSE; caption_image.py).
    kind: str = "vge"
    grounded_dim: int = 1024          # c in the paper; the authors' release uses 1024
    image_hidden: int = 0             # hidden units of the image->h0 MLP; 0 means c
    use_image: bool = True            # False: h0 = 0 (VGE without images; disables L_B)
    loss_fw: bool = True
    loss_bw: bool = True
    loss_match: bool = True
    finetune_te: bool = False
    reg_alpha: float = 0.001          # R(alpha, beta); only used when finetune_te
    reg_beta: float = 1.0
    batchnorm: bool = True            # BatchNorm1d on every GRU output (before M^T / the classifier)
    boundary_tokens: bool = True      # <s> ... </s> around captions for the LMs (see model.py)
    m_init: str = "xavier"
    # Not in the paper: a learned per-word bias in the softmax. Without it the only way to give
    # frequent words high probability is through back·Te, which pulls M towards GloVe's common
    # (frequency) direction and distorts the grounded space; the bias takes that job off M.
    output_bias: bool = False
    # Not in the paper: keep M's rows orthonormal (M·Mᵀ = I, c >= d), so Ge preserves Te's cosines
    # exactly and whatever the tasks teach must go into the fine-tuned Te (see reports/grid).
    m_orthogonal: bool = False
    # caption_image: LSTM units; 0 = the image-vector size (the only size its MSE target allows).
    lstm_hidden: int = 0
    # Te's rows without a textual vector (special tokens, training words the embedding lacks):
    # "trainable" random rows drawn from the known rows' N(mean, std) (default), or "zero": frozen
    # zero rows (the throwaway prototype's choice; such words then add nothing to a caption).
    unknown_rows: str = "trainable"

    def check_dims(self, textual_dim: int, image_dim: int) -> None:
        """The checks that need the data's sizes, known only when the model is built: the textual
        dimension d (Te's width) and the image-vector size."""
        if self.kind == "vge" and self.m_orthogonal and self.grounded_dim < textual_dim:
            raise ValueError(f"model.m_orthogonal needs model.grounded_dim >= the textual dimension "
                             f"(c >= d), got {self.grounded_dim} < {textual_dim}")
        need = self.training_bytes(textual_dim, image_dim)
        free = available_memory()
        if free is not None and need > free:
            raise ValueError(f"model.grounded_dim = {self.grounded_dim:,} (with d = {textual_dim}, image "
                             f"vectors of {image_dim}) needs about {need / 2**30:,.1f} GiB for the "
                             f"parameters and their optimiser state, but {free / 2**30:,.1f} GiB of "
                             f"memory is available; choose a smaller model.grounded_dim (the paper: 1024)")
        if self.kind == "caption_image" and self.lstm_hidden not in (0, image_dim):
            raise ValueError(f"model.lstm_hidden = {self.lstm_hidden}, but the LSTM's last state is "
                             f"compared with {image_dim}-dimensional image vectors: set it to 0 or "
                             f"{image_dim}")


    def training_bytes(self, textual_dim: int, image_dim: int) -> int:
        """A lower bound on the float32 bytes the model's parameters take while training (weights,
        gradients and two Adam moments): the recurrent layers' c x c blocks dominate."""
        c, d = self.grounded_dim, textual_dim
        hidden = self.image_hidden or c
        rnn = 3 * 3 * (d * c + c * c + 2 * c)          # up to three GRUs of three gates
        image = image_dim * hidden + hidden * c
        return 4 * 4 * (rnn + d * c + image + 4 * c)


def available_memory() -> int | None:
    """Bytes of memory available now (Linux /proc/meminfo, else sysconf); None when unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


# Upper bounds far above any sensible run: a typo (an extra 0, a stray exponent) is refused with the
# setting named, before anything is allocated.
SIZE_LIMITS = {"model.grounded_dim": 65_536, "model.image_hidden": 65_536, "model.lstm_hidden": 65_536,
               "data.vocab_size": 5_000_000, "train.batch_size": 1_000_000, "train.epochs": 100_000,
               "train.threads": 4_096}


@dataclass
class TrainConfig:
    epochs: int = 20
    batch_size: int = 256
    lr: float = 1e-3
    patience: int = 5
    # What picks the best epoch: the dev loss (paper) or the quick intrinsic dev score.
    select: str = "dev_loss"
    # Quick intrinsic evaluation after each epoch (the caller passes the Trainer an evaluator,
    # vgbench.evaluation.dev_scores.dev_scorer); names of dev sets.
    eval_each_epoch: bool = False
    eval_sets: list[str] = field(default_factory=lambda: ["men-dev", "simverb-dev"])
    seed: int = 0
    device: str = "auto"              # "auto" | "cpu" | "cuda" | "cuda:1" ...
    amp: bool = True                  # bf16 autocast on CUDA (training steps; dev losses in float32)
    # bf16 autocast on a CPU as well: several times faster where the CPU multiplies bf16 natively
    # (AMX / AVX512-BF16), slower where it does not. The softmax stays float32. A named approximation
    # of the training arithmetic only: dev losses, selection and the exported M are float32.
    amp_cpu: bool = False
    # Sort the captions of every 32 batches by length before batching (less padding; see epoch_batches).
    bucket_by_length: bool = False
    checkpoint_every_steps: int = 0   # also checkpoint mid-epoch (0 = only after each epoch)
    keep_epoch_checkpoints: bool = False
    # Save the small grounder (M + fine-tuned rows) of every epoch, and of the untrained model as
    # epoch 0, under grounders/: learning curves of the full evaluation without full checkpoints.
    keep_epoch_grounders: bool = True
    # Stop before an epoch that would end past this many seconds of training (0 = no limit).
    time_limit_s: float = 0.0
    threads: int = 0                  # torch.set_num_threads (0 = leave as is)


@dataclass
class ExportConfig:
    # Which textual vector the grounded vector of a *training* word is computed from:
    # "original" = Te_orig(w)·M (every word treated alike, zero-shot style), "finetuned" = Te_ft(w)·M.
    te: str = "original"


@dataclass
class Config:
    name: str = "vge"
    out_dir: str = "runs"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    export: ExportConfig = field(default_factory=ExportConfig)

    @property
    def run_dir(self) -> Path:
        return Path(self.out_dir) / self.name

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def with_(self, *changes: Mapping[str, Any], **more: Any) -> "Config":
        """A validated copy with `changes` applied in order (sections as dicts), e.g.
        `cfg.with_(train=dict(epochs=3), model=dict(grounded_dim=256))`; values are checked
        against each setting's type as in a TOML file, and only the end result is validated."""
        merged: dict[str, Any] = {}
        for change in (*changes, more):
            _merge(merged, change)
        return _replaced(self, merged, "").validate()

    def validate(self) -> "Config":
        m, t = self.model, self.train
        _choice("model.kind", m.kind, MODEL_KINDS)
        _choice("model.m_init", m.m_init, M_INITS)
        _choice("model.unknown_rows", m.unknown_rows, UNKNOWN_ROWS)
        _choice("data.standardise", self.data.standardise, STANDARDISE)
        _choice("train.select", t.select, SELECT)
        _choice("export.te", self.export.te, EXPORT_TE)
        _at_least("train.epochs", t.epochs, 1)
        _at_least("train.patience", t.patience, 1)
        _at_least("data.vocab_size", self.data.vocab_size, 1)
        for key, value in (("data.limit_train", self.data.limit_train), ("data.limit_dev", self.data.limit_dev),
                           ("model.image_hidden", m.image_hidden), ("train.threads", t.threads),
                           ("train.checkpoint_every_steps", t.checkpoint_every_steps),
                           ("train.time_limit_s", t.time_limit_s), ("model.reg_alpha", m.reg_alpha),
                           ("model.reg_beta", m.reg_beta), ("model.lstm_hidden", m.lstm_hidden)):
            _at_least(key, value, 0)
        if not (math.isfinite(t.lr) and t.lr > 0):
            raise ValueError(f"train.lr must be a positive number, got {t.lr!r}")
        if not DEVICE.match(t.device):
            raise ValueError(f"train.device = {t.device!r}; expected auto, cpu, cuda, cuda:N or mps")
        if not self.name.strip():
            raise ValueError("name is empty; expected a folder name for the run")
        if (self.name in (".", "..") or "/" in self.name or "\\" in self.name or "\0" in self.name
                or Path(self.name).is_absolute()):
            raise ValueError(f"name = {self.name!r}: a run's name is one folder name inside out_dir "
                             f"(no '/', '\\', '.' or '..'), e.g. name = \"myexp\"")
        _at_least("model.grounded_dim", m.grounded_dim, 1)
        if t.batch_size < 2:
            raise ValueError(f"train.batch_size must be at least 2, got {t.batch_size}")
        if m.kind == "vge" and not (m.loss_fw or m.loss_bw or (m.loss_match and m.use_image)):
            raise ValueError("model: every loss is switched off (loss_fw, loss_bw, loss_match)")
        if m.kind == "caption_lm" and not m.finetune_te:
            raise ValueError("model.kind = caption_lm learns nothing with finetune_te = false "
                             "(its embedding is the refined Te)")
        if m.kind == "caption_image" and not m.use_image:
            raise ValueError("model.kind = caption_image regresses captions on images: use_image must be true")
        if t.select == "intrinsic" and not t.eval_each_epoch:
            raise ValueError("train.select = intrinsic needs train.eval_each_epoch = true")
        sizes = {"model.grounded_dim": m.grounded_dim, "model.image_hidden": m.image_hidden,
                 "model.lstm_hidden": m.lstm_hidden, "data.vocab_size": self.data.vocab_size,
                 "train.batch_size": t.batch_size, "train.epochs": t.epochs, "train.threads": t.threads}
        for key, value in sizes.items():
            if value > SIZE_LIMITS[key]:
                section, _, attr = key.partition(".")
                default = getattr(getattr(Config(), section), attr)
                raise ValueError(f"{key} = {value:,} is above the limit of {SIZE_LIMITS[key]:,}; "
                                 f"check the value (default: {default:,})")
        return self


def _at_least(key: str, value: float, low: float) -> None:
    if not value >= low:  # also rejects nan
        raise ValueError(f"{key} must be at least {low}, got {value!r}")


def _choice(key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{key} = {value!r}; expected one of {', '.join(allowed)}")


def _replaced(obj: Any, values: Mapping[str, Any], where: str, section: str = "") -> Any:
    """A copy of the dataclass `obj` with `values` (nested dicts for sections), each checked
    against the type of the setting it replaces; `where` names the source (a file, --set) and
    `section` the table in error messages ("FILE: model.grounded_dim expects int")."""
    names = {f.name for f in dataclasses.fields(obj)}
    updates: dict[str, Any] = {}
    for key, value in values.items():
        if key not in names:
            raise ValueError(f"{where or 'config'}: unknown setting {key!r}"
                             + (f" in [{section[:-1]}]" if section else ""))
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, Mapping):
                raise ValueError(f"{where or 'config'}: {section + key} must be a table")
            updates[key] = _replaced(current, value, where, f"{section}{key}.")
        else:
            updates[key] = _coerce(current, value, f"{where}: {section}{key}" if where else section + key)
    return dataclasses.replace(obj, **updates)


def _merge(into: dict[str, Any], change: Mapping[str, Any]) -> None:
    """Deep-merge `change` into `into` (later values win, sections merge key by key)."""
    for key, value in change.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value


def _coerce(current: Any, value: Any, key: str) -> Any:
    """Check a value against the default's type (ints are accepted for floats)."""
    if current is None or value is None:
        return value
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{key} expects true or false, got {value!r}")
        return value
    if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(current, list) and isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, type(current)) or isinstance(value, bool) != isinstance(current, bool):
        raise ValueError(f"{key} expects {type(current).__name__}, got {value!r}")
    return value


def parse_override(text: str) -> tuple[list[str], Any]:
    """`train.epochs=3` -> (["train", "epochs"], 3); the value is read as TOML, else as a string."""
    if "=" not in text:
        raise ValueError(f"--set {text!r}: expected KEY=VALUE, e.g. train.epochs=3")
    key, raw = text.split("=", 1)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip().split("."), value


def parse_overrides(texts: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """`--set` strings -> the nested changes `Config.with_` takes (later strings win)."""
    changes: dict[str, Any] = {}
    for text in texts:
        keys, value = parse_override(text)
        nested: dict[str, Any] = {keys[-1]: value}
        for k in reversed(keys[:-1]):
            nested = {k: nested}
        _merge(changes, nested)
    return changes


def describe_changes(changes: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Nested changes as `key=value` strings (as `--set` writes them), for READMEs."""
    out: list[str] = []
    for key, value in changes.items():
        if isinstance(value, Mapping):
            out += describe_changes(value, f"{prefix}{key}.")
        else:
            out.append(f"{prefix}{key}={_toml_value(value)}")
    return out


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> Config:
    """Defaults <- TOML file <- `--set` overrides, validated. The run name defaults to the file's stem."""
    cfg = Config()
    if path is not None:
        from vgbench.paths import config_path
        path = regular_file(config_path(path), "a TOML config")  # a file, or a shipped config's name
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML ({exc})") from None
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); expected a TOML config") from None
        if "name" not in values:
            values["name"] = path.stem
        cfg = _replaced(cfg, values, str(path))
    for text in overrides or []:
        cfg = _replaced(cfg, parse_overrides([text]), "--set")
    return cfg.validate()


def config_from_dict(values: dict[str, Any]) -> Config:
    """Rebuild a Config saved in a checkpoint (unknown keys from newer versions are an error)."""
    return _replaced(Config(), values, "checkpoint config")


def dumps_toml(cfg: Config) -> str:
    """A TOML rendering of the config (for the run folder), readable back by `load_config`."""
    lines: list[str] = []
    d = cfg.to_dict()
    for k, v in d.items():
        if not isinstance(v, dict):
            lines.append(f"{k} = {_toml_value(v)}")
    for k, v in d.items():
        if isinstance(v, dict):
            lines.append(f"\n[{k}]")
            lines += [f"{kk} = {_toml_value(vv)}" for kk, vv in v.items() if vv is not None]
    return "\n".join(lines) + "\n"


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
