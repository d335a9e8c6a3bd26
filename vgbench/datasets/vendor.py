"""Maintainer tool: copy the benchmark files `vgbench eval` reads from a data folder into the
package (vgbench/data/), gzip-compressed where that saves space, and write the manifest that
records each file's SHA-256 of its original bytes.

    python -m vgbench.datasets.vendor DATA_FOLDER   # holding benchmarks/ and SHA256SUMS

Every copied file must match the folder's SHA256SUMS, so what ships is exactly what was checked.
"""
from __future__ import annotations

import argparse
import fnmatch
import gzip
import hashlib
import json
import sys
from pathlib import Path

from vgbench.atomic import write_bytes_atomic, write_text_atomic
from vgbench.datasets.store import MANIFEST_NAME, PACKAGE_DATA

# Shell patterns under the data folder: the benchmark data and each set's licence, readme and provenance.
SHIPPED = [
    "README.md", "PROVENANCE.md",
    "benchmarks/simlex999/*", "benchmarks/rw/*", "benchmarks/mturk771/*",
    "benchmarks/men/MEN_dataset_natural_form_full", "benchmarks/men/MEN_dataset_lemma_form.dev",
    "benchmarks/men/MEN_dataset_lemma_form.test", "benchmarks/men/licence.txt",
    "benchmarks/men/instructions.txt",
    "benchmarks/wordsim353/combined.tab", "benchmarks/wordsim353/instructions.txt",
    "benchmarks/simverb3500/*",
    "benchmarks/sts/senteval/*/*",
    "benchmarks/sts/raw/*/00-readme.txt", "benchmarks/sts/raw/*/README.txt",
    "benchmarks/sts/raw/*/LICENSE.txt", "benchmarks/sts/raw/*/*.LICENSE",
    "benchmarks/rg65/*", "benchmarks/mc30/*", "benchmarks/ws353_simrel/*", "benchmarks/yp130/*",
    "benchmarks/mturk287/*", "benchmarks/card660/*",
    "benchmarks/stsb/LICENSE.txt", "benchmarks/stsb/readme.txt", "benchmarks/stsb/PROVENANCE",
    "benchmarks/stsb/senteval/*",
    "benchmarks/sick/PROVENANCE", "benchmarks/sick/semeval2014_task1/*",
    "benchmarks/analogy/google/*", "benchmarks/analogy/msr/*",
    "benchmarks/categorization/*",
    "benchmarks/concreteness/*", "benchmarks/glasgow_norms/*",
]
# Compress when the gzip file is at most this fraction of the original (small files rarely pay).
GAIN = 0.8


def read_sums(source: Path) -> dict[str, str]:
    sums = {}
    for i, line in enumerate((source / "SHA256SUMS").read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            digest, _, name = line.partition("  ")
            if len(digest) != 64 or not name:
                raise ValueError(f"{source / 'SHA256SUMS'}: line {i}: expected '<sha256>  <path>'")
            sums[name.removeprefix("./")] = digest
    return sums


def vendor(source: Path, target: Path = PACKAGE_DATA, patterns: list[str] = SHIPPED) -> dict:
    """Copy the files of `source` that match `patterns` into `target`, verified, and write the manifest."""
    sums = read_sums(source)
    chosen = sorted(p for p in sums if any(fnmatch.fnmatchcase(p, pat) for pat in patterns))
    unmatched = [pat for pat in patterns if not any(fnmatch.fnmatchcase(p, pat) for p in chosen)]
    if unmatched:
        raise ValueError(f"{source}: no file in SHA256SUMS matches {', '.join(unmatched)}")
    files = {}
    for rel in chosen:
        data = (source / rel).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != sums[rel]:
            raise ValueError(f"{source / rel}: SHA-256 {digest} differs from SHA256SUMS ({sums[rel]})")
        packed = gzip.compress(data, compresslevel=9, mtime=0)
        stored = rel + ".gz" if len(packed) <= GAIN * len(data) else rel
        write_bytes_atomic(target / stored, packed if stored.endswith(".gz") else data)
        files[rel] = {"sha256": digest, "bytes": len(data), "stored": stored}
    manifest = {"format": "vgbench-data/1", "source": "SHA256SUMS of the project's shared data folder",
                "files": files}
    write_text_atomic(target / MANIFEST_NAME, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="data folder with SHA256SUMS and benchmarks/")
    args = parser.parse_args(argv)
    manifest = vendor(args.source)
    stored = sum((PACKAGE_DATA / f["stored"]).stat().st_size for f in manifest["files"].values())
    original = sum(f["bytes"] for f in manifest["files"].values())
    print(f"{len(manifest['files'])} files, {original / 1e6:.1f} MB -> {stored / 1e6:.1f} MB "
          f"in {PACKAGE_DATA}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
