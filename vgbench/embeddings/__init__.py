"""Embeddings, their readers and writers, and the registry of named sources."""
from vgbench.embeddings.core import Embeddings, CASE_POLICIES

__all__ = ["Embeddings", "CASE_POLICIES"]
