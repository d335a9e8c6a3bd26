"""Reports of evaluation results: console table, Markdown/LaTeX/CSV/JSON files and charts."""
from vgbench.reporting.tables import (console_table, intrinsic_table, latex_tables,
                                      markdown_report, simlex_table, six_set_mean, sts_table,
                                      tests_table)
from vgbench.reporting.writer import render_reports, write_reports

__all__ = ["console_table", "intrinsic_table", "latex_tables", "markdown_report", "render_reports",
           "simlex_table", "six_set_mean", "sts_table", "tests_table", "write_reports"]
