"""The corpus's sampling frame (which real event each article is built on) and the rules it keeps.

Each source names its event in its front matter (`event: {id, date, name}`); `ittifaq corpus build`
gathers them into `corpus/events.tsv`. The rules come in two kinds, as the v1.0 corpus issue states them:
*invariants* hold at every size (one split per event, at most three articles per event, lengths, no
boilerplate shared across articles), *release targets* (size, balance, spread of years) are what a 1.x
release must meet and are reported, not enforced, while the corpus grows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from ittifaq.evaluate import schema as S
from ittifaq.evaluate.authoring.hard_cases import hard_case_counts
from ittifaq.evaluate.authoring.stats import word_count
from ittifaq.evaluate.schema import Document

EVENT_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
FIRST_YEAR, LAST_YEAR = 1990, 2025
MAX_ARTICLES_PER_EVENT = 3
MIN_WORDS, MAX_WORDS = 250, 1500
NGRAM = 8
NGRAM_MAX_ARTICLES = 2

# Release targets of corpus v1.0 (issue "Corpus v1.0").
TARGET_DOCUMENTS = 300
TARGET_WORDS = 135_000
TARGET_EVENTS = 200
TARGET_YEARS = 25
TARGET_MIN_SHARE = 0.06  # every region and every genre
TARGET_OVER_700, TARGET_OVER_1000 = 0.15, 0.05
TARGET_ANALYST_SHARE = 0.03
TARGET_SPLIT_SHARES = {"train": 0.60, "validation": 0.15, "test": 0.25}
TARGET_SPLIT_TOLERANCE = 0.05
TARGET_TEST_DOCUMENTS = 75

EVENTS_COLUMNS = ("event", "date", "region", "split", "n_articles", "articles", "name")


class FrameError(ValueError):
    """A source's `event` metadata is malformed (names the file)."""


@dataclass(frozen=True)
class SourceMeta:
    """The front-matter facts the frame needs from one source."""

    id: str
    date: str
    genre: str
    region: str
    split: str
    event_id: str | None
    event_date: str | None
    event_name: str | None
    path: str


@dataclass(frozen=True)
class Event:
    """One real event of the frame and the articles built on it."""

    id: str
    date: str
    name: str
    region: str
    split: str
    articles: tuple[str, ...]


@dataclass(frozen=True)
class Finding:
    """One broken rule: `target` findings are release targets, the others invariants."""

    rule: str
    message: str
    target: bool = False


def _iso(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def read_front_matter(path: Path) -> dict:
    """The YAML front matter of a source (the body is not compiled here)."""
    raw = path.read_text(encoding="utf-8")
    end = raw.find("\n---", 4)
    if not raw.startswith("---") or end < 0:
        raise FrameError(f"{path}:1: no YAML front matter")
    return yaml.safe_load(raw[3:end]) or {}


def source_meta(path: Path) -> SourceMeta:
    """Read one source's frame metadata, checking the `event` mapping's shape."""
    meta = read_front_matter(path)
    event = meta.get("event")
    if event is not None and not (isinstance(event, dict) and set(event) <= {"id", "date", "name"}):
        raise FrameError(f"{path}: front matter 'event' must be a mapping with keys id, date, name")
    event = event or {}
    return SourceMeta(
        id=str(meta.get("id")),
        date=_iso(meta.get("date")),
        genre=str(meta.get("genre")),
        region=str(meta.get("region")),
        split=str(meta.get("split")),
        event_id=None if event.get("id") is None else str(event["id"]),
        event_date=None if event.get("date") is None else _iso(event["date"]),
        event_name=None if event.get("name") is None else str(event["name"]),
        path=str(path),
    )


def read_frame(files: Iterable[Path]) -> list[SourceMeta]:
    """Frame metadata of every source, in the order given."""
    return [source_meta(Path(f)) for f in files]


def events_of(metas: Sequence[SourceMeta]) -> list[Event]:
    """The events named by the sources, each with its articles (first article's facts win on conflict)."""
    by_event: dict[str, list[SourceMeta]] = defaultdict(list)
    for m in metas:
        if m.event_id:
            by_event[m.event_id].append(m)
    out = []
    for eid, ms in by_event.items():
        ms = sorted(ms, key=lambda m: m.id)
        first = ms[0]
        out.append(Event(eid, first.event_date or "", first.event_name or "", first.region, first.split,
                         tuple(m.id for m in ms)))
    return sorted(out, key=lambda e: (e.date, e.id))


def events_tsv(events: Sequence[Event]) -> bytes:
    """corpus/events.tsv: one row per event, in date order."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\n")
    w.writerow(EVENTS_COLUMNS)
    for e in events:
        w.writerow((e.id, e.date, e.region, e.split, len(e.articles), ",".join(e.articles), e.name))
    return buf.getvalue().encode("utf-8")


def _event_findings(metas: Sequence[SourceMeta]) -> list[Finding]:
    out: list[Finding] = []
    by_event: dict[str, list[SourceMeta]] = defaultdict(list)
    for m in metas:
        if not m.event_id:
            out.append(Finding("event-missing", f"{m.path}: front matter names no event"))
            continue
        by_event[m.event_id].append(m)
        if not EVENT_ID.fullmatch(m.event_id):
            out.append(Finding("event-id", f"{m.path}: event id {m.event_id!r} is not a lower-case slug"))
        try:
            day = dt.date.fromisoformat(m.event_date or "")
        except ValueError:
            out.append(Finding("event-date", f"{m.path}: event date {m.event_date!r} is not YYYY-MM-DD"))
        else:
            if not FIRST_YEAR <= day.year <= LAST_YEAR:
                out.append(Finding("event-date", f"{m.path}: event year {day.year} outside {FIRST_YEAR}-{LAST_YEAR}"))
            if m.date < day.isoformat():
                out.append(Finding("event-date", f"{m.path}: article date {m.date} precedes its event ({day})"))
        if not (m.event_name or "").strip():
            out.append(Finding("event-name", f"{m.path}: event {m.event_id} has no name"))
    for eid, ms in sorted(by_event.items()):
        ids = ", ".join(m.id for m in ms)
        if len(ms) > MAX_ARTICLES_PER_EVENT:
            out.append(Finding("event-articles", f"event {eid}: {len(ms)} articles ({ids}); at most {MAX_ARTICLES_PER_EVENT}"))
        for field in ("split", "region", "event_date", "event_name"):
            values = {getattr(m, field) for m in ms}
            if len(values) > 1:
                out.append(Finding(f"event-{field.replace('event_', '')}-differs",
                                   f"event {eid}: its articles ({ids}) differ in {field}: {sorted(values)}"))
        genres_dates = [(m.genre, m.date) for m in ms]
        if len(set(genres_dates)) < len(genres_dates):
            out.append(Finding("event-angle", f"event {eid}: articles ({ids}) share genre and date"))
    return out


def _runs(text: str, n: int) -> set[tuple[str, ...]]:
    words = [w for w in re.findall(r"\w+", text)]
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def _mostly_names(doc: Document, run: tuple[str, ...]) -> bool:
    """A run most of whose words stand in annotated names is a fixed name or title, not boilerplate."""
    named = {w for s in doc.spans if s.label in S.ACTOR_LABELS for w in re.findall(r"\w+", s.text or "")}
    return sum(w in named for w in run) * 2 > len(run)


def shared_runs(docs: Sequence[Document], n: int = NGRAM) -> dict[tuple[str, ...], list[str]]:
    """Runs of `n` words found in more than NGRAM_MAX_ARTICLES articles, with the articles."""
    where: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for d in docs:
        for run in _runs(d.text or "", n):
            where[run].append(d.id)
    by_id = {d.id: d for d in docs}
    return {run: ids for run, ids in where.items()
            if len(ids) > NGRAM_MAX_ARTICLES and not all(_mostly_names(by_id[i], run) for i in ids)}


def analyst_documents(docs: Sequence[Document]) -> Counter[str]:
    """In how many documents each analyst (by the longest name of the speaker's entity) is quoted."""
    seen: Counter[str] = Counter()
    for d in docs:
        spans = {s.id: s for s in d.spans}
        longest: dict[str, str] = {}
        for s in d.spans:
            if s.label == "PER" and s.entity and len(s.text or "") > len(longest.get(s.entity, "")):
                longest[s.entity] = s.text or ""
        names = set()
        for r in d.relations:
            q, sp = spans.get(r.head), spans.get(r.tail)
            if r.label == "speaker" and q and sp and sp.label == "PER" and q.attributes.source_role == "analyst":
                names.add(longest.get(sp.entity or "", sp.text or ""))
        seen.update(names)
    return seen


def frame_findings(docs: Sequence[Document], metas: Sequence[SourceMeta]) -> list[Finding]:
    """Every invariant and release target the corpus breaks, invariants first."""
    out = _event_findings(metas)
    n = len(docs)
    words = {d.id: word_count(d.text or "") for d in docs}
    for d in docs:
        if not MIN_WORDS <= words[d.id] <= MAX_WORDS:
            out.append(Finding("length", f"{d.id}: {words[d.id]} words; articles have {MIN_WORDS}-{MAX_WORDS}"))
    for run, ids in sorted(shared_runs(docs).items()):
        out.append(Finding("shared-run", f"{len(ids)} articles share the {NGRAM}-word run {' '.join(run)!r}: {', '.join(ids)}"))
    if not n:
        return out

    def target(rule: str, message: str) -> None:
        out.append(Finding(rule, message, target=True))

    if n < TARGET_DOCUMENTS:
        target("size-documents", f"{n} documents; the release needs {TARGET_DOCUMENTS}")
    if sum(words.values()) < TARGET_WORDS:
        target("size-words", f"{sum(words.values())} words; the release needs {TARGET_WORDS}")
    events = events_of(metas)
    if len(events) < TARGET_EVENTS:
        target("events", f"{len(events)} distinct events; the release needs {TARGET_EVENTS}")
    years = {e.date[:4] for e in events}
    if len(years) < TARGET_YEARS:
        target("event-years", f"events span {len(years)} distinct years; the release needs {TARGET_YEARS}")
    for field, values in (("region", S.REGIONS), ("genre", S.GENRES)):
        counts = Counter(getattr(d, field) for d in docs)
        for v in values:
            if counts[v] / n < TARGET_MIN_SHARE:
                target(f"balance-{field}", f"{field} {v}: {counts[v]} documents ({counts[v] / n:.1%}); at least {TARGET_MIN_SHARE:.0%}")
    for limit, share in ((700, TARGET_OVER_700), (1000, TARGET_OVER_1000)):
        k = sum(w > limit for w in words.values())
        if k / n < share:
            target("long-articles", f"{k} articles ({k / n:.1%}) over {limit} words; at least {share:.0%}")
    for name, k in analyst_documents(docs).most_common():
        if k / n > TARGET_ANALYST_SHARE:
            target("analyst-reuse", f"analyst {name} is quoted in {k} documents ({k / n:.1%}); at most {TARGET_ANALYST_SHARE:.0%}")
    splits = Counter(d.split for d in docs)
    for split, share in TARGET_SPLIT_SHARES.items():
        if abs(splits[split] / n - share) > TARGET_SPLIT_TOLERANCE:
            target("split-shares", f"split {split}: {splits[split]} documents ({splits[split] / n:.1%}); target {share:.0%}")
    if splits["test"] < TARGET_TEST_DOCUMENTS:
        target("split-test", f"test split has {splits['test']} documents; the release needs {TARGET_TEST_DOCUMENTS}")
    for split in S.SPLITS:
        part = [d for d in docs if d.split == split]
        for case, k in hard_case_counts(part).items():
            if part and not k:
                target("hard-cases", f"split {split}: no occurrence of the hard case {case}")
    return out
