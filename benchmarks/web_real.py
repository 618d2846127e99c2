"""The web model on the real-scanner corpus: grouped cross-validation by application, per scanner and per smell.

Reads ``datasets/http-real`` (reports as the scanners wrote them, ``labels.jsonl``; see its README) through
iacfilter's own readers, rules maps, smell matcher and site context, exactly as ``iacfilter filter`` does, and
compares, per scanner and per smell: keep-all, "scanner severity >= medium", the policy alone (``policy.py``:
filter what it calls FP, keep the rest), the generated-only champion (``http-generated``, never trained on real
data) and the model retrained on generated + real rows, measured by nested leave-one-application-out
cross-validation: for each held-out application, the real-row weight, C and the decision threshold (the
highest keeping >= 0.97 of the real TPs) are chosen by an inner grouped cross-validation on the other
applications only, then the held-out application is scored once. Three forms of every finding:

- ``as-reported``: what the report carries (drheader's and the Observatory's JSON carry no exchange);
- ``with-exchange``: the exchange the corpus fetched beside the scan attached where the report has none (what
  a SARIF report with ``webRequest``/``webResponse`` carries);
- ``evidence-only``: every request and response removed (URL, parameter, evidence, other-info only).

A finding no model scores (smell unknown, or the policy cannot decide without the response) is kept, as in
``filter``. ``--write-champion DIR`` trains on everything with the configuration chosen by the (outer)
grouped cross-validation and writes a champion there. Prints JSON (``--markdown`` a table):

    python benchmarks/web_real.py --real datasets/http-real --generated data/http/data.jsonl [--markdown]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from iacfilter import plugins  # noqa: E402
from iacfilter.champion import load_champion, write_manifest  # noqa: E402
from iacfilter.decide import classify, load_model  # noqa: E402
from iacfilter.records import share_context  # noqa: E402
from iacfilter.errors import IacfilterError  # noqa: E402
from iacfilter.findings import Finding, NoSnippet  # noqa: E402
from iacfilter.inputs import read_scanner_output  # noqa: E402
from iacfilter.rules import load_rules_map  # noqa: E402
from iacfilter_plugins.http import features  # noqa: E402
from iacfilter_training.metrics import decisions  # noqa: E402
from iacfilter_plugins.http.exchange import SMELLS  # noqa: E402
from iacfilter_plugins.http.technology import finding_details, render, with_borrowed  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
VARIANTS = ("as-reported", "with-exchange", "evidence-only")
GRID = [{"real_weight": w, "C": c} for w in (1.0, 5.0, 20.0) for c in (1.0, 10.0)]
PARAMS = {"class_weight": "balanced", "bits": 16, "words": 0.3}
MIN_RECALL = 0.97
SKIPPED: Counter = Counter()  # findings of reports no iacfilter reader reads, by why
MEDIUM = {"critical", "high", "medium", "moderate", "error", "warning", "fail", "failed"}


# --- the corpus, read as filter reads it ------------------------------------------------------------------

def load_corpus(real: Path) -> list[dict]:
    """One record per labelled finding: its label record and the Finding the reader made of its report."""
    labels = [json.loads(line) for line in (real / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    by_report: dict[str, list[dict]] = defaultdict(list)
    for r in labels:
        by_report[r["report"]].append(r)
    exchanges = {}
    for path in sorted((real / "exchanges").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                e = json.loads(line)
                exchanges[f"exchanges/{path.name}#{e['id']}"] = e
    out = []
    for report, records in sorted(by_report.items()):
        try:
            findings = read_findings(real / report)
        except IacfilterError as exc:  # a format iacfilter has no reader for (testssl.sh's JSON): not measured
            SKIPPED[str(exc).split(": ", 1)[-1][:80]] += len(records)
            continue
        offset = sum(len(read_findings(p)) for p in earlier_reports(real / report))
        if records[0]["report_format"] == "testssl-json":  # labelled by the check's place in the array
            doc = json.loads((real / report).read_text(encoding="utf-8"))
            for r in records:
                item = doc[int(r["locator"].strip("/"))]
                f = next((f for f in findings if f.raw == item), None)
                if f is None:
                    raise SystemExit(f"{report}: label {r['id']}: the reader yields no finding for {r['locator']}")
                out.append({"label": r, "finding": f, "exchange": exchanges.get(r.get("exchange_ref") or "")})
            continue
        for r in records:
            n = int(r["id"].rsplit("/", 1)[1]) - offset
            if not 0 <= n < len(findings):
                raise SystemExit(f"{report}: label {r['id']} but the reader found {len(findings)} findings")
            out.append({"label": r, "finding": findings[n], "exchange": exchanges.get(r.get("exchange_ref") or "")})
    return out


def read_findings(path: Path) -> list[Finding]:
    text = path.read_text(encoding="utf-8")
    if '"error"' in text[:200] and '"tests"' not in text:  # the Observatory CLI's {"error": ...}: no test ran
        return []
    return [f for run in read_scanner_output(str(path)) for f in run.findings]


def earlier_reports(path: Path) -> list[Path]:
    """The reports of the same scanner and application before ``path`` (``observatory-0.json``, ``-1`` ...):
    a label's number counts the scanner's findings of the application across them, in that order."""
    m = re.fullmatch(r"(.+)-(\d+)\.json", path.name)
    if not m:
        return []
    siblings = sorted(path.parent.glob(f"{m.group(1)}-*.json"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [p for p in siblings if int(p.stem.rsplit("-", 1)[1]) < int(m.group(2))]


def variant(record: dict, form: str) -> Finding:
    f = copy.deepcopy(record["finding"])
    d = f.details if isinstance(f.details, dict) else {}
    if form == "with-exchange" and record["exchange"] and "request" in d and not d.get("response"):
        d["request"], d["response"] = record["exchange"].get("request"), record["exchange"].get("response")
        d["exchange_note"] = ""
    elif form == "evidence-only":
        if "request" in d:
            d["request"], d["response"] = None, None
            d["exchange_note"] = "exchange removed (evidence-only measurement)"
        f.raw = {k: v for k, v in (f.raw or {}).items() if k not in ("webRequest", "webResponse")} \
            if isinstance(f.raw, dict) else f.raw
    return f


def prepared(corpus: list[dict], form: str) -> list[dict]:
    """Each record's finding in ``form`` through classify (rules map, smell matcher, site context) and render:
    the snippet filter scores (pipeline smell), and the one training sees (the reviewed smell)."""
    findings = [variant(r, form) for r in corpus]
    by_app = defaultdict(list)
    for r, f in zip(corpus, findings):
        by_app[r["label"]["app"]].append(f)
    for app_findings in by_app.values():  # one run per application: its reports given to filter together
        classify(app_findings, load_rules_map(), plugins.technologies(), None)
        share_context(app_findings, plugins.technologies())
    http = plugins.technologies()["http"]
    out = []
    for r, f in zip(corpus, findings):
        item = {"record": r["label"], "smell": f.smell, "note": f.smell_note, "snippet": None, "train_snippet": None}
        if f.tech == "http":
            try:
                if f.smell:
                    item["snippet"] = http.snippet(f, None)
                item["details"] = with_borrowed(finding_details(f))
                item["train_snippet"] = render(r["label"]["smell"], item["details"])
            except NoSnippet:
                pass
        out.append(item)
    return out


# --- scoring ------------------------------------------------------------------------------------------------

def kept_by(model: features.HttpFeatureModel, items: list[dict], threshold: float) -> list[bool]:
    """filter's decision: a finding is filtered only when it is scored below the threshold."""
    scored = [i for i, it in enumerate(items) if it["snippet"] is not None and it["smell"] in SMELLS]
    keep = [True] * len(items)
    if scored:
        scores = model.score([items[i]["snippet"] for i in scored])
        for i, s in zip(scored, scores):
            keep[i] = not (s.p == s.p and s.p < threshold)
    return keep


def metrics(labels, kept) -> dict:
    """Precision, recall, F1 of keep/filter decisions, rounded for the tables; a group with no real problem has
    recall 1.0 (none lost) and one with no false positive no FP-removed share."""
    m = decisions([int(y) for y in labels], [int(bool(k)) for k in kept])
    tp, fp, fn, tn = (m["confusion"][k] for k in ("tp", "fp", "fn", "tn"))
    return {"n": m["n"], "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": round(m["precision"], 3),
            "recall": round(m["recall"] if tp + fn else 1.0, 3), "f1": round(m["f1"], 3),
            "fp_removed": round(m["fp_removed"], 3) if tn + fp else None}


def severity_kept(record: dict) -> bool:
    sev = str(record.get("severity") or "").strip().lower()
    if sev.isdigit():  # Wapiti's levels: 1 low, 2 medium, 3 high, 4 critical
        return int(sev) >= 2
    return sev in MEDIUM


def policy_kept(items: list[dict]) -> list[bool]:
    return [not (it["snippet"] is not None and (it["snippet"].data.get("policy") or {}).get("label") == "FP")
            for it in items]


# --- nested grouped cross-validation ------------------------------------------------------------------------

class Matrices:
    """Feature rows computed once: generated rows, and each real record's training and filter snippets."""

    def __init__(self, generated: list[dict], train_items: dict[str, list[dict]]):
        self.probe = features.HttpFeatureModel(np.zeros(1 << PARAMS["bits"]), 0.0, PARAMS["bits"], PARAMS["words"])
        http = plugins.technologies()["http"]
        self.gen_x = features.matrix(self.probe, [http.example(r) for r in generated])
        self.gen_y = np.array([1 if r["label"] == "TP" else 0 for r in generated])
        # the model learns both forms a report may come in: with its exchange, and without
        self.real_index, snippets, ys = [], [], []
        for form in ("with-exchange", "evidence-only"):
            for i, it in enumerate(train_items[form]):
                if it["train_snippet"] is not None:
                    self.real_index.append(i)
                    snippets.append(it["train_snippet"])
                    ys.append(1 if it["record"]["label"] == "TP" else 0)
        self.real_x, self.real_y = features.matrix(self.probe, snippets), np.array(ys)
        self.real_index = np.array(self.real_index)

    def real_rows(self, indices: list[int]):
        rows = np.where(np.isin(self.real_index, np.array(indices, dtype=int)))[0]
        return self.real_x[rows], self.real_y[rows]

    def fit(self, indices: list[int], config: dict, seed: int = 1) -> features.HttpFeatureModel:
        import scipy.sparse as sp

        rx, ry = self.real_rows(indices)
        x = sp.vstack([self.gen_x, rx]).tocsr()
        y = np.concatenate([self.gen_y, ry])
        w = np.concatenate([np.ones(len(self.gen_y)), np.full(len(ry), config["real_weight"])])
        weights, bias = features.fit(x, y, {**PARAMS, "C": config["C"]}, seed, sample_weight=w)
        return features.HttpFeatureModel(weights.astype(np.float64), float(bias[0]), PARAMS["bits"], PARAMS["words"])


def eval_matrix(probe, items: list[dict]):
    """Each item's filter-time feature row (zeros where unscored) and whether filter scores it at all."""
    scorable = [it["snippet"] is not None and it["smell"] in SMELLS and features.undecided(it["snippet"]) is None
                for it in items]
    snippets = [it["snippet"] if ok else None for it, ok in zip(items, scorable)]
    x = features.matrix(probe, [s for s in snippets if s is not None])
    return x, np.array(scorable)


def probabilities(model, items: list[dict], cached=None) -> list[float | None]:
    """p(TP) where filter would score the finding; None where it is kept unscored."""
    x, scorable = cached if cached is not None else eval_matrix(model, items)
    z = x @ model.weights + model.bias
    p = iter((1.0 / (1.0 + np.exp(-z))).tolist())
    return [next(p) if ok else None for ok in scorable]


def threshold_for(ps: list[float | None], ys: list[int]) -> float:
    """Recall first: among the thresholds (0.01 steps) that keep >= MIN_RECALL of the TPs (unscored findings are
    kept), the one with the best F1, the lowest of equals (the most room for a TP scored lower than seen)."""
    best, best_f1 = 0.01, -1.0
    for t in np.arange(0.01, 0.91, 0.01):
        score = metrics(ys, [p is None or p >= t for p in ps])
        if score["recall"] >= MIN_RECALL and score["f1"] > best_f1:
            best, best_f1 = float(round(t, 2)), score["f1"]
    return best


def choose(m: Matrices, apps: list[str], idx_by_app: dict[str, list[int]], eval_items: list[dict],
           folds: int = 3, cache=None) -> tuple[dict, float, dict]:
    """The configuration and threshold with the best F1 at >= MIN_RECALL, by grouped CV over ``apps``."""
    order = sorted(apps)
    groups = [order[k::folds] for k in range(min(folds, len(order)))]
    best = None
    for config in GRID:
        ps, ys = [], []
        for held in groups:
            train = [i for a in order if a not in held for i in idx_by_app[a]]
            model = m.fit(train, config)
            test = [i for a in held for i in idx_by_app[a]]
            ps += probabilities(model, [eval_items[i] for i in test], cache(test) if cache else None)
            ys += [1 if eval_items[i]["record"]["label"] == "TP" else 0 for i in test]
        t = threshold_for(ps, ys)
        score = metrics(ys, [p is None or p >= t for p in ps])
        key = (score["recall"] >= MIN_RECALL, score["f1"])
        if best is None or key > best[0]:
            best = (key, config, t, score)
    return best[1], best[2], best[3]


def breakdown(items: list[dict], kept: list[bool]) -> dict:
    out = {"all": metrics([1 if it["record"]["label"] == "TP" else 0 for it in items], kept)}
    for key in ("scanner", "smell"):
        groups = defaultdict(list)
        for i, it in enumerate(items):
            groups[it["record"][key]].append(i)
        out[key] = {g: metrics([1 if items[i]["record"]["label"] == "TP" else 0 for i in idx], [kept[i] for i in idx])
                    for g, idx in sorted(groups.items())}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", type=Path, default=REPO / "datasets/http-real")
    ap.add_argument("--generated", type=Path, default=REPO / "data/http/data.jsonl",
                    help="generated rows (iacfilter datagen http --n 6000 --seed 7 -o data/http/data.jsonl)")
    ap.add_argument("--baseline-model", default="http-generated", help="the generated-only champion to compare with")
    ap.add_argument("--write-champion", type=Path, default=None)
    ap.add_argument("--markdown", action="store_true", help="print the tables of docs/web-findings.md")
    ap.add_argument("--from-json", type=Path, default=None, help="print the tables of a saved JSON report")
    ap.add_argument("--decisions", type=Path, default=None,
                    help="write each finding's nested-CV decision (kept or not, per form) as JSONL, by label id")
    args = ap.parse_args()
    if args.from_json is not None:
        print(markdown(json.loads(args.from_json.read_text(encoding="utf-8"))))
        return
    if not (args.real / "labels.jsonl").is_file():
        sys.exit(f"{args.real}: no labels.jsonl (the real-scanner corpus, datasets/http-real)")
    if not args.generated.is_file():
        sys.exit(f"{args.generated}: no such file; generate it with 'iacfilter datagen http --n 6000 --seed 7 -o {args.generated}'")
    corpus = load_corpus(args.real)
    items = {form: prepared(corpus, form) for form in VARIANTS}
    generated = [json.loads(line) for line in args.generated.read_text(encoding="utf-8").splitlines() if line.strip()]
    m = Matrices(generated, items)
    apps = sorted({r["label"]["app"] for r in corpus})
    idx_by_app = {a: [i for i, r in enumerate(corpus) if r["label"]["app"] == a] for a in apps}
    ys = [1 if r["label"]["label"] == "TP" else 0 for r in corpus]

    # nested leave-one-application-out: choose on the other applications, score the held-out one once
    cv_kept = {form: [True] * len(corpus) for form in VARIANTS}
    chosen = {}
    full = {form: eval_matrix(m.probe, items[form]) for form in VARIANTS}

    def cache(form):
        x, scorable = full[form]
        position = np.cumsum(scorable) - 1  # row of each scorable item in x

        def rows(test):
            test = np.array(test, dtype=int)
            return x[position[test][scorable[test]]], scorable[test]
        return rows

    for app in apps:
        rest = [a for a in apps if a != app]
        config, t, _ = choose(m, rest, idx_by_app, items["with-exchange"], cache=cache("with-exchange"))
        model = m.fit([i for a in rest for i in idx_by_app[a]], config)
        chosen[app] = {**config, "threshold": t}
        for form in VARIANTS:
            test = idx_by_app[app]
            ps = probabilities(model, None, cache(form)(test))
            for i, p in zip(test, ps):
                cv_kept[form][i] = p is None or p >= t
        print(f"fold {app}: {chosen[app]}", file=sys.stderr, flush=True)

    if args.decisions is not None:
        args.decisions.write_text("".join(json.dumps({"id": r["label"]["id"], "label": r["label"]["label"],
                                                      **{form: cv_kept[form][i] for form in VARIANTS}}) + "\n"
                                          for i, r in enumerate(corpus)), encoding="utf-8")
    baseline = load_model(args.baseline_model)
    report = {"data": {"real": str(args.real), "findings": len(corpus), "apps": len(apps), "tp": sum(ys),
                       "generated_rows": len(generated), "not_readable": dict(SKIPPED)},
              "chosen_per_fold": chosen, "variants": {}}
    for form in VARIANTS:
        its = items[form]
        rows = {
            "keep-all": breakdown(its, [True] * len(its)),
            "severity>=medium": breakdown(its, [severity_kept(it["record"]) for it in its]),
            "policy alone": breakdown(its, policy_kept(its)),
            f"{args.baseline_model} (generated only)": breakdown(its, kept_by(baseline.scorer, its, baseline.threshold)),
            "retrained (nested grouped CV)": breakdown(its, cv_kept[form]),
        }
        unscored = Counter("smell unknown" if it["smell"] is None else "no snippet" if it["snippet"] is None else "scored"
                           for it in its)
        report["variants"][form] = {"coverage": dict(unscored), "rows": rows}

    if args.write_champion is not None:
        config, t, score = choose(m, apps, idx_by_app, items["with-exchange"], folds=min(5, len(apps)),
                                  cache=cache("with-exchange"))
        model = m.fit(list(range(len(corpus))), config)
        out = args.write_champion
        out.mkdir(parents=True, exist_ok=True)
        features.save(out, model.weights.astype(np.float32), np.array([model.bias], dtype=np.float32),
                      PARAMS["bits"], PARAMS["words"])
        cv = report["variants"]["with-exchange"]["rows"]["retrained (nested grouped CV)"]["all"]
        ev = report["variants"]["evidence-only"]["rows"]["retrained (nested grouped CV)"]["all"]
        write_manifest(out, {
            "name": out.name, "backend": features.NAME, "base_model": "none (trained from scratch)", "threshold": t,
            "threshold_objective": {"objective": "recall", "min_recall": MIN_RECALL},
            "smells": list(SMELLS), "technologies": ["http"],
            "metrics": {"data": "real-scanner corpus (datasets/http-real), nested leave-one-application-out CV",
                        "with_exchange": cv, "evidence_only": ev, "chosen_by_grouped_cv": score},
            "training": {"generated": str(args.generated), "real": str(args.real), "params": {**PARAMS, **config},
                         "command": "python benchmarks/web_real.py --write-champion " + str(out)},
        })
        report["champion"] = {"path": str(out), "config": config, "threshold": t}
    print(markdown(report) if args.markdown else json.dumps(report, indent=2))


def markdown(report: dict) -> str:
    """The tables of docs/web-findings.md: per form, overall and per scanner (and per smell with the exchange)."""
    d = report["data"]
    lines = [f"Real-scanner corpus: {d['findings']} findings ({d['tp']} TP) on {d['apps']} applications."]
    generated = next(m for m in report["variants"]["with-exchange"]["rows"] if m.endswith("(generated only)"))
    for form in ("with-exchange", "as-reported", "evidence-only"):
        rows = report["variants"][form]["rows"]
        lines += ["", f"#### {form} (coverage: {report['variants'][form]['coverage']})", "",
                  "| scope | n (TP) | keep-all F1 | severity ≥ medium F1 | policy alone F1 | http-generated F1 | "
                  "**http-default (CV)** P / R / F1 | FP removed |", "|---|---|---|---|---|---|---|---|"]
        scopes = [("all", ("all",))] + [(f"scanner {k}", ("scanner", k)) for k in rows["keep-all"]["scanner"]]
        if form == "with-exchange":
            scopes += [(f"smell {k}", ("smell", k)) for k in rows["keep-all"]["smell"]]

        def get(method, path):
            b = rows[method]
            return b["all"] if path == ("all",) else b[path[0]][path[1]]

        for name, path in scopes:
            k, m = get("keep-all", path), get("retrained (nested grouped CV)", path)
            lines.append(f"| {name} | {k['n']} ({k['tp']}) | {k['f1']} | {get('severity>=medium', path)['f1']} | "
                         f"{get('policy alone', path)['f1']} | {get(generated, path)['f1']} | {m['precision']} / "
                         f"{m['recall']} / **{m['f1']}** | {m['fp_removed']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
