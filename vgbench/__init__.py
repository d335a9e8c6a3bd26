"""vgbench: evaluate word embeddings faithfully, and learn visually grounded ones."""

__version__ = "0.1.0"
