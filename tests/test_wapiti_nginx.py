"""A real scanner against a real server: Wapiti 3 scans two nginx sites on 127.0.0.1, iacfilter filters its report.

Needs Debian's ``nginx``, ``openssl`` and ``wapiti`` (PyPI ``wapiti3``) on PATH, or ``IACFILTER_WAPITI`` naming the
wapiti executable; ``.ci/run`` installs them. Skips, saying which is missing, where they are not installed.
Takes about a minute: Wapiti runs bounded by ``--max-scan-time``/``--max-attack-time`` and a subprocess timeout.

The hardened site (HTTPS, self-signed certificate made here) sends HSTS for a year, a sound CSP with
``frame-ancestors``, ``X-Content-Type-Options`` and a ``Secure; HttpOnly; SameSite=Strict`` session cookie, and no
version banner. The careless site (plain HTTP) serves HTML with a session cookie without flags, ``server_tokens on``
(``Server: nginx/1.x``), no CSP, a login form without an anti-CSRF token and ``/index.php.bak`` with PHP source.
``policy_label`` gives each real finding POLICY.md's label; the verdicts of ``iacfilter filter`` are checked against it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import jsonschema
import pytest
from conftest import SARIF_SCHEMA

from iacfilter.inputs import read_scanner_output

WAPITI = os.environ.get("IACFILTER_WAPITI") or shutil.which("wapiti")
MISSING = [name for name, path in (("nginx", shutil.which("nginx")), ("openssl", shutil.which("openssl")),
                                    ("wapiti (pip install wapiti3)", WAPITI)) if not path]
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)} (.ci/run installs them)")

MODULES = "http_headers,csp,cookieflags,backup,csrf,https_redirect,methods"
SCAN_SECONDS = 40
WAPITI_TIMEOUT = 90

LOGIN = """<!doctype html><html><head><title>Shop login</title></head><body>
<h1>Sign in</h1>
<form method="POST" action="/login"><input name="user"><input type="password" name="password">
<input type="submit" value="Sign in"></form>
<a href="/about.html">About</a> <a href="/index.php">Shop</a></body></html>
"""
BACKUP = """<?php
$db = new PDO('mysql:host=localhost;dbname=shop', 'shop', getenv('DB_PASSWORD'));
session_start();
if ($_POST['user']) { login($db, $_POST['user'], $_POST['password']); }
"""
HARDENED_HEADERS = """
        add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
        add_header Content-Security-Policy "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'" always;
        add_header X-Content-Type-Options "nosniff" always;
        add_header X-Frame-Options "DENY" always;
        add_header Referrer-Policy "no-referrer" always;
        add_header Set-Cookie "session=4f1c2e9a; Path=/; Secure; HttpOnly; SameSite=Strict" always;
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_sites(root: Path, careless_port: int, hardened_port: int) -> Path:
    """nginx prefix under ``root`` with both sites, a self-signed certificate, and the config file's path."""
    for name in ("careless", "hardened", "logs", "tmp"):
        (root / name).mkdir(parents=True, exist_ok=True)
    for site in ("careless", "hardened"):
        (root / site / "index.html").write_text(LOGIN)
        (root / site / "about.html").write_text("<!doctype html><html><body><p>About us.</p></body></html>\n")
    (root / "careless" / "index.php.bak").write_text(BACKUP)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    temp = " ".join(f"{kind}_temp_path {root / 'tmp'};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = root / "nginx.conf"
    conf.write_text(f"""
daemon off;
master_process off;
pid {root / 'nginx.pid'};
error_log {root / 'logs' / 'error.log'} warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    {temp}
    server {{
        listen 127.0.0.1:{careless_port};
        server_name careless;
        server_tokens on;
        root {root / 'careless'};
        add_header Set-Cookie "PHPSESSID=9d3b7c1a5e; Path=/";
        location = /login {{ default_type text/html; return 200 "<!doctype html><html><body>Welcome</body></html>"; }}
        location = /index.php {{ default_type text/html; return 200 "<!doctype html><html><body>Shop</body></html>"; }}
    }}
    server {{
        listen 127.0.0.1:{hardened_port} ssl;
        server_name hardened;
        server_tokens off;
        ssl_certificate {root / 'cert.pem'};
        ssl_certificate_key {root / 'key.pem'};
        root {root / 'hardened'};
        {HARDENED_HEADERS}
        location = /login {{ return 303 /; }}
    }}
}}
""")
    return conf


class Nginx:
    """nginx in the foreground on its own prefix; stopped (and killed if it must be) on exit."""

    def __init__(self, conf: Path, ports: tuple[int, ...]):
        self.conf, self.ports, self.proc = conf, ports, None

    def __enter__(self):
        root = self.conf.parent
        self.proc = subprocess.Popen(["nginx", "-p", str(root), "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 15
        for port in self.ports:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"nginx exited: {self.proc.stderr.read().decode(errors='replace')[-500:]}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"nginx did not listen on {port} within 15 s") from None
                    time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc.stderr.close()


def run_wapiti(url: str, report: Path, home: Path) -> subprocess.CompletedProcess:
    """Wapiti on ``url`` only (scope folder), bounded in time, JSON report with full exchanges (-dr 2)."""
    command = [WAPITI, "-u", url, "--scope", "folder", "-m", MODULES, "--flush-session", "-d", "2",
               "--max-links-per-page", "20", "--max-scan-time", str(SCAN_SECONDS), "--max-attack-time", "20",
               "-t", "5", "-f", "json", "-o", str(report), "-dr", "2", "--no-bugreport", "-v", "0",
               "--store-session", str(home / "session"), "--store-config", str(home / "config")]
    env = {**os.environ, "HOME": str(home), "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=WAPITI_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise AssertionError(f"wapiti ran past {WAPITI_TIMEOUT} s: {out[-2000:]}") from None
    return subprocess.CompletedProcess(command, proc.returncode, out, "")


def policy_label(details: dict, *, https_host: bool, session_cookie: str = "") -> tuple[str, str]:
    """The label ../shared/data/http/POLICY.md gives a finding, judged on its exchange: (TP|FP, the rule).

    ``https_host``: whether the host also serves HTTPS (decides Secure on cookies). ``session_cookie``: the
    Set-Cookie the site sends, for findings whose report carries no response (Wapiti's cookie and CSRF modules).
    Covers the checks these nginx sites raise; an unknown check is a KeyError, never a guess.
    """
    response = details.get("response") or {}
    headers = {k.lower(): v for k, v in response.get("headers") or []}
    status = response.get("status") or 0
    scheme = urlparse(details["url"]).scheme
    check = details["check"].lower()
    ctype = headers.get("content-type", "")
    html = status < 300 and bool(response.get("body")) and ctype.startswith(("text/html", "application/xhtml+xml",
                                                                                 "image/svg+xml"))
    csp = headers.get("content-security-policy", "")
    sound_csp = ("default-src" in csp or "script-src" in csp) and "'unsafe-inline'" not in csp
    cookie = headers.get("set-cookie", session_cookie)
    cookie_name = cookie.split("=", 1)[0].strip().lower()
    session = any(k in cookie_name for k in ("session", "sid", "auth", "token")) and cookie_name not in ("_xsrf",
                                                                                                          "csrftoken")
    if "strict transport" in check:
        if scheme != "https":
            return "FP", "hsts-on-plain-http"
        return ("TP", "hsts-missing") if "strict-transport-security" not in headers else ("FP", "hsts-present")
    if "content security policy" in check:
        return ("TP", "csp-missing-on-html") if html and not sound_csp else ("FP", "csp-sound-or-not-html")
    if "clickjacking" in check:
        return ("TP", "framing-html-without-frame-ancestors") if html and "frame-ancestors" not in csp else \
            ("FP", "framing-covered-or-not-html")
    if "mime type" in check:
        return ("TP", "optional-header-html-without-sound-csp") if html and not sound_csp else \
            ("FP", "optional-header-covered-or-not-html")
    if "cookie" in check:
        flag = "httponly" if "httponly" in check else "secure" if "secure" in check else "samesite"
        if not session:
            return "FP", "cookie-not-a-session-cookie"
        if flag == "secure" and not https_host:
            return "FP", "secure-missing-on-plain-http-only-host"
        return ("TP", f"session-cookie-without-{flag}") if flag not in cookie.lower() else ("FP", f"{flag}-set")
    if "unencrypted" in check:
        return ("TP", "html-over-plain-http") if scheme == "http" and status and status < 300 else \
            ("FP", "plain-http-only-redirects")
    if "backup" in check:
        body = response.get("body", "").lstrip()
        source = body.startswith(("<?php", "<%", "#!")) or not ctype.startswith("text/html")
        return ("TP", "backup-file-is-served") if status == 200 and source else ("FP", "backup-soft-404")
    if "request forgery" in check:
        body = (details.get("request") or {}).get("body", "")
        token = any(name in body for name in ("csrf", "token", "sectok", "_token"))
        samesite = session and any(f"samesite={v}" in cookie.lower().replace(" ", "") for v in ("lax", "strict"))
        return ("FP", "csrf-token-or-samesite-session") if token or samesite else ("TP", "csrf-no-token-no-samesite")
    if "http methods" in check:
        named = {m for m in ("TRACE", "PUT", "DELETE") if m in details.get("evidence", "").upper()}
        return ("TP", "dangerous-method-enabled") if named else ("FP", "no-dangerous-method-enabled")
    raise KeyError(f"no POLICY.md rule in this test for {details['check']!r}")


CARELESS_COOKIE = "PHPSESSID=9d3b7c1a5e; Path=/"
HARDENED_COOKIE = "session=4f1c2e9a; Path=/; Secure; HttpOnly; SameSite=Strict"
# What POLICY.md says about each check Wapiti raises on the two sites (the sites are built to make these true).
EXPECTED = {
    "careless": {
        "Backup file": "TP", "Content Security Policy Configuration": "TP", "Clickjacking Protection": "TP",
        "MIME Type Confusion": "TP", "HttpOnly Flag cookie": "TP", "Unencrypted Channels": "TP",
        "Cross Site Request Forgery": "TP", "Secure Flag cookie": "FP", "HTTP Methods": "FP",
    },
    "hardened": {"Cross Site Request Forgery": "FP", "HTTP Methods": "FP"},
}
SITE = {"careless": {"https_host": False, "session_cookie": CARELESS_COOKIE},
        "hardened": {"https_host": True, "session_cookie": HARDENED_COOKIE}}


@pytest.fixture(scope="module")
def wapiti_reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("nginx")
    careless, hardened = free_port(), free_port()
    conf = make_sites(root, careless, hardened)
    reports = {}
    with Nginx(conf, (careless, hardened)):
        for name, url in (("careless", f"http://127.0.0.1:{careless}/"), ("hardened", f"https://127.0.0.1:{hardened}/")):
            report = root / f"{name}.json"
            result = run_wapiti(url, report, root / f"home-{name}")
            assert result.returncode == 0 and report.exists(), result.stdout[-2000:]
            reports[name] = report
    return reports


def report_count(report: Path) -> int:
    doc = json.loads(report.read_text())
    return sum(len(items) for part in ("vulnerabilities", "anomalies", "additionals") for items in doc[part].values())


def test_wapiti_report_reads_finding_for_finding(wapiti_reports):
    for name, report in wapiti_reports.items():
        [run] = read_scanner_output(str(report))
        assert run.input_format == "Wapiti JSON" and run.driver["name"] == "Wapiti"
        assert len(run.findings) == report_count(report) > 0
        for f in run.findings:
            assert f.tool == "Wapiti" and f.path.startswith(("http://127.0.0.1:", "https://127.0.0.1:"))
            assert f.details["request"] is not None
            assert f.details["response"] is not None or f.details["exchange_note"]


@pytest.mark.parametrize("site", ["careless", "hardened"])
def test_policy_labels_of_the_real_findings(wapiti_reports, site):
    [run] = read_scanner_output(str(wapiti_reports[site]))
    labels = {}
    for f in run.findings:
        label, _ = policy_label(f.details, **SITE[site])
        labels.setdefault(f.rule, set()).add(label)
    assert labels == {rule: {label} for rule, label in EXPECTED[site].items()}


def filtered_reports(reports: dict, tmp_path: Path, run_cli) -> list[tuple[str, object, dict]]:
    """(site, finding, its iacfilter annotation) for every finding of both real reports, through 'iacfilter filter'
    with the installed default champions; checks that the SARIF is schema-valid and holds every finding."""
    schema = json.loads(SARIF_SCHEMA.read_text())
    out_rows = []
    for site, report in reports.items():
        out = tmp_path / f"{site}.sarif"
        result = run_cli("filter", report, "-o", out, "-q")
        assert result.exit_code == 0, result.output
        log = json.loads(out.read_text())
        jsonschema.validate(log, schema)
        [sarif_run] = log["runs"]
        assert sarif_run["tool"]["driver"]["name"] == "Wapiti"
        findings = read_scanner_output(str(report))[0].findings
        assert len(sarif_run["results"]) == len(findings)  # annotate mode: every finding is there, filtered or not
        for finding, res in zip(findings, sarif_run["results"]):
            assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == finding.path
            out_rows.append((site, finding, res["properties"]["iacfilter"]))
    return out_rows


# The findings the shipped http-default champion gets wrong today, as (site, Wapiti category, label, verdict):
# the hardened site's CSRF finding is FP by POLICY.md (its form carries a non-empty token and the session cookie
# is SameSite=Strict) but Wapiti's report keeps no response and the model keeps it (score 0.97). The test asserts
# this set exactly, so a model that stops making a mistake, or starts making another, fails it until it is updated.
MODEL_MISSES = {("hardened", "Cross Site Request Forgery", "FP", "kept")}


def test_filter_keeps_the_real_problems_and_filters_the_policy_noise(wapiti_reports, run_cli, tmp_path):
    """Every finding of both real reports, with or without a response in the report, against its POLICY.md label."""
    rows = filtered_reports(wapiti_reports, tmp_path, run_cli)
    misses = set()
    for site, finding, note in rows:
        assert note["technology"] == "http" and note["smell"], (finding.rule, note)
        label, rule = policy_label(finding.details, **SITE[site])
        wanted = "filtered" if label == "FP" else "kept"
        if note["verdict"] != wanted:
            misses.add((site, finding.rule, label, note["verdict"]))
    assert misses == MODEL_MISSES
    assert {(s, f.rule) for s, f, n in rows if n["verdict"] == "kept"} >= {
        ("careless", rule) for rule in ("Backup file", "Content Security Policy Configuration", "Clickjacking Protection",
                                        "MIME Type Confusion", "Unencrypted Channels")}


def test_real_problems_reported_without_a_response_are_not_filtered(wapiti_reports, run_cli, tmp_path):
    for site, finding, note in filtered_reports(wapiti_reports, tmp_path, run_cli):
        if finding.details["response"] is None and policy_label(finding.details, **SITE[site])[0] == "TP":
            assert note["verdict"] != "filtered", (site, finding.rule, note)

