"""Word categorization: cluster the words' vectors and score the clusters' purity against gold.

Clustering: agglomerative, Ward linkage (scipy.cluster.hierarchy) on unit-normalised vectors, cut
into as many clusters as there are gold classes among the words found. One fixed method, so the
number is a property of the embedding: the web-benchmarks package (kudkudak/word-embeddings-
benchmarks, `evaluate_categorization`) instead reports the best purity over sklearn's Ward,
average and complete linkage (cosine and Euclidean) and k-means on raw vectors, with missing
words replaced by the mean vector; its figures are therefore higher, by construction.

Purity (Manning et al. 2008, 16.3): (1/N) sum over clusters of the size of the cluster's largest
gold class. Words missing from the embedding are skipped and counted (n_used / n_total).
"""
from __future__ import annotations

import numpy as np

from vgbench.datasets.categorization import CategorizationSet
from vgbench.embeddings.core import Embeddings
from vgbench.evaluation.policy import DEFAULT
from vgbench.evaluation.results import Score

METRIC = "purity"


def purity(gold, clusters) -> float:
    """Fraction of items in their cluster's majority gold class."""
    gold, clusters = np.asarray(gold), np.asarray(clusters)
    if len(gold) != len(clusters):
        raise ValueError(f"{len(gold)} gold labels but {len(clusters)} cluster labels")
    if not len(gold):
        return float("nan")
    _, g = np.unique(gold, return_inverse=True)
    _, k = np.unique(clusters, return_inverse=True)
    table = np.zeros((k.max() + 1, g.max() + 1), np.int64)
    np.add.at(table, (k, g), 1)
    return float(table.max(axis=1).sum() / len(gold))


def cluster(vectors: np.ndarray, n_clusters: int) -> np.ndarray:
    """Ward clustering of unit-normalised rows, cut into `n_clusters` clusters (labels 1..n)."""
    x = np.asarray(vectors, np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.where(norms == 0, 1, norms)
    if len(x) <= n_clusters:
        return np.arange(1, len(x) + 1)
    from scipy.cluster.hierarchy import fcluster, linkage  # slow to import: only when clustering
    return fcluster(linkage(x, method="ward"), t=n_clusters, criterion="maxclust")


def evaluate_categorization(emb: Embeddings, cset: CategorizationSet,
                            case: str = DEFAULT.case) -> tuple[Score, np.ndarray]:
    """Purity x100 of the clustering of the words found (see the module docstring), and the
    found mask."""
    rows = emb.rows(cset.words, case)
    found = rows >= 0
    gold = cset.labels[found]
    n_used = int(found.sum())
    if n_used < 2 or len(set(gold.tolist())) < 2:
        value = float("nan")
    else:
        value = 100.0 * purity(gold, cluster(emb.vectors[rows[found]], len(set(gold.tolist()))))
    return Score(emb.name, "categorization", cset.name, "All", METRIC, value, None, None,
                 n_used, len(cset)), found
