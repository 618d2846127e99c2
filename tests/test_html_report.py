"""--format html: one self-contained page; opened in headless Chromium (Debian's), screenshot and row count."""

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from conftest import EXAMPLES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Rows(HTMLParser):
    """Counts body rows of <table id="findings"> and notes anything that would fetch from the network."""

    def __init__(self):
        super().__init__()
        self.in_table = self.in_body = False
        self.rows, self.fetching = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == "findings":
            self.in_table = True
        elif tag == "tbody" and self.in_table:
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append(a.get("class"))
        for key in ("src", "href"):
            if a.get(key) and not a[key].startswith(("#", "data:")):
                self.fetching.append((tag, a[key]))
        if tag == "link":
            self.fetching.append((tag, a))

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_body = False
        elif tag == "table":
            self.in_table = False


def report(tmp_path, *extra, tech="puppet"):
    out = tmp_path / "report.html"
    res = subprocess.run([sys.executable, "-m", "iacfilter", "filter", str(EXAMPLES / tech / "glitch.csv"),
                          "--source-root", str(EXAMPLES / tech), "--format", "html", "-q", "-o", str(out), *extra],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return out


def expected(tech="puppet"):
    res = subprocess.run([sys.executable, "-m", "iacfilter", "filter", str(EXAMPLES / tech / "glitch.csv"),
                          "--source-root", str(EXAMPLES / tech), "--format", "json", "-q"], capture_output=True, text=True)
    return json.loads(res.stdout)


def test_page_is_self_contained_with_one_row_per_finding(tmp_path):
    page = report(tmp_path).read_text()
    parser = Rows()
    parser.feed(page)
    rows = expected()
    assert len(parser.rows) == len(rows) > 0
    assert sorted(parser.rows) == sorted(r["verdict"] for r in rows)
    assert parser.fetching == []  # nothing to fetch: no external script, style, image or font
    assert "default-src 'none'" in page and "<svg" in page and "<script>" in page
    assert not re.search(r"(?:src|href)=[\"']https?:", page)
    for r in rows:  # every location is on the page
        assert f"{r['path']}:{r['line']}" in page


def test_chart_legend_names_the_verdicts_as_the_sarif_does(tmp_path):
    from iacfilter.findings import VERDICTS

    page = report(tmp_path).read_text()
    legend = re.findall(r"</title>([a-z-]+)</text>", page)
    present = {r["verdict"] for r in expected()}
    assert legend == [v for v in VERDICTS if v in present] and len(legend) >= 2


def test_drop_mode_lists_only_reported_findings(tmp_path):
    page = report(tmp_path, "--mode", "drop").read_text()
    parser = Rows()
    parser.feed(page)
    assert "filtered" not in parser.rows
    assert len(parser.rows) == sum(r["verdict"] != "filtered" for r in expected())


def test_code_is_escaped(tmp_path):
    (tmp_path / "a.pp").write_text("# TODO </td><script>alert(1)</script>\n")
    (tmp_path / "g.csv").write_text("PATH,LINE,ERROR,DESCRIPTION,CODE\n"
                                    "a.pp,1,sec_susp_comm,Suspicious comment - x (CWE-546),# TODO </td><script>alert(1)</script>\n")
    out = tmp_path / "r.html"
    res = subprocess.run([sys.executable, "-m", "iacfilter", "filter", str(tmp_path / "g.csv"), "--source-root",
                          str(tmp_path), "--format", "html", "-q", "-o", str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    page = out.read_text()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def chromium(*args, tmp_path):
    profile = tmp_path / "chromium-profile"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
           f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (Debian: apt-get install -y chromium; .ci/run installs it)")
def test_headless_chromium_renders_sorts_and_counts_rows(tmp_path):
    page = report(tmp_path)
    rows = expected()
    url = page.resolve().as_uri()
    shot = tmp_path / "report.png"
    res = chromium("--window-size=1200,900", f"--screenshot={shot}", url, tmp_path=tmp_path)
    assert shot.exists() and shot.stat().st_size > 10_000, res.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("IACFILTER_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["IACFILTER_KEEP_SCREENSHOT"])
    # The DOM after the page's script ran, sorted by score (descending) through the address.
    dom = chromium("--dump-dom", url + "#sort=-score", tmp_path=tmp_path).stdout
    parser = Rows()
    parser.feed(dom)
    assert len(parser.rows) == len(rows)
    body = dom[dom.index("<tbody>"):dom.index("</tbody>")]
    shown = [float(s) for s in re.findall(r'<td data-sort="([0-9.]+)"', body)]
    assert shown == sorted((r["score"] for r in rows if r["score"] is not None), reverse=True)
    assert 'class="desc"' in dom  # the header shows the sort order
    dom = chromium("--dump-dom", url + "#sort=location", tmp_path=tmp_path).stdout
    body = dom[dom.index("<tbody>"):dom.index("</tbody>")]
    keys = re.findall(r'<td data-sort="([^"]*:\d{8})"', body)
    assert keys == sorted(keys) and len(keys) == len(rows)
