"""End-to-end studies built from the library: the demo (`make demo`) and the paper's analyses."""
