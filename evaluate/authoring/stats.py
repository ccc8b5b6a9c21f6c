"""Corpus statistics: what the dataset card and `ittifaq stats` report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from ittifaq.evaluate import schema as S
from ittifaq.evaluate.authoring.hard_cases import hard_case_counts
from ittifaq.evaluate.schema import Document
from ittifaq.evaluate.text.tokenize import tokenize

COVERAGE_KEYS = ("quotes_indirect_share", "quotes_analyst_share")


def word_count(text: str) -> int:
    """Words as a reader counts them (tokens that start with a letter or digit)."""
    return sum(1 for a, b in tokenize(text) if text[a:b][0].isalnum())


def corpus_stats(docs: Iterable[Document]) -> dict[str, Any]:
    """Counts per label, attribute value, genre, region and split (every schema value listed, zeros kept)."""
    docs = list(docs)
    spans = Counter({label: 0 for label in S.SPAN_LABELS})
    relations = Counter({label: 0 for label in S.RELATION_LABELS})
    kinds = Counter({v: 0 for v in S.QUOTE_KINDS})
    roles = Counter({v: 0 for v in S.SOURCE_ROLES})
    types = Counter({v: 0 for v in S.AGREEMENT_TYPES})
    statuses = Counter({v: 0 for v in S.AGREEMENT_STATUSES})
    genres: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    splits: Counter[str] = Counter()
    per_split: dict[str, Counter[str]] = {}
    entities = 0
    words = 0
    parties_per_agreement: Counter[int] = Counter()
    for d in docs:
        w = word_count(d.text or "")
        words += w
        genres[d.genre or "none"] += 1
        regions[d.region or "none"] += 1
        splits[d.split or "none"] += 1
        ps = per_split.setdefault(d.split or "none", Counter())
        ps["documents"] += 1
        ps["words"] += w
        entities += len({s.entity for s in d.spans if s.entity})
        party_count: Counter[str] = Counter()
        for s in d.spans:
            spans[s.label] += 1
            ps[s.label] += 1
            if s.label == "QUOTE":
                kinds[s.attributes.quote_kind or "none"] += 1
                roles[s.attributes.source_role or "none"] += 1
            elif s.label == "AGREEMENT":
                types[s.attributes.agreement_type or "none"] += 1
                statuses[s.attributes.status or "none"] += 1
        for r in d.relations:
            relations[r.label] += 1
            ps[f"rel:{r.label}"] += 1
            if r.label == "party":
                party_count[r.head] += 1
        for s in d.spans:
            if s.label == "AGREEMENT":
                parties_per_agreement[party_count[s.id]] += 1
    n_quotes = spans["QUOTE"]
    return {
        "hard_cases": hard_case_counts(docs),
        "documents": len(docs),
        "words": words,
        "spans": dict(spans),
        "relations": dict(relations),
        "entities": entities,
        "quotes": {"kind": dict(kinds), "role": dict(roles)},
        "agreements": {
            "type": dict(types),
            "status": dict(statuses),
            "parties": {str(k): v for k, v in sorted(parties_per_agreement.items())},
        },
        "genres": dict(sorted(genres.items())),
        "regions": dict(sorted(regions.items())),
        "splits": {s: splits.get(s, 0) for s in S.SPLITS},
        "per_split": {k: dict(v) for k, v in sorted(per_split.items())},
        "coverage": {
            "quotes_indirect_share": round(kinds["indirect"] / n_quotes, 4) if n_quotes else None,
            "quotes_analyst_share": round(roles["analyst"] / n_quotes, 4) if n_quotes else None,
            "documents_with_agreement": sum(1 for d in docs if any(s.label == "AGREEMENT" for s in d.spans)),
            "documents_with_quote": sum(1 for d in docs if any(s.label == "QUOTE" for s in d.spans)),
            "agreements_with_3plus_parties": sum(v for k, v in parties_per_agreement.items() if k >= 3),
        },
    }


def _block(title: str, counts: dict[str, Any]) -> list[str]:
    lines = [title]
    width = max((len(str(k)) for k in counts), default=0)
    for k, v in counts.items():
        lines.append(f"  {str(k).ljust(width)}  {v}")
    return lines


def stats_table(result: dict[str, Any]) -> str:
    """A plain-text rendering of `corpus_stats` for the terminal."""
    lines = [f"documents  {result['documents']}", f"words      {result['words']}", f"entities   {result['entities']}"]
    lines += _block("spans", result["spans"])
    lines += _block("relations", result["relations"])
    lines += _block("quotes by kind", result["quotes"]["kind"])
    lines += _block("quotes by role", result["quotes"]["role"])
    lines += _block("agreements by type", result["agreements"]["type"])
    lines += _block("agreements by status", result["agreements"]["status"])
    lines += _block("agreements by number of parties", result["agreements"]["parties"])
    lines += _block("genres", result["genres"])
    lines += _block("regions", result["regions"])
    lines += _block("splits", result["splits"])
    lines += _block("coverage", result["coverage"])
    lines += _block(
        "hard cases (occurrences / documents)",
        {k: f"{v['occurrences']} / {v['documents']}" for k, v in result.get("hard_cases", {}).items()},
    )
    return "\n".join(lines)


def _md_table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out + [""]


def stats_markdown(result: dict[str, Any]) -> str:
    """The card's composition section, generated so it always shows what was measured."""
    splits = [s for s in S.SPLITS]
    per = result["per_split"]
    lines = [
        f"{result['documents']} documents, {result['words']} words, {result['entities']} entities "
        f"(coreference clusters), {sum(result['spans'].values())} spans, {sum(result['relations'].values())} relations.",
        "",
    ]
    rows = [("documents", *(per.get(s, {}).get("documents", 0) for s in splits), result["documents"])]
    rows.append(("words", *(per.get(s, {}).get("words", 0) for s in splits), result["words"]))
    for label in S.SPAN_LABELS:
        rows.append((label, *(per.get(s, {}).get(label, 0) for s in splits), result["spans"][label]))
    for label in S.RELATION_LABELS:
        rows.append((f"`{label}` relations", *(per.get(s, {}).get(f"rel:{label}", 0) for s in splits), result["relations"][label]))
    lines += _md_table(("", *splits, "total"), rows)
    lines += _md_table(("quote kind", "count"), list(result["quotes"]["kind"].items()))
    lines += _md_table(("speaker role", "count"), list(result["quotes"]["role"].items()))
    lines += _md_table(("agreement type", "count"), list(result["agreements"]["type"].items()))
    lines += _md_table(("agreement status", "count"), list(result["agreements"]["status"].items()))
    lines += _md_table(("parties per agreement", "agreements"), list(result["agreements"]["parties"].items()))
    lines += _md_table(("genre", "documents"), list(result["genres"].items()))
    lines += _md_table(("region", "documents"), list(result["regions"].items()))
    cov = result["coverage"]
    lines += _md_table(
        ("coverage", "value"),
        [
            ("share of quotes that are indirect", cov["quotes_indirect_share"]),
            ("share of quotes by analysts", cov["quotes_analyst_share"]),
            ("documents with an agreement", cov["documents_with_agreement"]),
            ("documents with a quote", cov["documents_with_quote"]),
            ("agreements with 3+ parties", cov["agreements_with_3plus_parties"]),
        ],
    )
    lines += _md_table(
        ("hard case (guidelines §6; heuristic counts, see evaluate/authoring/hard_cases.py)", "occurrences", "documents"),
        [(k.replace("_", " "), v["occurrences"], v["documents"]) for k, v in result.get("hard_cases", {}).items()],
    )
    return "\n".join(lines).rstrip() + "\n"
