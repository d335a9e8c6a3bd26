"""Every chart of an evaluation report, from the charts of Tables 1, 3, 4 (charts) and of the wider
suite (suite_charts); apart from both so that neither imports the other."""
from __future__ import annotations

from typing import TYPE_CHECKING

from vgbench.evaluation.policy import STS_AGGREGATE, STS_METRIC
from vgbench.evaluation.results import Results
from vgbench.reporting.charts import concreteness_chart, datasets_chart, simlex_sections_chart
from vgbench.reporting.suite_charts import suite_chart

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def all_charts(results: Results, sts_metric: str = STS_METRIC,
               sts_aggregate: str = STS_AGGREGATE) -> dict[str, "Figure"]:
    """{file stem: Figure} for every chart the results can fill."""
    charts = {"simlex_concreteness": concreteness_chart(results),
              "simlex_sections": simlex_sections_chart(results),
              "datasets": datasets_chart(results, sts_metric, sts_aggregate),
              "analogy_categorization": suite_chart(results)}
    return {k: v for k, v in charts.items() if v is not None}
