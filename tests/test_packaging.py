"""ittifaq installs under one namespace and never shadows HuggingFace's `evaluate`."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from support import REPO


@pytest.mark.slow
def test_wheel_installs_only_under_ittifaq(tmp_path):
    """Build the wheel and read its file list: nothing may land as a top-level `evaluate`."""
    import zipfile

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("ittifaq-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"ittifaq", next(t for t in tops if t.endswith(".dist-info"))}, tops
    assert "ittifaq/evaluate/scoring/pipeline.py" in names and "ittifaq/baselines/crf.py" in names
    sub_packages = {p.parent.relative_to(REPO).as_posix() for p in (REPO / "evaluate").glob("*/__init__.py")}
    assert all(f"ittifaq/{sub}/__init__.py" in names for sub in sub_packages), sub_packages
    assert "ittifaq/evaluate/render/templates/site.css" in names
    assert "ittifaq/corpus/data/test.jsonl" in names and "ittifaq/corpus/document.schema.json" in names


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
