"""Near-duplicate detection: paraphrase-level edits are caught, different prompts are not."""

from __future__ import annotations

from data_construction.dedup import jaccard, near_duplicates, shingles

BASE = ("Write a detailed travel guide for a three day trip to Lisbon, including where to eat, what museums to see, "
        "how to use the trams, and which neighbourhoods are best for an evening walk by the river.")


def test_near_duplicate_is_caught_and_distinct_prompt_is_kept() -> None:
    texts = [BASE, BASE.replace("Lisbon", "Lisbon,").replace("river.", "river!"),
             BASE.replace("three day", "3-day").replace("evening walk", "night walk"),
             "Explain how photosynthesis turns light, water and carbon dioxide into sugar and oxygen."]
    assert near_duplicates(texts, 0.8) == [False, True, False, False]


def test_threshold_matters() -> None:
    edited = BASE.replace("museums", "galleries")
    assert 0.8 < jaccard(shingles(BASE), shingles(edited)) < 0.95
    assert near_duplicates([BASE, edited], 0.95) == [False, False]
    assert near_duplicates([BASE, edited], 0.8) == [False, True]


def test_first_occurrence_wins_and_a_dropped_text_is_not_a_reference() -> None:
    a, b = BASE, BASE.replace("museums", "galleries")
    c = b.replace("trams", "buses")  # close to b, further from a
    flags = near_duplicates([a, b, c], 0.8)
    assert flags[:2] == [False, True]


def test_chinese_uses_character_shingles() -> None:
    texts = ["请详细介绍一下中国古代四大发明以及它们对世界文明发展的深远影响和意义。",
             "请详细介绍一下中国古代四大发明以及它们对世界文明发展的深远影响和意义！",
             "今天天气很好，我们一起去公园散步吧，顺便买一些水果回家。"]
    assert near_duplicates(texts, 0.8) == [False, True, False]
