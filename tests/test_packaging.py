"""ittifaq installs under one namespace and never shadows HuggingFace's `evaluate`."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib import metadata

import pytest
from tests_support import REPO


def test_installed_files_live_under_ittifaq():
    files = [str(f) for f in metadata.files("ittifaq") or []]
    tops = {f.split("/")[0] for f in files if not f.startswith(("ittifaq-", "__editable__", "../", "_"))}
    assert "evaluate" not in tops and "baselines" not in tops, tops


METRIC = '''
import datasets
import evaluate


class Exact(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="exact match", citation="", inputs_description="",
            features=datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references):
        return {"exact": sum(p == r for p, r in zip(predictions, references)) / len(references)}
'''


@pytest.mark.slow
def test_side_by_side_with_hf_evaluate(tmp_path):
    """A fresh venv with HF `evaluate` and ittifaq: both import, and `evaluate.load` still works."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    pip = [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "evaluate"], check=True)
    subprocess.run([*pip, "--no-deps", str(REPO)], check=True)
    metric = tmp_path / "exact" / "exact.py"
    metric.parent.mkdir()
    metric.write_text(METRIC)
    probe = textwrap.dedent(
        f"""
        import evaluate, ittifaq
        from ittifaq.evaluate import schema
        assert "site-packages/evaluate/" in evaluate.__file__, evaluate.__file__
        assert hasattr(evaluate, "load") and schema.SCHEMA_VERSION
        m = evaluate.load({str(metric)!r})
        print(m.compute(predictions=["a", "b"], references=["a", "c"])["exact"])
        """
    )
    run = subprocess.run(
        [str(py), "-c", probe], capture_output=True, text=True, cwd=tmp_path,
        env={"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "0.5"
