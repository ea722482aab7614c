"""What the four judged tasks (AlpacaEval-2, Arena-Hard, MT-Bench, AlignBench) share when they score: filling a
judge template so that a model's text is never read as a placeholder, asking the judge for a batch and sorting
every reply into ok / failed / unparsable (the unparsable ones counted on the judge), and the status counts that
go into each task's ``summary``.

* **Placeholders.** alpaca_eval's ``make_prompts`` fills a template one placeholder after another with
  ``str.replace``, so an answer holding ``{output_2}``, filled first, is itself filled with the baseline's text.
  ``fill_placeholders`` fills all named placeholders in one left-to-right pass over the *template*: a value is
  copied in and never scanned again. The three ``str.format`` templates (Arena-Hard, MT-Bench, AlignBench) are
  filled by ``fill_format``, ``str.format_map`` — also one pass over the template, so a value's braces stay text.
* **Verdicts.** ``ask`` sends one batch through ``Judge.chat`` and gives, per request in order, a ``Judged``:
  ``failed`` when the client gave up (``JudgeReply.error``), ``unparsable`` when the task's parser found nothing
  (counted with ``Judge.note_unparsable``), else ``ok`` with the parsed value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evaluation.judge import Judge, JudgeReply, JudgeRequest

STATUS_OK, STATUS_FAILED, STATUS_UNPARSABLE = "ok", "failed", "unparsable"


def fill_placeholders(template: str, fields: Mapping[str, str]) -> str:
    """``template`` with every ``{name}`` whose name is a key of ``fields`` replaced by its value, in one pass over
    the template (values are never scanned for placeholders); other braces stay as they are. Each named
    placeholder must occur exactly once (alpaca_eval's ``make_prompts`` checks the same for ``batch_size=1``)."""
    if not fields:
        return template
    pattern = re.compile("|".join(re.escape("{" + k + "}") for k in fields))
    found = [m.group(0)[1:-1] for m in pattern.finditer(template)]
    if sorted(found) != sorted(fields):
        raise ValueError(f"judge template: placeholders {sorted(found)} are not each of {sorted(fields)} once")
    return pattern.sub(lambda m: str(fields[m.group(0)[1:-1]]), template)


def fill_format(template: str, **fields: str) -> str:
    """A ``str.format`` judge template filled with ``fields`` (``str.format_map``: one pass over the template, so
    ``{...}`` inside a value is text, never a field)."""
    return template.format_map(fields)


@dataclass(frozen=True)
class Judged:
    """One judge reply, sorted: ``status`` (ok / failed / unparsable), the parsed ``value`` (None unless ok), the
    reply's text and the client's error."""

    status: str
    value: Any
    text: str
    error: str | None
    reply: JudgeReply

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK


def sort_reply(reply: JudgeReply, parse: Callable[[JudgeReply], Any]) -> Judged:
    """``failed`` when the request failed, ``unparsable`` when ``parse`` gives None, else ``ok``."""
    if reply.error is not None:
        return Judged(STATUS_FAILED, None, reply.text, reply.error, reply)
    value = parse(reply)
    return Judged(STATUS_UNPARSABLE if value is None else STATUS_OK, value, reply.text, None, reply)


def ask(judge: Judge, requests: Sequence[JudgeRequest], parse: Callable[[JudgeReply], Any], desc: str,
        count_unparsable: bool = True) -> list[Judged]:
    """The judge's replies to ``requests``, in order, each sorted by ``sort_reply``; the unparsable ones are
    counted on the judge unless ``count_unparsable`` is False (a task that retries counts at the end)."""
    verdicts = [sort_reply(r, parse) for r in judge.chat(list(requests), desc=desc)] if requests else []
    unparsable = sum(v.status == STATUS_UNPARSABLE for v in verdicts)
    if unparsable and count_unparsable:
        judge.note_unparsable(unparsable)
    return verdicts


def status_counts(statuses: Iterable[str | None]) -> dict[str, int]:
    """``n_judged``, ``n_failed``, ``n_unparsable`` of a list of statuses."""
    listed = list(statuses)
    return {"n_judged": listed.count(STATUS_OK), "n_failed": listed.count(STATUS_FAILED),
            "n_unparsable": listed.count(STATUS_UNPARSABLE)}
