"""Segmentation into sentences and contrastive clauses."""

from __future__ import annotations

import pytest

from voc.normalize.english import load_english_pipeline
from voc.segment.segmenter import Segmenter


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter(load_english_pipeline("blank"), max_segment_chars=120)


def _texts(segmenter: Segmenter, text: str, lang: str) -> list[str]:
    return [s.text for s in segmenter.segment([text], [lang])[0]]


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Great food but the courier was rude. Will order again!", "en",
         ["Great food", "but the courier was rude.", "Will order again!"]),
        ("Good but expensive", "en", ["Good", "but expensive"]),
        ("Fast delivery, however the box was crushed", "en",
         ["Fast delivery", "however the box was crushed"]),
        ("Although the app is slow, support fixed it", "en",
         ["Although the app is slow, support fixed it"]),
        ("غذا خوب بود ولی پیک دیر آمد. اما قیمت مناسب بود", "fa",
         ["غذا خوب بود", "ولی پیک دیر آمد.", "اما قیمت مناسب بود"]),
        ("محصول عالی بود با این حال ارسال کند بود", "fa",
         ["محصول عالی بود", "با این حال ارسال کند بود"]),
        ("سوال داشتم؟ جواب ندادن", "fa", ["سوال داشتم؟", "جواب ندادن"]),
        ("kheili khoob bood vali gerun", "fa", ["kheili khoob bood", "vali gerun"]),
        ("The app is great ولی پیک دیر اومد", "mixed", ["The app is great", "ولی پیک دیر اومد"]),
        ("line one\nline two", "fa", ["line one", "line two"]),
        # a new point after a comma: each issue its own segment
        ("جعبه له‌شده بود، ضمناً پنج روز است کسی جواب نداده", "fa",
         ["جعبه له‌شده بود", "ضمناً پنج روز است کسی جواب نداده"]),
        ("The box was crushed; besides, nobody answered my emails", "en",
         ["The box was crushed", "besides, nobody answered my emails"]),
    ],
)
def test_sentences_and_contrastive_clauses(
    segmenter: Segmenter, text: str, lang: str, expected: list[str]
) -> None:
    assert _texts(segmenter, text, lang) == expected


@pytest.mark.parametrize(
    "text",
    ["Nothing but praise for the team", "Not only fast but also cheap", "But it works",
     "It was fine but", "The price is 2.5 dollars", "I also ordered a case and it was fine",
     "Great food, plus"],
)
def test_non_contrastive_uses_are_not_split(segmenter: Segmenter, text: str) -> None:
    assert _texts(segmenter, text, "en") == [text]


def test_contrastive_split_can_be_turned_off() -> None:
    segmenter = Segmenter(load_english_pipeline("blank"), contrastive=False)
    assert _texts(segmenter, "Good but expensive", "en") == ["Good but expensive"]


def test_offsets_point_into_the_text_and_terms_skip_placeholders(segmenter: Segmenter) -> None:
    text = "Call me at [PHONE] please. The couriers were late!"
    spans = segmenter.segment([text], ["en"])[0]
    assert [text[s.start:s.end] for s in spans] == [s.text for s in spans]
    assert spans[0].terms == "call me at please"
    assert spans[1].terms == "the courier be late"
    fa = segmenter.segment(["شماره [PHONE] کتاب‌ها را ببینم"], ["fa"])[0]
    assert fa[0].terms == "شماره کتاب‌ها را ببینم"


def test_emoji_only_pieces_join_a_neighbour(segmenter: Segmenter) -> None:
    assert _texts(segmenter, "عالی بود. 👍👍", "fa") == ["عالی بود. 👍👍"]
    assert _texts(segmenter, "👍", "other") == ["👍"]


def test_run_on_text_is_cut_near_the_limit(segmenter: Segmenter) -> None:
    text = ", ".join(["the courier was late again"] * 20)
    pieces = _texts(segmenter, text, "en")
    assert len(pieces) > 1
    assert all(len(p) <= 120 for p in pieces)
    assert "".join(p.replace(",", "").replace(" ", "") for p in pieces) == \
        text.replace(",", "").replace(" ", "")
