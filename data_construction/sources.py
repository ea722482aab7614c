"""Source-dataset loaders: each maps one row of a dataset's real hub schema to the fields of a prompt record.

A mapper returns ``messages`` (the prompt turns, the last one the user's) and optionally ``gold_answer``,
``tests``, ``dataset_response``, ``dataset_response_model`` and ``metadata``; it raises ``RowError(reason)`` for a
row that cannot be used, and the reason becomes a counted drop. Selection (length limits, the code/math pattern
filters of the general and Chinese domains, dedup, quotas) lives in ``selection.py`` and runs after the mapper.
Selection calls mappers through :func:`map_row`, which checks the row before the mapper touches it and the record
after, so a hostile row is a counted drop and never an exception.

Drop reasons shared by all mappers (``ROW_CHECK_REASONS``): ``not_an_object`` (the row is null, a number, a string
or a list), ``invalid_utf8`` (the file's bytes for this row are not UTF-8), ``missing_field`` (a required field
absent or null), ``wrong_type`` (a field read of the wrong type, metadata included), ``lone_surrogate`` (a text
field read holds an unpaired UTF-16 surrogate such as ``\ud800`` from a JSON escape: it cannot be encoded),
``nul_character`` (a text field read holds U+0000), ``wrong_role_order`` (turns that do not alternate user /
assistant starting and ending with the user) and ``empty_turn`` (an earlier turn with no text; an empty last user
turn is selection's ``empty_prompt``). Only fields a mapper reads are checked: text elsewhere in the row is not
used and not judged. Source-specific reasons are listed in each mapper's docstring and in ``docs/sources.md``,
together with the fields used and what we assumed where the hub card could not be checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any


class RowError(ValueError):
    """A row that cannot be mapped; the message becomes the drop reason."""


class UndecodableRow:
    """Stands in for a row whose bytes are not valid UTF-8: the file reader yields it, :func:`map_row` drops it as
    ``invalid_utf8``. ``where`` names the row in its file (``path:line`` or ``path row N``)."""

    __slots__ = ("where",)

    def __init__(self, where: str) -> None:
        self.where = where

    def __repr__(self) -> str:
        return f"UndecodableRow({self.where!r})"


ROW_CHECK_REASONS = ("not_an_object", "invalid_utf8", "missing_field", "wrong_type", "lone_surrogate",
                     "nul_character", "wrong_role_order", "empty_turn")
_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_text(value: str) -> str:
    """``value`` unchanged when it can be encoded as UTF-8 and has no NUL; else ``lone_surrogate`` /
    ``nul_character``. Emoji, right-to-left text and combining marks are valid and pass untouched."""
    if "\x00" in value:
        raise RowError("nul_character")
    if not value.isascii() and _SURROGATE.search(value):
        raise RowError("lone_surrogate")
    return value


def _req(row: dict[str, Any], key: str) -> Any:
    """The value of a required field; ``missing_field`` when it is absent or null."""
    if key not in row or row[key] is None:
        raise RowError("missing_field")
    return row[key]


def _text(value: Any) -> str:
    """A string field, stripped; ``wrong_type`` for anything else."""
    if not isinstance(value, str):
        raise RowError("wrong_type")
    return safe_text(value).strip()


def _opt_text(row: dict[str, Any], key: str) -> str | None:
    """An optional string field (None when absent or null); ``wrong_type`` when present but not a string."""
    value = row.get(key)
    return None if value is None else _text(value)


def _meta(row: dict[str, Any], key: str) -> Any:
    """A metadata field kept for the manifest: absent/null → None; a string (checked like any text), number or
    bool as is; anything else (a list, an object, bytes) → ``wrong_type``."""
    value = row.get(key)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return safe_text(value)
    raise RowError("wrong_type")


def _user(content: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": content}]


def check_turns(messages: list[dict[str, str]]) -> None:
    """The prompt conversation every later stage relies on: user / assistant alternating, starting and ending with
    the user (``wrong_role_order``), every earlier turn non-empty (``empty_turn``). An empty last turn is left to
    selection's ``empty_prompt``."""
    if not messages or len(messages) % 2 == 0:
        raise RowError("wrong_role_order")
    if any(m.get("role") != ("user" if i % 2 == 0 else "assistant") for i, m in enumerate(messages)):
        raise RowError("wrong_role_order")
    if any(not m.get("content") for m in messages[:-1]):
        raise RowError("empty_turn")


# ------------------------------------------------------------------------------------------ schema mappers
def map_ultrafeedback(row: dict[str, Any]) -> dict[str, Any]:
    """``openbmb/UltraFeedback`` (fields ``source, instruction, models, completions, correct_answers,
    incorrect_answers``): ``instruction`` is the prompt; ``source`` (the originating set: evol_instruct,
    ultrachat, sharegpt, flan_v2_*, false_qa, truthful_qa) is kept as metadata. The blog's "excluding code and math"
    is left to selection's pattern filters: no UltraFeedback column marks code or math. The GPT-4-era
    ``completions`` are not used (FuseChat samples its own responses). Drops: missing_field, wrong_type."""
    return {"messages": _user(_text(_req(row, "instruction"))), "metadata": {"origin": _opt_text(row, "source")}}


def map_llama3_ultrafeedback_armorm(row: dict[str, Any]) -> dict[str, Any]:
    """``princeton-nlp/llama3-ultrafeedback-armorm`` (SimPO's set; fields ``prompt_id, prompt,
    all_generated_responses, all_rm_scores, chosen, rejected``), the prompt set the WRPO README names: ``prompt`` (one
    user turn, text) is the prompt; ``prompt_id`` is kept as metadata. Its Llama-3 responses and ArmoRM scores are not
    used (WRPO samples the source models). Drops: missing_field, wrong_type."""
    return {"messages": _user(_text(_req(row, "prompt"))), "metadata": {"origin": _opt_text(row, "prompt_id")}}


def map_openmathinstruct2(row: dict[str, Any]) -> dict[str, Any]:
    """``nvidia/OpenMathInstruct-2`` (``problem, generated_solution, expected_answer, problem_source``):
    ``problem`` → prompt, ``expected_answer`` → gold answer, ``generated_solution`` (written by
    Llama-3.1-405B-Instruct) is kept as a response (blog: "we retained the responses generated by
    Llama-3.1-405B-Instruct"). Drops: missing_field, wrong_type (all three text fields are required)."""
    return {
        "messages": _user(_text(_req(row, "problem"))),
        "gold_answer": _text(_req(row, "expected_answer")),
        "dataset_response": _text(_req(row, "generated_solution")),
        "dataset_response_model": "Llama-3.1-405B-Instruct",
        "metadata": {"problem_source": _opt_text(row, "problem_source")},
    }


def map_alpaca_gpt4_zh(row: dict[str, Any]) -> dict[str, Any]:
    """``llamafactory/alpaca_gpt4_zh`` (one JSON list ``alpaca_gpt4_data_zh.json`` of ``instruction, input,
    output``): the prompt is ``instruction``, followed by ``input`` on a new line when that is non-empty (the Alpaca
    convention, as LLaMA-Factory's alpaca format joins them). ``output`` (GPT-4's answer) is not used: the blog
    samples Chinese responses from Qwen2.5-72B-Instruct. Drops: missing_field, wrong_type."""
    instruction = _text(_req(row, "instruction"))
    extra = _opt_text(row, "input") or ""
    return {"messages": _user(f"{instruction}\n{extra}" if extra else instruction), "metadata": {}}


# ------------------------------------------------------------------------------------------ Magpie sets
# Magpie's ``task_category`` labels (Magpie paper, Table/Fig. "task categories"): Information seeking, Reasoning,
# Planning, Editing, Coding & Debugging, Math, Role playing, Data analysis, Creative writing, Advice seeking,
# Brainstorming, Others. The two the blog excludes map to the same reasons as selection's pattern filters.
MAGPIE_EXCLUDED = {"Coding & Debugging": "code_prompt", "Math": "math_prompt"}
MAGPIE_GOOD_QUALITY = {"good", "excellent"}  # Magpie's input_quality scale: very poor, poor, average, good, excellent
MAGPIE_METADATA = ("uuid", "task_category", "difficulty", "input_quality")


def _magpie_category(row: dict[str, Any]) -> None:
    """Raise ``code_prompt`` / ``math_prompt`` for Magpie's Coding & Debugging / Math primary category."""
    category = _opt_text(row, "task_category")
    if category in MAGPIE_EXCLUDED:
        raise RowError(MAGPIE_EXCLUDED[category])


def map_magpie_pro_dpo(row: dict[str, Any]) -> dict[str, Any]:
    """``Magpie-Align/Magpie-Pro-DPO-100K-v0.1`` (parquet; ``uuid, instruction, gen_input_configs, intent,
    knowledge, difficulty, input_quality, quality_explanation, task_category, input_length, responses,
    gen_response_configs, rewards_armorm, chosen, rejected``; chosen/rejected are role/content message lists):
    ``instruction`` is the prompt. Rule (blog: "excluding code and math data"): Magpie's own primary
    ``task_category`` "Coding & Debugging" → ``code_prompt``, "Math" → ``math_prompt``, on top of selection's
    pattern filters. No quality filter here (the blog states none for this set); ``input_quality`` and
    ``difficulty`` are kept as metadata. ``other_task_category`` is not used. Drops: missing_field, wrong_type,
    code_prompt, math_prompt."""
    instruction = _text(_req(row, "instruction"))
    _magpie_category(row)
    return {"messages": _user(instruction), "metadata": {k: _meta(row, k) for k in MAGPIE_METADATA}}


CHINESE_LANGUAGE = re.compile(r"^(zh|chinese)", re.IGNORECASE)


def map_magpie_qwen2_zh(row: dict[str, Any]) -> dict[str, Any]:
    """``Magpie-Align/Magpie-Qwen2-Pro-200K-Chinese`` (parquet; Magpie-Qwen2 schema: ``uuid, model,
    gen_input_configs, instruction, response, conversations, task_category, other_task_category, difficulty,
    intent, knowledge, input_quality, quality_explanation, llama_guard_2, reward_model, instruct_reward,
    min_neighbor_distance, repeat_count, min_similar_uuid, instruction_length, response_length, language``):
    the first ``human`` turn of the ShareGPT ``conversations`` (``from``/``value``) is the prompt.

    Rules, in order (blog: "filtering out code and math prompts to retain approximately 10,000 high-quality
    samples"): ``task_category`` Coding & Debugging / Math → ``code_prompt`` / ``math_prompt``; our reading of
    "high-quality": ``input_quality`` must be good or excellent, else ``low_quality`` (a row without the field
    passes); a ``language`` tag that is present and not Chinese (``zh…``/``chinese…``, any case) →
    ``not_chinese``. The ~10,000 total is a quota in the recipe, not a rule here. The conversation must be
    well formed: turns alternate ``human`` / ``gpt`` starting with ``human`` (else ``wrong_role_order``, which
    covers a ``gpt`` first turn, two ``human`` turns in a row and an unknown ``from``) and no ``gpt`` turn is
    empty (``empty_turn``); a turn that is not an object, or a ``value`` that is not a string, is ``wrong_type``.
    Drops: missing_field, wrong_type, code_prompt, math_prompt, low_quality, not_chinese, wrong_role_order,
    empty_turn, empty_prompt (an empty ``conversations`` list)."""
    turns = _req(row, "conversations")
    if not isinstance(turns, list):
        raise RowError("wrong_type")
    _magpie_category(row)
    quality = _opt_text(row, "input_quality")
    if quality is not None and quality.lower() not in MAGPIE_GOOD_QUALITY:
        raise RowError("low_quality")
    language = _opt_text(row, "language")
    if language and not CHINESE_LANGUAGE.match(language):
        raise RowError("not_chinese")
    if not turns:
        raise RowError("empty_prompt")
    values = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict):
            raise RowError("wrong_type")
        if turn.get("from") != ("human" if i % 2 == 0 else "gpt"):
            raise RowError("wrong_role_order")
        values.append(_text(_req(turn, "value")))
    if any(not v for v in values[1:]):
        raise RowError("empty_turn")
    return {"messages": _user(values[0]),
            "metadata": {k: _meta(row, k) for k in (*MAGPIE_METADATA, "language")}}


# ------------------------------------------------------------------------------------------ HelpSteer2
HELPSTEER_TURN = re.compile(r"\s*<extra_id_1>(User|Assistant)[ \t]*\n?")


def map_helpsteer2(row: dict[str, Any]) -> dict[str, Any]:
    """``nvidia/HelpSteer2`` (``train.jsonl.gz``; ``prompt, response, helpfulness, correctness, coherence,
    complexity, verbosity``, scores 0-4): ``prompt`` is the prompt. Each prompt appears on ~2 rows (one per
    annotated response); selection's dedup keeps the first.

    Multi-turn prompts are encoded inline in NeMo's SteerLM markers: ``first user text\\n<extra_id_1>Assistant\\n
    reply\\n<extra_id_1>User\\nnext user text`` (the first user turn carries no marker). Our choice: keep them,
    parsed into proper alternating user/assistant turns ending with a user turn (the conversation is the prompt;
    the responses continue it). An earlier turn that is empty is ``empty_turn``; turns that do not alternate user / assistant starting and ending
    with the user (including a conversation that opens with an ``Assistant`` marker) are ``wrong_role_order``.
    The whole conversation counts against selection's length limits. Drops: missing_field, wrong_type,
    wrong_role_order, empty_turn."""
    text = _text(_req(row, "prompt"))
    if text.startswith("<extra_id_1>User"):  # tolerate an explicit marker on the first user turn
        text = text[len("<extra_id_1>User"):]
    parts = HELPSTEER_TURN.split(text)
    first = parts[0].strip()
    messages = [{"role": "user", "content": first}] if first or len(parts) == 1 else []
    for role, content in zip(parts[1::2], parts[2::2], strict=True):
        messages.append({"role": role.lower(), "content": content.strip()})
    check_turns(messages)
    return {"messages": messages,
            "metadata": {"turns": len(messages), "helpfulness": _meta(row, "helpfulness")}}


# ------------------------------------------------------------------------------------------ coding
LEETCODE_EXAMPLE = re.compile(r"\*\*Example \d+:?\*\*", re.IGNORECASE)
LEETCODE_INSTRUCTION = "Solve the following problem in Python."


def leetcode_signature(reference: str) -> str | None:
    """``name(arg, ...)`` of the function the derived tests call: the first top-level function of the reference
    solution, or the first public method of its ``Solution`` class (without ``self``); None when there is none."""
    import ast

    from fusechat.code_tests import extract_code

    try:
        tree = ast.parse(extract_code(reference) or reference)
    except (SyntaxError, ValueError):
        return None
    for node in tree.body:
        fns = [node] if isinstance(node, ast.FunctionDef) else []
        if isinstance(node, ast.ClassDef) and node.name == "Solution":
            fns = [b for b in node.body if isinstance(b, ast.FunctionDef) and not b.name.startswith("_")][:1]
        for fn in fns:
            args = [a.arg for a in fn.args.args if a.arg != "self"]
            return f"{fn.name}({', '.join(args)})"
    return None


def map_leetcode(row: dict[str, Any]) -> dict[str, Any]:
    """``greengerong/leetcode`` (``leetcode-train.jsonl``; ``id, slug, title, difficulty, content, java, c++,
    python, javascript, explanation``). ``content`` is the statement in Markdown as the hub viewer shows it:
    ``**Example 1:**`` / ``**Input:** nums = \\[2,7,11,15\\], target = 9`` / ``**Output:** \\[0,1\\]`` with escaped
    brackets (not LeetCode's ``<pre>``/``<strong>`` HTML); ``python`` is a fenced reference solution.

    Prompt (our wording; the blog gives none): "Solve the following problem in Python. Write the function
    `name(args)`." (or "the method ... of a class `Solution`"), a blank line, then ``content``. Naming the entry
    point is what lets the example-derived tests call a model's answer: the statement alone does not name it.

    Blog: "retaining prompts with test cases". The set has no test column, so tests are derived from the
    statement's examples and the entry point of the reference ``python`` solution
    (``fusechat.code_tests.leetcode_tests``, which documents its limits) and stored as JSON
    ``{"kind": "leetcode_examples", "tests": <assert lines>, "entry_point": ...}`` for the verification stage.
    Drops: missing_field, wrong_type; ``no_test_cases`` (no ``**Example N:**`` block); ``no_reference_solution``
    (``python`` empty or without a function/``Solution`` method to call); ``untestable_examples`` (examples exist
    but none becomes an exact-equality assert: linked-list/tree inputs, "any order" answers, non-literal values).
    Kept metadata: id, slug, title, difficulty and the reference solution."""
    from fusechat.code_tests import leetcode_entry_point, leetcode_tests

    content = _text(_req(row, "content"))
    if not LEETCODE_EXAMPLE.search(content):
        raise RowError("no_test_cases")
    reference = _opt_text(row, "python") or ""
    entry, is_method = leetcode_entry_point(reference)
    signature = leetcode_signature(reference)
    if entry is None or signature is None:
        raise RowError("no_reference_solution")
    derived, _why = leetcode_tests(content, reference)
    if derived is None:
        raise RowError("untestable_examples")
    tests = {"kind": "leetcode_examples", "tests": derived, "entry_point": "Solution" if is_method else entry}
    target = f"the method `{signature}` of a class `Solution`" if is_method else f"the function `{signature}`"
    prompt = f"{LEETCODE_INSTRUCTION} Write {target}.\n\n{content}"
    meta = {k: _meta(row, k) for k in ("id", "slug", "title", "difficulty")}
    return {"messages": _user(prompt), "tests": json.dumps(tests, ensure_ascii=False),
            "metadata": {**meta, "reference_solution": reference}}


_FENCED_PY = re.compile(r"```(?:python|py|python3)?[ \t]*\n(.*?)```", re.DOTALL)
_ASSERT_LINE = re.compile(r"^\s*assert\b", re.MULTILINE)


def self_oss_test_block(response: str) -> str | None:
    """The tests of a self-oss-instruct ``response``: the blocks after a "Tests" heading/tag when there is one
    (``fusechat.code_tests.self_oss_tests``); otherwise -- the sanitised release format, where the
    ``[Reasoning]/[Implementation]/[Explanation]/[Tests]`` tags were removed -- the last fenced Python block, when
    it is not the first block (the solution) and contains an ``assert`` line. None when there are no tests."""
    from fusechat.code_tests import self_oss_tests

    _solution, tests = self_oss_tests(response)
    if tests and _ASSERT_LINE.search(tests):
        return tests
    blocks = _FENCED_PY.findall(response)
    if len(blocks) >= 2 and _ASSERT_LINE.search(blocks[-1]):
        return blocks[-1]
    return None


def map_self_oss_instruct(row: dict[str, Any]) -> dict[str, Any]:
    """``bigcode/self-oss-instruct-sc2-exec-filter-50k`` (parquet; ``fingerprint, sha1, seed, response, concepts,
    prompt, instruction, id``): ``instruction`` is the prompt. ``response`` is StarCoder2-15B's answer that passed
    its own tests in the authors' execution filter: reasoning, the solution in a fenced Python block, an
    explanation, then a tests part whose fenced block holds ``assert`` statements. Whether the released text keeps
    the ``[Tests]`` tag of the generation prompt is not verified, so both forms are read
    (:func:`self_oss_test_block`). Tests are stored as JSON ``{"kind": "self_oss", "tests": <code>,
    "entry_point": null}``. Drops: missing_field, wrong_type, ``no_test_cases`` (no assert-based tests found)."""
    instruction = _text(_req(row, "instruction"))
    response = _text(_req(row, "response"))
    tests = self_oss_test_block(response)
    if not tests:
        raise RowError("no_test_cases")
    return {"messages": _user(instruction),
            "tests": json.dumps({"kind": "self_oss", "tests": tests, "entry_point": None}, ensure_ascii=False),
            "metadata": {"sha1": _meta(row, "sha1"), "id": _meta(row, "id")}}


# ------------------------------------------------------------------------------------------ WRPO release
def _release_text(value: Any) -> str:
    """A response of the WRPO release: a text, an assistant message ``{role, content}``, or a one-message list."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, dict):
        if value.get("role", "assistant") != "assistant":
            raise RowError("wrong_role_order")
        value = _req(value, "content")
    return _text(value)


def map_wrpo_release(row: Any, prompt_column: str, responses_column: str,
                     model_column: str | None) -> dict[str, Any]:
    """One row of the WRPO authors' released source responses (``AALF/ultrafeedback_wrpo``; the columns are recipe
    keys, ``wrpo.release.*``, because the release's layout is not published). Returns ``messages`` (the prompt
    conversation) and ``responses``, a list of (source model, text).

    The prompt is a text (one user turn), a message ``{role, content}``, or a list of messages ending with the
    user's turn; the responses a list of texts or assistant messages; the model column, when set, one name for the
    whole row or a list aligned with the responses (null: every response is labelled ``release``). Checked like
    every source row (:func:`map_row`'s reasons), plus ``no_responses`` (an empty list) and
    ``model_count_mismatch`` (a model list of another length than the responses)."""
    if isinstance(row, UndecodableRow):
        raise RowError("invalid_utf8")
    if not isinstance(row, dict):
        raise RowError("not_an_object")
    prompt = _req(row, prompt_column)
    if isinstance(prompt, str):
        messages = _user(_text(prompt))
    else:
        turns = [prompt] if isinstance(prompt, dict) else prompt
        if not isinstance(turns, list) or not all(isinstance(t, dict) for t in turns):
            raise RowError("wrong_type")
        messages = [{"role": _text(_req(t, "role")), "content": _text(_req(t, "content"))} for t in turns]
    responses = _req(row, responses_column)
    if not isinstance(responses, list):
        raise RowError("wrong_type")
    if not responses:
        raise RowError("no_responses")
    texts = [_release_text(r) for r in responses]
    if model_column is None:
        models = ["release"] * len(texts)
    else:
        named = _req(row, model_column)
        if isinstance(named, str):
            models = [_text(named)] * len(texts)
        elif isinstance(named, list):
            models = [_text(m) for m in named]
            if len(models) != len(texts):
                raise RowError("model_count_mismatch")
        else:
            raise RowError("wrong_type")
    rec = _check_record({"messages": messages})
    return {"messages": rec["messages"], "responses": list(zip(models, texts, strict=True))}


MAPPERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "ultrafeedback": map_ultrafeedback,
    "llama3_ultrafeedback_armorm": map_llama3_ultrafeedback_armorm,
    "magpie_pro_dpo": map_magpie_pro_dpo,
    "helpsteer2": map_helpsteer2,
    "openmathinstruct2": map_openmathinstruct2,
    "leetcode": map_leetcode,
    "self_oss_instruct": map_self_oss_instruct,
    "alpaca_gpt4_zh": map_alpaca_gpt4_zh,
    "magpie_qwen2_zh": map_magpie_qwen2_zh,
}


def _check_record(rec: dict[str, Any]) -> dict[str, Any]:
    """The mapper's output as selection and the later stages need it: a well-formed conversation of safe text,
    side fields that are safe text or None."""
    messages = rec.get("messages")
    if not isinstance(messages, list) or not all(
            isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages):
        raise RowError("wrong_type")
    check_turns(messages)
    for m in messages:
        safe_text(m["content"])
    for key in ("gold_answer", "tests", "dataset_response", "dataset_response_model"):
        value = rec.get(key)
        if value is not None and not isinstance(value, str):
            raise RowError("wrong_type")
        if value is not None:
            safe_text(value)
    return rec


def map_row(name: str, row: Any) -> dict[str, Any]:
    """Map one raw row of source ``name`` (a key of :data:`MAPPERS`), checking it first: ``invalid_utf8`` for a row
    the reader could not decode, ``not_an_object`` for a row that is not a JSON object / mapping; then the mapper
    (which checks every field it reads); then the record (:func:`_check_record`). Raises only ``RowError``."""
    if isinstance(row, UndecodableRow):
        raise RowError("invalid_utf8")
    if not isinstance(row, dict):
        raise RowError("not_an_object")
    return _check_record(MAPPERS[name](row))
