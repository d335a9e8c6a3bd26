"""Sources: the one place that turns what a user names (a file in any format, a registry name, a
trained checkpoint, a control, post-processing) or hands over in memory into Embeddings."""
from vgbench.sources.load import load_source, load_target, resolve, source_list
from vgbench.sources.memory import as_embeddings
from vgbench.sources.spec import SourceSpec, display_name, head_rows_needed, parse_spec

__all__ = ["load_source", "as_embeddings", "load_target", "resolve", "source_list", "SourceSpec",
           "parse_spec", "head_rows_needed", "display_name"]
