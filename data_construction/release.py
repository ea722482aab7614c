"""Per-dataset SFT/DPO targets of the two published composition tables (``data.release``).

- ``seed``: the seed blog table (https://slit-ai.github.io/FuseChat-3.0/, "Dataset Construction"; README of
  SLIT-AI/FuseChat-3.0 at commit bb38687, 2024-12-11):
  94,539 SFT + 64,245 DPO = 158,784 entries.
- ``final``: the README table after commit b0b496a (2025-02-07; = arXiv 2503.04222 Table 1): self-oss-instruct DPO
  2,849 → 2,732, so 64,128 DPO and 158,667 entries.
- ``none``: no targets; the rules alone decide (the tiny world and ablations).

Both published tables have row-total inconsistencies (OpenMath 58,546 ≠ 40,188 + 11,615; self-oss 13,696 ≠
10,160 + 2,849 in the seed table); the targets here are the SFT and DPO columns, which sum to the stated totals.
The numbers and their history: docs/method.md, "Dataset counts and their history".
"""

from __future__ import annotations

import math

from fusechat.stage_runner import StageError

# source key -> (SFT count, DPO count)
SEED: dict[str, tuple[int, int]] = {
    "ultrafeedback": (20439, 30659),
    "magpie_pro_dpo": (8149, 12225),
    "helpsteer2": (3774, 5661),
    "openmathinstruct2": (40188, 11615),
    "leetcode": (1877, 1236),
    "self_oss_instruct": (10160, 2849),
    "alpaca_gpt4_zh": (2471, 0),
    "magpie_qwen2_zh": (7481, 0),
}
FINAL: dict[str, tuple[int, int]] = {**SEED, "self_oss_instruct": (10160, 2732)}
RELEASES = {"seed": SEED, "final": FINAL}

# source key -> the table's "Selected Count" column: the prompts the paper selected before pairing. The seed table's
# OpenMathInstruct-2 count is the blog's "nearly 60,000" math problems; the two Chinese rows are its "approximately
# 10,000" Chinese prompts. The final table's Total column is SFT + DPO for every row.
SELECTED_SEED: dict[str, int] = {
    "ultrafeedback": 51098, "magpie_pro_dpo": 20374, "helpsteer2": 9435, "openmathinstruct2": 58546,
    "leetcode": 3113, "self_oss_instruct": 13696, "alpaca_gpt4_zh": 2471, "magpie_qwen2_zh": 7481,
}
SELECTED_FINAL: dict[str, int] = {**SELECTED_SEED, "openmathinstruct2": 51803, "self_oss_instruct": 12892}
SELECTED = {"seed": SELECTED_SEED, "final": SELECTED_FINAL}


def selection_cap(release: str, source: str, headroom: float, scale: float = 1.0) -> int | None:
    """Prompts to keep from ``source`` before sampling, so sampling costs what the paper's sampling cost.

    ``max(Selected Count, ceil((SFT + DPO) x headroom)) x scale``: the paper's own selected count, with head-room
    (paper silent) for prompts that later fail the pair rules where the table shows none (Selected == SFT + DPO).
    None for ``release: none`` or a source the tables do not list.
    """
    if release == "none" or source not in SELECTED[release]:
        return None
    sft, dpo = RELEASES[release][source]
    return math.ceil(max(SELECTED[release][source], math.ceil((sft + dpo) * headroom)) * scale)


def quotas_for(release: str, sources: list[str], scale: float = 1.0) -> dict[str, tuple[int, int]] | None:
    """Targets for the sources present in a run (each count × ``scale``, rounded); None for ``release: none``."""
    if release == "none":
        return None
    table = RELEASES[release]
    unknown = [s for s in sources if s not in table]
    if unknown:
        raise StageError(f"data.release={release}: no published counts for source(s) {unknown}; "
                         "use data.release=none for a custom source mix")
    return {s: (round(table[s][0] * scale), round(table[s][1] * scale)) for s in sources}
