"""Sub-commands of the `vgbench` CLI, one module each (see vgbench/cli.py)."""
