"""``iacfilter explain OUT.sarif INDEX|PATH:LINE``: why a finding was kept or filtered.

It reads a finding back from iacfilter's output, rebuilds the snippet the model saw through the technology's
own ``snippet()`` (masked, for HTTP, exactly as at filter time), and shows: the score and threshold, the
verdict and its reason, the rule with CWE and severity, the features or words that moved the score most, the
rest of them summed and the intercept, adding up to the logit (for a scorer with the optional
``explain(snippet) -> [(feature, contribution to the logit), ...]`` capability), the nearest labelled
examples of the datasets given (token Jaccard similarity over the snippet text, same smell first) and the
rationale a dual-head scorer wrote.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from .errors import IacfilterError
from .findings import INTERCEPT, Finding, NoSnippet, Snippet
from .records import Decision, classify, normalise_path, share_context
from .rules import RulesMap

TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*|[0-9]+")
LINE_WEIGHT = 0.7  # the flagged line counts more than its context


@dataclass
class OutputFinding:
    """One result of an iacfilter output, as a Finding, with what iacfilter recorded about it."""

    index: int  # 1-based, in file order over all runs
    finding: Finding
    recorded: dict[str, Any]  # properties.iacfilter of the result
    run: dict[str, Any] = field(repr=False, default_factory=dict)
    decision: Decision | None = field(repr=False, default=None)  # set by classify_found


def read_output(path: str) -> list[OutputFinding]:
    """Every result of an iacfilter SARIF output, in order."""
    from .pipeline import read

    runs = read([path])
    if any(run.sarif_run is None for run in runs):
        raise IacfilterError(path, "not SARIF: give an iacfilter output file (iacfilter filter ... -o OUT.sarif)")
    out = []
    for run in runs:
        for finding in run.findings:
            recorded = (finding.raw.get("properties") or {}).get("iacfilter") or {}
            out.append(OutputFinding(len(out) + 1, finding, recorded, run.sarif_run))
    if not out:
        raise IacfilterError(path, "has no results to explain")
    return out


def select(found: Sequence[OutputFinding], selector: str, origin: str) -> list[OutputFinding]:
    """INDEX (1-based) or PATH:LINE (every finding on that line)."""
    if selector.isdigit():
        n = int(selector)
        if not 1 <= n <= len(found):
            raise IacfilterError(origin, f"has {len(found)} results; {n} is out of range (1-{len(found)})")
        return [found[n - 1]]
    path, sep, line = selector.rpartition(":")
    if not sep or not line.isdigit() or not path:
        raise IacfilterError(selector, "expected INDEX (1-based) or PATH:LINE")
    want = normalise_path(path)
    hits = [o for o in found if normalise_path(o.finding.path) == want and o.finding.line == int(line)]
    if not hits:
        near = sorted({f"{o.finding.path}:{o.finding.line}" for o in found if normalise_path(o.finding.path) == want})
        hint = f" (results in that file: {', '.join(near[:8])})" if near else ""
        raise IacfilterError(origin, f"no result at {selector}{hint}")
    return hits


def classify_found(found: Sequence[OutputFinding], rules: RulesMap, techs, forced: str | None) -> None:
    """Smell and technology as the output recorded them (else the rules map's and the owner's); ``forced``
    wins."""
    decisions = classify([o.finding for o in found], rules, techs, forced, recorded=[o.recorded for o in found])
    share_context([d.finding for d in decisions], techs)
    for o, d in zip(found, decisions):
        o.decision = d


def rule_info(o: OutputFinding) -> dict[str, Any]:
    """Rule id, name, CWE and security severity: from the rules map, else from the run's rule descriptor."""
    f, rule = o.finding, o.decision.rule
    if rule:
        return {"id": rule.id, "name": rule.short, "cwe": list(rule.cwe), "security_severity": rule.security_severity,
                "scanner_code": rule.code}
    descriptors = ((o.run.get("tool") or {}).get("driver") or {}).get("rules") or []
    d = next((d for d in descriptors if isinstance(d, dict) and d.get("id") == f.rule), {})
    props = d.get("properties") or {}
    cwe = [t.split("/")[-1].upper() for t in props.get("tags") or [] if str(t).lower().startswith("external/cwe/")]
    severity = props.get("security-severity")
    return {"id": f.rule, "name": ((d.get("shortDescription") or {}).get("text") or f.rule), "cwe": cwe,
            "security_severity": float(severity) if severity is not None else None}


def tokens(text: str) -> set[str]:
    return {t.lower() for t in TOKEN.findall(text)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def similarity(a: Snippet, b: Snippet) -> float:
    """Word-token Jaccard of the flagged lines (weight 0.7) and of the whole snippets (0.3)."""
    return LINE_WEIGHT * jaccard(tokens(a.line or a.text), tokens(b.line or b.text)) + \
        (1 - LINE_WEIGHT) * jaccard(tokens(a.text), tokens(b.text))


def nearest(snippet: Snippet, examples, k: int = 3) -> list[dict[str, Any]]:
    """The k labelled examples closest to the snippet (``similarity``; examples of the same smell first)."""
    pool = [e for e in examples if e.snippet.smell == snippet.smell] or list(examples)
    scored = [(similarity(snippet, e.snippet), e) for e in pool]
    scored.sort(key=lambda pair: -pair[0])
    return [{"similarity": round(sim, 3), "label": "TP" if e.label else "FP", "line": e.snippet.line,
             "tech": e.snippet.tech, "smell": e.snippet.smell,
             "where": f"{e.row.get('file')}:{e.row.get('line')}" if e.row.get("file") else ""}
            for sim, e in scored[:k]]


def contributions(scorer, snippet: Snippet, k: int = 8) -> dict[str, Any] | None:
    """What moved the score, for a scorer that can say (``explain(snippet) -> [(feature, contribution to the
    logit), ...]``, its intercept among them under INTERCEPT); else None. The ``k`` largest by magnitude are
    named, the rest summed, and the intercept shown apart, so the numbers shown add up to ``logit``."""
    explain = getattr(scorer, "explain", None)
    if not callable(explain):
        return None
    pairs = [(str(name), float(weight)) for name, weight in explain(snippet)]
    intercept = sum(w for n, w in pairs if n == INTERCEPT)
    features = sorted(((n, w) for n, w in pairs if n != INTERCEPT), key=lambda p: -abs(p[1]))
    rest = features[k:]
    return {"shown": features[:k], "rest": (len(rest), sum(w for _, w in rest)), "intercept": intercept,
            "logit": intercept + sum(w for _, w in features)}


def explain_one(o: OutputFinding, *, techs, sources, model_name: str | None, examples,
                k: int = 3) -> dict[str, Any]:
    f, rec = o.finding, o.recorded
    out: dict[str, Any] = {
        "index": o.index, "tool": f.tool, "rule": rule_info(o), "location": f"{f.path}:{f.line}" if f.line else f.path,
        "technology": f.tech, "smell": f.smell, "verdict": rec.get("verdict"), "reason": rec.get("reason"),
        "score": rec.get("score"), "threshold": rec.get("threshold"), "model": rec.get("model"),
        "rationale": rec.get("rationale"), "baseline_state": f.raw.get("baselineState"),
    }
    snippet = None
    if f.tech is None or f.tech not in techs:
        out["snippet_problem"] = f"no technology plugin for {f.tech!r}" if f.tech else "no technology owns this finding"
    elif f.smell is None:
        out["snippet_problem"] = f"rule {f.rule!r} is not in the rules map: not scored"
    else:
        try:
            snippet = techs[f.tech].snippet(f, sources)
        except NoSnippet as exc:
            out["snippet_problem"] = str(exc)
    out["snippet"] = snippet.text if snippet else None
    name = model_name or rec.get("model")
    if snippet is not None and name:
        from .decide import load_model

        try:
            # score again as the run did: with the options it recorded (e.g. a dual-head model's --budget)
            options = ((o.run.get("properties") or {}).get("iacfilter") or {}).get("options") or {}
            model = load_model(name, options=options)
        except IacfilterError as exc:
            out["model_problem"] = f"{exc} (pass --model NAME|DIR)"
        else:
            score = list(model.scorer.score([snippet]))[0]
            out["score_now"] = round(float(getattr(score, "p", score)), 6)
            moved = contributions(model.scorer, snippet)
            if moved is None:
                out["contributions"] = None
                out["contributions_problem"] = f"backend {model.champion.backend!r} cannot say which features mattered"
            else:
                out["contributions"] = [[n, round(w, 4)] for n, w in moved["shown"]]
                out["other_features"] = {"count": moved["rest"][0], "sum": round(moved["rest"][1], 4)}
                out["intercept"] = round(moved["intercept"], 4)
                out["logit"] = round(moved["logit"], 4)
    if snippet is not None and examples:
        out["nearest"] = nearest(snippet, examples, k)
    return out


def render(e: dict[str, Any]) -> str:
    rule = e["rule"]
    sev = "" if rule.get("security_severity") is None else f", security severity {rule['security_severity']:.1f}"
    lines = [f"#{e['index']}  {e['location']}  ({e['tool']}, {e['technology'] or 'no technology'})",
             f"rule      {rule['id']}: {rule['name']} ({', '.join(rule['cwe']) or 'no CWE'}{sev})"]
    score = "-" if e["score"] is None else f"{e['score']:.4f}"
    threshold = "-" if e["threshold"] is None else f"{e['threshold']:.2f}"
    lines.append(f"verdict   {e['verdict']}: {e['reason']}")
    lines.append(f"score     {score} against threshold {threshold} (model {e['model'] or '-'})")
    if "score_now" in e and e["score"] is not None and abs(e["score_now"] - e["score"]) > 1e-4:
        lines.append(f"          note: scored now it gets {e['score_now']:.4f}: the source or the model changed since")
    if e.get("baseline_state"):
        lines.append(f"baseline  {e['baseline_state']}")
    lines.append("")
    if e.get("snippet"):
        lines.append("snippet the model saw:")
        lines += [f"  {ln}" for ln in e["snippet"].splitlines()]
    else:
        lines.append(f"snippet   none: {e.get('snippet_problem', 'not rebuilt')}")
    if e.get("model_problem"):
        lines.append(f"model     not loaded: {e['model_problem']}")
    if e.get("contributions") is not None and "logit" in e:
        lines.append("")
        lines.append("what moved the score (contributions to the logit; > 0 towards true positive):")
        lines += [f"  {w:+.3f}  {n}" for n, w in e["contributions"]]
        rest = e["other_features"]
        if rest["count"]:
            lines.append(f"  {rest['sum']:+.3f}  {rest['count']} other feature(s)")
        lines.append(f"  {e['intercept']:+.3f}  intercept (the logit before any feature)")
        lines.append(f"  {e['logit']:+.3f}  = logit: score 1/(1+e^{-e['logit']:+.3f}) = "
                     f"{1 / (1 + math.exp(-e['logit'])):.4f}")
    elif e.get("contributions_problem"):
        lines.append(f"features  {e['contributions_problem']}")
    if e.get("rationale"):
        lines.append("")
        lines.append("the model's rationale:")
        lines += [f"  {ln}" for ln in e["rationale"].splitlines()]
    if e.get("nearest"):
        lines.append("")
        lines.append("nearest labelled examples:")
        for n in e["nearest"]:
            where = f"  [{n['where']}]" if n["where"] else ""
            lines.append(f"  {n['label']}  {n['similarity']:.2f}  {n['line']}{where}")
    return "\n".join(lines) + "\n"


def as_json(items: list[dict[str, Any]]) -> str:
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
