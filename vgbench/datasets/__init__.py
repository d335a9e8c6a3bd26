"""Benchmark datasets: the registry of built-in sets, word-pair and STS loaders."""
from vgbench.datasets.word_pairs import WordPairs, read_word_pairs
from vgbench.datasets.sts import STSSet, STSSubset, read_sts_dir
from vgbench.datasets.registry import (SIMILARITY_SETS, STS_YEARS, load_similarity, load_sts,
                                       dataset_info)

__all__ = ["WordPairs", "read_word_pairs", "STSSet", "STSSubset", "read_sts_dir", "SIMILARITY_SETS",
           "STS_YEARS", "load_similarity", "load_sts", "dataset_info"]
