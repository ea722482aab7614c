"""Audit of the paper's own arithmetic (``results/audit.md``): averages, headline claims, dataset sums, the
WRPO table and the errata."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evaluation import paper_rows
from evaluation.render import _md_escape
from evaluation.reported import ReportedCell, current_values, load_errata, load_reported, models_of

#: A printed 1-decimal average holds exactly when the mean of the printed cells rounds to it (±0.05); it holds
#: only within cell rounding when it is off by at most 0.10 (each printed cell may itself be off by up to 0.05,
#: so the mean of the unrounded scores can differ from the mean of printed cells by up to 0.05 more).
AVERAGE_TOL = 0.05
AVERAGE_TOL_CELLS = 0.10


@dataclass(frozen=True)
class Check:
    """One audited statement: what is printed, what the data give, and whether it holds."""

    section: str
    subject: str
    claim: str
    stated: str
    recomputed: str
    diff: float | None
    holds: bool
    note: str = ""
    approx: bool = False  # holds only within the rounding of the printed cells

    @property
    def verdict(self) -> str:
        """"yes", "within cell rounding" or "NO"."""
        return "NO" if not self.holds else "within cell rounding" if self.approx else "yes"


def _eq(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol + 1e-9


def _audit_averages(cells: Sequence[ReportedCell]) -> list[Check]:
    """Every printed Average (current and superseded) vs the mean of its own column's printed cells."""
    out = []
    for table in paper_rows.AVERAGED_TABLES:
        benches = paper_rows.table_benchmarks(table)
        for model, _role in models_of(cells, table):
            variants = [("current", current_values(cells, table, model))]
            old = {c.benchmark: c.value for c in cells
                   if c.table == table and c.model == model and c.status == "superseded"}
            if old:
                variants.append(("superseded (seed blog)", {**variants[0][1], **old}))
            for status, vals in variants:
                a = paper_rows.average(vals, benches)
                stated = vals["average"]
                assert a.value is not None
                d = a.value - stated
                readme = current_values(cells, table, model, readme=True)
                note = f"over {a.n_present}/{a.n_expected} benchmarks"
                if status == "current" and readme != vals:
                    ar = paper_rows.average(readme, benches)
                    assert ar.value is not None
                    note += (f"; with README @bd8fe49 1-decimal MT-Bench/AlignBench cells: {ar.value:.3f} "
                             f"(Δ {ar.value - stated:+.3f})")
                exact = _eq(a.value, stated, AVERAGE_TOL)
                if not exact:
                    note += (f"; off by more than the ±{AVERAGE_TOL} rounding of the printed average, "
                             f"within ±{AVERAGE_TOL_CELLS} only if the cells were rounded before printing")
                out.append(Check("averages", f"{table} / {model} [{status}]", "Average = mean of the column",
                                 f"{stated:.1f}", f"{a.value:.3f}", d, _eq(a.value, stated, AVERAGE_TOL_CELLS),
                                 note, approx=not exact))
            if len(benches) != (13 if table == "llama32_1b" else 14):
                raise AssertionError(table)
    return out


def _audit_claims(cells: Sequence[ReportedCell]) -> list[Check]:
    """The headline claims of the blog/abstract for the Llama-3.1-8B target, and the Tulu-3 comparison."""
    t = "llama31_8b"
    base = current_values(cells, t, "Llama3.1-8B-Instruct")
    fuse = current_values(cells, t, "FuseChat-Llama-3.1-8B-Instruct")
    tulu = current_values(cells, t, "Llama-3.1-Tulu-3-8B")
    benches = paper_rows.table_benchmarks(t)
    out = []
    for bench, stated, label in (("average", 6.8, "+6.8 average over 14 benchmarks"),
                                 ("alpacaeval2", 37.1, "+37.1 on AlpacaEval-2"),
                                 ("arena_hard", 30.1, "+30.1 on Arena-Hard")):
        d = fuse[bench] - base[bench]
        note = ""
        if bench == "average":
            fa, ba = paper_rows.average(fuse, benches).value, paper_rows.average(base, benches).value
            assert fa is not None and ba is not None
            note = (f"from the printed averages {fuse[bench]:.1f} − {base[bench]:.1f}; from the cells "
                    f"{fa:.3f} − {ba:.3f} = {fa - ba:.3f}")
        out.append(Check("claims", "Llama-3.1-8B: FuseChat-Instruct − base", label, f"{stated:+.1f}", f"{d:+.2f}",
                         d - stated, _eq(d, stated, 0.05), note))
    beaten = [b for b in benches if fuse[b] <= tulu[b]]
    names = [paper_rows.get(b).display for b in beaten]
    out.append(Check("claims", "Llama-3.1-8B: FuseChat-Instruct vs Tulu-3-8B",
                     "better on every benchmark except GSM8K and GPQA-Diamond", "GSM8K, GPQA-Diamond",
                     ", ".join(names) or "none", None, beaten == ["gsm8k", "gpqa_diamond"],
                     "benchmarks where FuseChat-Instruct is not strictly higher"))
    n = {table: len(paper_rows.table_benchmarks(table)) for table in paper_rows.AVERAGED_TABLES}
    out.append(Check("claims", "benchmark count", "14 benchmarks (13 for Llama-3.2-1B)", "14 / 13",
                     ", ".join(f"{k} {v}" for k, v in n.items()), None,
                     all(v == (13 if k == "llama32_1b" else 14) for k, v in n.items())))
    return out


def _audit_datasets(cells: Sequence[ReportedCell]) -> list[Check]:
    """Row sums (SFT + DPO = Total), column sums vs the Total row, the text's totals and ratio claims."""
    out = []
    for table in paper_rows.DATASET_TABLES:
        rows = {m: current_values(cells, table, m) for m, _ in models_of(cells, table)}
        total = rows.pop("Total")
        for name, v in rows.items():
            s = v["sft"] + v["dpo"]
            out.append(Check(f"dataset:{table}", name, "SFT + DPO = Total", f"{int(v['total']):,}", f"{int(s):,}",
                             s - v["total"], s == v["total"],
                             "" if s == v["total"] else "the Total cell is corrected in the final version "
                             "(results/reported/errata.csv)"))
        row_gaps = sum(v["total"] - v["sft"] - v["dpo"] for v in rows.values())
        for k in paper_rows.DATASET_COLUMNS:
            s = sum(v[k] for v in rows.values())
            note = ""
            if s != total[k] and k == "total" and s - total[k] == row_gaps:
                note = f"the excess {int(row_gaps):,} is exactly the rows that do not sum"
            out.append(Check(f"dataset:{table}", f"column '{k}'", "rows sum to the Total row",
                             f"{int(total[k]):,}", f"{int(s):,}", s - total[k], s == total[k], note))
        s = total["sft"] + total["dpo"]
        out.append(Check(f"dataset:{table}", "Total row", "SFT + DPO = Total", f"{int(total['total']):,}",
                         f"{int(s):,}", s - total["total"], s == total["total"]))
        for name in ("UltraFeedback", "Magpie-Pro-DPO-100K-v0.1", "HelpSteer2"):
            r = rows[name]["sft"] / rows[name]["total"]
            out.append(Check(f"dataset:{table}", name, "SFT:DPO = 4:6 (blog, instruction following)", "0.400",
                             f"{r:.4f}", r - 0.4, _eq(r, 0.4, 0.0005)))
        math_ = rows["OpenMathInstruct-2"]
        r = math_["sft"] / math_["total"]
        out.append(Check(f"dataset:{table}", "OpenMathInstruct-2", "(no ratio claimed; for reference)", "—",
                         f"SFT share {r:.3f}", None, True, "the math split is not 4:6"))
        zh = rows["alpaca_gpt4_zh"]["total"] + rows["Magpie-Qwen2-Pro-200K-Chinese"]["total"]
        out.append(Check(f"dataset:{table}", "Chinese rows", "\"approximately 10,000\" (blog text)", "≈10,000",
                         f"{int(zh):,}", None, _eq(zh, 10000, 500)))
    seed = {m: current_values(cells, "dataset_seed", m) for m, _ in models_of(cells, "dataset_seed")}
    for k, stated in (("total", 158784), ("sft", 94539), ("dpo", 64245)):
        v = seed["Total"][k]
        out.append(Check("dataset:dataset_seed", f"text total '{k}'",
                         "blog text: 158,784 total = 94,539 SFT + 64,245 DPO", f"{stated:,}", f"{int(v):,}",
                         v - stated, v == stated, "text vs the table's Total row"))
    om = seed["OpenMathInstruct-2"]
    out.append(Check("dataset:dataset_seed", "OpenMathInstruct-2", "\"nearly 60,000 unique samples\" (blog text)",
                     "≈60,000", f"{int(om['total']):,} printed, {int(om['sft'] + om['dpo']):,} = SFT + DPO", None,
                     _eq(om["total"], 60000, 2000) and not _eq(om["sft"] + om["dpo"], 60000, 2000),
                     "holds only for the printed total, which does not sum; the final README says 'nearly 52,000'"))
    return out


def _audit_wrpo(cells: Sequence[ReportedCell]) -> list[Check]:
    """WRPO: MT-Bench overall = mean of the two turns; the abstract's numbers; 'outperforms' the baselines."""
    t = "wrpo_main"
    out = []
    rows = {m: current_values(cells, t, m) for m, _ in models_of(cells, t)}
    for m, v in rows.items():
        mean = (v["mt_bench_turn1"] + v["mt_bench_turn2"]) / 2
        ok = _eq(mean, v["mt_bench"], 0.01)
        out.append(Check("wrpo", m, "MT-Bench overall = mean(T1, T2) ± 0.01", f"{v['mt_bench']:.2f}",
                         f"{mean:.3f}", mean - v["mt_bench"], ok,
                         "" if ok else "beyond rounding: a misread digit in the image, or failed (-1) judgments "
                         "dropped unevenly between turns"))
    w = rows["Target-SFT-WRPO"]
    for b, stated in (("alpacaeval2", 55.9), ("arena_hard", 46.2)):
        out.append(Check("wrpo", "Target-SFT-WRPO", f"abstract: {paper_rows.get(b).display} = {stated}", f"{stated}",
                         f"{w[b]}", w[b] - stated, _eq(w[b], stated, 1e-9)))
    baselines = ["Target-FuseLLM", "Target-FuseChat", "Target-DPO", "Target-SimPO", "Target-IPO"]
    losses = [f"{b}:{paper_rows.get(k).display}" for b in baselines for k in paper_rows.WRPO_METRICS
              if w[k] <= rows[b][k]]
    out.append(Check("wrpo", "Target-SFT-WRPO vs fusion and preference-optimisation baselines",
                     "abstract: outperforms existing fusion methods and fine-tuning baselines", "on every metric",
                     "; ".join(losses) or "higher on every metric", None, not losses,
                     "baselines: " + ", ".join(baselines)))
    return out


def _audit_errata(cells: Sequence[ReportedCell], errata: Sequence[dict[str, str]]) -> list[Check]:
    """Each erratum's old value is recorded (superseded or in the seed table) and its new value is current."""
    out = []
    for e in errata:
        old = [c for c in cells if c.table == e["table"] and c.model == e["model"] and c.benchmark == e["benchmark"]
               and abs(c.value - float(e["old_value"])) < 1e-9]
        new = [c for c in cells if c.table == e["new_table"] and c.model == e["model"]
               and c.benchmark == e["benchmark"] and c.status == "current"
               and abs(c.value - float(e["new_value"])) < 1e-9]
        out.append(Check("errata", f"{e['new_table']} / {e['model']} / {e['benchmark']}",
                         f"{e['old_value']} ({e['old_date']}) → {e['new_value']} ({e['new_date']})",
                         e["new_source"], "both values recorded" if old and new else "missing in the data", None,
                         bool(old and new), e["note"]))
    return out


def audit_checks(cells: Sequence[ReportedCell] | None = None,
                 errata: Sequence[dict[str, str]] | None = None) -> list[Check]:
    """Every audited statement, in report order."""
    cells = load_reported() if cells is None else cells
    errata = load_errata() if errata is None else errata
    return [*_audit_averages(cells), *_audit_claims(cells), *_audit_datasets(cells), *_audit_wrpo(cells),
            *_audit_errata(cells, errata)]


_SECTIONS = [
    ("averages", "1. Averages of the FuseChat-3.0 tables",
     f"Rule: Average = plain mean of the printed cells (MT-Bench, AlignBench on 1-10). It holds when the mean "
     f"is within ±{AVERAGE_TOL} of the printed 1-decimal average (rounding). Superseded rows are the seed blog's "
     "values before the erratum of 2024-12-18."),
    ("claims", "2. Headline claims (Llama-3.1-8B target)", "From the blog/abstract; deltas from printed cells."),
    ("dataset:dataset_seed", "3. Dataset composition, seed version (blog / README 2024-12-11)", ""),
    ("dataset:dataset_final", "4. Dataset composition, final version (README 2025-02-07 = paper Table 1)", ""),
    ("wrpo", "5. WRPO main table",
     "Both MT-Bench turns have 80 questions, so the overall score is the mean of the turn scores; with three "
     "2-decimal roundings it must agree to ±0.01."),
    ("errata", "6. Errata recorded in `results/reported/errata.csv`", ""),
]


def _diff_text(d: float | None) -> str:
    if d is None:
        return "—"
    if abs(d) < 5e-4:
        return "0"
    if abs(d - round(d)) < 1e-9:
        return f"{int(round(d)):+,}"
    return f"{d:+.3f}"


def render_audit(checks: Sequence[Check]) -> str:
    """``results/audit.md``: a summary of what does not hold, then every check by section."""
    bad = [c for c in checks if not c.holds]
    approx = [c for c in checks if c.holds and c.approx]
    n_ok = len(checks) - len(bad) - len(approx)
    lines = ["# Audit of the paper's arithmetic", "",
             "Generated by `python evaluation/paper_tables.py --audit` from `results/reported/`; do not edit by hand.",
             "", f"**{len(checks)} checks: {n_ok} hold, {len(approx)} hold only within the rounding of the printed "
             f"cells, {len(bad)} do not.**", ""]
    for title, sel in (("What does not hold", bad), ("What holds only within cell rounding", approx)):
        if not sel:
            continue
        lines += [f"## {title}", "", "| Section | Subject | Claim | Printed | Recomputed | Off by | Note |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {c.section} | {_md_escape(c.subject)} | {_md_escape(c.claim)} | {c.stated} | "
                  f"{_md_escape(c.recomputed)} | {_diff_text(c.diff)} | {_md_escape(c.note)} |" for c in sel]
        lines.append("")
    for key, heading, intro in _SECTIONS:
        sel = [c for c in checks if c.section == key]
        if not sel:
            continue
        lines += [f"## {heading}", ""]
        if intro:
            lines += [intro, ""]
        lines += ["| Subject | Claim | Printed | Recomputed | Off by | Holds | Note |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {_md_escape(c.subject)} | {_md_escape(c.claim)} | {_md_escape(c.stated)} | "
                  f"{_md_escape(c.recomputed)} | {_diff_text(c.diff)} | {c.verdict if c.holds else '**NO**'} | "
                  f"{_md_escape(c.note)} |" for c in sel]
        lines.append("")
    return "\n".join(lines)
