"""Legacy forms as offices typed them, measured: the share of values read right, and that no
wrong value is left unflagged. The corpus is generated with a seed the readers were not tuned
on; its ground truth is the data each form was made from."""

from __future__ import annotations

import pytest

from service.imports.dispatch import read_file
from tests.legacy_corpus import STANDARD, corpus, make_sample
from tests.legacy_score import Tally, score

#: A seed the readers were never tuned on (tuning used 11).
UNFAMILIAR = 2026


@pytest.fixture(scope="module")
def tallies() -> dict[str, Tally]:
    out = {"standard": Tally(), "varied": Tally()}
    for sample in corpus(320, seed=UNFAMILIAR, standard_share=0.2):
        readings = read_file(sample.name, sample.content)
        out["standard" if sample.variant.standard else "varied"].add(
            score(sample.forms, readings, sample.name))
    return out


def test_the_corpus_is_a_few_hundred_forms(tallies):
    assert tallies["standard"].forms >= 50 and tallies["varied"].forms >= 250


def test_the_standard_layout_reads_every_value(tallies):
    t = tallies["standard"]
    assert t.wrong == 0, t.silent[:5]
    assert t.right_flagged == 0  # nothing certain is sent to a person needlessly


def test_unfamiliar_files_read_at_least_95_percent_right(tallies):
    t = tallies["varied"]
    assert t.share_right >= 0.95, (t.share_right, t.misses.most_common(8))


def test_no_wrong_value_is_left_unflagged(tallies):
    for t in tallies.values():
        assert t.wrong == t.wrong_flagged, t.silent[:8]


def test_several_forms_in_one_file_are_each_read_in_order():
    import random

    sample = make_sample(0, random.Random(3), STANDARD, codes=("C", "B", "C"))
    readings = read_file(sample.name, sample.content)
    assert [r.annex for r in readings] == ["C", "B", "C"]
    assert [r.part for r in readings] == ["form 1", "form 2", "form 3"]
    t = score(sample.forms, readings)
    assert t.wrong == 0


def test_registers_read_their_rows_right():
    import random

    from tests.legacy_corpus import make_register

    rng = random.Random(UNFAMILIAR)
    total = Tally()
    for n in range(6):
        sample = make_register(n, rng, "BCD"[n % 3])
        total.add(score(sample.forms, read_file(sample.name, sample.content), sample.name))
    assert total.forms == 72
    assert total.share_right >= 0.95, total.misses.most_common(5)
    assert total.wrong == total.wrong_flagged, total.silent[:5]
