"""What checking SARIF input costs: the depth scan, strict parsing, schema validation, against plain json.loads.

Builds a SARIF log of N results (one per flagged file, with an artifact each, suppressions and property bags),
then times each step of ``iacfilter.validate`` (best of --repeat) and, for comparison, the pure-Python
``jsonschema`` validator on the same document.

    python benchmarks/input_validation.py [--results 10000] [--repeat 3] [--no-jsonschema]
"""

from __future__ import annotations

import argparse
import json
import time

from iacfilter import validate


def result(i: int) -> dict:
    return {"ruleId": "sec_hard_pass", "level": "warning", "message": {"text": f"Hard-coded password {i}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"dir/f{i}.yml", "uriBaseId": "%SRCROOT%"},
                                                "region": {"startLine": i % 100 + 1,
                                                           "snippet": {"text": "password: x"}}}}],
            "partialFingerprints": {"iacfilterFinding/v1": f"{i:032x}"}, "suppressions": [],
            "properties": {"tags": ["security"], "score": 0.5, "nested": {"a": [1, 2, {"b": None}]}}}


def log(n: int) -> dict:
    return {"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "GLITCH", "rules": [{"id": "sec_hard_pass"}]}},
        "artifacts": [{"location": {"uri": f"dir/f{i}.yml"}} for i in range(n)],
        "results": [result(i) for i in range(n)]}]}


def best(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-jsonschema", action="store_true", help="skip the slow pure-Python comparison")
    args = parser.parse_args()
    text = json.dumps(log(args.results), indent=2)
    doc = json.loads(text)
    validate.sarif_validator()  # built once per process, like the filter does
    rows = [
        ("json.loads (no checks)", best(args.repeat, lambda: json.loads(text))),
        ("depth scan", best(args.repeat, lambda: validate.json_depth(text))),
        ("load_json (depth + strict parse + surrogates)", best(args.repeat, lambda: validate.load_json(text))),
        ("check_sarif (schema, jsonschema-rs)", best(args.repeat, lambda: validate.check_sarif(doc))),
    ]
    if not args.no_jsonschema:
        import jsonschema

        reference = jsonschema.Draft4Validator(json.loads(validate.SARIF_SCHEMA_FILE.read_text()))
        rows.append(("jsonschema (pure Python), for comparison", best(1, lambda: reference.is_valid(doc))))
    print(f"SARIF log: {args.results:,} results, {len(text) / 2**20:.1f} MiB")
    for name, seconds in rows:
        print(f"  {name:<48} {seconds:8.3f} s   {args.results / seconds:>12,.0f} results/s")
    total = rows[2][1] + rows[3][1]
    print(f"  {'all input checks (load_json + check_sarif)':<48} {total:8.3f} s   {args.results / total:>12,.0f} results/s")


if __name__ == "__main__":
    main()
