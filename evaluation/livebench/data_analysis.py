"""LiveBench data-analysis category: ``cta`` (column type annotation), ``tablejoin``, ``tablereformat``.

Rules follow (no code copied) https://github.com/LiveBench/LiveBench/blob/e84e548/livebench/process_results/
data_analysis/{cta,tablejoin,tablereformat}/utils.py (identical in FuseEval 5af2bad). Tables are read with
pandas, as upstream does (``read_html`` needs lxml or bs4+html5lib installed).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from io import StringIO
from typing import Any


# ----------------------------------------------------------------------------------------------- cta
def _letters(text: str) -> str:
    return re.sub(r"[^\w]", "", text.lower().strip())


def score_cta(ground_truth: str, response: str) -> float:
    """The whole response, lower-cased with every non-word character removed, equals the class name."""
    return 1.0 if _letters(ground_truth) == _letters(response) else 0.0


# ----------------------------------------------------------------------------------------------- tablejoin
def parse_join_mapping(response: str) -> dict[Any, Any]:
    """The last ```python ... ``` (else ``` ... ```) span of the response with newlines removed (greedy, so
    first fence to last fence), else the whole response, read as a Python literal; {} when that is not a
    dict."""
    flat = response.replace("\n", "")
    spans = re.findall(r"```python(.*)```", flat) or re.findall(r"```(.*)```", flat) or [response]
    try:
        value = ast.literal_eval(spans[-1])
    except Exception:  # noqa: BLE001 - any unreadable literal is "no mapping", as upstream
        return {}
    return value if isinstance(value, dict) else {}


def score_tablejoin(ground_truth: str | dict[str, Any], response: str) -> float:
    """F1 of the column mapping, rounded to 2 decimals: a predicted pair is a true positive when the truth maps
    the key to the same value; a wrong value counts as a false positive and a false negative; a key the truth
    lacks (or maps to something falsy) is a false positive; a true key missing from (or falsy in) the
    prediction is a false negative. An empty prediction scores 0."""
    truth = ground_truth if isinstance(ground_truth, dict) else ast.literal_eval(ground_truth)
    pred = parse_join_mapping(response)
    if not pred:
        return 0.0
    tp = fp = fn = 0
    for key, value in pred.items():
        expected = truth.get(key)
        if not expected:
            fp += 1
        elif expected == value:
            tp += 1
        else:
            fp += 1
            fn += 1
    fn += sum(1 for key in truth if not pred.get(key))
    return round(2 * tp / (2 * tp + fp + fn), 2)


# ----------------------------------------------------------------------------------------------- tablereformat
def table_formats(question_text: str) -> tuple[str, str]:
    """(input, output) format named by "Please convert the Input Table from X format to Y format"."""
    tail = question_text.split("Please convert the Input Table from ")[1]
    return tail.split(" format")[0].lower(), tail.split("format to ")[1].split(" format")[0].lower()


def read_table(fmt: str, text: str) -> Any:
    """A DataFrame from ``text`` in ``fmt``; JSON tries the orients index, records, records-lines, table,
    values in that order."""
    import pandas as pd

    buf = lambda: StringIO(text)  # noqa: E731
    if fmt == "json":
        for kwargs in ({"orient": "index"}, {"orient": "records"}, {"orient": "records", "lines": True},
                       {"orient": "table"}):
            try:
                return pd.read_json(buf(), **kwargs)
            except Exception:  # noqa: BLE001, S112 - try the next orient, as upstream
                continue
        return pd.read_json(buf(), orient="values")
    if fmt == "jsonl":
        return pd.read_json(buf(), orient="records", lines=True)
    if fmt == "html":
        return pd.concat(pd.read_html(buf()), axis=0)
    if fmt == "csv":
        return pd.read_csv(buf())
    if fmt == "markdown":
        return pd.read_table(buf(), sep="|", header=0, index_col=1, skipinitialspace=True)
    if fmt == "tsv":
        return pd.read_csv(buf(), sep="\t")
    raise ValueError(f"livebench tablereformat: unknown table format {fmt!r}")


def _strip_fences(text: str) -> str:
    return re.sub(r"^```.*\n", "", text).replace("```", "").strip()


def _strip_leading_phrase(text: str) -> str:
    """Drop a lead-in like "Here is the table in the new format:" before the table."""
    return re.sub(r"^\s*(Here|Input)\b.*?\b(format|table)\s*[:)]\s*", "", text, flags=re.IGNORECASE).strip()


def tables_match(fmt: str, text: str, truth: Any) -> bool:
    """Same row count, same (lower-cased, stripped) column names, and each column's values equal as sorted
    lists; any reading error is a mismatch."""
    try:
        pred = read_table(fmt, text)
        truth.columns = [c.lower().strip() for c in truth.columns]
        pred.columns = [c.lower().strip() for c in pred.columns]
        if len(pred) != len(truth) or sorted(pred.columns) != sorted(truth.columns):
            return False
        return all(sorted(pred[c].tolist()) == sorted(truth[c].tolist()) for c in pred.columns)
    except Exception:  # noqa: BLE001 - upstream: any failure scores 0
        return False


def score_tablereformat(question_text: str, ground_truth: str, response: str) -> float:
    """The response (fences removed) read in the requested output format must match the true table; if not,
    retry once without a leading "Here is ... table:" phrase."""
    _, out_fmt = table_formats(question_text)
    truth = read_table(out_fmt, ground_truth)
    text = _strip_fences(response)
    if tables_match(out_fmt, text, truth):
        return 1.0
    return 1.0 if tables_match(out_fmt, _strip_leading_phrase(text), truth) else 0.0


SCORERS: dict[str, Callable[[dict[str, Any], str], float]] = {
    "cta": lambda q, r: score_cta(q["ground_truth"], r),
    "tablejoin": lambda q, r: score_tablejoin(q["ground_truth"], r),
    "tablereformat": lambda q, r: score_tablereformat(q["turns"][0], q["ground_truth"], r),
}
