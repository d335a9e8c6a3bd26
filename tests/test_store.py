"""Shipped benchmark files: every file read is checked against the manifest's SHA-256 of the
original bytes; a changed, missing or unknown file is a clear one-line error."""
from __future__ import annotations

import gzip
import hashlib
import shutil

import pytest

from vgbench.datasets import store

GOOGLE = "benchmarks/analogy/google/questions-words.txt"


def test_manifest_checksums_match_the_shipped_bytes():
    files = store.manifest()
    assert len(files) > 100
    for rel, entry in files.items():
        raw = (store.DATA / entry["stored"]).read_bytes()
        if entry["stored"].endswith(".gz"):
            raw = gzip.decompress(raw)
        assert len(raw) == entry["bytes"] and hashlib.sha256(raw).hexdigest() == entry["sha256"], rel


def test_text_is_the_original_file():
    text = store.benchmark_text(GOOGLE)
    assert store.manifest()[GOOGLE]["stored"].endswith(".gz")  # compressed, read transparently
    assert text.startswith(": capital-common-countries\nAthens Greece Baghdad Iraq\n")
    assert sum(1 for line in text.splitlines() if not line.startswith(":")) == 19544
    assert store.checksum(GOOGLE) == "8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36"


def test_path_gives_a_verified_copy_for_tools(tmp_path, monkeypatch):
    monkeypatch.setenv("VGBENCH_CACHE", str(tmp_path / "cache"))
    path = store.benchmark_path(GOOGLE)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == store.checksum(GOOGLE)
    assert store.benchmark_path("benchmarks/mc30/MC-30.txt").read_text().startswith("car\tautomobile")


@pytest.fixture
def copied_data(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(store.DATA, data)
    monkeypatch.setattr(store, "DATA", data)
    return data


def _rewrite(data, rel, change):
    """Apply `change` to a shipped file's original bytes, storing it as it was (gzip or plain)."""
    target = data / store.manifest()[rel]["stored"]
    packed = target.suffix == ".gz"
    raw = gzip.decompress(target.read_bytes()) if packed else target.read_bytes()
    raw = change(raw)
    target.write_bytes(gzip.compress(raw) if packed else raw)
    return target


def test_changed_file_fails_its_checksum(copied_data):
    _rewrite(copied_data, "benchmarks/mc30/MC-30.txt", lambda b: b.replace(b"0.08", b"0.008"))
    with pytest.raises(store.ShippedFileError, match=r"MC-30.txt(.gz)?: SHA-256 .* does not match"):
        store.benchmark_text("benchmarks/mc30/MC-30.txt")
    from vgbench.datasets import load
    with pytest.raises(ValueError, match="reinstall vgbench"):
        load("MC-30")


def test_damaged_gzip_and_missing_file(copied_data):
    stored = copied_data / store.manifest()[GOOGLE]["stored"]
    stored.write_bytes(stored.read_bytes()[:100])
    with pytest.raises(store.ShippedFileError, match="not a readable gzip file"):
        store.benchmark_text(GOOGLE)
    (copied_data / store.manifest()["benchmarks/rg65/RG-65.txt"]["stored"]).unlink()
    with pytest.raises(store.ShippedFileError, match=r"RG-65.txt(.gz)?: missing from the vgbench install"):
        store.benchmark_text("benchmarks/rg65/RG-65.txt")


def test_unknown_file():
    with pytest.raises(store.ShippedFileError, match="not a benchmark file shipped with vgbench"):
        store.benchmark_text("benchmarks/nope.txt")


def test_vendor_tool_copies_verified_files_and_writes_the_manifest(tmp_path, monkeypatch):
    from vgbench.datasets.vendor import vendor
    src = tmp_path / "src"
    (src / "benchmarks" / "toy").mkdir(parents=True)
    big = "cat\tdog\t3.5\n" * 200
    (src / "benchmarks/toy/pairs.txt").write_text(big)
    (src / "benchmarks/toy/LICENCE").write_text("CC BY\n")
    sums = {rel: hashlib.sha256((src / rel).read_bytes()).hexdigest()
            for rel in ("benchmarks/toy/pairs.txt", "benchmarks/toy/LICENCE")}
    (src / "SHA256SUMS").write_text("".join(f"{d}  ./{rel}\n" for rel, d in sums.items()))
    out = tmp_path / "data"
    manifest = vendor(src, out, ["benchmarks/toy/*"])
    assert manifest["files"]["benchmarks/toy/pairs.txt"]["stored"] == "benchmarks/toy/pairs.txt.gz"
    assert manifest["files"]["benchmarks/toy/LICENCE"]["stored"] == "benchmarks/toy/LICENCE"  # too small
    monkeypatch.setattr(store, "DATA", out)
    assert store.benchmark_text("benchmarks/toy/pairs.txt") == big
    (src / "benchmarks/toy/LICENCE").write_text("changed\n")
    with pytest.raises(ValueError, match="LICENCE: SHA-256 .* differs from SHA256SUMS"):
        vendor(src, tmp_path / "again", ["benchmarks/toy/*"])
    with pytest.raises(ValueError, match="no file in SHA256SUMS matches benchmarks/none/"):
        vendor(src, tmp_path / "again", ["benchmarks/none/*"])
