"""The report signature: two numbers are comparable only when their signatures match.

In the spirit of sacreBLEU, e.g.::

    ittifaq:v0.1.0|schema:1.0|gold:3f2a9c0d11be|split:test|spans:strict,exact,partial,type,clitic|rel:strict,boundaries,relaxed,entity|norm:none|unk:error|boot:1000|seed:12345

* ittifaq: toolkit version; schema: schema version;
* gold: first 12 hex digits of the SHA-256 of the gold file bytes (several files:
  of their bytes concatenated in the order given). From the Python API without a
  path it is `content-` and 12 hex digits of a digest of the gold content (ids,
  texts, span offsets, labels, entity and attribute codes, relations, in the order
  given): a different hash of the same data, marked so that it is never mistaken
  for a file's (pass `gold_path` to get the file's);
* split: the gold split (the documents' `split` field, `mixed` if several, `none` if unset);
* spans / rel: the span schemes and relation modes reported;
* norm: orthographic normalization of the text check (none | arabic);
* unk: what a predicted span label outside the schema does (error | spurious: it is
  counted as a spurious span, which lowers precision);
* boot / seed: bootstrap resamples and random seed of the confidence intervals.

`ittifaq compare` appends `test:paired-bs,ar|trials:N` (the significance tests and
approximate-randomization trials); `ittifaq agree` names the reference annotation
`ref:` instead of `gold:`. `extra` fields follow, in order (`ittifaq score --alignment`
appends `prompt:` and `align:`, the prompt and alignment of an LLM run).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ittifaq import __version__
from ittifaq.evaluate.schema import SCHEMA_VERSION, Document

#: Marks a `gold` digest of content given in memory (not of a file's bytes).
CONTENT_PREFIX = "content-"


def gold_hash(paths: Iterable[str | os.PathLike[str]]) -> str:
    """SHA-256 prefix (12 hex) of the gold file bytes."""
    h = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:12]


def gold_hash_started(paths: Iterable[str | os.PathLike[str]]) -> Callable[[], str]:
    """Start `gold_hash` in a thread; the returned function waits for it and gives the digest.

    File reads and SHA-256 over large blocks release the GIL, so the hash of a large
    gold file is computed on the other core while the report is built.
    """
    result: list[str | Exception] = []

    def run() -> None:
        try:
            result.append(gold_hash(paths))
        except Exception as exc:  # re-raised in the caller's thread by wait()
            result.append(exc)

    thread = threading.Thread(target=run, name="gold-hash", daemon=True)
    thread.start()

    def wait() -> str:
        thread.join()
        if isinstance(result[0], Exception):
            raise result[0]
        return result[0]

    return wait


def split_of(docs: Iterable[Document | str | None]) -> str:
    """The split named in the documents (or given directly as split values)."""
    splits = {d.split if isinstance(d, Document) else d for d in docs}
    if not splits or splits == {None}:
        return "none"
    return splits.pop() if len(splits) == 1 else "mixed"


@dataclass(frozen=True)
class Signature:
    """The fields of a signature; `str()` renders it and `parse` reads it back, nowhere else.

    `reference` names the reference side: `gold` for a score, `ref` for an agreement (the
    first annotation). `tests` and `trials` are set by `compare` only.
    """

    digest: str
    split: str
    spans: tuple[str, ...]
    rel: tuple[str, ...]
    norm: str
    unk: str
    boot: int
    seed: int
    ittifaq: str = f"v{__version__}"
    schema: str = SCHEMA_VERSION
    reference: str = "gold"
    tests: tuple[str, ...] = ()
    trials: int | None = None
    extra: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        parts = [("ittifaq", self.ittifaq), ("schema", self.schema), (self.reference, self.digest), ("split", self.split),
                 ("spans", ",".join(self.spans)), ("rel", ",".join(self.rel)), ("norm", self.norm), ("unk", self.unk),
                 ("boot", str(self.boot)), ("seed", str(self.seed))]
        if self.tests:
            parts.append(("test", ",".join(self.tests)))
        if self.trials is not None:
            parts.append(("trials", str(self.trials)))
        parts += self.extra
        return "|".join(f"{k}:{v}" for k, v in parts)

    @classmethod
    def parse(cls, text: str) -> Signature:
        """The signature `str()` rendered (ValueError if `text` is not one)."""
        fields = dict(part.partition(":")[::2] for part in text.split("|"))
        reference = "ref" if "ref" in fields else "gold"
        known = {"ittifaq", "schema", reference, "split", "spans", "rel", "norm", "unk", "boot", "seed", "test", "trials"}
        extra = tuple((k, v) for k, v in fields.items() if k not in known)
        try:
            return cls(
                digest=fields[reference], split=fields["split"], spans=tuple(fields["spans"].split(",")),
                rel=tuple(fields["rel"].split(",")), norm=fields["norm"], unk=fields["unk"], boot=int(fields["boot"]),
                seed=int(fields["seed"]), ittifaq=fields["ittifaq"], schema=fields["schema"], reference=reference,
                tests=tuple(fields["test"].split(",")) if "test" in fields else (),
                trials=int(fields["trials"]) if "trials" in fields else None, extra=extra,
            )
        except (KeyError, ValueError) as exc:
            raise ValueError(f"not an ittifaq signature: {text!r} ({exc})") from None
