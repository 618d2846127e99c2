"""Reader for Nuclei's JSON output: JSON Lines (``-jsonl`` / ``-j``; one result event a line) or the JSON array
of ``-json-export``. One Finding per result event.

The rule is ``template-id:matcher-name`` (as Nuclei prints it: ``[http-missing-security-headers:x-frame-options]``)
where the rules map knows that pair, since one template may check many things; else the ``template-id``.
``request`` / ``response`` hold the raw exchange; ``-omit-raw`` output has neither, and such a finding is kept with
``exchange_note`` saying so.
"""

from __future__ import annotations

import re

from iacfilter.findings import Finding
from iacfilter.validate import split_lines
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import Reader, ScanRun
from iacfilter.rules import load_rules_map

from ..exchange import details
from ..masking import mask_url
from .common import expect, load_json, looks_like_sarif, missing_note, request_from, response_from, text_field

TOOL = "Nuclei"
INFORMATION_URI = "https://github.com/projectdiscovery/nuclei"
OMIT_RAW = "Nuclei wrote no request/response for this result (run with -omit-raw, or not an HTTP template)"
_TEMPLATE_ID = re.compile(r'"template-id"\s*:\s*"')


def sniff(head: str) -> float:
    start = head.lstrip()
    if looks_like_sarif(start):
        return 0.0
    if start.startswith("{"):
        first = start.split("\n", 1)[0]
        return 0.9 if _TEMPLATE_ID.search(first) else 0.0
    if start.startswith("["):
        return 0.9 if _TEMPLATE_ID.search(start[:4096]) else 0.0
    return 0.0


def _events(text: str):
    """(where, event) for each result event, JSONL or a JSON array."""
    if text.lstrip().startswith("["):
        for i, event in enumerate(expect(load_json(text), list, "the report")):
            yield f"event [{i}]", event
        return
    for number, line in enumerate(split_lines(text), start=1):
        if not line.strip():
            continue
        try:
            event = load_json(line)
        except ValueError as exc:  # the line is the document: its line 1 is the file's line ``number``
            why = str(exc).replace("not valid JSON (line 1, column", "not a JSON object (column")
            raise ValueError(f"line {number}: {why}") from None
        yield f"line {number}", event


def _finding(origin: str, event: dict, where: str) -> Finding:
    expect(event, dict, where)
    template = text_field(event, "template-id", where)
    if not template:
        raise ValueError(f'{where}: "template-id" is missing: not a Nuclei result event')
    info = expect(event.get("info") or {}, dict, f"{where}: info")
    name = text_field(info, "name", f"{where}: info") or template
    matcher = text_field(event, "matcher-name", where)
    check_id = f"{template}:{matcher}" if matcher else template
    rule = check_id if matcher and load_rules_map().lookup(TOOL, check_id) else template
    extracted = expect(event.get("extracted-results") or [], list, f"{where}: extracted-results")
    url = text_field(event, "matched-at", where) or text_field(event, "url", where) or text_field(event, "host", where)
    if "://" not in url and text_field(event, "type", where) == "ssl":  # TLS templates match "host:port"
        url = f"https://{url}"
    request = request_from(text_field(event, "request", where))
    response = response_from(text_field(event, "response", where))
    method = request["line"].split(" ", 1)[0] if request else ""
    evidence = ", ".join(str(x) for x in extracted)
    return Finding(
        tool=TOOL,
        rule=rule,
        path=mask_url(url),  # the SARIF location: session ids and tokens masked
        line=None,
        message=f"{name} [{matcher}]" if matcher else name,
        code=evidence or matcher,
        origin=origin,
        raw=event,
        details=details(scanner=TOOL, check=name, check_id=check_id, url=url,
                        method=method, param=matcher or text_field(event, "fuzzing_parameter", where),
                        evidence=evidence, request=request, response=response,
                        exchange_note=missing_note(request, response, OMIT_RAW), rule_text=_rule_text(info)),
    )


def _rule_text(info: dict) -> str:
    """The template's description, tags and CWE ids (``info``), as words."""
    tags = info.get("tags")
    tags = tags if isinstance(tags, list) else str(tags or "").split(",")
    cwe = (info.get("classification") or {}).get("cwe-id") if isinstance(info.get("classification"), dict) else None
    cwe = cwe if isinstance(cwe, list) else [cwe] if cwe else []
    parts = [str(info.get("description") or ""), " ".join(str(t) for t in tags), " ".join(str(c) for c in cwe)]
    return " ".join(p for p in parts if p.strip())


def read(origin: str, text: str) -> list[ScanRun]:
    findings = [_finding(origin, event, where) for where, event in _events(text)]
    driver = {"name": TOOL, "informationUri": INFORMATION_URI}
    return [ScanRun(origin=origin, driver=driver, findings=findings, input_format="Nuclei JSONL")]


@hookimpl
def register_readers(register):
    register(Reader("nuclei-jsonl", "Nuclei JSON Lines output (-jsonl, or the -json-export array)", sniff, read))
