"""One home per setting: the bootstrap count, the STS headline and the CI level are read from
the scoring policy (vgbench.evaluation.policy), so changing one changes every command."""
from __future__ import annotations

import inspect

import pytest

from vgbench.cli import EXIT_INPUT, build_parser, main
from vgbench.evaluation import policy
from vgbench.evaluation.results import Results
from vgbench.reporting import writer


@pytest.fixture
def fewer_resamples(monkeypatch):
    """The default policy with another bootstrap count, as if policy.py had been edited."""
    changed = policy.Policy(n_boot=321)
    monkeypatch.setattr(policy, "DEFAULT", changed)
    return changed


@pytest.mark.parametrize("command", ["paper", "study"])
def test_bootstrap_default_follows_the_policy(command, fewer_resamples):
    args = build_parser().parse_args([command])
    assert args.bootstrap == 321


def test_paper_passes_bootstrap_to_its_settings(monkeypatch, tmp_path):
    import vgbench.pipeline.paper as paper
    seen = {}
    monkeypatch.setattr(paper, "run_paper", lambda settings: seen.setdefault("s", settings))
    assert main(["paper", "--bootstrap", "250", "--out", str(tmp_path / "o"),
                 "--runs", str(tmp_path / "r")]) == 0
    assert seen["s"].n_boot == 250


def test_a_bad_bootstrap_count_is_refused_before_any_work(monkeypatch, tmp_path, capsys):
    import vgbench.pipeline.paper as paper
    monkeypatch.setattr(paper, "run_paper", lambda settings: pytest.fail("should not start"))
    assert main(["paper", "--bootstrap", "-5", "--out", str(tmp_path / "o")]) == EXIT_INPUT
    assert "--bootstrap" in capsys.readouterr().err


def test_pipelines_default_to_the_policy_count():
    from vgbench.pipeline.demo import DemoSettings
    from vgbench.pipeline.paper import PaperSettings
    from vgbench.pipeline.study_spec import StudySettings
    from vgbench.pipeline.precision import PrecisionSettings
    from vgbench.pipeline.settings import RunSettings
    for settings in (DemoSettings, PaperSettings, StudySettings, PrecisionSettings):
        assert issubclass(settings, RunSettings)          # one base: out, runs, data_root, n_boot
        assert settings.__dataclass_fields__["n_boot"].default == policy.DEFAULT.n_boot
        assert settings().runs.parts[0] == "runs" and settings().out.parts[0] == "reports"


def test_sts_headline_defaults_come_from_one_place():
    from vgbench.reporting import charts, report_charts, tables
    for fn in (tables.all_tables, tables.console_table, tables.latex_tables, writer.render_reports,
               writer.write_reports, charts.datasets_chart, report_charts.all_charts):
        params = inspect.signature(fn).parameters
        assert params["sts_metric"].default is policy.STS_METRIC
        assert params["sts_aggregate"].default is policy.STS_AGGREGATE
    args = build_parser().parse_args(["report", "x.json"])
    assert (args.metric, args.aggregate) == (policy.STS_METRIC, policy.STS_AGGREGATE)


def test_nonfinite_policies_defined_once():
    from vgbench.embeddings import text_reader
    assert policy.NONFINITE_POLICIES is text_reader.NONFINITE_POLICIES


@pytest.mark.parametrize("level,text", [(0.95, "(95% CIs)"), (0.9, "(90% CIs)"), (0.975, "(97.5% CIs)")])
def test_chart_captions_name_the_level_the_results_were_scored_at(level, text):
    results = Results(settings={"policy": policy.Policy(level=level).to_dict()})
    caps = writer.captions(writer._level(results))
    assert caps["datasets"] == f"Every dataset per embedding {text}"
    assert text in caps["simlex_sections"]
