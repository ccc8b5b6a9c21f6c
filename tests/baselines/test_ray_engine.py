"""`ittifaq annotate --engine ray` writes the same files as the local engine (a local Ray instance, 2 CPUs)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from support import corpus_paragraphs, train_rules_model, write_archive

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return train_rules_model(tmp_path_factory.mktemp("model") / "rules")


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _run(engine: str, patterns: list[str], out: Path, model: Path, fmt: str, workers: int = 1):
    from ittifaq.baselines.archive_run import plan, run_local
    from ittifaq.baselines.ray_engine import run_ray

    p = plan(patterns, out, model, fmt)
    if engine == "ray":
        return run_ray(p, model, fmt, workers=workers, progress=False)
    return run_local(p, model, fmt, workers=workers, progress=False)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_ray_and_local_engines_write_the_same_files(tmp_path, model, ray_local, fmt):
    paragraphs = corpus_paragraphs()
    write_archive(tmp_path / "in" / "a", 3, 90, paragraphs)
    (tmp_path / "in" / "a" / "empty.jsonl").write_bytes(b"")
    with open(tmp_path / "in" / "a" / "shard-001.jsonl", "ab") as fh:
        fh.write(b'{"id": "bad-utf8", "text": "\xff"}\n' + orjson.dumps({"id": "p000100", "text": "x"}) + b"\n")
    patterns = [str(tmp_path / "in" / "a" / "*.jsonl")]
    local = _run("local", patterns, tmp_path / "local", model, fmt)
    on_ray = _run("ray", patterns, tmp_path / "ray", model, fmt, workers=1)
    assert (on_ray.documents, on_ray.rejects, on_ray.shards) == (local.documents, local.rejects, local.shards) == (270, 2, 4)
    assert _tree(tmp_path / "ray") == _tree(tmp_path / "local")
    again = _run("ray", patterns, tmp_path / "ray", model, fmt)
    assert (again.shards, again.skipped) == (0, 4)


def test_a_20000_document_archive_is_the_same_with_both_engines_and_two_workers(tmp_path, model, ray_local):
    write_archive(tmp_path / "in", 10, 2000, corpus_paragraphs())
    patterns = [str(tmp_path / "in")]
    local = _run("local", patterns, tmp_path / "local", model, "parquet", workers=2)
    on_ray = _run("ray", patterns, tmp_path / "ray", model, "parquet", workers=1)
    assert local.documents == on_ray.documents == 20000
    assert _tree(tmp_path / "ray") == _tree(tmp_path / "local")
