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

Rules (the pydantic model ``MetricsFile``, checked by ``validate``; ``JSON_SCHEMA`` is generated from it): strict
types (no coercion); benchmark keys are paper-row ids (``evaluation.paper_rows``); ``value`` is a finite number
inside the benchmark's scale, or ``null`` for "not measured" (never replaced by 0); ``scale`` when given must
match the row; ``role`` is one of the paper rows' roles (or a WRPO group). The ``schema`` field is the version:
in v2 every measured cell names its ``task``, ``task_version`` and ``protocol`` (v2 = v1 + those fields). Errors
name the file and each broken field, in one line.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    RootModel,
    ValidationError,
    field_validator,
    model_validator,
)

from evaluation import paper_rows

SCHEMA = "fusechat-metrics/v2"
SCHEMA_V1 = "fusechat-metrics/v1"
SCHEMAS = (SCHEMA_V1, SCHEMA)

_ROLES = set(paper_rows.ROLES) | {"source_target", "collective", "preference_optimization", "ours"}


class MetricsError(ValueError):
    """A metrics file that breaks the schema; the message names the file and the field."""


class _Strict(BaseModel):
    """Strict types (no coercion: ``true`` is not a number, ``1`` not a string), unknown keys kept as written."""

    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True)


class JudgeStats(RootModel[dict[str, NonNegativeInt]]):
    """Judged tasks: what judging cost and what failed (calls, cache_hits, prompt_tokens, completion_tokens,
    failed, unparsable)."""


class BenchmarkCell(_Strict):
    """One measured benchmark of one model (``value`` null: not measured, never replaced by 0)."""

    value: float | None = Field(description="must be a finite number inside the benchmark's scale, or null")
    n: NonNegativeInt | None = Field(None, description="must be a non-negative integer")
    metric: str | None = None
    scale: Literal["percent", "1-10"] | None = None
    judge: str | None = None
    data_version: str | None = None
    stderr: float | None = None
    task: str | None = Field(None, description="v2: the task that produced it")
    task_version: str | None = Field(None, description="v2: the task's version")
    protocol: dict[str, Any] | None = Field(None, description="v2: the task's full protocol")
    data: dict[str, Any] | None = None
    judge_stats: JudgeStats | None = Field(None, description="must map counter names to non-negative integers")
    judge_model: str | None = Field(None, description="judge model the endpoint was asked for")
    summary: dict[str, Any] | None = Field(None, description="further figures of the task (Task.summary)")
    judge_endpoint: str | None = Field(None, description="endpoint host[:port] only")


class Protocol(_Strict):
    """How the numbers were made: the harness (name and version), the judge (a model name or null), decoding."""

    harness: str = Field(description="must be a string (harness name and version)")
    judge: str | None = Field(description="must be present (a model name or null)")
    decoding: dict[str, Any] = Field(description="must be an object (temperature, max_new_tokens, ...)")


class MetricsFile(_Strict):
    """One metrics file, ``fusechat-metrics/v1`` or ``v2`` (v2 = v1 + each measured cell's task, task_version and
    protocol). Field rules are the types; the rules that need the paper rows (known ids, scale bounds, roles,
    tables) and the version are the validators below."""

    schema_: Literal["fusechat-metrics/v1", "fusechat-metrics/v2"] = Field(
        alias="schema", description=f"must be one of {SCHEMAS}")
    model: str = Field(min_length=1, description="must be a non-empty string")
    model_path: str | None = Field(None, description="must be a string or null")
    run: str | None = Field(None, description="must be a string or null")
    smoke: bool = Field(False, description="must be true/false")
    table: str | None = Field(None, description="reported table id (evaluation.paper_rows)")
    role: str | None = Field(None, description="base | tulu3 | sft | instruct | WRPO group")
    depth: Literal["released_models", "released_data", "rebuild"] = Field(
        None, validate_default=False,
        description="must be one of released_models, released_data, rebuild: where the number comes from "
                    "(fusechat/depths.py): the released model, a model trained here on the released data, or the "
                    "full rebuild")
    revision: str | None = Field(None, description="the model's hub revision (depth 1) or the released data's "
                                                   "(depth 2); null: built here")
    benchmarks: dict[str, BenchmarkCell] = Field(
        description="must be an object {benchmark id: {value: ...}}",
        json_schema_extra={"propertyNames": {"enum": list(paper_rows.BENCHMARKS)}})
    protocol: Protocol = Field(description="must be an object with harness, judge, decoding")

    @field_validator("table")
    @classmethod
    def _known_table(cls, v: str | None) -> str | None:
        if v is not None and v not in paper_rows.RESULT_TABLES:
            raise ValueError(f"table {v!r} is not a reported table ({', '.join(paper_rows.RESULT_TABLES)})")
        return v

    @field_validator("role")
    @classmethod
    def _known_role(cls, v: str | None) -> str | None:
        if v is not None and v not in _ROLES:
            raise ValueError(f"role {v!r} is not one of {sorted(_ROLES)}")
        return v

    @field_validator("benchmarks", mode="before")
    @classmethod
    def _known_rows(cls, v: Any) -> Any:
        if isinstance(v, dict):
            unknown = [b for b in v if b not in paper_rows.BENCHMARKS]
            if unknown:
                raise ValueError("; ".join(f"benchmarks.{b}: unknown benchmark id (paper rows: "
                                           f"{', '.join(paper_rows.BENCHMARKS)})" for b in unknown))
            bad = [b for b, c in v.items() if not isinstance(c, dict) or "value" not in c]
            if bad:
                raise ValueError("; ".join(f"benchmarks.{b}: must be an object with a 'value' (null when not "
                                           "measured)" for b in bad))
        return v

    @model_validator(mode="after")
    def _cells_fit_their_rows(self) -> MetricsFile:
        errs = []
        for bid, cell in self.benchmarks.items():
            spec, v = paper_rows.BENCHMARKS[bid], cell.value
            if v is not None:
                lo, hi = spec.bounds
                if math.isnan(v) or math.isinf(v):
                    errs.append(f"benchmarks.{bid}.value: {v!r} is not a finite number (use null for missing)")
                elif not lo <= v <= hi:
                    errs.append(f"benchmarks.{bid}.value: {v} outside the {spec.scale} scale [{lo:g}, {hi:g}]")
            if cell.scale is not None and cell.scale != spec.scale:
                errs.append(f"benchmarks.{bid}.scale: {cell.scale!r}, the paper row says {spec.scale!r}")
            if self.schema_ == SCHEMA and v is not None:
                errs += [f"benchmarks.{bid}.{key}: required in {SCHEMA} for a measured value"
                         for key in ("task", "task_version", "protocol") if getattr(cell, key) is None]
        if errs:
            raise ValueError("; ".join(errs))
        return self


#: JSON Schema (draft 2020-12) of one metrics file, generated from ``MetricsFile``.
JSON_SCHEMA: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA,
                               **MetricsFile.model_json_schema(by_alias=True)}


def _message(err: Any) -> str:
    """One pydantic error in the file's own words: a rule's message as written, else the field's description."""
    loc = tuple(x for x in err["loc"] if x != "[key]")
    if err["type"] == "value_error":
        return str(err["ctx"]["error"])
    if loc[:1] == ("benchmarks",) and len(loc) >= 3:
        if loc[2] == "value":
            return f"benchmarks.{loc[1]}.value: {err['input']!r} is not a finite number (use null for missing)"
        field = BenchmarkCell.model_fields.get(str(loc[2]))
        loc = loc[:3]
    elif loc[:1] == ("protocol",) and len(loc) >= 2:
        field = Protocol.model_fields.get(str(loc[1]))
    else:
        field = {f.alias or name: f for name, f in MetricsFile.model_fields.items()}.get(str(loc[0]) if loc else "")
    why = field.description if field is not None and field.description else err["msg"]
    sep = ": " if loc[:1] == ("benchmarks",) and len(loc) > 1 else " "  # cells "benchmarks.<id>.n: …", else "model …"
    return f"{'.'.join(map(str, loc))}{sep}{why}" if loc else why


def validate(obj: Any, where: str = "<metrics>") -> dict[str, Any]:
    """Check ``obj`` against ``fusechat-metrics/v1`` or ``v2`` (``MetricsFile``); return it unchanged, or raise
    ``MetricsError`` naming the file and listing every problem."""
    if not isinstance(obj, dict):
        raise MetricsError(f"{where}: top level must be an object")
    try:
        MetricsFile.model_validate(obj)
    except ValidationError as exc:
        raise MetricsError(f"{where}: " + "; ".join(_message(e) for e in exc.errors())) from None
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
