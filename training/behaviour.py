"""The behaviour suite (CheckList-style): small catalogue cases a model must decide as a reviewer would.

Each case is a short script, the finding GLITCH raises on it (rule code and the line marked ``>>>``) and the
catalogue's verdict. A case is scored through the real path: the script is written to a file, the finding is
classified by the rules map and the technology plugins, the technology builds the snippet from the file, and
the model's score is compared with its threshold. Invariance cases perturb a base case (indent, move,
rename) and expect the base's verdict. See ``tests/behaviour/README.md``.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import yaml

from iacfilter import plugins
from iacfilter.decide import classify
from iacfilter.findings import Finding, Snippet
from iacfilter.rules import load_rules_map
from iacfilter.sources import SourceRoot

MARK = ">>>"
SUFFIX = {"ansible": ".yml", "chef": ".rb", "puppet": ".pp"}
FILLER = {"ansible": ["retries: 3", "delay: 5"], "chef": ["retries 3", "retry_delay 5"],
          "puppet": ["tag => 'managed',", "noop => false,"]}


@dataclass(frozen=True)
class Case:
    id: str
    smell: str  # the suite file's smell (``invariance`` for perturbed cases)
    tech: str
    rule: str
    kind: str
    expect: str  # TP or FP
    script: str  # without the marker
    line: int  # 1-based flagged line
    half: str  # dev or held-out, by a hash of the id
    glitch2: str = ""  # raised / not-raised: what the real GLITCH 2.0 does on the script (benchmarks/behaviour_glitch.py)

    @property
    def label(self) -> int:
        return 1 if self.expect == "TP" else 0


def _half(case_id: str) -> str:
    return "dev" if hashlib.sha256(case_id.encode()).digest()[0] % 2 == 0 else "held-out"


def _unmark(script: str) -> tuple[str, int]:
    lines = script.rstrip("\n").split("\n")
    marked = [i for i, ln in enumerate(lines) if ln.startswith(MARK)]
    if len(marked) != 1:
        raise ValueError(f"a script needs exactly one line starting {MARK!r}, found {len(marked)}")
    i = marked[0]
    lines[i] = lines[i][len(MARK):]
    return "\n".join(lines) + "\n", i + 1


def _perturb(base: Case, entry: dict) -> Case:
    lines = base.script.rstrip("\n").split("\n")
    line = base.line
    how = entry["perturb"]
    if how == "indent":
        lines = ["    " + ln if ln.strip() else ln for ln in lines]
    elif how == "move":
        flagged = lines[line - 1]
        pad = flagged[: len(flagged) - len(flagged.lstrip())]
        fill = [pad + f for f in FILLER[base.tech]]
        lines = lines[: line - 1] + fill + lines[line - 1 :]
        line += len(fill)
    elif how == "rename":
        lines = [ln.replace(entry["from"], entry["to"]) for ln in lines]
    else:
        raise ValueError(f"unknown perturbation {how!r}")
    cid = f"{base.id}~{how}"
    return Case(cid, "invariance", base.tech, base.rule, f"{how}:{base.smell}", base.expect, "\n".join(lines) + "\n",
                line, _half(cid), base.glitch2)


def load_suite(folder: str | Path) -> list[Case]:
    """Every case of every ``*.yaml`` in ``folder``; invariance entries expanded against their base cases."""
    cases: dict[str, Case] = {}
    invariance: list[dict] = []
    for path in sorted(Path(folder).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in data["cases"]:
            if "base" in entry:
                invariance.append(entry)
                continue
            try:
                script, line = _unmark(entry["script"])
            except ValueError as exc:
                raise ValueError(f"{path.name}: case {entry.get('id')}: {exc}") from None
            if entry["id"] in cases:
                raise ValueError(f"{path.name}: case id {entry['id']} is used twice")
            if entry["expect"] not in ("TP", "FP"):
                raise ValueError(f"{path.name}: case {entry['id']}: expect must be TP or FP")
            cases[entry["id"]] = Case(entry["id"], data["smell"], entry["tech"], entry["rule"], entry["kind"],
                                      entry["expect"], script, line, _half(entry["id"]),
                                      str(entry.get("glitch2", "")))
    for entry in invariance:
        base = cases.get(entry["base"])
        if base is None:
            raise ValueError(f"invariance case names no known base case: {entry['base']}")
        case = _perturb(base, entry)
        cases[case.id] = case
    return list(cases.values())


def findings_and_snippets(cases: Sequence[Case], workdir: str | Path) -> list[tuple[Finding, Snippet]]:
    """Write each script under ``workdir`` and build its finding and snippet as ``filter`` would."""
    root = Path(workdir)
    techs = plugins.technologies()
    findings = []
    for case in cases:
        rel = f"{case.id.replace('~', '.')}{SUFFIX[case.tech]}"
        (root / rel).write_text(case.script, encoding="utf-8")
        findings.append(Finding(tool="GLITCH", rule=case.rule, path=rel, line=case.line))
    classify(findings, load_rules_map(), techs, None)
    sources = SourceRoot(root)
    out = []
    for case, f in zip(cases, findings):
        if f.tech != case.tech:
            raise ValueError(f"case {case.id}: owned by {f.tech}, not {case.tech}")
        out.append((f, techs[f.tech].snippet(f, sources)))
    return out


def snippets(cases: Sequence[Case]) -> list[Snippet]:
    with tempfile.TemporaryDirectory(prefix="iacfilter-behaviour-") as tmp:
        return [s for _, s in findings_and_snippets(cases, tmp)]


def run_suite(cases: Sequence[Case], score: Callable[[list[Snippet]], Sequence[float]], threshold: float) -> dict:
    """Score every case; pass = kept for TP, filtered for FP. Pass rates overall, per smell, kind and half."""
    scores = [float(getattr(p, "p", p)) for p in score(snippets(cases))]
    results = []
    for case, p in zip(cases, scores):
        verdict = "TP" if p >= threshold else "FP"
        results.append({"id": case.id, "smell": case.smell, "kind": case.kind, "half": case.half, "tech": case.tech,
                        "glitch2": case.glitch2, "expect": case.expect, "got": verdict, "score": round(p, 4), "passed": verdict == case.expect})

    def rates(key):
        by = defaultdict(list)
        for r in results:
            by[r[key]].append(r["passed"])
        return {k: {"n": len(v), "passed": sum(v), "rate": sum(v) / len(v)} for k, v in sorted(by.items())}

    passed = sum(r["passed"] for r in results)
    return {"n": len(results), "passed": passed, "rate": passed / len(results) if results else 0.0,
            "per_smell": rates("smell"), "per_kind": rates("kind"), "per_half": rates("half"), "per_glitch2": rates("glitch2"),
            "failures": [r for r in results if not r["passed"]], "results": results}


def render(report: dict) -> str:
    lines = [f"behaviour suite: {report['passed']}/{report['n']} passed ({report['rate']:.1%})"]
    for title, key in (("smell", "per_smell"), ("half", "per_half"), ("GLITCH 2.0", "per_glitch2")):
        for name, r in report[key].items():
            lines.append(f"  {title} {name:<32} {r['passed']:>4}/{r['n']:<4} {r['rate']:.1%}")
    for f in report["failures"]:
        lines.append(f"  FAIL {f['id']} ({f['kind']}): expected {f['expect']}, got {f['got']} at {f['score']:.3f}")
    return "\n".join(lines)
