"""Split assignment by event: every article of one real event goes to one split.

A model must not meet the test set's events in training, so the unit of assignment is the event, not the
article. Events already in the committed frame (`corpus/events.tsv`) keep their split for good; each new event
is placed, in a fixed order, in the split that best keeps every region and every genre near the target shares
(group-stratified greedy assignment). The result depends only on the sources and the committed frame.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from ittifaq.evaluate import schema as S
from ittifaq.evaluate.authoring.frame import TARGET_SPLIT_SHARES, SourceMeta
from ittifaq.evaluate.io.atomic import write_text_atomic

SPLIT_LINE = re.compile(r"^split: *\S+ *$", re.MULTILINE)


def frozen_splits(events_tsv: Path) -> dict[str, str]:
    """Event id → split, as the committed frame records them (empty before the first build)."""
    if not events_tsv.exists():
        return {}
    with events_tsv.open(encoding="utf-8", newline="") as fh:
        return {row["event"]: row["split"] for row in csv.DictReader(fh, delimiter="\t")}


def _cost(counts: Mapping[str, Counter[str]]) -> float:
    """Squared distance of every stratum's split counts from the target shares."""
    total = 0.0
    for per_split in counts.values():
        n = sum(per_split.values())
        total += sum((per_split[s] - share * n) ** 2 for s, share in TARGET_SPLIT_SHARES.items())
    return total


def assign_splits(metas: Sequence[SourceMeta], frozen: Mapping[str, str]) -> dict[str, str]:
    """Article id → split for every article with an event; frozen events keep theirs."""
    by_event: dict[str, list[SourceMeta]] = defaultdict(list)
    for m in metas:
        if m.event_id:
            by_event[m.event_id].append(m)
    strata: dict[str, Counter[str]] = defaultdict(Counter)

    def add(ms: list[SourceMeta], split: str, sign: int = 1) -> None:
        for m in ms:
            strata[f"region:{m.region}"][split] += sign
            strata[f"genre:{m.genre}"][split] += sign

    result: dict[str, str] = {}
    pending = []
    for eid, ms in by_event.items():
        if eid in frozen:
            add(ms, frozen[eid])
            result.update((m.id, frozen[eid]) for m in ms)
        else:
            pending.append((min(m.id for m in ms), eid))
    for _, eid in sorted(pending):
        ms = by_event[eid]
        best, best_cost = S.SPLITS[0], float("inf")
        for split in S.SPLITS:
            add(ms, split)
            cost = _cost(strata)
            add(ms, split, -1)
            if cost < best_cost:
                best, best_cost = split, cost
        add(ms, best)
        result.update((m.id, best) for m in ms)
    return result


def rewrite_split(path: Path, split: str) -> bool:
    """Set the `split:` line of one source's front matter; whether the file changed."""
    raw = path.read_text(encoding="utf-8")
    head_end = raw.find("\n---", 4)
    head, body = raw[:head_end], raw[head_end:]
    new_head, n = SPLIT_LINE.subn(f"split: {split}", head, count=1)
    if n != 1:
        raise ValueError(f"{path}: front matter has no single 'split:' line")
    if new_head == head:
        return False
    write_text_atomic(path, new_head + body)
    return True
