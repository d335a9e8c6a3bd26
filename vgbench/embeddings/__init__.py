"""Embeddings: vectors, the readers and writers of their files, format sniffing, and the registry
of named downloads."""
from vgbench.embeddings.core import CASE_POLICIES, Embeddings
from vgbench.embeddings.loading import load_embeddings
from vgbench.embeddings.writers import EmbeddingWriter, save_embeddings

__all__ = ["Embeddings", "CASE_POLICIES", "load_embeddings", "save_embeddings", "EmbeddingWriter"]
