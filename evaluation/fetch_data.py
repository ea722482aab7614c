"""Download and pin the data of every benchmark a recipe evaluates, into a cache with checksums.

    python evaluation/fetch_data.py --recipe recipes/llama31_8b.yaml      # the recipe's eval.benchmarks
    python evaluation/fetch_data.py --task gsm8k --task amc23             # named tasks
    python evaluation/fetch_data.py --all                                 # every registered task

Per task (``evaluation/tasks/<task>.py`` ``data``): hub datasets are read at a commit, every config in order: the
task's pinned ``revision`` (40 hex), or, where no commit could be confirmed, the last hub commit on or before the
task's ``era`` date, locked in ``evaluation/data_lock.json`` on first fetch and verified on every later one
(``evaluation.hub_revisions``). Files (``DataFile``: FuseEval's vendored MMLU-Pro / MMLU / GPQA / GSM8K / EvalPlus
copies, judge files ...) are downloaded and must match their sha256 (or git blob id). A hub dataset with neither a
commit nor an era date is refused; a file without a checksum is fetched with a warning line and ``"pinned":
false`` in ``fetch.json`` (no registered task has one: a test asserts ``is_pinned`` for all). The rows go
unmodified into ``<data_dir>/<task>/items.jsonl`` with ``fetch.json`` (source, resolved revision, row count, sha256 of every
file); the expected item count is checked. Gated datasets (GPQA) need ``huggingface-cli login`` after accepting
their terms. Errors are one line naming the task. Already fetched tasks are skipped unless ``--force``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from evaluation import hub_revisions
from evaluation.data import FETCH_FILE, ITEMS_FILE, DataError, default_data_dir, read_rows, sha256_file
from evaluation.tasks import all_tasks, get_task
from evaluation.tasks.base import DataFile, DataSpec, Task
from fusechat.recipe import RecipeError
from fusechat.stage_runner import StageError


def download(spec: DataFile, dest: Path) -> str:
    """Fetch ``spec.url`` (http(s) or file://) to ``dest``; check its sha256 when pinned; return the sha256."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=dest.parent, delete=False) as tmp:
        try:
            with urllib.request.urlopen(spec.url, timeout=60) as resp:  # noqa: S310 - pinned URLs from task files
                shutil.copyfileobj(resp, tmp)
        except OSError as exc:
            Path(tmp.name).unlink(missing_ok=True)
            raise DataError(f"{spec.name}: cannot download {spec.url} ({exc})") from None
    got = sha256_file(Path(tmp.name))
    if spec.sha256 is not None and got != spec.sha256:
        Path(tmp.name).unlink(missing_ok=True)
        raise DataError(f"{spec.name}: sha256 mismatch for {spec.url}: expected {spec.sha256}, got {got}")
    if spec.git_blob is not None and (blob := git_blob_id(Path(tmp.name))) != spec.git_blob:
        Path(tmp.name).unlink(missing_ok=True)
        raise DataError(f"{spec.name}: git blob id mismatch for {spec.url}: expected {spec.git_blob}, got {blob}")
    Path(tmp.name).replace(dest)
    return got


def pinned_file_rows(spec: DataFile) -> list[dict[str, Any]]:
    """The rows of one pinned file (``download`` into a temporary folder, sha256-checked, then ``read_rows``): the
    items of a task whose other ``DataSpec.files`` are side files (judge prompts, references, baselines)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / spec.name
        download(spec, path)
        return read_rows(path)


def git_blob_id(path: Path) -> str:
    """git's object id of a file's bytes (``git hash-object``): SHA-1 of ``b"blob <size>\\0"`` + the bytes."""
    h = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())  # noqa: S324 - git's content id, not security
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_pinned(f: DataFile) -> bool:
    """A file fixed before fetching: a sha256, a git blob id, or a URL naming a 40-hex commit."""
    return bool(f.sha256 or f.git_blob or any(hub_revisions.is_commit(part) for part in f.url.split("/")))


def hub_pinned(spec: DataSpec) -> bool:
    """A hub dataset fixed before fetching: a 40-hex commit or an era date (``evaluation.hub_revisions``)."""
    return hub_revisions.is_commit(spec.revision) or spec.era is not None


def is_pinned(task: Task) -> bool:
    """Whether a task's data is fixed before fetching: every hub dataset it reads (``data``, and ``sources`` for a
    task reading several) has a 40-hex commit or an era date, and every file a checksum or a commit URL."""
    d = task.data
    specs = [d, *getattr(task, "sources", ())]
    hubs = [s for s in specs if s.hub_id is not None]
    return (all(hub_pinned(s) for s in hubs) and all(file_pinned(f) for f in d.files)
            and bool(hubs or d.files))


def _hub_rows(task: Task) -> tuple[list[dict[str, Any]], hub_revisions.Resolved]:
    from datasets import load_dataset

    d = task.data
    assert d.hub_id is not None
    try:
        resolved = hub_revisions.resolve(d.hub_id, d.revision, d.era)
        rows: list[dict[str, Any]] = []
        for config in d.configs or (d.config,):
            rows += [dict(r) for r in load_dataset(d.hub_id, config, split=d.split, revision=resolved.revision)]
    except Exception as exc:  # offline, gated without login, renamed, lock mismatch ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        gated = " (gated: accept its terms on the hub and run `huggingface-cli login`)" if d.gated else ""
        raise DataError(f"{task.id}: cannot load {d.hub_id}{gated}: {first[:200]}") from None
    return rows, resolved


def fetch_task(task: Task, data_dir: Path, force: bool = False) -> Path:
    """Fetch one task's data into ``data_dir/<task>``; return the folder."""
    folder = data_dir / task.id
    if (folder / FETCH_FILE).is_file() and not force:
        return folder
    d = task.data
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    files = {f.name: download(f, tmp / "files" / f.name) for f in d.files}
    revision = None
    hub_id = d.hub_id
    resolved: list[dict[str, Any]] = []
    if hasattr(task, "fetch_rows"):  # a task reading several hub datasets itself (LiveBench: one per category)
        try:
            rows, revisions = task.fetch_rows()
        except Exception as exc:  # offline, renamed, wrong count ...
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"{task.id}: cannot load its hub datasets: {first[:300]}") from None
        hub_id = ", ".join(revisions)
        revision = ", ".join(f"{k}@{v.revision if isinstance(v, hub_revisions.Resolved) else v}"
                             for k, v in revisions.items())
        resolved = [v.record() for v in revisions.values() if isinstance(v, hub_revisions.Resolved)]
    elif d.hub_id is not None:
        rows, res = _hub_rows(task)
        revision, resolved = res.revision, [res.record()]
    elif d.files:
        rows = [r for f in d.files for r in read_rows(tmp / "files" / f.name)]  # several files: concatenated
    else:
        raise DataError(f"{task.id}: its DataSpec names neither a hub dataset nor a file")
    if d.expected_items is not None and len(rows) != d.expected_items:
        raise DataError(f"{task.id}: {len(rows)} rows, expected {d.expected_items} (wrong copy or revision?)")
    with (tmp / ITEMS_FILE).open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
    meta = {"task": task.id, "task_version": task.version, "hub_id": hub_id,
            "configs": list(d.configs or ((d.config,) if d.hub_id else ())), "split": d.split,
            "revision_requested": d.revision, "era": d.era, "revision": revision, "resolved": resolved,
            "rows": len(rows),
            "sha256": sha256_file(tmp / ITEMS_FILE), "files": files, "licence": d.licence, "pinned": is_pinned(task)}
    (tmp / FETCH_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.replace(folder)
    return folder


def recipe_tasks(recipe_path: str, overrides: list[str]) -> tuple[list[Task], Path]:
    """The tasks a recipe evaluates from the fetched cache (entries with their own ``path`` need nothing)."""
    from evaluation.generate import selected_benchmarks
    from fusechat.recipe import load_recipe

    recipe = load_recipe(recipe_path, overrides)
    tasks = [task for task, entry in selected_benchmarks(recipe.eval) if entry.path is None]
    return tasks, default_data_dir(recipe.eval.data_dir)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipe", help="fetch what this recipe's eval.benchmarks need")
    ap.add_argument("--task", action="append", default=[], help="task id (repeatable)")
    ap.add_argument("--all", action="store_true", help="every registered task")
    ap.add_argument("--data-dir", type=Path, help="cache folder (default: eval.data_dir / $FUSECHAT_EVAL_DATA)")
    ap.add_argument("--force", action="store_true", help="fetch again even when cached")
    ap.add_argument("overrides", nargs="*", help="recipe key=value overrides")
    args = ap.parse_args(argv)
    try:
        data_dir = default_data_dir()
        tasks: list[Task] = []
        if args.recipe:
            tasks, data_dir = recipe_tasks(args.recipe, args.overrides)
        tasks += [get_task(t) for t in args.task]
        if args.all:
            tasks += list(all_tasks().values())
        if args.data_dir:
            data_dir = args.data_dir
        if not tasks:
            ap.error("nothing to fetch: give --recipe, --task or --all")
        seen: set[str] = set()
        for task in tasks:
            if task.id in seen:
                continue
            seen.add(task.id)
            folder = fetch_task(task, data_dir, args.force)
            meta = json.loads((folder / FETCH_FILE).read_text())
            print(f"{task.id}: {meta['rows']} rows from {meta['hub_id'] or 'files'}"
                  f"{'@' + meta['revision'][:12] if meta.get('revision') else ''} -> {folder}")
            if not meta.get("pinned", True):
                print(f"warning: {task.id}: unpinned data (no commit, era date or checksum in the task; what was "
                      "read is recorded in fetch.json)", file=sys.stderr)
            for r in meta.get("resolved", []):
                if r.get("rule", "pinned") != "pinned":
                    print(f"  {r['hub_id']}: {r['rule']} -> {r['revision'][:12]} ({r.get('commit_date')}), "
                          f"locked in {hub_revisions.lock_path()}")
    except (DataError, KeyError, StageError, RecipeError, hub_revisions.RevisionError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
