"""Learning from triage: ``iacfilter label`` and ``iacfilter triage`` write labelled rows a model can train on.

A row is built by the technology's own ``snippet()`` from the finding and the file under the source root, the
same code the filter runs, and is checked to come back as the very same snippet through ``example(row)``
before it is written. IaC rows carry ``tech``, ``smell``, ``content`` (the flagged line), ``context`` (a file
header, the lines before, ``N: flagged line``, the lines after), ``label`` (TP/FP), ``file``, ``line`` and
``label_source``. A finding is labelled once: ``label`` replaces an earlier label of the same finding, and
``triage`` skips findings the dataset already holds, so a session can stop at any time and resume.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Sequence

from .errors import IacfilterError
from .findings import Finding, NoSnippet, Snippet
from .output import write_atomically

LABELS = {"tp": "TP", "fp": "FP"}


def row_for(finding: Finding, snippet: Snippet, label: str, technology, source: str) -> dict[str, Any]:
    """The dataset row of a finding; raises IacfilterError when the technology's rows cannot hold its snippet."""
    where = f"{finding.path}:{finding.line}"
    if not snippet.line:
        raise IacfilterError(where, f"technology {finding.tech} does not build source-line snippets; label its "
                                    "findings in its own dataset format")
    header = f"# {finding.tech.capitalize()} file: {finding.path}"
    context = "\n".join([header, *snippet.before, f"{finding.line}: {snippet.line}", *snippet.after])
    row = {"tech": finding.tech, "smell": finding.smell, "file": finding.path, "line": finding.line,
           "content": snippet.line, "context": context, "label": label, "label_source": source}
    rebuilt = technology.example(row)
    if rebuilt.text != snippet.text:
        raise IacfilterError(where, "the dataset row would not reproduce the snippet the filter builds; not written")
    return row


def key(row: dict[str, Any]) -> tuple:
    """What makes two rows the same finding."""
    return (row.get("tech"), row.get("smell"), str(row.get("file")), row.get("line"), row.get("content"))


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a dataset (none if it does not exist yet); one-line error on a broken line."""
    p = Path(path)
    if not p.exists():
        return []
    if p.is_dir():
        raise IacfilterError(str(path), "is a directory, not a dataset file")
    rows = []
    for number, raw in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if raw.strip():
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise IacfilterError(str(path), f"line {number}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise IacfilterError(str(path), f"line {number}: not a JSON object")
            rows.append(row)
    return rows


def upsert(path: str | Path, row: dict[str, Any]) -> str | None:
    """Add the row, replacing an earlier label of the same finding; return that earlier label (or None)."""
    rows = read_rows(path)
    k = key(row)
    before = next((r.get("label") for r in rows if key(r) == k), None)
    if before is None:
        append(path, row)
        return None
    rows = [row if key(r) == k else r for r in rows]
    write_atomically(str(path), "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return before


def append(path: str | Path, row: dict[str, Any]) -> None:
    """One line at the end, written at once and flushed: a session killed after it keeps the label."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    needs_newline = p.exists() and p.stat().st_size > 0 and not p.read_bytes().endswith(b"\n")
    with p.open("a", encoding="utf-8") as fh:
        fh.write(("\n" if needs_newline else "") + json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()


def snippet_of(finding: Finding, techs, sources) -> Snippet:
    if finding.tech is None or finding.tech not in techs:
        raise NoSnippet(f"no technology plugin owns {finding.path} (give --tech)")
    if finding.smell is None:
        raise NoSnippet(f"rule {finding.rule!r} is not in the rules map")
    return techs[finding.tech].snippet(finding, sources)


KEYS = {"t": "TP", "f": "FP", "s": "skip", "q": "quit"}
PROMPT = "[t] true positive  [f] false positive  [s] skip  [q] quit > "


def walk(items: Sequence[tuple[Finding, dict]], dataset: str, techs, sources, *, getchar: Callable[[], str],
         echo: Callable[..., None]) -> Counter:
    """Ask about each finding not labelled yet; write each answer at once. Returns what happened."""
    done = {key(r) for r in read_rows(dataset)}
    todo, counts = [], Counter()
    for finding, recorded in items:
        try:
            snippet = snippet_of(finding, techs, sources)
        except NoSnippet as exc:
            counts["no snippet"] += 1
            echo(f"skipped {finding.path}:{finding.line}: {exc}")
            continue
        if not snippet.line:
            counts["not labellable"] += 1
            continue
        row = row_for(finding, snippet, "TP", techs[finding.tech], "iacfilter triage")
        if key(row) in done:
            counts["already labelled"] += 1
            continue
        todo.append((finding, recorded, snippet, row))
    if counts["already labelled"]:
        echo(f"{counts['already labelled']} finding(s) already labelled in {dataset}: skipped")
    for n, (finding, recorded, snippet, row) in enumerate(todo, start=1):
        score = recorded.get("score")
        echo("")
        echo(f"[{n}/{len(todo)}] {finding.path}:{finding.line}  {finding.smell}  ({finding.tech})")
        echo(f"iacfilter said: {recorded.get('verdict', '-')}" + ("" if score is None else f", score {score:.3f}"
                                                                    f" / threshold {recorded.get('threshold', 0):.2f}"))
        echo("")
        echo("\n".join(f"  {ln}" for ln in snippet.text.splitlines()))
        echo("")
        while True:
            echo(PROMPT, nl=False)
            try:
                ch = getchar()
            except (KeyboardInterrupt, EOFError):
                ch = "q"
            echo(ch if ch.isprintable() else "")
            answer = KEYS.get(ch.lower())
            if answer is not None:
                break
        if answer == "quit":
            counts["left"] = len(todo) - n + 1
            break
        if answer == "skip":
            counts["skipped"] += 1
            continue
        append(dataset, {**row, "label": answer})
        done.add(key(row))
        counts[answer] += 1
        echo(f"labelled {answer}")
    return counts
