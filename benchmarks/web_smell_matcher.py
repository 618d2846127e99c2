"""Train and measure the open-world smell matcher (``plugins/http/smells.py``), and write its weights.

Wordings (scanner, the rule's words, canonical smell or ``other``) come from: the web rules maps (ZAP, Nuclei,
Burp, Wapiti), the generator's scanner wordings (ZAP, Nuclei, Burp, Wapiti, drheader, Observatory), the extra
wordings in ``plugins/http/matcher/wordings.yaml`` (checks without a policy smell, and other scanners), and
the real corpus's reviewed labels where given (``--real datasets/http-real``: its rule ids, titles and
subjects). Measured leave-one-scanner-out: every scanner's wordings are predicted by a matcher trained on the
other scanners' only, i.e. on wordings it was not trained on. The confidence threshold is the lowest at which
the held-out matches that clear it are right at least ``--precision`` of the time (chosen on those held-out
predictions, then frozen); the shipped matcher is trained on all wordings. Prints JSON:

    python benchmarks/web_smell_matcher.py [--real datasets/http-real] [--write]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from iacfilter_plugins.http import smells

REPO = Path(__file__).resolve().parents[1]
SCANNER_GROUP = {"burp suite": "burp", "mozilla http observatory": "observatory", "mdn http observatory": "observatory",
                 "observatory": "observatory"}


def group(scanner: str) -> str:
    name = scanner.lower()
    return SCANNER_GROUP.get(name, name)


def real_wordings(real: Path) -> list[dict]:
    """The real corpus's findings as filter reads them: the rule's words (``rule_words``) and the reviewed smell,
    once per distinct wording and scanner."""
    from web_real import load_corpus  # the same reading of the corpus as the model's benchmark

    seen, rows = set(), []
    for r in load_corpus(real):
        text = smells.rule_words(r["finding"].details) if "check" in r["finding"].details else r["finding"].rule
        key = (r["label"]["scanner"], text, r["label"]["smell"])
        if key not in seen:
            seen.add(key)
            rows.append({"scanner": r["label"]["scanner"], "text": text, "smell": r["label"]["smell"]})
    return rows


def held_out(rows: list[dict], bits: int, C: float) -> list[tuple[dict, str, float]]:
    """(row, guess, confidence) for every row, predicted by a matcher trained without its scanner's wordings."""
    out = []
    for g in sorted({group(r["scanner"]) for r in rows}):
        train = [r for r in rows if group(r["scanner"]) != g]
        test = [r for r in rows if group(r["scanner"]) == g]
        weights, bias = smells.fit([r["text"] for r in train], [r["smell"] for r in train], bits, C)
        m = smells.SmellMatcher(weights, bias, smells.CLASSES, bits, 0.0)
        p = m.probabilities([r["text"] for r in test])
        for r, row in zip(test, p):
            best = int(row.argmax())
            out.append((r, smells.CLASSES[best], float(row[best])))
    return out


def choose_threshold(predictions, precision: float) -> float:
    """The lowest confidence at which the held-out matches of a smell (not ``other``) that clear it are right
    at least ``precision`` of the time."""
    candidates = sorted({round(c, 3) for _, g, c in predictions if g != smells.OTHER})
    for t in candidates:
        accepted = [(r, g) for r, g, c in predictions if g != smells.OTHER and c >= t]
        if accepted and sum(r["smell"] == g for r, g in accepted) / len(accepted) >= precision:
            return t
    return 1.0


def report(predictions, threshold: float) -> dict:
    per = defaultdict(Counter)
    for r, g, c in predictions:
        k = per[group(r["scanner"])]
        k["n"] += 1
        k["top1_right"] += r["smell"] == g
        if g != smells.OTHER and c >= threshold:
            k["matched"] += 1
            k["matched_right"] += r["smell"] == g
        elif r["smell"] != smells.OTHER:
            k["smell_left_unscored"] += 1
    total = sum(per.values(), Counter())

    def summary(k):
        return {"wordings": k["n"], "top1_accuracy": round(k["top1_right"] / max(k["n"], 1), 3),
                "matched": k["matched"], "matched_precision": round(k["matched_right"] / max(k["matched"], 1), 3),
                "left_not_scored": k["smell_left_unscored"] + (k["n"] - k["matched"] - k["smell_left_unscored"])}

    return {"threshold": threshold, "all": summary(total), "per_scanner": {g: summary(k) for g, k in sorted(per.items())}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", type=Path, default=None, help="the real corpus (datasets/http-real) to add wordings from")
    ap.add_argument("--bits", type=int, default=14)
    ap.add_argument("--C", type=float, default=10.0)
    ap.add_argument("--precision", type=float, default=0.95)
    ap.add_argument("--write", action="store_true", help="write the matcher trained on all wordings into plugins/http/matcher/")
    args = ap.parse_args()
    if args.real is not None and not (args.real / "labels.jsonl").is_file():
        sys.exit(f"{args.real}: no labels.jsonl")
    rows = smells.training_wordings(real_wordings(args.real) if args.real else ())
    predictions = held_out(rows, args.bits, args.C)
    threshold = choose_threshold(predictions, args.precision)
    out = report(predictions, threshold)
    out["sources"] = dict(Counter(r["source"] for r in rows))
    print(json.dumps(out, indent=2))
    if args.write:
        weights, bias = smells.fit([r["text"] for r in rows], [r["smell"] for r in rows], args.bits, args.C)
        smells.save(smells.MATCHER_DIR, weights, bias, args.bits, threshold, {
            "trained_on": out["sources"], "C": args.C,
            "leave_one_scanner_out": {"precision_target": args.precision, **out["all"]},
            "command": "python benchmarks/web_smell_matcher.py" + (f" --real {args.real}" if args.real else "") + " --write"})


if __name__ == "__main__":
    main()
