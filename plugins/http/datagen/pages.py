"""An HTTP exchange under construction (``Page``) and the small builders every site template uses."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from ..exchange import details

REASONS = {200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently", 302: "Found",
           303: "See Other", 304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect",
           400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 500: "Internal Server Error", 501: "Not Implemented",
           502: "Bad Gateway", 503: "Service Unavailable"}

USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0",
    "Wapiti/3.2.2",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/41.0.2228.0 Safari/537.36",
]
FIRST = ["alice", "bob", "carol", "dmitri", "eva", "farid", "grace", "hiro", "ines", "jamal", "kim", "lena",
         "marco", "nadia", "oscar", "priya", "quinn", "rosa", "sven", "tariq", "uma", "viktor", "wen", "yara"]
LAST = ["martin", "okafor", "schmidt", "tanaka", "silva", "novak", "haddad", "kowalski", "nguyen", "larsen",
        "moreau", "rossi", "ivanova", "chen", "garcia", "oneill"]
ORGS = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell", "cyberdyne", "soylent",
        "vandelay", "wonka", "dunder", "aperture", "oscorp", "massive", "pied", "contoso", "fabrikam", "northwind"]
TLDS = ["example", "example.com", "example.org", "example.net", "corp.example", "test", "internal.example"]


@dataclass
class Page:
    """One request/response pair being built; ``finding()`` turns it into a Finding.details dict."""
    url: str
    method: str = "GET"
    req_headers: list = field(default_factory=list)
    req_body: str = ""
    status: int = 200
    headers: list = field(default_factory=list)
    body: str = ""
    body_note: str = ""
    kind: str = ""

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0]

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1].split("/", 1)[0]

    @property
    def path(self) -> str:
        rest = self.url.split("://", 1)[1]
        return "/" + rest.split("/", 1)[1] if "/" in rest else "/"

    def get(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def set(self, name: str, value: str | None) -> "Page":
        """Set (or with None remove) a response header, keeping its place when it exists."""
        idx = [i for i, (k, _) in enumerate(self.headers) if k.lower() == name.lower()]
        if value is None:
            self.headers = [h for i, h in enumerate(self.headers) if i not in idx]
        elif idx:
            self.headers[idx[0]] = [self.headers[idx[0]][0], value]
            self.headers = [h for i, h in enumerate(self.headers) if i not in idx[1:]]
        else:
            self.headers.append([name, value])
        return self

    def add(self, name: str, value: str) -> "Page":
        self.headers.append([name, value])
        return self

    def set_req(self, name: str, value: str | None) -> "Page":
        self.req_headers = [h for h in self.req_headers if h[0].lower() != name.lower()]
        if value is not None:
            self.req_headers.append([name, value])
        return self

    def finding(self, *, scanner: str, check: str, check_id: str, param: str = "", evidence: str = "",
                attack: str = "") -> dict:
        path = self.path
        request = {"line": f"{self.method} {path} HTTP/1.1", "headers": [list(h) for h in self.req_headers],
                   "body": self.req_body}
        headers = [list(h) for h in self.headers]
        if self.body or self.body_note:
            length = len(self.body.encode()) if self.body else int(self.body_note.split("(")[1].split()[0])
        else:
            length = 0
        if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in headers):
            headers.insert(min(3, len(headers)), ["Content-Length", str(length)])
        response = {"line": f"HTTP/1.1 {self.status} {REASONS.get(self.status, 'Unknown')}",
                    "status": self.status, "headers": headers, "body": self.body, "body_note": self.body_note}
        return details(scanner=scanner, check=check, check_id=check_id, url=self.url, method=self.method,
                       param=param, evidence=evidence, attack=attack, request=request, response=response)


@dataclass
class Ctx:
    """What stays fixed for one case: the randomness, the host, the scan date."""
    rng: random.Random
    host: str
    org: str
    date: datetime

    @classmethod
    def make(cls, rng: random.Random, subdomains: list[str]) -> "Ctx":
        org = rng.choice(ORGS)
        sub = rng.choice(subdomains)
        tld = rng.choice(TLDS)
        host = f"{sub}.{org}.{tld}" if sub else f"{org}.{tld}"
        if rng.random() < 0.15:
            host += rng.choice([":8443", ":8080", ":8000", ":8888", ":3000", ":9000"])
        date = datetime(2025, 1, 6, tzinfo=timezone.utc) + timedelta(minutes=rng.randrange(0, 60 * 24 * 600))
        return cls(rng, host, org, date)

    def http_date(self, delta_days: float = 0) -> str:
        return format_datetime(self.date + timedelta(days=delta_days), usegmt=True)

    def user(self) -> tuple[str, str]:
        return self.rng.choice(FIRST), self.rng.choice(LAST)

    def hexid(self, n: int = 32) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def token(self, n: int = 40) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return "".join(self.rng.choice(alphabet) for _ in range(n))


def request_headers(ctx: Ctx, accept: str = "text/html,application/xhtml+xml,*/*;q=0.8") -> list:
    rng = ctx.rng
    hdrs = [["Host", ctx.host], ["User-Agent", rng.choice(USER_AGENTS)], ["Accept", accept]]
    if rng.random() < 0.5:
        hdrs.append(["Accept-Language", rng.choice(["en-US,en;q=0.9", "en", "de-DE,de;q=0.8,en;q=0.5"])])
    if rng.random() < 0.4:
        hdrs.append(["Accept-Encoding", "gzip, deflate"])
    if rng.random() < 0.3:
        hdrs.append(["Connection", rng.choice(["close", "keep-alive"])])
    return hdrs


def html_doc(title: str, inner: str, *, head_extra: str = "", lang: str = "en") -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n"
            f"{head_extra}</head>\n<body>\n{inner}\n</body>\n</html>\n")
