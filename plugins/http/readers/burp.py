"""Reader for Burp Suite's XML issues export (``<issues burpVersion=...><issue>...</issue></issues>``).

One Finding per ``<issue>``; the rule is its numeric ``<type>`` (Burp's issue type index). The first
``<requestresponse>`` gives the exchange: ``<request>`` / ``<response>`` are raw HTTP, base64-encoded when their
``base64`` attribute is ``true`` (Burp's "Base64-encode requests and responses" export option). An issue exported
without them, or whose base64 does not decode, is kept with ``exchange_note`` saying why.

The XML is parsed with defusedxml: any entity declaration (internal or external) is refused, so neither entity
expansion ("billion laughs") nor external entities can happen. Burp's exports carry an internal DTD that only
declares elements and attributes; that much is accepted.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from iacfilter.findings import Finding
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import Reader, ScanRun

from ..exchange import details, parse_request, parse_response
from ..masking import mask_url
from .common import missing_note

TOOL = "Burp Suite"
INFORMATION_URI = "https://portswigger.net/burp"
NOT_EXPORTED = "Burp's export carries no request/response for this issue (exported without them)"
# Burp's issue detail names what it sent: "The payload <b>...</b> was submitted in the <b>q</b> parameter."
_PAYLOAD = re.compile(r"The payload\s*<b>(.*?)</b>\s*was submitted", re.S | re.I)
_PARAM = re.compile(r"\[([^\[\]]+?) (?:parameter|cookie|header|URL path filename|URL path folder)\]")


def sniff(head: str) -> float:
    start = head.lstrip("\ufeff \t\r\n")
    if not start.startswith("<"):
        return 0.0
    if re.search(r"<issues\b[^>]*\bburpVersion=", start[:65536]):
        return 1.0
    return 0.9 if re.search(r"<!DOCTYPE issues\b|<issues\b", start[:65536]) else 0.0


def _parse(text: str) -> Element:
    try:
        return fromstring(text, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ValueError(f"refused: the XML declares entities or external references ({type(exc).__name__}); "
                         "a Burp export has none") from None
    except ParseError as exc:
        raise ValueError(f"not well-formed XML ({exc})") from None


def _message(element: Element | None, what: str) -> tuple[str | None, str]:
    """The raw HTTP message in ``element`` as text, and a note when it cannot be read."""
    if element is None or not (element.text or "").strip():
        return None, ""
    raw = element.text or ""
    if (element.get("base64") or "").lower() == "true":
        try:
            data = base64.b64decode("".join(raw.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            return None, f"{what}: base64 does not decode ({exc})"
        raw = data.decode("utf-8", errors="replace")
    return raw, ""


def plain_text(markup: str) -> str:
    """Burp's HTML detail as one line of text."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def _finding(origin: str, issue: Element, where: str) -> Finding:
    def child(tag: str) -> str:
        return (issue.findtext(tag) or "").strip()

    kind, name = child("type"), child("name")
    if not kind or not name:
        raise ValueError(f"{where}: <type> and <name> are required")
    url = child("host").rstrip("/") + child("path")
    location = child("location")
    param = _PARAM.search(location)
    detail = child("issueDetail")
    payload = _PAYLOAD.search(detail)
    exchange = issue.find("requestresponse")
    request = response = None
    notes: list[str] = []
    if exchange is not None:
        raw_request, note = _message(exchange.find("request"), "request")
        notes += [note] if note else []
        raw_response, note = _message(exchange.find("response"), "response")
        notes += [note] if note else []
        request, response = parse_request(raw_request), parse_response(raw_response)
    method = request["line"].split(" ", 1)[0] if request else ""
    if not method and exchange is not None and exchange.find("request") is not None:
        method = exchange.find("request").get("method", "")
    note = "; ".join(notes) or missing_note(request, response, NOT_EXPORTED)
    record = {child_el.tag: (child_el.text or "").strip() for child_el in issue if child_el.tag != "requestresponse"}
    record["host_ip"] = (issue.find("host").get("ip", "") if issue.find("host") is not None else "")
    record["requestresponse"] = [
        {el.tag: {"attributes": dict(el.attrib), "text": el.text or ""} for el in rr}
        for rr in issue.findall("requestresponse")
    ]
    return Finding(
        tool=TOOL,
        rule=kind,
        path=mask_url(url),  # the SARIF location: session ids and tokens masked
        line=None,
        message=name,
        code=location,  # e.g. "/search [q parameter]": tells apart two issues of one type on one path
        origin=origin,
        raw=record,
        details=details(scanner=TOOL, check=name, check_id=kind, url=url, method=method,
                        param=param.group(1) if param else "", evidence=plain_text(detail),
                        attack=html.unescape(payload.group(1)) if payload else "", request=request, response=response,
                        exchange_note=note),
    )


def read(origin: str, text: str) -> list[ScanRun]:
    root = _parse(text)
    if root.tag != "issues":
        raise ValueError(f"the root element is <{root.tag}>, not <issues>: not a Burp issues export")
    findings = [_finding(origin, issue, f"issue {n}") for n, issue in enumerate(root.findall("issue"), start=1)]
    driver = {"name": TOOL, "informationUri": INFORMATION_URI}
    if root.get("burpVersion"):
        driver["version"] = root.get("burpVersion")
    return [ScanRun(origin=origin, driver=driver, findings=findings, input_format="Burp Suite XML issues export")]


@hookimpl
def register_readers(register):
    register(Reader("burp-xml", "Burp Suite XML issues export", sniff, read))
