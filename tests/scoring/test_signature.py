"""The signature is rendered and parsed in one place, and the two agree."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ittifaq.evaluate.scoring.signature import Signature

SCORE = ("ittifaq:v0.1.0|schema:1.0|gold:3f2a9c0d11be|split:test|spans:strict,exact,partial,type,clitic"
         "|rel:strict,boundaries,relaxed,entity|norm:none|unk:error|boot:1000|seed:12345")


def test_round_trip_of_score_compare_and_agree_signatures():
    sig = Signature.parse(SCORE)
    assert str(sig) == SCORE
    assert (sig.digest, sig.split, sig.boot, sig.seed, sig.reference) == ("3f2a9c0d11be", "test", 1000, 12345, "gold")
    compared = replace(sig, boot=200, tests=("paired-bs", "ar"), trials=500)
    assert str(compared) == SCORE.replace("|boot:1000|", "|boot:200|") + "|test:paired-bs,ar|trials:500"
    agreed = replace(sig, reference="ref")
    assert str(agreed) == SCORE.replace("|gold:", "|ref:")
    for s in (compared, agreed):
        assert Signature.parse(str(s)) == s


def test_not_a_signature():
    with pytest.raises(ValueError, match="not an ittifaq signature"):
        Signature.parse("bleu|nrefs:1")


def test_extra_fields_follow_in_order_and_round_trip():
    sig = replace(Signature.parse(SCORE), extra=(("prompt", "v1-en-k3-s12345"), ("align", "v1")))
    assert str(sig) == SCORE + "|prompt:v1-en-k3-s12345|align:v1"
    assert Signature.parse(str(sig)) == sig
