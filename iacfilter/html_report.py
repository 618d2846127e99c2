"""``--format html``: one self-contained page (no network: inline CSS, JS and SVG; a CSP forbids fetching).

The summary, a bar chart of findings per smell by verdict (the SARIF's verdict names), and
``<table id="findings">`` with one body row per finding: verdict, score, smell, location and the flagged code.
Clicking a column header sorts by it (again: reverse); ``#sort=score`` (or ``-score``) in the address sorts on load.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from typing import Sequence

from . import __version__
from .findings import FILTERED, KEPT, MEANINGS, NO_SOURCE, NOT_SCORED, UNSCORED, VERDICTS, Finding, Verdict

BAR_COLOURS = {KEPT: "#c0392b", FILTERED: "#7f8c8d", NOT_SCORED: "#e0a800", NO_SOURCE: "#2e86c1",
               UNSCORED: "#8e44ad"}

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 8px}
.summary{margin:0 0 16px}
.summary span{display:inline-block;margin-right:18px}
table{border-collapse:collapse;width:100%;margin-top:16px}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{cursor:pointer;background:#f4f4f4;user-select:none}
th.asc::after{content:" \\25B2"} th.desc::after{content:" \\25BC"}
td.code{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
tr.filtered td{color:#777}
.verdict{font-weight:600;white-space:nowrap}
svg text{font:12px system-ui,sans-serif}
"""

SCRIPT = """
(function(){
  var table=document.getElementById('findings'); if(!table) return;
  var heads=table.tHead.rows[0].cells;
  function key(row,i,numeric){var c=row.cells[i]; var v=c.getAttribute('data-sort'); if(v===null) v=c.textContent;
    if(numeric){var n=parseFloat(v); return isNaN(n)?-1:n;} return v.toLowerCase();}
  function sortBy(i,desc){
    var numeric=heads[i].getAttribute('data-type')==='number';
    var body=table.tBodies[0]; var rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){var x=key(a,i,numeric),y=key(b,i,numeric); var r=x<y?-1:x>y?1:0; return desc?-r:r;});
    rows.forEach(function(r){body.appendChild(r);});
    for(var j=0;j<heads.length;j++){heads[j].classList.remove('asc','desc');}
    heads[i].classList.add(desc?'desc':'asc');
  }
  for(var i=0;i<heads.length;i++){(function(i){heads[i].addEventListener('click',function(){
    sortBy(i,heads[i].classList.contains('asc'));});})(i);}
  var m=/sort=(-?)([a-z]+)/.exec(location.hash||'');
  if(m){for(var k=0;k<heads.length;k++){if(heads[k].getAttribute('data-key')===m[2]) sortBy(k,m[1]==='-');}}
})();
"""

COLUMNS = (("verdict", "Verdict", "text"), ("score", "Score", "number"), ("smell", "Smell", "text"),
           ("location", "Location", "text"), ("code", "Flagged code", "text"))


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def bar_chart(findings: Sequence[Finding], verdicts: Sequence[Verdict]) -> str:
    """Horizontal stacked bars per smell, one segment per verdict, with a legend of the verdicts shown."""
    per: dict[str, Counter] = defaultdict(Counter)
    for f, v in zip(findings, verdicts):
        per[f.smell or f"({f.rule})"][v.verdict] += 1
    if not per:
        return '<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="10" height="10" role="img"></svg>'
    label_w, bar_w, row_h = 220, 420, 26
    top = max(sum(c.values()) for c in per.values())
    height = row_h * len(per) + 34
    parts = [f'<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 60}" height="{height}" '
             'role="img" aria-label="findings per smell">']
    for n, smell in enumerate(sorted(per)):
        y = 8 + n * row_h
        parts.append(f'<text x="0" y="{y + 14}">{_e(smell)}</text>')
        x = label_w
        for kind in VERDICTS:
            count = per[smell][kind]
            if not count:
                continue
            w = max(1, round(bar_w * count / top))
            parts.append(f'<rect class="bar {kind}" x="{x}" y="{y}" width="{w}" height="18" fill="{BAR_COLOURS[kind]}">'
                         f'<title>{_e(smell)}: {count} {kind}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 6}" y="{y + 14}">{sum(per[smell].values())}</text>')
    legend_y = height - 10
    shown = [kind for kind in VERDICTS if any(c[kind] for c in per.values())]
    for i, kind in enumerate(shown):
        lx = label_w + i * 90
        parts.append(f'<rect x="{lx}" y="{legend_y - 10}" width="10" height="10" fill="{BAR_COLOURS[kind]}"/>'
                     f'<text x="{lx + 14}" y="{legend_y}"><title>{_e(MEANINGS[kind])}</title>{kind}</text>')
    parts.append("</svg>")
    return "".join(parts)


def as_html(findings: Sequence[Finding], verdicts: Sequence[Verdict], drop: bool, models: Sequence[tuple[str, float]],
            codes: Sequence[str] | None = None, states: Sequence[str | None] | None = None, title: str = "") -> str:
    """The page. ``codes`` is the flagged code per finding (the scanner's, or the source line); ``states`` the
    baselineState per finding where a baseline was given."""
    codes = list(codes) if codes is not None else [f.code for f in findings]
    states = list(states) if states is not None else [None] * len(findings)
    counts = Counter(v.verdict for v in verdicts)
    reported = len(verdicts) - counts[FILTERED]
    rows = []
    for f, v, code, state in zip(findings, verdicts, codes, states):
        if drop and v.filtered:
            continue
        where = f"{f.path}:{f.line}" if f.line else f.path
        score = "" if v.score is None else f"{v.score:.3f}"
        badge = f' <small class="state">{_e(state)}</small>' if state else ""
        rows.append(
            f'<tr class="{_e(v.verdict)}"><td class="verdict" title="{_e(v.reason)}">{_e(v.verdict)}{badge}</td>'
            f'<td data-sort="{"" if v.score is None else round(v.score, 6)}">{score}</td>'
            f"<td>{_e(f.smell or f.rule)}</td>"
            f'<td data-sort="{_e(f.path)}:{(f.line or 0):08d}">{_e(where)}</td>'
            f'<td class="code">{_e(code.strip())}</td></tr>'
        )
    heads = "".join(f'<th data-key="{k}" data-type="{t}">{_e(label)}</th>' for k, label, t in COLUMNS)
    model_text = "; ".join(f"{m} (threshold {t:.2f})" for m, t in models)
    extra = "".join(f"<span>{_e(k)}: <b>{n}</b></span>" for k, n in sorted(counts.items()) if k not in (KEPT, FILTERED))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>iacfilter report{(' — ' + _e(title)) if title else ''}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>iacfilter report{(' — ' + _e(title)) if title else ''}</h1>
<p class="summary" id="summary"><span>findings in: <b>{len(verdicts)}</b></span><span>reported: <b>{reported}</b></span>
<span>filtered: <b>{counts[FILTERED]}</b></span>{extra}<span>model: {_e(model_text)}</span>
{'<span>filtered findings are not listed (drop mode)</span>' if drop else ''}</p>
{bar_chart(findings, verdicts)}
<table id="findings">
<thead><tr>{heads}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<p><small>iacfilter {_e(__version__)}</small></p>
<script>{SCRIPT}</script>
</body>
</html>
"""
