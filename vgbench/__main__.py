"""`python -m vgbench ...`: the same as the `vgbench` command (useful where the script's folder is
not on PATH, or to pick the interpreter)."""
import sys

from vgbench.cli import main

if __name__ == "__main__":
    sys.exit(main())
