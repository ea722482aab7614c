"""The dataset card states the rules a build actually applied (export stage)."""

from __future__ import annotations

from data_construction.export import _code_rules, _split_rule
from fusechat.recipe import REPO_ROOT, BuildConfig, load_recipe


def _recipe(*overrides: str):
    return load_recipe(REPO_ROOT / "recipes" / "smoke.yaml", list(overrides))


def test_release_targets_say_sft_ratio_is_not_used_instead_of_printing_the_split() -> None:
    (seed,) = _split_rule(_recipe("data.release=seed"))
    assert "`data.build.sft_ratio` is not used" in seed and "DPO first" in seed and "40%" not in seed
    (rules,) = _split_rule(_recipe("data.release=none"))
    assert "split 40% SFT / 60% DPO" in rules


def test_code_rules_follow_the_build_keys() -> None:
    dual = " ".join(_code_rules(BuildConfig()))
    assert "RM + 1 for passing the static checks + 1 for passing the tests" in dual
    assert "no RM-gap window" in dual and "one source model" in dual and "`shared`" in dual and "3,113" in dual
    gate = " ".join(_code_rules(BuildConfig(code_scoring="gate", code_rm_window=True, code_prompts="disjoint",
                                            code_same_model=False)))
    assert "gate only" in gate and "RM gap in [0.01, 0.1]" in gate and "any source models" in gate
    assert "`disjoint`" in gate and "cannot be reached" in gate
