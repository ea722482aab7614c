"""The repository's fidelity bookkeeping, checked mechanically.

1. Every recipe key whose ``Field`` description starts with "Paper silent" has a row in the README's "Unknowns and
   deviations" table (its last column names the key), and every recipe key a row names exists.
2. The repository stands alone: no tracked text file points at material outside it.
"""

from __future__ import annotations

import re
import subprocess
import types
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from fusechat.recipe import Recipe

ROOT = Path(__file__).resolve().parents[2]
MARKER = "Paper silent"
SECTION = "## Unknowns and deviations"
KEY_TOKEN = re.compile(r"`((?:run|world|data|sft|dpo|eval|wrpo|released|plan|cluster)\.[A-Za-z0-9_.*]+)`")


def _submodels(annotation: object) -> list[tuple[type[BaseModel], bool]]:
    """Recipe sections inside a field's type: (model, is a list item)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, False)]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list and args:
        return [(m, True) for m, _ in _submodels(args[0])]
    if origin in (typing.Union, types.UnionType):
        return [found for a in args for found in _submodels(a)]
    return []


def recipe_fields(model: type[BaseModel] = Recipe, prefix: str = "") -> dict[str, str]:
    """Every recipe key (dotted; ``*`` for list items) with its description."""
    out: dict[str, str] = {}
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        out[key] = info.description or ""
        for sub, listed in _submodels(info.annotation):
            out |= recipe_fields(sub, f"{key}.*." if listed else f"{key}.")
    return out


def table_keys(readme: str) -> list[str]:
    """Recipe keys named in the last column of the README's unknowns-and-deviations table."""
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = [ln for ln in section.splitlines() if ln.startswith("|") and not ln.startswith("|---")][1:]
    return [k for row in rows for k in KEY_TOKEN.findall(row.rstrip().rstrip("|").rsplit("|", 1)[1])]


def _names(key: str, table: list[str]) -> bool:
    """A table key names a recipe key exactly, or a dictionary entry below it (``n_per_domain.math``)."""
    return key in table or any(t.startswith(key + ".") for t in table)


def test_the_marker_convention_finds_the_known_paper_silent_keys() -> None:
    silent = {k for k, d in recipe_fields().items() if d.startswith(MARKER)}
    assert {"data.build.pair_choice", "data.build.code_prompts", "data.sources.*.revision",
            "dpo.max_prompt_length"} <= silent
    assert "data.build.rm_gap_min" not in silent  # a blog number, not a silent choice


def test_every_paper_silent_key_has_a_row() -> None:
    table = table_keys((ROOT / "README.md").read_text(encoding="utf-8"))
    missing = [k for k, d in recipe_fields().items() if d.startswith(MARKER) and not _names(k, table)]
    assert not missing, f"paper-silent recipe keys without a README 'Unknowns and deviations' row: {missing}"


def test_every_key_in_the_table_exists() -> None:
    fields = recipe_fields()
    table = table_keys((ROOT / "README.md").read_text(encoding="utf-8"))
    assert table
    stale = [t for t in table if not any(t == k or t.startswith(k + ".") for k in fields)]
    assert not stale, f"README 'Unknowns and deviations' rows name unknown recipe keys: {stale}"


def test_the_check_catches_a_missing_row() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    without = "\n".join(ln for ln in readme.splitlines() if "`data.build.code_prompts`" not in ln)
    assert not _names("data.build.code_prompts", table_keys(without))
    assert _names("data.build.code_prompts", table_keys(readme))


# ------------------------------------------------------------------------------------------ stand-alone repository
TEXT_SUFFIXES = {".py", ".md", ".sh", ".yaml", ".yml", ".txt", ".toml", ".cfg", ".ini", ".json", ".sbatch"}
OUTSIDE = [  # material the repository does not contain (character classes keep this file from matching itself)
    re.compile(r"\.\./share[d]"), re.compile(r"/work/share[d]"), re.compile(r"\bshare[d]/seeds"),
    re.compile(r"\bDESIG[N]\.md"), re.compile(r"(?<![\w/.-])researc[h]/"), re.compile(r"(?<![\w/.-])seed[s]/"),
]
PARENT_PATH = re.compile(r"(?<![\w.])((?:\.\./)+[\w.\-/]*)")


def tracked_text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode()
    return [ROOT / f for f in out.split("\0") if f and Path(f).suffix in TEXT_SUFFIXES and (ROOT / f).is_file()]


def references_outside(path: Path, text: str) -> list[str]:
    """Lines of ``text`` that point outside the repository: known outside material, or a ``../`` path that climbs
    above the repository root from the file's folder."""
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        if any(p.search(line) for p in OUTSIDE):
            found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:100]}")
            continue
        for rel in PARENT_PATH.findall(line):
            target = (path.parent / rel).resolve()
            if target != ROOT and ROOT not in target.parents:
                found.append(f"{path.relative_to(ROOT)}:{n}: {rel}")
    return found


def test_the_path_check_catches_each_kind_of_escape() -> None:
    probe = ROOT / "docs" / "probe.md"
    for bad in ("[blog](../../x/blog.md)", "see " + "DESIG" + "N.md", "notes in " + "researc" + "h/upstream.md",
                "../" + "sha" + "red/x/blog.md", "the " + "seed" + "s/ folder"):
        assert references_outside(probe, bad), bad
    for fine in ("[sandbox](../docs/sandbox.md)", "https://example.org/" + "researc" + "h/x", "value.startswith('../')"):
        assert not references_outside(probe, fine), fine


SPLIT = ("evaluation", "training", "requirements")  # reported on their own, so a failure says whose files


@pytest.mark.parametrize("folder", ["everything else", *SPLIT])
def test_no_file_refers_to_material_outside_the_repository(folder: str) -> None:
    files = tracked_text_files()
    top = {f: f.relative_to(ROOT).parts[0] for f in files}
    chosen = [f for f in files if top[f] == folder or (folder == "everything else" and top[f] not in SPLIT)]
    assert chosen
    found = [hit for f in chosen for hit in references_outside(f, f.read_text(encoding="utf-8", errors="replace"))]
    assert not found, "references to material outside the repository:\n" + "\n".join(found)
