"""The report tree is the one statement of the report's figures: the report holds exactly its nodes,
the table shows one row per node, and `compare` and the leaderboard pick existing nodes only."""

from __future__ import annotations

from typing import Any

import ittifaq
from ittifaq.baselines.benchmark import LEADERBOARD
from ittifaq.evaluate.render.tables import render_score
from ittifaq.evaluate.report_tree import HEADLINE, nodes
from ittifaq.evaluate.scoring.compare import COMPARED
from ittifaq.evaluate.scoring.pipeline import score


def _figures(tree: Any, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Paths of every figure (a dict with an F1 or an accuracy) in a report dict."""
    if not isinstance(tree, dict):
        return set()
    if "f1" in tree or "accuracy" in tree:
        return {path}
    return set().union(*(_figures(v, (*path, k)) for k, v in tree.items()))


def _report() -> dict[str, Any]:
    gold = ittifaq.load("validation")[:5]
    return score(gold, gold, n_boot=0).to_dict()


def test_the_report_holds_exactly_the_nodes_of_the_tree() -> None:
    report = _report()
    headline = report.pop("headline")  # a summary of two nodes
    assert _figures(report) == {node.path for node in nodes()}
    for key, path in HEADLINE.items():
        assert path in {node.path for node in nodes()}
        assert headline[key]["f1"] == report[path[0]][path[1]][path[2]]["f1"]


def test_the_table_shows_one_row_per_node() -> None:
    table = render_score(_report(), "csv").splitlines()
    assert len(table) - 1 == len(nodes())


def test_compare_and_the_leaderboard_pick_nodes_of_the_tree() -> None:
    paths = {node.path for node in nodes()}
    assert set(COMPARED) <= paths
    assert {path for _, path in LEADERBOARD} <= paths
