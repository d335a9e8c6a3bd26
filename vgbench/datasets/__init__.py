"""Benchmark datasets: the shipped files, the registry of built-in sets, word-pair and STS loaders."""
from vgbench.datasets.word_pairs import WordPairs, read_word_pairs
from vgbench.datasets.sts import STSSet, STSSubset, read_sts_dir
from vgbench.datasets.store import benchmark_path, benchmark_text
from vgbench.datasets.registry import (BENCHMARKS, GROUPS, SIMILARITY_SETS, STS_YEARS, Benchmark,
                                       expand, load, load_similarity, load_sts)

__all__ = ["WordPairs", "read_word_pairs", "STSSet", "STSSubset", "read_sts_dir", "benchmark_text",
           "benchmark_path", "BENCHMARKS", "GROUPS", "SIMILARITY_SETS", "STS_YEARS", "Benchmark",
           "expand", "load", "load_similarity", "load_sts"]
