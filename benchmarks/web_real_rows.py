"""The real-scanner corpus as labelled training rows, with a written analysis, for the language-model scorers.

Each finding of ``datasets/http-real`` is read exactly as ``web_real.py`` reads it (iacfilter's readers, rules
maps, smell matcher and one run per application, so a report without an exchange borrows the response another
report of the run kept for the same URL), in the form the report carries (``as-reported``). A finding that then
has no exchange to show cannot be a snippet and is left out (counted). Each row:

``{"tech": "http", "smell": <the reviewed smell>, "label": "TP"|"FP", "id", "app", "app_family", "scanner",
"finding": <the HTTP details the snippet is rendered from>, "analysis": <one sentence>, "about": <the header,
cookie, method or file it is about>}``

The analysis is the label's written reason (``labels.jsonl``: the POLICY.md rule that decided it and the evidence
it was judged on) said as a sentence that names what the finding is about (the header, cookie, file, method) and
ends with the verdict: "Strict-Transport-Security is not a real weakness here: the response is plain HTTP, where
the header has no effect." It is what a fine-tuned model learns to write; nothing in it is not in the label.

Splits are by ``app_family`` (both nginx apps together, both apache2 apps together), so no software is in two
files: ``--test`` and ``--val`` name the families held out; every other family is training.

    python benchmarks/web_real_rows.py --real datasets/http-real -o build/http-real \\
        --test dokuwiki,json-server --val radicale,datasette
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from web_real import REPO, load_corpus, prepared  # noqa: E402  the same reading of the corpus as the web model

REASON = re.compile(r"POLICY\.md, (?P<where>[^:]*?): (?P<why>.*?)(?: -> (?:TP|FP)\b|\. Evidence: )")
EVIDENCE = re.compile(r"Evidence: (?P<evidence>.*?)(?:\. Judged on|\.?$)", re.S)
WHO = {"http_methods": "the method", "exposed_file": "the file", "plain_http": "plain HTTP",
       "certificate": "the certificate", "csrf": "the form", "server_error_disclosure": "the error page",
       "version_banner": "the banner", "cacheable_sensitive_content": "caching"}


def evidence(reason: str) -> dict[str, str]:
    m = EVIDENCE.search(reason)
    out = {}
    for part in (m.group("evidence").split("; ") if m else []):
        key, _, value = part.partition("=")
        if value:
            out[key.strip()] = value.strip()
    return out


def subject(record: dict, found: dict[str, str]) -> tuple[str, list[str]]:
    """What the finding is about: as a reader names it, and the words a rationale of it must name (its header,
    its cookies, its method or file, else what the smell is about)."""
    s, smell = record.get("subject") or {}, record.get("smell")
    if s.get("cookie"):
        name = f"The cookie {s['cookie']}" + (f" without {s['flag']}" if s.get("flag") else "")
        return name, [c for c in str(s["cookie"]).split(",") if c]
    if s.get("header"):
        return s["header"], [s["header"]]
    if smell == "http_methods" and found.get("method"):
        return f"The {found['method']} method", [found["method"]]
    if smell == "exposed_file" and found.get("path"):
        return f"The file {found['path']}", [found["path"]]
    who = WHO.get(smell, str(smell or "the finding").replace("_", " "))
    return who[0].upper() + who[1:], [who.removeprefix("the ")]


def about(record: dict) -> list[str]:
    return subject(record, evidence(str(record.get("reason") or "")))[1]


def condition(why: str) -> str:
    """The policy's condition as one clause: its first sentence, app-specific detail (URLs, ports) left out."""
    sentences = [s for s in re.split(r"(?<=[.)])\s+(?=[A-Z])", why) if s]
    text = sentences[0]
    if re.match(r"TP (only|for)\b", text) and len(sentences) > 1:  # the rule, then how it applies here
        text = sentences[1]
    text = re.sub(r"\s*(\b(on|for)\s+)?\(?https?://\S+", "", text)
    text = re.split(r"; |: (?=[a-z])", text)[0].rstrip(" .,(")
    words = text.split()
    return " ".join(words[:28]) + ("…" if len(words) > 28 else "")


def analysis(record: dict) -> str:
    reason = str(record.get("reason") or "")
    label = record["label"]
    found = evidence(reason)
    m = REASON.search(reason)
    why = condition(m.group("why")) if m else ""
    if why in ("missing", "no-script-directive", "unsafe-inline"):  # the CSP rules name the weakness alone
        what = {"missing": "the header is missing", "no-script-directive": "the policy has no script directive",
                "unsafe-inline": "the policy allows unsafe-inline scripts"}[why]
        why = what + (f" on a {found['ctype']} response" if found.get("ctype") else "")
    verdict = "is a real weakness" if label == "TP" else "is not a real weakness"
    sentence = f"{subject(record, found)[0]} {verdict} here"
    return f"{sentence}: {why}." if why else f"{sentence}."


def rows(real: Path, log=print) -> list[dict]:
    corpus = load_corpus(real)
    items = prepared(corpus, "as-reported")
    out, skipped = [], Counter()
    for record, item in zip(corpus, items):
        label = record["label"]
        if item["train_snippet"] is None:
            skipped[f"{label['scanner']}: no exchange in the run"] += 1
            continue
        out.append({"tech": "http", "smell": label["smell"], "label": label["label"], "id": label["id"],
                    "app": label["app"], "app_family": label["app_family"], "scanner": label["scanner"],
                    "finding": item["details"], "analysis": analysis(label), "about": about(label)})
    log(f"{len(out)} findings with an exchange; left out: {dict(skipped)}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", type=Path, default=REPO / "datasets/http-real")
    ap.add_argument("-o", "--out", type=Path, required=True, help="directory for all/train/val/test .jsonl")
    ap.add_argument("--test", default="", help="app families held out for testing (comma-separated)")
    ap.add_argument("--val", default="", help="app families held out for validation (comma-separated)")
    args = ap.parse_args()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    found = rows(args.real, log)
    families = {r["app_family"] for r in found}
    test, val = ({f for f in s.split(",") if f} for s in (args.test, args.val))
    unknown = (test | val) - families
    if unknown:
        raise SystemExit(f"web_real_rows: no app family {sorted(unknown)} (known: {sorted(families)})")
    args.out.mkdir(parents=True, exist_ok=True)
    splits = {"all": found, "test": [r for r in found if r["app_family"] in test],
              "val": [r for r in found if r["app_family"] in val],
              "train": [r for r in found if r["app_family"] not in test | val]}
    for name, part in splits.items():
        if name != "all" and not part:
            continue
        (args.out / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part),
                                               encoding="utf-8")
        counts = Counter(r["label"] for r in part)
        log(f"{name}: {len(part)} rows ({counts['TP']} TP, {counts['FP']} FP), families "
            f"{sorted({r['app_family'] for r in part})}")


if __name__ == "__main__":
    main()
