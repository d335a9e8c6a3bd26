"""Read gensim's pickled `KeyedVectors.save()` files without running code from them.

A pickle names the functions it calls while loading; plain unpickling calls whatever it names, so
a file called `evil.kv` could run anything. This unpickler admits only the globals a real gensim
KeyedVectors (or Word2Vec/FastText model) pickle references — checked against gensim 4.4's own
files — and refuses the rest with one line naming the file and the global. Arrays gensim stores
beside the pickle (`NAME.vectors.npy`) are read with `np.load(allow_pickle=False)`.

Full unpickling (old or exotic pickles) is possible only inside `trusting_pickle_code()`, which
the CLI enters for `--trust-pickle-code`: the name says what it does.
"""
from __future__ import annotations

import contextlib
import contextvars
import pickle
from pathlib import Path
from typing import Any, Iterator

import numpy as np

# module -> names a gensim KeyedVectors / Word2Vec / FastText pickle may reference.
ALLOWED_GLOBALS: dict[str, frozenset[str]] = {
    "gensim.models.keyedvectors": frozenset({"KeyedVectors", "Word2VecKeyedVectors", "CompatVocab",
                                             "Vocab", "EuclideanKeyedVectors"}),
    "gensim.models.word2vec": frozenset({"Word2Vec"}),
    "gensim.models.fasttext": frozenset({"FastText", "FastTextKeyedVectors"}),
    "gensim.utils": frozenset({"call_on_class_only"}),
    # numpy array, scalar and dtype reconstruction (numpy 2 moved numpy.core to numpy._core)
    "numpy": frozenset({"ndarray", "dtype"}),
    "numpy._core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy._core.numeric": frozenset({"_frombuffer"}),
    "numpy.core.numeric": frozenset({"_frombuffer"}),
    # a full model pickles its numpy random state
    "numpy.random._pickle": frozenset({"__randomstate_ctor", "__bit_generator_ctor", "__generator_ctor"}),
    "numpy.random._mt19937": frozenset({"MT19937"}),
    "numpy.random._pcg64": frozenset({"PCG64"}),
    "collections": frozenset({"defaultdict", "OrderedDict"}),
    "builtins": frozenset({"int", "float", "complex", "bool", "str", "bytes", "bytearray", "list",
                           "tuple", "dict", "set", "frozenset", "hash"}),
}

_TRUST = contextvars.ContextVar("vgbench_trust_pickle_code", default=False)


@contextlib.contextmanager
def trusting_pickle_code() -> Iterator[None]:
    """Within this block gensim files are unpickled fully: any code they name runs."""
    token = _TRUST.set(True)
    try:
        yield
    finally:
        _TRUST.reset(token)


class RefusedGlobal(pickle.UnpicklingError):
    """A pickle named a global outside ALLOWED_GLOBALS."""


class _GensimUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if name in ALLOWED_GLOBALS.get(module, ()):
            return super().find_class(module, name)
        raise RefusedGlobal(f"{module}.{name}")


def load_keyed_vectors(path: str | Path) -> Any:
    """The KeyedVectors of a gensim file (a full model's `.wv`), arrays memory-mapped where stored apart."""
    path = Path(path)
    if _TRUST.get():
        from gensim.models import KeyedVectors
        return _keyed(KeyedVectors.load(str(path), mmap="r"), path)
    from vgbench.embeddings.sniff import compressed_errors, open_binary
    with compressed_errors(path), open_binary(path) as fh:
        if fh.read(1) != b"\x80":  # every pickle gensim writes (protocol 2 or later) starts so
            raise ValueError(f"{path}: not a gensim KeyedVectors file (no pickle header); leave "
                             f"--format out to have the format sniffed")
    try:
        with compressed_errors(path), open_binary(path) as fh:
            obj = _GensimUnpickler(fh, encoding="latin1").load()
    except RefusedGlobal as exc:
        raise ValueError(f"{path}: refused to unpickle: the file names {exc}, which a gensim "
                         f"KeyedVectors file never needs and which could run code; if you trust "
                         f"the file, rerun with --trust-pickle-code") from None
    except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, IndexError, ImportError,
            MemoryError, ValueError) as exc:
        raise ValueError(f"{path}: not a gensim KeyedVectors file ({type(exc).__name__}: {exc})") from None
    _load_arrays(obj, str(path), path)
    kv = _keyed(obj, path)
    try:  # gensim's own up-conversion of older layouts (index2word, syn0, vocab); it reads no files
        for attr in ("__numpys", "__scipys", "__recursive_saveloads"):
            setattr(kv, attr, [])
        from gensim.models import KeyedVectors
        KeyedVectors._load_specials(kv, str(path), None, False, lambda f, a, *s: f)
    except Exception as exc:  # noqa: BLE001 - a malformed object of an admitted class
        raise ValueError(f"{path}: not a usable gensim KeyedVectors file ({type(exc).__name__}: {exc})") from None
    return kv


def _keyed(obj: Any, path: Path) -> Any:
    from gensim.models import KeyedVectors
    kv = getattr(obj, "wv", obj)  # a full Word2Vec/FastText model: take its vectors
    if not isinstance(kv, KeyedVectors):
        raise ValueError(f"{path}: not a gensim KeyedVectors file (it holds a {type(obj).__name__})")
    return kv


def _load_arrays(obj: Any, fname: str, path: Path) -> None:
    """gensim's `_load_specials`, arrays only: `fname.ATTR.npy` beside the pickle, never unpickled."""
    if not hasattr(obj, "__dict__"):
        raise ValueError(f"{path}: not a gensim KeyedVectors file (it holds a {type(obj).__name__})")
    state = vars(obj)
    if state.get("__scipys"):
        raise ValueError(f"{path}: holds sparse matrices stored as further pickles "
                         f"({', '.join(map(str, state['__scipys']))}); vgbench reads only dense "
                         f"KeyedVectors (rerun with --trust-pickle-code if you trust the file)")
    for attr in state.get("__recursive_saveloads", []) or []:
        _load_arrays(getattr(obj, str(attr)), f"{fname}.{attr}", path)
    compress = fname.endswith((".gz", ".bz2"))
    for attr in state.get("__numpys", []) or []:
        npy = f"{fname}.{attr}.npz" if compress else f"{fname}.{attr}.npy"
        try:
            if compress:
                with np.load(npy, allow_pickle=False) as z:
                    value = z["val"]
            else:
                value = np.load(npy, mmap_mode="r", allow_pickle=False)
        except FileNotFoundError:
            raise ValueError(f"{path}: its array {attr!r} is stored in {npy}, which is missing; "
                             f"copy it beside the .kv file") from None
        except ValueError as exc:
            raise ValueError(f"{npy}: not a plain numeric .npy array ({exc})") from None
        setattr(obj, str(attr), value)
