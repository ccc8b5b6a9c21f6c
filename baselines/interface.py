"""The one interface every baseline implements (train, predict, save, load) and what they share.

A saved model is a folder holding `baseline.json` (which system, its chosen
hyper-parameters, the selection log) plus the system's own files; `load_model`
reads the manifest and hands the folder to the right class. Nothing in a model
folder is executable: JSON, NumPy .npz (read with allow_pickle=False), crfsuite
model files and spaCy's own to_disk output.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from ittifaq import __version__
from ittifaq.baselines.features import normalize
from ittifaq.evaluate.io.atomic import write_text_atomic
from ittifaq.evaluate.io.errors import InputError
from ittifaq.evaluate.schema import ACTOR_LABELS, SCHEMA_VERSION, Attributes, Document, Relation, Span

SYSTEMS: dict[str, str] = {
    "rules": "ittifaq.baselines.rules:RulesBaseline",
    "crf": "ittifaq.baselines.crf:CrfBaseline",
    "spacy": "ittifaq.baselines.spacy_model:SpacyBaseline",
    "transformer": "ittifaq.baselines.transformer:TransformerBaseline",
}
#: What `ittifaq benchmark` runs when no system is named: CPU-only, no downloaded weights.
DEFAULT_SYSTEMS: tuple[str, ...] = ("rules", "crf", "spacy")
MANIFEST = "baseline.json"
SEED = 12345

#: (start, end, label, attributes) as found by a tagger, before ids are given.
RawSpan = tuple[int, int, str, Attributes]
#: (label, head index, tail index) into the list of raw spans.
RawRelation = tuple[str, int, int]
#: A selection metric: (gold docs, predicted docs, labels) -> strict micro F1.
Metric = Callable[[list[Document], list[Document], tuple[str, ...]], float]


class Baseline(ABC):
    """A trainable span + attribute + relation extractor."""

    name: ClassVar[str]

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self.selection: list[dict[str, Any]] = []

    @abstractmethod
    def train(
        self, train: list[Document], validation: list[Document] | None = None, progress: bool = True
    ) -> None:
        """Fit on `train`; choose hyper-parameters on `validation` only (never on test)."""

    @abstractmethod
    def predict(self, docs: list[Document], progress: bool = False) -> list[Document]:
        """Prediction documents (id, text, spans, relations) for raw or gold documents."""

    @abstractmethod
    def _save_files(self, directory: Path) -> None: ...

    @abstractmethod
    def _load_files(self, directory: Path) -> None: ...

    def save(self, directory: str | Path) -> None:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self._save_files(d)
        manifest = {
            "system": self.name,
            "ittifaq_version": __version__,
            "schema_version": SCHEMA_VERSION,
            "params": self.params,
            "selection": self.selection,
        }
        write_text_atomic(d / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")

    @classmethod
    def load(cls, directory: str | Path) -> Baseline:
        d = Path(directory)
        manifest = read_manifest(d)
        if manifest["system"] != cls.name:
            raise InputError(f"{d / MANIFEST}: model is a {manifest['system']!r} model, not {cls.name!r}")
        model = cls()
        model.params = dict(manifest.get("params") or {})
        model.selection = list(manifest.get("selection") or [])
        model._load_files(d)
        return model


def system_class(name: str) -> type[Baseline]:
    """The class of a baseline, imported only when asked (spaCy stays unloaded for `rules`)."""
    if name not in SYSTEMS:
        raise InputError(f"unknown baseline {name!r}; choose one of {', '.join(SYSTEMS)}")
    module, attr = SYSTEMS[name].split(":")
    return getattr(importlib.import_module(module), attr)


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise InputError(f"{directory}: not a trained baseline folder (no {MANIFEST}); run `ittifaq baseline train`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: invalid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("system") not in SYSTEMS:
        raise InputError(f"{path}: field system must be one of {', '.join(SYSTEMS)}")
    return manifest


def load_model(directory: str | Path) -> Baseline:
    """Whatever baseline was saved in `directory`."""
    d = Path(directory)
    return system_class(read_manifest(d)["system"]).load(d)


def entity_key(surface: str) -> str:
    return " ".join(normalize(w) for w in surface.split())


def assign_entities(spans: list[RawSpan], text: str) -> list[str | None]:
    """Entity ids for actor spans: same normalized surface -> same entity; a one-word person
    mention that equals the last word of an earlier person name joins that person (يوسف عمر … عمر)."""
    ids: list[str | None] = [None] * len(spans)
    by_key: dict[str, str] = {}
    last_word: dict[str, str] = {}
    order = sorted(range(len(spans)), key=lambda k: (spans[k][0], -spans[k][1]))
    for k in order:
        start, end, label, _ = spans[k]
        if label not in ACTOR_LABELS:
            continue
        key = entity_key(text[start:end])
        ent = by_key.get(key)
        if ent is None and label == "PER" and " " not in key:
            ent = last_word.get(key)
        if ent is None:
            ent = f"E{len(set(by_key.values())) + 1}"
        by_key[key] = ent
        if label == "PER" and " " in key:
            last_word.setdefault(key.split()[-1], ent)
        ids[k] = ent
    return ids


def build_prediction(doc: Document, spans: list[RawSpan], relations: Iterable[RawRelation]) -> Document:
    """A prediction document with ids T1…, R1…; duplicate spans and relations are merged."""
    text = doc.text or ""
    unique: dict[tuple[int, int, str], int] = {}
    kept: list[RawSpan] = []
    remap: dict[int, int] = {}
    for k, s in enumerate(spans):
        key = (s[0], s[1], s[2])
        if key not in unique:
            unique[key] = len(kept)
            kept.append(s)
        remap[k] = unique[key]
    order = sorted(range(len(kept)), key=lambda k: (kept[k][0], -kept[k][1], kept[k][2]))
    pos = {old: new for new, old in enumerate(order)}
    ents = assign_entities(kept, text)
    out_spans = [
        Span(
            id=f"T{pos[k] + 1}",
            start=kept[k][0],
            end=kept[k][1],
            text=text[kept[k][0] : kept[k][1]],
            label=kept[k][2],
            entity=ents[k],
            attributes=kept[k][3],
        )
        for k in order
    ]
    seen: set[tuple[str, int, int]] = set()
    rels: list[Relation] = []
    for label, h, t in relations:
        key = (label, pos[remap[h]], pos[remap[t]])
        if key in seen or key[1] == key[2]:
            continue
        seen.add(key)
    for label, h, t in sorted(seen, key=lambda r: (r[1], r[2], r[0])):
        rels.append(Relation(id=f"R{len(rels) + 1}", label=label, head=f"T{h + 1}", tail=f"T{t + 1}"))
    return Document(id=doc.id, text=text, spans=out_spans, relations=rels)


def prediction_record(doc: Document) -> dict[str, Any]:
    """The JSONL form of a prediction: id, text, its SHA-256, spans and relations."""
    full = doc.to_dict()
    text = doc.text or ""
    return {
        "id": doc.id,
        "text": text,
        "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "spans": full["spans"],
        "relations": full["relations"],
    }
