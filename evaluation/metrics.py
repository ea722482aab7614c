"""Per-model metrics JSON written by the evaluation harness (schema ``fusechat-metrics/v2``; v1 files are
still read).

One file per evaluated model::

    {"schema": "fusechat-metrics/v2",
     "model": "FuseChat SFT",                 # label shown in tables
     "model_path": "/path/or/hub-id",         # optional
     "run": "llama31_8b", "smoke": false,     # optional; smoke=true means tiny-world synthetic items
     "table": "llama31_8b", "role": "sft",    # optional: which reported table/column this reproduces
     "depth": "released_models",              # optional: released_models | released_data | rebuild
     "revision": "<hub sha>",                 # optional: the model's (depth 1) or released data's (depth 2)
     "benchmarks": {"gsm8k": {"value": 87.1, "n": 1319, "metric": "accuracy", "scale": "percent",
                              "judge": null, "data_version": "openai/gsm8k@<sha> main/test",
                              "task": "gsm8k", "task_version": "1",        # v2: the task that produced it
                              "protocol": {...task.protocol()...},         # v2: prompt, decoding, grader
                              "data": {"hub_id": ..., "revision": ..., "sha256": ..., "items": 1319}},
                    "arena_hard": {..., "judge_model": "gpt-4-1106-preview",    # judged rows also record
                                   "judge_endpoint": "api.openai.com",       # the endpoint host (never a key)
                                   "judge_stats": {"calls": 1000, "cache_hits": 0, "prompt_tokens": ...,
                                                   "completion_tokens": ..., "failed": 0, "unparsable": 2}}},
     "protocol": {"harness": "fusechat-eval 0.1.0", "judge": null,
                  "decoding": {"temperature": 0.0, "max_new_tokens": 2048}}}

Rules (``validate``): benchmark keys are registry ids (``evaluation.paper_rows``); ``value`` is a finite number
inside the benchmark's scale, or ``null`` for "not measured" (never replaced by 0); ``scale`` when given must
match the registry; ``role`` is one of the registry's roles (or a WRPO group). In v2 every measured cell names
its ``task``, ``task_version`` and ``protocol`` (v2 = v1 + those fields). Errors name the file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from evaluation import paper_rows

SCHEMA = "fusechat-metrics/v2"
SCHEMA_V1 = "fusechat-metrics/v1"
SCHEMAS = (SCHEMA_V1, SCHEMA)

#: JSON Schema (draft 2020-12) of one metrics file; ``validate`` implements it plus the registry checks.
JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA,
    "type": "object",
    "required": ["schema", "model", "benchmarks", "protocol"],
    "properties": {
        "schema": {"enum": list(SCHEMAS)},
        "model": {"type": "string", "minLength": 1},
        "model_path": {"type": ["string", "null"]},
        "run": {"type": ["string", "null"]},
        "smoke": {"type": "boolean"},
        "table": {"type": ["string", "null"], "description": "reported table id (evaluation.paper_rows)"},
        "role": {"type": ["string", "null"], "description": "base | tulu3 | sft | instruct | WRPO group"},
        "depth": {"enum": ["released_models", "released_data", "rebuild"],
                  "description": "where the number comes from (fusechat/depths.py): the released model, a model "
                                 "trained here on the released data, or the full rebuild"},
        "revision": {"type": ["string", "null"], "description": "the model's hub revision (depth 1) or the released "
                                                                "data's (depth 2); null: built here"},
        "benchmarks": {
            "type": "object",
            "propertyNames": {"enum": list(paper_rows.BENCHMARKS)},
            "additionalProperties": {
                "type": "object",
                "required": ["value"],
                "properties": {
                    "value": {"type": ["number", "null"]},
                    "n": {"type": ["integer", "null"], "minimum": 0},
                    "metric": {"type": "string"},
                    "scale": {"enum": [paper_rows.PERCENT, paper_rows.TEN_POINT]},
                    "judge": {"type": ["string", "null"]},
                    "data_version": {"type": ["string", "null"]},
                    "stderr": {"type": ["number", "null"]},
                    "task": {"type": "string"},
                    "task_version": {"type": "string"},
                    "protocol": {"type": "object"},
                    "data": {"type": "object"},
                    "judge_stats": {
                        "type": "object", "description": "judged tasks: what judging cost and what failed",
                        "additionalProperties": {"type": "integer", "minimum": 0},
                        "properties": {k: {"type": "integer", "minimum": 0} for k in (
                            "calls", "cache_hits", "prompt_tokens", "completion_tokens", "failed", "unparsable")},
                    },
                    "judge_model": {"type": "string", "description": "judge model the endpoint was asked for"},
                    "summary": {
                        "type": "object", "description": "further figures of the task (Task.summary); multiple "
                        "choice: random_fallback (answers scored by the seeded guess), random_fallback_share "
                        "(percent of items), random_fallback_correct"},
                    "judge_endpoint": {"type": ["string", "null"], "description": "endpoint host[:port] only"},
                },
            },
        },
        "protocol": {
            "type": "object",
            "required": ["harness", "judge", "decoding"],
            "properties": {
                "harness": {"type": "string"},
                "judge": {"type": ["string", "null"]},
                "decoding": {"type": "object"},
            },
        },
    },
}

_ROLES = set(paper_rows.ROLES) | {"source_target", "collective", "preference_optimization", "ours"}


class MetricsError(ValueError):
    """A metrics file that breaks the schema; the message names the file and the field."""


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def validate(obj: Any, where: str = "<metrics>") -> dict[str, Any]:
    """Check ``obj`` against ``fusechat-metrics/v1`` or ``v2``; return it, or raise ``MetricsError`` listing every problem."""
    errs: list[str] = []
    if not isinstance(obj, dict):
        raise MetricsError(f"{where}: top level must be an object")
    if obj.get("schema") not in SCHEMAS:
        errs.append(f"schema must be one of {SCHEMAS}, got {obj.get('schema')!r}")
    if not isinstance(obj.get("model"), str) or not obj.get("model"):
        errs.append("model must be a non-empty string")
    for key in ("model_path", "run", "table", "role"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            errs.append(f"{key} must be a string or null")
    if "smoke" in obj and not isinstance(obj["smoke"], bool):
        errs.append("smoke must be true/false")
    if obj.get("table") is not None and obj["table"] not in paper_rows.RESULT_TABLES:
        errs.append(f"table {obj['table']!r} is not a reported table ({', '.join(paper_rows.RESULT_TABLES)})")
    if "depth" in obj and obj["depth"] not in ("released_models", "released_data", "rebuild"):
        errs.append(f"depth {obj['depth']!r} is not one of released_models, released_data, rebuild")
    if obj.get("revision") is not None and not isinstance(obj["revision"], str):
        errs.append("revision must be a string or null")
    if obj.get("role") is not None and obj["role"] not in _ROLES:
        errs.append(f"role {obj['role']!r} is not one of {sorted(_ROLES)}")
    benches = obj.get("benchmarks")
    if not isinstance(benches, dict):
        errs.append("benchmarks must be an object {benchmark id: {value: ...}}")
        benches = {}
    for bid, cell in benches.items():
        if bid not in paper_rows.BENCHMARKS:
            errs.append(f"benchmarks.{bid}: unknown benchmark id (registry: {', '.join(paper_rows.BENCHMARKS)})")
            continue
        spec = paper_rows.BENCHMARKS[bid]
        if not isinstance(cell, dict) or "value" not in cell:
            errs.append(f"benchmarks.{bid}: must be an object with a 'value' (null when not measured)")
            continue
        v = cell["value"]
        if v is not None:
            if not _is_number(v) or math.isnan(v) or math.isinf(v):
                errs.append(f"benchmarks.{bid}.value: {v!r} is not a finite number (use null for missing)")
            else:
                lo, hi = spec.bounds
                if not lo <= v <= hi:
                    errs.append(f"benchmarks.{bid}.value: {v} outside the {spec.scale} scale [{lo:g}, {hi:g}]")
        if cell.get("scale") is not None and cell["scale"] != spec.scale:
            errs.append(f"benchmarks.{bid}.scale: {cell['scale']!r}, the registry says {spec.scale!r}")
        n = cell.get("n")
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
            errs.append(f"benchmarks.{bid}.n: must be a non-negative integer")
        js = cell.get("judge_stats")
        if js is not None and (not isinstance(js, dict) or any(
                not isinstance(x, int) or isinstance(x, bool) or x < 0 for x in js.values())):
            errs.append(f"benchmarks.{bid}.judge_stats: must map counter names to non-negative integers")
        if obj.get("schema") == SCHEMA and v is not None:
            for key, kind in (("task", str), ("task_version", str), ("protocol", dict)):
                if not isinstance(cell.get(key), kind):
                    errs.append(f"benchmarks.{bid}.{key}: required in {SCHEMA} for a measured value")
    proto = obj.get("protocol")
    if not isinstance(proto, dict):
        errs.append("protocol must be an object with harness, judge, decoding")
    else:
        if not isinstance(proto.get("harness"), str):
            errs.append("protocol.harness must be a string (harness name and version)")
        if "judge" not in proto or (proto["judge"] is not None and not isinstance(proto["judge"], str)):
            errs.append("protocol.judge must be present (a model name or null)")
        if not isinstance(proto.get("decoding"), dict):
            errs.append("protocol.decoding must be an object (temperature, max_new_tokens, ...)")
    if errs:
        raise MetricsError(f"{where}: " + "; ".join(errs))
    return obj


def values(obj: dict[str, Any]) -> dict[str, float | None]:
    """``{benchmark id: value or None}`` of a validated metrics dict."""
    return {b: (None if c.get("value") is None else float(c["value"])) for b, c in obj["benchmarks"].items()}


def make(model: str, benchmarks: dict[str, float | None], *, harness: str, judge: str | None = None,
         decoding: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """Build a valid metrics dict from plain ``{benchmark: value}`` (scale and metric filled from the registry;
    task, version and protocol from the task when one produces the row, else marked as imported numbers)."""
    cells = {}
    for b, v in benchmarks.items():
        spec = paper_rows.get(b)
        cells[b] = {"value": v, "metric": spec.metric, "scale": spec.scale, "task": spec.task or b,
                    "task_version": _task_version(spec.task), "protocol": {"source": harness}}
    obj = {"schema": SCHEMA, "model": model, **extra, "benchmarks": cells,
           "protocol": {"harness": harness, "judge": judge, "decoding": decoding or {}}}
    return validate(obj)


def _task_version(task_id: str | None) -> str:
    if task_id is None:
        return "external"
    from evaluation.tasks import get_task

    return get_task(task_id).version


def write(obj: dict[str, Any], path: Path) -> Path:
    """Validate and write one metrics file (sorted keys, 2-space indent, trailing newline)."""
    validate(obj, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load(path: Path) -> dict[str, Any]:
    """Read and validate one metrics file."""
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise MetricsError(f"{path}: not valid JSON ({e})") from None
    return validate(obj, str(path))


def load_dir(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every ``*.json`` under ``directory`` (recursively, sorted by path) that declares this schema.

    JSON files without a ``schema`` key (e.g. stage manifests) are skipped; files that declare the schema but
    break it raise ``MetricsError``.
    """
    out = []
    for p in sorted(Path(directory).rglob("*.json")):
        try:
            raw = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise MetricsError(f"{p}: not valid JSON ({e})") from None
        if isinstance(raw, dict) and raw.get("schema") in SCHEMAS:
            out.append((p, validate(raw, str(p))))
    return out
