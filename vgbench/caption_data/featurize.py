"""Images -> feature store, in batches, with JPEG decoding in worker processes.

Resumable and shardable through one mechanism: the sorted image list is cut into fixed chunks;
each finished chunk is written atomically to `OUT/.featurize-STEM/chunk-NNNNNN.npz`, and a run
skips chunks already there. `shard=(i, n)` takes chunks k with k % n == i, so n machines can
split a collection (then gather their chunk files into one OUT and run once more to assemble).
When every chunk exists, the store (`STEM.f16.npy`, `STEM.images.txt`, `STEM.json`) is written
and the chunks are removed. Unreadable or missing images are skipped and listed in the sidecar.
"""
from __future__ import annotations

import collections
import contextlib
import ctypes
import ctypes.util
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from vgbench.atomic import atomic_path, is_temporary, write_text_atomic
from vgbench.caption_data.encoders import DEFAULT_ENCODER, ImageEncoder, Preprocess, get_encoder
from vgbench.caption_data.features import FeatureStore, write_store
from vgbench.progress import progress_bar

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
MANIFEST_VERSION = 1


@dataclass
class Skipped:
    image: str
    path: str
    error: str


@dataclass
class FeaturizeResult:
    out_dir: Path
    n_images: int                          # images in the whole collection (all shards)
    n_encoded: int = 0                     # images this call ran through the encoder
    n_reused: int = 0                      # images of this shard found done by an earlier run
    skipped: list[Skipped] = field(default_factory=list)  # all skipped once assembled, else this call's
    chunks_missing: int = 0                # chunks still to be done (by other shards) before assembly
    store: FeatureStore | None = None      # set once the store is complete
    seconds: float = 0.0


def collect_images(inputs: Iterable[str | os.PathLike]) -> list[tuple[str, str]]:
    """(name, path) for every image: a folder contributes its image files (recursively) named by
    their path relative to it; a file (existing or not) is named by its file name. Sorted by name."""
    found: dict[str, str] = {}
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            # a dangling symlink is kept: it fails to open and is listed as skipped, never lost
            pairs = [(f.relative_to(p).as_posix(), str(f)) for f in sorted(p.rglob("*"))
                     if f.suffix.lower() in IMAGE_EXTENSIONS
                     and (f.is_file() or (f.is_symlink() and not f.exists()))]
        else:
            pairs = [(p.name, str(p))]
        for name, path in pairs:
            if name in found and found[name] != path:
                raise ValueError(f"image name {name!r} comes from both {found[name]} and {path}; "
                                 f"featurize them into separate stores")
            found[name] = path
    return sorted(found.items())


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parse_shard(spec: str | tuple[int, int] | None) -> tuple[int, int]:
    """'i/n' (0 <= i < n) -> (i, n)."""
    if spec is None:
        return 0, 1
    if isinstance(spec, tuple):
        i, n = spec
    else:
        try:
            i, n = (int(x) for x in str(spec).split("/"))
        except ValueError:
            raise ValueError(f"bad shard {spec!r}: expected i/n, e.g. 0/4") from None
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f"bad shard {i}/{n}: need 0 <= i < n")
    return i, n


def load_image(path: str, preprocess: Preprocess) -> np.ndarray:
    from PIL import Image
    with Image.open(path) as im:
        return preprocess(im)


def decode_batch(paths: Sequence[str], preprocess: Preprocess):
    """Decode and preprocess images; runs in a worker. -> (uint8 N x H x W x 3, ok mask, errors)."""
    arrays, ok, errors = [], [], []
    for path in paths:
        try:
            arrays.append(load_image(path, preprocess))
            ok.append(True)
            errors.append("")
        except Exception as exc:  # any decoder failure means: skip this image, report why
            ok.append(False)
            msg = str(exc).splitlines()[0] if str(exc) else ""
            errors.append(f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__)
    w, h = preprocess.size
    pixels = np.stack(arrays) if arrays else np.zeros((0, h, w, 3), np.uint8)
    return pixels, ok, errors


def _sha(names: Sequence[str]) -> str:
    h = hashlib.sha256()
    for n in names:
        h.update(n.encode("utf-8") + b"\n")
    return h.hexdigest()


@contextlib.contextmanager
def malloc_keeps_freed_memory():
    """While featurizing, keep freed memory in the process (glibc only; elsewhere a no-op).

    A CNN forward pass on CPU allocates activation buffers of tens of MB and frees them at once;
    glibc serves such sizes with mmap (or trims them off the heap) and the kernel zero-fills every
    page again on the next batch: as much system time as compute (measured: 300k page faults per
    32 images). With mmap off and no trimming, the buffers are reused; afterwards the defaults
    are restored and the memory given back.
    """
    libc = None
    if os.name == "posix":
        try:
            name = ctypes.util.find_library("c")
            libc = ctypes.CDLL(name) if name else None
            if libc is not None and not hasattr(libc, "mallopt"):
                libc = None
        except OSError:
            libc = None
    if libc is None:
        yield
        return
    m_trim_threshold, m_mmap_max = -1, -4
    ok = libc.mallopt(m_mmap_max, 0) and libc.mallopt(m_trim_threshold, 2**31 - 1)
    try:
        yield
    finally:
        if ok:
            libc.mallopt(m_mmap_max, 65536)                 # glibc's defaults
            libc.mallopt(m_trim_threshold, 128 * 1024)
            if hasattr(libc, "malloc_trim"):
                libc.malloc_trim(0)


def _chunk_path(work: Path, k: int) -> Path:
    return work / f"chunk-{k:06d}.npz"


def featurize(inputs: Iterable[str | os.PathLike], out_dir: str | os.PathLike,
              encoder: str | ImageEncoder = DEFAULT_ENCODER, *, weights: str | os.PathLike | None = None,
              batch_size: int = 32, workers: int | None = None, shard: str | tuple[int, int] | None = None,
              dtype: str = "float16", chunk_size: int = 512, device: str = "cpu", threads: int | None = None,
              stem: str | None = None, overwrite: bool = False, progress: bool = True) -> FeaturizeResult:
    """Featurize every image under `inputs` into a feature store in `out_dir` (see module doc).

    encoder: a name from `encoders.ENCODERS` or an `ImageEncoder` instance.
    workers: decoding processes (default: half the CPUs, 1 to 4; 0 decodes in this process).
    threads: torch threads for the model while this runs (torch's process-wide count is restored
      afterwards); default: the CPUs the decoding workers leave, at least 1 (ignored for an encoder
      instance built elsewhere).
    """
    t0 = time.perf_counter()
    inputs = list(inputs)
    if batch_size < 1 or chunk_size < 1:
        raise ValueError("batch_size and chunk_size must be positive")
    if dtype not in ("float16", "float32"):
        raise ValueError(f"dtype must be float16 or float32, not {dtype!r}")
    shard_i, shard_n = parse_shard(shard)
    enc_name = encoder if isinstance(encoder, str) else encoder.name
    stem = stem or enc_name.replace("-", "_")
    out_dir = Path(out_dir)
    work = out_dir / f".featurize-{stem}"

    items = collect_images(inputs)
    if not items:
        raise ValueError(f"no images found in {', '.join(map(str, inputs))}")
    names = [n for n, _ in items]
    manifest = {"version": MANIFEST_VERSION, "encoder": enc_name,
                "weights": Path(weights).name if weights else None, "dtype": dtype,
                "chunk_size": chunk_size, "n_images": len(items), "names_sha256": _sha(names)}
    result = FeaturizeResult(out_dir, len(items))

    sidecar = out_dir / f"{stem}.json"
    if os.path.lexists(work) and not _work_folder_ours(work):
        raise ValueError(f"{work}: exists and is not a featurize work folder (manifest.json and "
                         f"chunk-*.npz only); not using or removing it - move it away")
    if overwrite:
        shutil.rmtree(work, ignore_errors=True)
    elif sidecar.is_file():
        done = json.loads(sidecar.read_text(encoding="utf-8")).get("featurize_manifest")
        if done == manifest:
            log.info("%s: already complete", sidecar)
            result.store = FeatureStore.open(sidecar)
            result.skipped = [Skipped(**s) for s in result.store.meta.get("skipped", [])]
            result.seconds = time.perf_counter() - t0
            return result
        raise ValueError(f"{sidecar}: a store of other images or settings is already here; "
                         f"use another --out or --overwrite")
    fresh = not work.exists()
    _check_manifest(work, manifest)

    n_chunks = -(-len(items) // chunk_size)
    mine = [k for k in range(n_chunks) if k % shard_n == shard_i]
    todo = [k for k in mine if not _chunk_path(work, k).is_file()]
    chunk_len = [min(chunk_size, len(items) - k * chunk_size) for k in range(n_chunks)]
    result.n_reused = sum(chunk_len[k] for k in mine if k not in todo)

    if todo:
        try:
            plan = ChunkPlan(items, todo, chunk_size, work, result.n_reused, sum(chunk_len[k] for k in mine))
            setup = EncoderSetup(encoder, weights, device, threads, workers, batch_size)
            result.n_encoded, result.skipped = _run_chunks(plan, setup, progress)
        except BaseException:
            if fresh and not any(work.glob("chunk-*.npz")):  # failed before any work was kept
                shutil.rmtree(work, ignore_errors=True)
            raise
    missing = [k for k in range(n_chunks) if not _chunk_path(work, k).is_file()]
    result.chunks_missing = len(missing)
    if missing:
        log.info("%d of %d chunks still missing (other shards); run again to assemble", len(missing), n_chunks)
    else:
        try:
            result.store = _assemble(work, n_chunks, out_dir, stem, manifest, dtype)
        except ValueError:
            # Another shard writing to the same folder may have assembled (and removed the chunks) first.
            if not (sidecar.is_file() and json.loads(sidecar.read_text(encoding="utf-8"))
                    .get("featurize_manifest") == manifest):
                raise
            result.store = FeatureStore.open(sidecar)
        result.skipped = [Skipped(**s) for s in result.store.meta["skipped"]]
        shutil.rmtree(work, ignore_errors=True)
    result.seconds = time.perf_counter() - t0
    return result


def _work_folder_ours(work: Path) -> bool:
    """Whether `work` holds only what featurize writes there (an empty folder counts as ours), so
    it may be resumed into and removed."""
    if work.is_symlink() or not work.is_dir():
        return False
    for p in work.iterdir():
        if is_temporary(p) or (p.name == "manifest.json" and p.is_file()):
            continue
        if not (p.is_file() and p.name.startswith("chunk-") and p.name.endswith(".npz")):
            return False
    return True


def _check_manifest(work: Path, manifest: dict) -> None:
    path = work / "manifest.json"
    if path.is_file():
        old = json.loads(path.read_text(encoding="utf-8"))
        if old != manifest:
            diff = sorted(k for k in set(old) | set(manifest) if old.get(k) != manifest.get(k))
            raise ValueError(f"{work}: an unfinished run with other inputs or settings ({', '.join(diff)}) "
                             f"is here; rerun it as it was, or pass --overwrite to start over")
    else:
        write_text_atomic(path, json.dumps(manifest, indent=2) + "\n")


@dataclass
class EncoderSetup:
    """How images are encoded: the encoder (name or instance), its weights, device, torch threads,
    decoding processes and batch size."""
    encoder: str | ImageEncoder
    weights: str | os.PathLike | None
    device: str
    threads: int | None
    workers: int | None
    batch_size: int


@dataclass
class ChunkPlan:
    """Which chunks this run encodes (`todo`), over which images, into which work folder; `n_done`
    and `n_total` count this shard's images for the progress bar."""
    items: list[tuple[str, str]]
    todo: list[int]
    chunk_size: int
    work: Path
    n_done: int
    n_total: int

    def batches(self, batch_size: int) -> list[tuple[int, int, int]]:
        """(chunk k, start, end) in global item positions."""
        out = []
        for k in self.todo:
            lo, hi = k * self.chunk_size, min(len(self.items), (k + 1) * self.chunk_size)
            out += [(k, s, min(hi, s + batch_size)) for s in range(lo, hi, batch_size)]
        return out

    def chunk_end(self, k: int) -> int:
        return min(len(self.items), (k + 1) * self.chunk_size)


@contextlib.contextmanager
def _encoder_and_pool(setup: EncoderSetup):
    """The decoding pool and the encoder, with torch's thread count restored afterwards."""
    cpus = available_cpus()
    workers = max(1, min(4, cpus // 2)) if setup.workers is None else setup.workers
    threads = setup.threads
    if threads is None and str(setup.device).startswith("cpu"):
        # Split the cores between decoding and the model: oversubscribed torch threads wait for one
        # another at every layer (measured on 2 busy cores: 2 threads 18.7 images/s, 1 thread 51.5).
        threads = max(1, cpus - workers)
    # Start the decoding processes before the model exists: the children stay small, and no torch
    # thread pool is running when they fork.
    pool = multiprocessing.get_context().Pool(workers) if workers > 0 else None
    restore_threads = None
    try:
        if isinstance(setup.encoder, str) and threads:
            import torch  # the encoder sets torch's process-wide thread count; put it back after
            restore_threads = torch.get_num_threads()
        enc = get_encoder(setup.encoder, weights=setup.weights, device=setup.device, threads=threads) \
            if isinstance(setup.encoder, str) else setup.encoder
        yield enc, pool, workers
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        if restore_threads:
            import torch
            torch.set_num_threads(restore_threads)


def _run_chunks(plan: ChunkPlan, setup: EncoderSetup, progress: bool) -> tuple[int, list[Skipped]]:
    """Decode in the pool (a window of batches ahead), encode here, write each chunk when complete."""
    items = plan.items
    with _encoder_and_pool(setup) as (enc, pool, workers):
        describe = json.dumps(enc.describe())
        batches = plan.batches(setup.batch_size)
        pending: collections.deque = collections.deque()
        window = 2 * workers + 1

        def submit(b):
            paths = [p for _, p in items[b[1]:b[2]]]
            if pool is None:
                return b, decode_batch(paths, enc.preprocess)
            return b, pool.apply_async(decode_batch, (paths, enc.preprocess))

        encoded = 0
        skipped: list[Skipped] = []
        buf: dict[int, dict] = {}
        next_b = 0
        with progress_bar(plan.n_total, f"featurize {enc.name}", "img", progress, initial=plan.n_done,
                          leave=True) as bar, malloc_keeps_freed_memory():
            while next_b < len(batches) or pending:
                while next_b < len(batches) and len(pending) < window:
                    pending.append(submit(batches[next_b]))
                    next_b += 1
                (k, s, e), job = pending.popleft()
                pixels, ok, errors = job if pool is None else job.get()
                vecs = enc.encode(pixels) if len(pixels) else np.zeros((0, enc.dim), np.float32)
                if vecs.shape != (len(pixels), enc.dim):
                    raise ValueError(f"encoder {enc.name} returned shape {vecs.shape}, "
                                     f"expected ({len(pixels)}, {enc.dim})")
                c = buf.setdefault(k, {"vectors": [], "names": [], "skipped": []})
                c["vectors"].append(vecs.astype(np.float32, copy=False))
                for (name, path), good, err in zip(items[s:e], ok, errors):
                    if good:
                        c["names"].append(name)
                    else:
                        log.warning("skipped %s: %s", path, err)
                        c["skipped"].append({"image": name, "path": path, "error": err})
                        skipped.append(Skipped(name, path, err))
                encoded += int(sum(ok))
                bar.update(e - s)
                if e == plan.chunk_end(k):
                    _write_chunk(plan.work, k, buf.pop(k), enc.dim, describe)
        return encoded, skipped


def _write_chunk(work: Path, k: int, c: dict, dim: int, describe: str) -> None:
    vectors = np.concatenate(c["vectors"]) if c["vectors"] else np.zeros((0, dim), np.float32)
    with atomic_path(_chunk_path(work, k)) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, vectors=vectors, names=np.array(c["names"], dtype=str),
                     skipped=np.array(json.dumps(c["skipped"])), describe=np.array(describe))


def _assemble(work: Path, n_chunks: int, out_dir: Path, stem: str, manifest: dict, dtype: str) -> FeatureStore:
    vectors, names, skipped, describe = [], [], [], None
    for k in range(n_chunks):
        path = _chunk_path(work, k)
        try:
            with np.load(path, allow_pickle=False) as z:
                vectors.append(z["vectors"].astype(dtype))
                names += [str(n) for n in z["names"]]
                skipped += json.loads(str(z["skipped"]))
                d = json.loads(str(z["describe"]))
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(f"{path}: unreadable chunk ({exc}); delete it and run again") from None
        if describe is None:
            describe = d
        elif d.get("encoder_name") != describe.get("encoder_name") or d.get("dim") != describe.get("dim"):
            raise ValueError(f"{path}: made by encoder {d.get('encoder_name')}, other chunks by "
                             f"{describe.get('encoder_name')}")
    dim = int(describe["dim"]) if describe else 0
    matrix = np.concatenate(vectors) if vectors else np.zeros((0, dim), dtype)
    meta = {**(describe or {}), "images_featurized": len(names), "images_skipped": len(skipped),
            "skipped": skipped, "created_by": "vgbench featurize", "featurize_manifest": manifest}
    return write_store(out_dir, stem, matrix, names, meta)
