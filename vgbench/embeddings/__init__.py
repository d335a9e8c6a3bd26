"""Embeddings, their readers and writers, and the registry of named sources."""
from vgbench.embeddings.core import CASE_POLICIES, Embeddings
from vgbench.embeddings.sources import load_embeddings
from vgbench.embeddings.writers import EmbeddingWriter, save_embeddings

__all__ = ["Embeddings", "CASE_POLICIES", "load_embeddings", "save_embeddings", "EmbeddingWriter"]
