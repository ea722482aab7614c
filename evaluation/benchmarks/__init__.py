"""One module per benchmark: ``load(path, limit)``, ``messages(item)``, ``score(item, response)``, ``METRIC``.

Only the benchmarks runnable offline on synthetic items are implemented so far (GSM8K-style, MMLU-style); the
judge-based and execution-based ones come with their own issues.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from evaluation.benchmarks import gsm8k, mmlu

BENCHMARKS: dict[str, ModuleType] = {"gsm8k": gsm8k, "mmlu": mmlu}


def get(name: str) -> ModuleType:
    if name not in BENCHMARKS:
        raise KeyError(f"unknown benchmark {name!r}; implemented: {', '.join(sorted(BENCHMARKS))}")
    return BENCHMARKS[name]


def load_benchmark(cfg: Any, world: Any) -> tuple[ModuleType, list[dict[str, Any]]]:
    """(benchmark module, its items) for one ``eval.benchmarks`` entry (``tiny:`` refs resolved in ``world``)."""
    from fusechat.tiny_world import resolve

    mod = get(cfg.name)
    return mod, mod.load(resolve(cfg.path, world), cfg.limit, subset=cfg.subset, split=cfg.split,
                         revision=cfg.revision)
