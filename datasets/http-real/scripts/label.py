"""Label every finding of the kept reports by POLICY.md: the policy code proposes, the reviewed decisions decide.

    python scripts/label.py            # writes labels.jsonl
    python scripts/label.py --groups   # prints the review groups (what scripts/review.yaml is written against)

Reads ``reports/<app>/`` with iacfilter's own readers (Wapiti, drheader, Observatory) and testssl.sh's JSON
directly (iacfilter has no testssl reader). For each finding: its locator (JSON Pointer), the canonical smell
(the shipped rules map, else ``smells.yaml``), the subject the policy code judges (header, cookie and flag), the
exchange it is judged on (the report's own, else the one ``scan.py`` fetched, ``exchanges/<app>.jsonl``), the
proposal of ``plugins/http/policy.py`` ``judge()``, and the final label: the proposal, unless an entry of
``review.yaml`` matches (first match wins), which gives the label and reason and, where it changes the
proposal, the ``review_note``. A finding whose proposal is None (the policy code cannot decide) and that no
review entry covers stops the run: every label is decided by a reviewed rule, never by a default.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from iacfilter.inputs import read_scanner_output
from iacfilter.rules import load_rules_map
from iacfilter_plugins.http import policy
from iacfilter_plugins.http.exchange import SMELLS, header

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
EXCHANGES = ROOT / "exchanges"
SMELL_MAP = yaml.safe_load((ROOT / "smells.yaml").read_text())
REVIEW = yaml.safe_load((Path(__file__).resolve().parent / "review.yaml").read_text()) or []
SCANNER_NAMES = {"Wapiti": "wapiti", "drheader": "drheader", "MDN HTTP Observatory": "observatory"}
WAPITI_HEADERS = {"Content Security Policy Configuration": "Content-Security-Policy",
                  "Clickjacking Protection": "X-Frame-Options", "MIME Type Confusion": "X-Content-Type-Options",
                  "HTTP Strict Transport Security (HSTS)": "Strict-Transport-Security"}
WAPITI_FLAGS = {"HttpOnly Flag cookie": "httponly", "Secure Flag cookie": "secure"}
OBSERVATORY_HEADERS = {"content-security-policy": "Content-Security-Policy", "x-frame-options": "X-Frame-Options",
                       "x-content-type-options": "X-Content-Type-Options", "referrer-policy": "Referrer-Policy",
                       "strict-transport-security": "Strict-Transport-Security",
                       "cross-origin-resource-policy": "Cross-Origin-Resource-Policy"}
HEADER_SMELLS = {"hsts", "csp", "framing", "content_sniffing", "optional_security_header", "obsolete_header",
                 "version_banner", "cacheable_sensitive_content"}
TESTSSL_FINDING = {"LOW", "MEDIUM", "HIGH", "CRITICAL", "WARN"}

# POLICY.md's sections, by the rule name the policy code returns
POLICY_RULE = {
    "hsts": "Headers that are required / Strict-Transport-Security",
    "csp": "Headers that are required / Content-Security-Policy",
    "optional-headers": "Headers that are not required when a sound CSP is present",
    "header-value": "the preamble on present headers (a value a scanner dislikes is TP only where a rule says the "
                    "value is defeated)",
    "x-xss-protection": "Headers that are not required when a sound CSP is present / X-XSS-Protection",
    "pragma-expires": "Headers that are not required when a sound CSP is present / Pragma, Expires",
    "caching": "Conditional findings / Caching",
    "banner": "Conditional findings / Server, X-Powered-By and other banners",
    "cors": "Conditional findings / CORS",
    "cookies": "Conditional findings / Cookies",
    "plain-http": "Transport / Plain HTTP",
    "certificate": "Transport / Certificate",
    "xss": "Content findings / Reflected or stored input (XSS)",
    "csrf": "Content findings / CSRF",
    "backup-file": "Content findings / Backup or sensitive file found",
    "server-error": "Content findings / Server error (5xx)",
    "methods": "Content findings / Method findings",
}
# what each of the policy code's reason keys means, in POLICY.md's words
REASON_TEXT = {
    ("hsts", "plain-http"): "the response is plain HTTP, where the header has no effect -> FP",
    ("hsts", "missing"): "an HTTPS response without Strict-Transport-Security -> TP",
    ("hsts", "too-short"): "an HTTPS response whose max-age is under 15552000 -> TP",
    ("hsts", "sufficient"): "the HTTPS response carries HSTS with max-age of at least 15552000 -> FP",
    ("csp", "not-html"): "a missing or weak CSP on a response that is not HTML -> FP",
    ("csp", "sound"): "the HTML response has a CSP that restricts scripts -> FP",
    ("optional-headers", "not-html"): "the header is only required on HTML responses; this one is not HTML -> FP",
    ("optional-headers", "frame-ancestors"): "the CSP's frame-ancestors covers X-Frame-Options -> FP",
    ("optional-headers", "no-frame-ancestors"): "an HTML response with no CSP frame-ancestors -> TP",
    ("optional-headers", "sound-csp"): "the HTML response has a sound CSP, so the header is not required -> FP",
    ("optional-headers", "no-sound-csp"): "an HTML response with no sound CSP -> TP",
    ("header-value", "present"): "the header is present and no rule says its value is defeated -> FP",
    ("x-xss-protection", "absent"): "X-XSS-Protection missing or 0 -> FP always",
    ("x-xss-protection", "present"): "X-XSS-Protection missing or 0 -> FP always",
    ("pragma-expires", "absent"): "Pragma/Expires missing -> FP always (Cache-Control decides)",
    ("pragma-expires", "present"): "a present Pragma/Expires whose value the scanner dislikes -> FP "
                                   "(HTTP/1.0 leftovers, Cache-Control decides)",
    ("caching", "sensitive-storable"): "a sensitive response that a shared cache may store -> TP",
    ("caching", "not-storable"): "Cache-Control has no-store or private, no shared cache stores it -> FP",
    ("caching", "public"): "public content (not a login, account, admin page, session or personal data) -> FP",
    ("banner", "version"): "the banner carries a version number -> TP",
    ("banner", "product-only"): "a product name alone -> FP",
    ("cors", "wildcard-sensitive"): "Access-Control-Allow-Origin: * on a sensitive response -> TP",
    ("cors", "wildcard-public"): "Access-Control-Allow-Origin: * on public unauthenticated content -> FP",
    ("cookies", "not-session"): "the cookie is not a session or authentication cookie -> FP",
    ("cookies", "flag-present"): "the flag is set on the cookie -> FP",
    ("cookies", "http-only-host"): "Secure missing on a host served only over plain HTTP -> FP",
    ("cookies", "samesite-missing"): "a session cookie without SameSite -> TP",
    ("cookies", "httponly-missing"): "a session cookie without HttpOnly -> TP",
    ("cookies", "secure-missing"): "a session cookie without Secure on a host that serves HTTPS -> TP",
    ("cookies", "claim-session"): "the scanner names a session cookie missing the flag -> TP",
    ("plain-http", "redirects"): "the plain-HTTP endpoint only redirects to HTTPS -> FP",
    ("plain-http", "sets-cookies"): "cookies set over plain HTTP -> TP",
    ("plain-http", "serves"): "an HTML page served over plain HTTP with no redirect to HTTPS -> TP",
    ("certificate", "self-signed"): "a self-signed certificate -> TP",
    ("certificate", "observed-self-signed"): "a self-signed certificate -> TP",
    ("xss", "unencoded"): "the input comes back unencoded in HTML -> TP",
    ("xss", "encoded"): "the input comes back encoded -> FP",
    ("xss", "json-nosniff"): "reflected only in JSON served with nosniff -> FP",
    ("csrf", "no-state-change"): "a form that changes nothing -> FP",
    ("csrf", "token"): "the form carries a non-empty anti-CSRF token -> FP",
    ("csrf", "request-token"): "the submitted form carries a non-empty anti-CSRF token -> FP",
    ("csrf", "request-no-state-change"): "the request changes nothing (search, filters) -> FP",
    ("csrf", "request-samesite"): "the session cookie is SameSite=Lax/Strict -> FP",
    ("csrf", "request-no-token"): "a state-changing request with no anti-CSRF token and no SameSite session -> TP",
    ("csrf", "request-empty-token"): "the token field is submitted empty, which protects nothing -> TP",
    ("backup-file", "source"): "the response really is source or configuration -> TP",
    ("backup-file", "binary"): "the response really is an archive or binary file -> TP",
    ("backup-file", "normal-page"): "the server answered with its normal page or an empty body -> FP",
    ("server-error", "internals"): "the 5xx body discloses internals -> TP",
    ("server-error", "generic"): "a generic error page -> FP",
    ("methods", "not-exercised"): "the method was only announced (OPTIONS/heuristics), not shown to work -> FP",
    ("methods", "works"): "the method really works -> TP",
    ("methods", "refused"): "the server refuses the method (405, 403 or a redirect) -> FP",
}


# ---------------------------------------------------------------- reading the reports

def pointer(*parts) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def wapiti_locators(doc: dict) -> list[str]:
    """Pointers in the order the Wapiti reader yields its findings."""
    out = []
    for part in ("vulnerabilities", "anomalies", "additionals"):
        for category, items in (doc.get(part) or {}).items():
            out.extend(pointer(part, category, i) for i in range(len(items)))
    return out


def scanner_version(name: str, doc) -> str:
    if name == "wapiti":
        return (doc.get("infos") or {}).get("version", "").removeprefix("Wapiti ").strip()
    return ""


def report_findings(app: str):
    """(scanner, report path, format, locator, Finding or testssl item, version) for every finding of an app."""
    folder = REPORTS / app
    versions = json.loads((ROOT / "scripts" / "versions.json").read_text())
    path = folder / "wapiti.json"
    if path.exists():
        doc = json.loads(path.read_text())
        [run] = read_scanner_output(str(path))
        locs = wapiti_locators(doc)
        assert len(locs) == len(run.findings), path
        for loc, f in zip(locs, run.findings):
            yield "wapiti", path, "wapiti-json", loc, f, scanner_version("wapiti", doc)
    path = folder / "drheader.json"
    if path.exists():
        doc = json.loads(path.read_text())
        [run] = read_scanner_output(str(path))
        locs = [pointer(i, "report", j) for i, t in enumerate(doc) for j in range(len(t.get("report") or []))]
        assert len(locs) == len(run.findings), path
        for loc, f in zip(locs, run.findings):
            yield "drheader", path, "drheader-json", loc, f, versions["drheader"]
    for path in sorted(folder.glob("observatory-*.json"), key=lambda p: int(p.stem.split("-")[1])):
        doc = json.loads(path.read_text())
        if "tests" not in doc:  # the CLI's {"error": ...}: the scan failed, the report holds no test
            continue
        [run] = read_scanner_output(str(path))
        failing = [name for name, t in doc["tests"].items() if t.get("pass") is False]
        assert len(failing) == len(run.findings), path
        for name, f in zip(failing, run.findings):
            yield "observatory", path, "observatory-json", pointer("tests", name), f, versions["observatory"]
    path = folder / "testssl.json"
    if path.exists():
        doc = json.loads(path.read_text())
        for i, item in enumerate(doc):
            # HTTP-level and certificate checks only: protocol/cipher/TLS-extension findings have no HTTP smell
            if item.get("severity") in TESTSSL_FINDING and item.get("id") in SMELL_MAP["testssl"]:
                yield "testssl", path, "testssl-json", pointer(i), item, versions["testssl"]


def load_exchanges(app: str) -> list[dict]:
    path = EXCHANGES / f"{app}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def exchange_for(exchanges: list[dict], url: str) -> dict | None:
    for x in exchanges:
        if url in (x["requested_url"], x["url"]):
            return x
    return None


# ---------------------------------------------------------------- smells and subjects

def smell_of(scanner: str, f, item: dict | None) -> tuple[str | None, str]:
    if scanner == "wapiti":
        rule = load_rules_map().lookup("Wapiti", f.rule)
        if rule:
            return rule.smell, "rules-map:plugins/http/rules/wapiti.yaml"
        return SMELL_MAP["wapiti"].get(f.rule), "reviewed:smells.yaml"
    if scanner == "drheader":
        return SMELL_MAP["drheader"].get(f.rule), "reviewed:smells.yaml"
    if scanner == "observatory":
        by_result = SMELL_MAP["observatory_results"].get(f.details["check_id"])
        return by_result or SMELL_MAP["observatory"].get(f.rule), "reviewed:smells.yaml"
    return SMELL_MAP["testssl"].get(item["id"]), "reviewed:smells.yaml"


def cookie_names(text: str) -> list[str]:
    return re.findall(r"cookie\s*:?\s*([^\s,;:]+)", text, re.I)


def subjects(scanner: str, smell: str, f, item: dict | None) -> list[dict]:
    """What the finding is about, as the policy code takes it; a finding about several flags gives several."""
    if scanner == "testssl":
        if smell == "cookie_flags":
            return [{"cookie": None, "flag": "secure" if "secure" in item["id"] else "httponly"}]
        return [{"header": {"hsts": "Strict-Transport-Security", "version_banner": "Server"}.get(smell)}] \
            if smell in HEADER_SMELLS else [{}]
    rule, d = f.rule, f.details
    if smell == "cookie_flags":
        if scanner == "wapiti":
            names = cookie_names(d["evidence"]) or [d["param"]]
            return [{"cookie": names[-1], "flag": WAPITI_FLAGS[rule]}]
        if scanner == "drheader":
            flags = [a.lower() for a in (f.raw.get("anomalies") or f.raw.get("expected") or [])]
            return [{"cookie": d["param"], "flag": flag} for flag in flags]
        data = f.raw.get("data") or {}
        result = d["check_id"]
        flag = "secure" if "secure" in result else "httponly" if "httponly" in result else "samesite"
        names = [n for n, c in data.items() if isinstance(c, dict) and not c.get(flag)] or list(data)
        return [{"cookie": n, "flag": flag} for n in names] or [{"cookie": None, "flag": flag}]
    if smell in HEADER_SMELLS:
        if scanner == "wapiti":
            return [{"header": WAPITI_HEADERS.get(rule)}]
        if scanner == "drheader":
            return [{"header": rule}]
        return [{"header": OBSERVATORY_HEADERS.get(rule, rule)}]
    return [{}]


# ---------------------------------------------------------------- the exchange judged

def judged_exchange(scanner: str, f, item, app: str, exchanges: list[dict], site: dict) -> tuple[dict, str, str | None]:
    """(the finding dict the policy code reads, exchange_in_report, exchange_ref)."""
    if scanner == "testssl":
        url = f"https://127.0.0.1:{item['port']}{site['paths'][0]}"
        x = exchange_for(exchanges, url)
        d = {"url": url, "evidence": item.get("finding", ""), "param": "", "attack": "", "request": None,
             "response": None}
        if x:
            d.update(url=x["url"], request=x["request"], response=x["response"])
        return d, "none", f"exchanges/{app}.jsonl#{x['id']}" if x else None
    d = copy.deepcopy(f.details)
    has_req, has_resp = d.get("request") is not None, d.get("response") is not None
    in_report = "full" if has_req and has_resp else "request" if has_req else "response" if has_resp else "none"
    if scanner == "wapiti" and has_resp:
        return d, in_report, None
    x = None
    if scanner == "wapiti" and d["check"] in WAPITI_FLAGS:
        name = subjects("wapiti", "cookie_flags", f, None)[0]["cookie"]  # an exchange that sets that cookie
        x = next((e for e in exchanges if any(k.lower() == "set-cookie" and v.split("=", 1)[0].strip() == name
                                              for k, v in e["response"]["headers"])), None)
    elif scanner == "observatory" and f.rule == "redirection":
        route = f.raw.get("route") or [d["url"]]
        x = exchange_for(exchanges, route[0])
        if x is None or x["requested_url"] != route[0] or x["redirects"]:
            # the first hop of the route: the report keeps only its status
            d["response"] = {"line": f"HTTP/1.1 {f.raw.get('statusCode')}", "status": f.raw.get("statusCode"),
                             "headers": [], "body": "", "body_note": "only the status is in the report"}
            if x is not None and x["redirects"]:
                hop = x["redirects"][0] if x["requested_url"] == route[0] else None
                if hop:
                    d["response"] = hop["response"]
            return d, in_report, None
    elif scanner in ("drheader", "observatory"):
        x = exchange_for(exchanges, d["url"])
    if x is not None:
        d["request"], d["response"] = x["request"], x["response"]
        if scanner != "wapiti":
            d["url"] = x["url"]  # the final response after redirects is the one the scanner judged
        return d, in_report, f"exchanges/{app}.jsonl#{x['id']}"
    return d, in_report, None


def propose(smell: str, d: dict, subs: list[dict]):
    """The policy code's verdict; for several subjects (flags) TP when any is TP."""
    verdicts = []
    for sub in subs:
        try:
            v = policy.judge(smell, d, sub)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return None, f"judge raised {type(exc).__name__}: {exc}"
        if v is None:
            return None, "judge returned None"
        verdicts.append(v)
    tp = [v for v in verdicts if v.label == "TP"]
    return (tp or verdicts)[0], verdicts


def facts_text(v) -> str:
    parts = []
    for k, val in v.facts.items():
        if val in (None, "", [], {}):
            continue
        text = str(val)
        parts.append(f"{k}={text[:160]}")
    return "; ".join(parts)


def proposal_reason(v) -> str:
    section = POLICY_RULE.get(v.rule, v.rule)
    text = REASON_TEXT.get((v.rule, v.reason), v.reason)
    facts = facts_text(v)
    return f"POLICY.md, {section}: {text}." + (f" Evidence: {facts}." if facts else "")


# ---------------------------------------------------------------- review

def evidence_summary(d: dict) -> dict:
    r = d.get("response") or {}
    hdrs = r.get("headers") or []
    return {"status": r.get("status"), "ctype": (header(hdrs, "Content-Type") or "").split(";")[0],
            "csp": header(hdrs, "Content-Security-Policy"), "html": policy.is_html(d) if r else None,
            "cookies": [v for k, v in hdrs if k.lower() == "set-cookie"],
            "sensitive": policy.sensitive(d) if r else ""}


def matches(entry: dict, rec: dict) -> bool:
    for key, want in entry["match"].items():
        if key == "subject":
            have = rec["subject"]
            if any(have.get(k) != v for k, v in want.items()):
                return False
            continue
        if key == "proposed_reason":
            have = (rec["proposed"] or {}).get("reason")
        elif key.startswith("ev_"):
            have = rec["_ev"].get(key[3:])
        elif key == "url_re":
            if not re.search(want, rec["url"]):
                return False
            continue
        elif key == "title_re":
            if not re.search(want, rec["rule_title"]):
                return False
            continue
        else:
            have = rec.get(key)
        if isinstance(want, list):
            if have not in want:
                return False
        elif have != want:
            return False
    return True


def fill(template: str, rec: dict, ev: dict) -> str:
    values = {**rec, **{f"ev_{k}": v for k, v in ev.items()}, "cookie": rec["subject"].get("cookie"),
              "flag": rec["subject"].get("flag"), "header": rec["subject"].get("header"),
              "https_port": rec["site"].get("https_port")}
    return template.format(**values)


def build(show_groups: bool = False) -> list[dict]:
    records, unreviewed = [], []
    for app_dir in sorted(p for p in REPORTS.iterdir() if (p / "site.json").exists()):
        app = app_dir.name
        site = json.loads((app_dir / "site.json").read_text())
        exchanges = load_exchanges(app)
        counters = Counter()
        for scanner, path, fmt, loc, f, version in report_findings(app):
            item = f if scanner == "testssl" else None
            fin = None if scanner == "testssl" else f
            smell, source = smell_of(scanner, fin, item)
            if smell not in SMELLS:
                raise SystemExit(f"{path}: {loc}: no canonical smell for {scanner} rule "
                                 f"{(item or {}).get('id') or fin.rule!r}; add it to smells.yaml")
            subs = subjects(scanner, smell, fin, item)
            d, in_report, ref = judged_exchange(scanner, fin, item, app, exchanges, site)
            verdict, why_none = propose(smell, d, subs)
            all_verdicts = why_none if isinstance(why_none, list) else []
            n = counters[scanner]
            counters[scanner] += 1
            rel = str(path.relative_to(ROOT))
            edits = [e for e in json.loads((app_dir / "EDITS.json").read_text())
                     if e.get("file") == path.name and e["pointer"].startswith(loc + "/")]
            if scanner == "testssl":
                rule_id, title, severity, url, method = item["id"], item.get("finding", ""), item["severity"], d["url"], ""
            else:
                rule_id = fin.details["check_id"] if scanner != "wapiti" else fin.rule
                title = fin.message
                severity = str(fin.raw.get("severity", fin.raw.get("level", ""))) if scanner != "observatory" else \
                    str(fin.raw.get("scoreModifier", ""))
                url, method = fin.details["url"], fin.details["method"]
            subject = subs[0] if len(subs) == 1 else {
                key: ",".join(dict.fromkeys(str(s[key]) for s in subs)) for key in ("cookie", "flag")}
            rec = {
                "id": f"{app}/{scanner}/{n}", "app": app, "app_family": site["family"], "scanner": scanner,
                "scanner_version": version, "report": rel, "report_format": fmt, "locator": loc, "url": url,
                "method": method, "rule_id": rule_id, "rule_title": title, "severity": severity,
                "subject": {k: v for k, v in subject.items() if v is not None}, "smell": smell,
                "smell_source": source, "exchange_in_report": in_report, "exchange_ref": ref,
                "report_edits": [f"{e['pointer'][len(loc) + 1:]} {e['note'].split(' ', 1)[1]}" for e in edits],
                "site": {"https_host": site["https_host"], "https_port": site["https_port"]},
                "proposed": ({"label": verdict.label, "rule": verdict.rule, "reason": verdict.reason}
                             if verdict else None),
            }
            ev = evidence_summary(d)
            rec["_ev"] = ev
            entry = next((e for e in REVIEW if matches(e, rec)), None)
            if entry is None:
                if verdict is None:
                    unreviewed.append((rec, ev, why_none))
                    continue
                same = [v for v in all_verdicts if v.label == verdict.label] or [verdict]
                # several subjects (cookies, flags): the reason names each one's verdict
                rec["label"] = verdict.label
                rec["reason"] = " ".join(dict.fromkeys(proposal_reason(v) for v in same))
                if ev["status"] is not None:
                    rec["reason"] += f" Judged on: status {ev['status']}, {ev['ctype'] or 'no Content-Type'}" + (
                        f" ({ref})." if ref else " (the report's exchange).")
            else:
                rec["label"] = entry["label"]
                rec["reason"] = fill(entry["reason"], rec, ev)
                if verdict is None or verdict.label != entry["label"]:
                    rec["review_note"] = fill(entry["review_note"], rec, ev)
            records.append(rec)
    if show_groups:
        print_groups(records, unreviewed)
    if unreviewed:
        for rec, ev, why in unreviewed[:40]:
            print(f"UNREVIEWED {rec['id']} {rec['rule_id']!r} {rec['smell']} {rec['subject']} {rec['url']} "
                  f"{why} {ev}", file=sys.stderr)
        raise SystemExit(f"{len(unreviewed)} findings the policy code cannot decide and no review entry covers")
    return records


def print_groups(records: list[dict], unreviewed) -> None:
    groups = defaultdict(list)
    for r in records:
        ev = r["_ev"]
        key = (r["app"], r["scanner"], r["rule_id"], r["smell"], json.dumps(r["subject"]),
               (r["proposed"] or {}).get("label"), (r["proposed"] or {}).get("reason"), r["label"],
               ev["status"], ev["ctype"], bool(ev["csp"]), ev["html"], bool(ev["sensitive"]))
        groups[tuple(str(k) for k in key)].append(r)
    for key, rs in sorted(groups.items()):
        print(len(rs), " | ".join(str(k) for k in key), "|", rs[0]["url"], "|", rs[0]["rule_title"][:100],
              "| review" if "review_note" in rs[0] else "")
    for rec, ev, why in unreviewed:
        print("NONE", rec["app"], rec["scanner"], rec["rule_id"], rec["smell"], rec["subject"], rec["url"], why, ev)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--groups", action="store_true")
    args = ap.parse_args()
    records = build(show_groups=args.groups)
    if args.groups:
        return 0
    with open(ROOT / "labels.jsonl", "w") as fh:
        for r in sorted(records, key=lambda r: (r["app"], r["scanner"], int(r["id"].rsplit("/", 1)[1]))):
            r.pop("_ev")
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    c = Counter(r["label"] for r in records)
    print(f"{len(records)} findings: {c['TP']} TP, {c['FP']} FP, "
          f"{sum('review_note' in r for r in records)} changed by review")
    return 0


if __name__ == "__main__":
    sys.exit(main())
