"""Start each app alone on 127.0.0.1, run the scanners on it (bounded in time and requests), stop it, keep the reports.

    python scripts/scan.py [APP ...]                    # all apps when none is named
    python scripts/scan.py --exchanges-only [APP ...]   # refetch exchanges/<app>.jsonl only

Per app, under ``reports/<app>/``: ``wapiti.json`` (Wapiti 3, ``-f json -dr 2``), ``drheader.json`` (drheader
``scan bulk`` JSON, one target per path, GET), ``observatory-<k>.json`` (the MDN HTTP Observatory CLI, one
document per path, ``targets.json`` says which), ``testssl.json`` (testssl.sh ``--jsonfile``, apps with a TLS
port), ``<scanner>.log`` (the tail of what the scanner printed), ``EDITS.json`` (bodies cut or omitted); and
``exchanges/<app>.jsonl``: every drheader/Observatory target fetched with GET right after the scans.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from apps import APPS_BY_NAME, APPS_LIST, HOST, VENVS, App, Running  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
EXCHANGES = ROOT / "exchanges"
WORK = Path(os.environ.get("HTTP_REAL_WORK", "/tmp/http-real-work"))
WAPITI = os.environ.get("HTTP_REAL_WAPITI", str(VENVS / "wc-wapiti" / "bin" / "wapiti"))
DRHEADER = os.environ.get("HTTP_REAL_DRHEADER", str(VENVS / "wc-drheader" / "bin" / "drheader"))
OBSERVATORY = os.environ.get("HTTP_REAL_OBSERVATORY",
                             "/work/webcorpus-tools/obs/node_modules/.bin/mdn-http-observatory-scan")
TESTSSL = os.environ.get("HTTP_REAL_TESTSSL", "/usr/bin/testssl")
BODY_LIMIT = 32768
WAPITI_MODULES = "http_headers,csp,cookieflags,backup,csrf,https_redirect,methods,xss,permanentxss"
WAPITI_SCAN_SECONDS = 120
WAPITI_ATTACK_SECONDS = 25
WAPITI_TIMEOUT = 420
TOOL_TIMEOUT = 180
FETCH_HOPS = 5


def run_bounded(argv: list[str], timeout: int, log: Path, env: dict | None = None) -> int:
    """Run a scanner in its own session; kill the whole group past ``timeout``. Keep the last 4 KiB of output."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "NO_PROXY": HOST, "no_proxy": HOST, **(env or {})})
    try:
        out, _ = proc.communicate(timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        rc = -9
    tail = out.decode("utf-8", errors="replace")[-4096:]
    log.write_text(f"$ {' '.join(argv)}\n[exit {rc}]\n{tail}")
    return rc


# ---------------------------------------------------------------- body cuts

def cut_body(text: str) -> tuple[str, str]:
    """(body as kept, note) -- the 32 KiB cut and the binary omission of README.md."""
    if "\x00" in text[:4096]:
        return "", f"binary body ({len(text)} characters) omitted"
    if len(text) > BODY_LIMIT:
        return text[:BODY_LIMIT], f"body cut at {BODY_LIMIT} of {len(text)} characters"
    return text, ""


def cut_report_bodies(doc, pointer: str = "") -> list[dict]:
    """Cut every string member named ``body`` in a parsed report, in place; the edits as (pointer, note)."""
    edits = []
    if isinstance(doc, dict):
        items = doc.items()
    elif isinstance(doc, list):
        items = enumerate(doc)
    else:
        return edits
    for key, value in list(items):
        where = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
        if key == "body" and isinstance(value, str):
            kept, note = cut_body(value)
            if note:
                doc[key] = kept
                edits.append({"pointer": where, "note": note})
        else:
            edits.extend(cut_report_bodies(value, where))
    return edits


def keep_json_report(src: Path, dest: Path) -> list[dict]:
    """Copy a scanner's JSON report, bodies cut; byte for byte where nothing was cut."""
    raw = src.read_text(encoding="utf-8", errors="surrogateescape")
    doc = json.loads(raw)
    edits = cut_report_bodies(doc)
    if not edits:
        dest.write_text(raw, encoding="utf-8", errors="surrogateescape")
    else:
        indent = 4 if raw.lstrip("{[ \t").startswith("\n") else None
        dest.write_text(json.dumps(doc, ensure_ascii=False, indent=indent), encoding="utf-8")
    return edits


# ---------------------------------------------------------------- scanners

def wapiti(app: App, out: Path, work: Path) -> list[dict]:
    start = app.base + app.wapiti.get("start", "/")
    home = work / "wapiti-home"
    report = work / "wapiti.json"
    report.unlink(missing_ok=True)
    modules = WAPITI_MODULES + (",ssl" if app.scheme == "https" else "")
    argv = [WAPITI, "-u", start, "--scope", "folder", "-m", modules, "--flush-session", "-d", "3",
            "--max-links-per-page", "30", "--max-files-per-dir", "30", "--max-scan-time", str(WAPITI_SCAN_SECONDS),
            "--max-attack-time", str(WAPITI_ATTACK_SECONDS), "-t", "5", "-f", "json", "-o", str(report), "-dr", "2",
            "--no-bugreport", "-v", "1", "--store-session", str(home / "session"), "--store-config", str(home / "config")]
    if "form" in app.wapiti:
        path, user, password = app.wapiti["form"]
        argv += ["--form-url", app.base + path, "--form-user", user, "--form-password", password]
    rc = run_bounded(argv, WAPITI_TIMEOUT, out / "wapiti.log", {"HOME": str(home)})
    if not report.exists():
        raise RuntimeError(f"{app.name}: Wapiti wrote no report (exit {rc}), see {out / 'wapiti.log'}")
    return [dict(e, file="wapiti.json") for e in keep_json_report(report, out / "wapiti.json")]


def drheader_capture(app: App, out: Path, work: Path) -> None:
    """drheader prints its JSON on stdout: capture it whole (not via the 4 KiB log tail)."""
    targets = [{"url": u, "method": "GET", "verify": False, "timeout": 10} for u in app.urls()]
    path = work / "drheader-targets.json"
    path.write_text(json.dumps(targets))
    argv = [DRHEADER, "scan", "bulk", "-ff", "json", "-o", "json", str(path)]
    proc = subprocess.run(argv, capture_output=True, timeout=TOOL_TIMEOUT, start_new_session=True,
                          env={**os.environ, "NO_PROXY": HOST, "no_proxy": HOST, "PYTHONWARNINGS": "ignore"})
    (out / "drheader.json").write_bytes(proc.stdout)
    (out / "drheader.log").write_text(f"$ {' '.join(argv)}\n[exit {proc.returncode}]\n"
                                      f"{proc.stderr.decode(errors='replace')[-4096:]}")
    json.loads(proc.stdout)  # it must be a JSON report


def observatory(app: App, out: Path) -> None:
    targets = {}
    logs = []
    for k, url in enumerate(app.urls()):
        parts = urlsplit(url)
        target = f"{parts.hostname}:{parts.port}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        name = f"observatory-{k}.json"
        proc = subprocess.run([OBSERVATORY, target], capture_output=True, timeout=TOOL_TIMEOUT,
                              start_new_session=True)
        (out / name).write_bytes(proc.stdout)
        logs.append(f"$ {OBSERVATORY} {target}\n[exit {proc.returncode}]\n{proc.stderr.decode(errors='replace')[-1024:]}")
        json.loads(proc.stdout)
        targets[name] = {"argument": target, "url": url}
    (out / "targets.json").write_text(json.dumps(targets, indent=2) + "\n")
    (out / "observatory.log").write_text("\n".join(logs))


def testssl(app: App, out: Path, work: Path) -> None:
    report = work / "testssl.json"
    report.unlink(missing_ok=True)
    url = f"https://{HOST}:{app.https_port}{app.paths[0]}"
    run_bounded([TESTSSL, "--jsonfile", str(report), "--quiet", "--color", "0", "--warnings", "batch", "--ip", "one",
                 "--headers", "--server-defaults", "--protocols", "--fast", url], TOOL_TIMEOUT, out / "testssl.log")
    if not report.exists():
        raise RuntimeError(f"{app.name}: testssl.sh wrote no report, see {out / 'testssl.log'}")
    keep_json_report(report, out / "testssl.json")


# ---------------------------------------------------------------- exchanges for labelling

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=ssl._create_unverified_context()),
                                      urllib.request.ProxyHandler({}))
_UA = "http-real-corpus/1 (labelling fetch)"


def fetch(url: str) -> dict:
    """GET ``url`` and follow redirects (as drheader's requests and the Observatory do); every hop kept."""
    hops = []
    for _ in range(FETCH_HOPS):
        parts = urlsplit(url)
        req = urllib.request.Request(url, headers={"User-Agent": _UA, "Accept": "*/*"})
        try:
            resp = _OPENER.open(req, timeout=15)
        except urllib.error.HTTPError as err:
            resp = err
        data = resp.read()
        status = resp.status if hasattr(resp, "status") else resp.code
        headers = [[k, v] for k, v in resp.headers.items()]
        ctype = resp.headers.get("Content-Type", "")
        if b"\x00" in data[:4096]:
            body, note = "", f"binary body ({len(data)} bytes, {ctype or 'no content type'}) omitted"
        else:
            body, note = cut_body(data.decode("utf-8", errors="replace"))
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        hops.append({
            "url": url, "method": "GET",
            "request": {"line": f"GET {target or '/'} HTTP/1.1",
                        "headers": [["Host", parts.netloc], ["User-Agent", _UA], ["Accept", "*/*"],
                                    ["Accept-Encoding", "identity"], ["Connection", "close"]], "body": ""},
            "response": {"line": f"HTTP/1.1 {status} {resp.reason or ''}".rstrip(), "status": status,
                         "headers": headers, "body": body, "body_note": note},
        })
        location = resp.headers.get("Location")
        if not (300 <= status < 400 and location):
            break
        url = urllib.parse.urljoin(url, location)
    final = dict(hops[-1])
    final["redirects"] = hops[:-1]
    final["requested_url"] = hops[0]["url"]
    return final


def exchanges(app: App) -> None:
    EXCHANGES.mkdir(exist_ok=True)
    urls = app.urls()
    tls_first = f"https://{HOST}:{app.https_port}{app.paths[0]}"
    if app.https_port and app.https_port != app.port and tls_first not in urls:  # testssl's target
        urls.append(tls_first)
    with open(EXCHANGES / f"{app.name}.jsonl", "w") as fh:
        for k, url in enumerate(urls):
            record = {"id": f"{app.name}/get/{k}", **fetch(url)}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- main

def scan_app(app: App) -> None:
    out = REPORTS / app.name
    out.mkdir(parents=True, exist_ok=True)
    work = WORK / app.name
    if work.exists():  # every scan starts from the app's state as installed, not what an earlier scan left
        shutil.rmtree(work)
    started = time.monotonic()
    with Running(app, work):
        exchanges(app)  # before the attacks change state (Wapiti posts forms)
        drheader_capture(app, out, work)
        observatory(app, out)
        if app.https_port:
            testssl(app, out, work)
        edits = wapiti(app, out, work)
    (out / "EDITS.json").write_text(json.dumps(edits, indent=2) + "\n")
    site = {"app": app.name, "family": app.family, "kind": app.kind, "base": app.base, "paths": list(app.paths),
            "https_host": bool(app.https_port), "https_port": app.https_port}
    (out / "site.json").write_text(json.dumps(site, indent=2) + "\n")
    print(f"{app.name}: done in {time.monotonic() - started:.0f} s", flush=True)


def exchanges_only(app: App) -> None:
    """Refetch an app's exchanges without scanning (the reports stay as they are)."""
    with Running(app, WORK / app.name):
        exchanges(app)


def main(names: list[str]) -> int:
    only = "--exchanges-only" in names
    names = [n for n in names if n != "--exchanges-only"]
    apps = [APPS_BY_NAME[n] for n in names] if names else APPS_LIST
    if only:
        for app in apps:
            exchanges_only(app)
        return 0
    failed = []
    for app in apps:
        try:
            scan_app(app)
        except Exception as exc:  # one app's failure does not stop the others; it is reported and exits 1
            print(f"{app.name}: FAILED: {exc}", flush=True)
            failed.append(app.name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
