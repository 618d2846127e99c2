"""Rebuild the real-repository IaC dataset: GLITCH 2.0's findings on real code, labelled by the catalogue.

The labels (``labels.csv`` beside this script: source, path, line, rule, label, reason) are the only data kept
in the repository. The code they label is read where it lives:

- ``corpus-<tech>``: ``../shared/glitch/corpus/<tech>`` (openstack-ansible, the OpenStack Chef cookbooks,
  puppet-nova), with GLITCH 2.0's output on it in ``../shared/glitch/outputs/<tech>-security.csv``;
- ``deb-puppet`` / ``pypi-ansible``: Puppet modules from Debian's ``puppet-module-*`` packages and Ansible
  roles from PyPI's ``ansible-role-*`` wheels (the list is ``PACKAGES`` below), unpacked under ``--cache``
  by ``--fetch`` (``apt-get download`` and ``pip download``; nothing else is fetched). GLITCH's output on them
  is made by running the real GLITCH (``glitch`` on PATH) with ``--scan``.

``python datasets/iac-real/build.py [--fetch] [--scan] -o iac-real.jsonl`` writes one dataset row per labelled
finding (iacfilter's JSONL: tech, smell, file, line, content, context, label, plus ``group``: the script, for
grouped cross-validation, and ``reason``). ``--draft`` prints the findings that have no label yet with the
catalogue's reasons, for a reviewer to label one by one; it never writes labels itself.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SHARED = REPO.parent / "shared"
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "iacfilter-iac-real"
SUFFIX = {"ansible": (".yml", ".yaml"), "chef": (".rb",), "puppet": (".pp",)}
PACKAGES = {
    "deb-puppet": ["puppet-module-puppetlabs-mysql", "puppet-module-puppetlabs-postgresql",
                   "puppet-module-puppetlabs-rabbitmq", "puppet-module-puppetlabs-haproxy",
                   "puppet-module-puppet-archive", "puppet-module-keystone", "puppet-module-saz-memcached",
                   "puppet-module-arioch-redis", "puppet-module-puppetlabs-apache", "puppet-module-saz-ssh"],
    "pypi-ansible": ["ansible-role-container-registry==1.4.0", "ansible-role-atos-hsm==11.0.0",
                     "ansible-role-lunasa-hsm==11.0.0", "ansible-role-chrony==1.3.0",
                     "ansible-role-collect-logs==1.5.0"],
}
TECH = {"corpus-ansible": "ansible", "corpus-chef": "chef", "corpus-puppet": "puppet",
        "deb-puppet": "puppet", "pypi-ansible": "ansible"}


def roots(cache: Path) -> dict[str, Path]:
    return {"corpus-ansible": SHARED / "glitch/corpus/ansible", "corpus-chef": SHARED / "glitch/corpus/chef",
            "corpus-puppet": SHARED / "glitch/corpus/puppet", "deb-puppet": cache / "src/deb-puppet",
            "pypi-ansible": cache / "src/pypi-ansible"}


def outputs(cache: Path) -> dict[str, Path]:
    return {"corpus-ansible": SHARED / "glitch/outputs/ansible-security.csv",
            "corpus-chef": SHARED / "glitch/outputs/chef-security.csv",
            "corpus-puppet": SHARED / "glitch/outputs/puppet-security.csv",
            "deb-puppet": cache / "glitch/deb-puppet.csv", "pypi-ansible": cache / "glitch/pypi-ansible.csv"}


def fetch(cache: Path) -> None:
    """Download the packages and unpack their IaC code (Puppet manifests, Ansible roles) under ``cache/src``."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", *PACKAGES["deb-puppet"]], cwd=tmp, check=True)
        dest = cache / "src/deb-puppet"
        shutil.rmtree(dest, ignore_errors=True)
        for deb in sorted(Path(tmp).glob("*.deb")):
            name = deb.name.split("_")[0]
            unpacked = Path(tmp, "x", name)
            unpacked.mkdir(parents=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
            manifests = next(p for p in sorted(unpacked.rglob("manifests")) if p.is_dir())
            shutil.copytree(manifests, dest / name / "manifests")
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(Path(tmp, "w")),
                        *PACKAGES["pypi-ansible"]], check=True)
        dest = cache / "src/pypi-ansible"
        shutil.rmtree(dest, ignore_errors=True)
        for wheel in sorted(Path(tmp, "w").glob("*.whl")):
            with zipfile.ZipFile(wheel) as z:
                for member in z.namelist():
                    marker = "/share/ansible/roles/"
                    if marker in member and not member.endswith("/"):
                        rel = member.split(marker, 1)[1]
                        target = dest / rel
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(z.read(member))


def scan(cache: Path) -> None:
    """Run the real GLITCH 2.0 over each package source (one include-all process per source)."""
    glitch = shutil.which("glitch")
    if glitch is None:
        raise SystemExit("build.py: --scan needs the real GLITCH on PATH (../shared/glitch/install/install.sh)")
    for source in ("deb-puppet", "pypi-ansible"):
        out = outputs(cache)[source]
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([glitch, "lint", "--tech", TECH[source], "--folder-strategy", "include-all", "--csv",
                        "--smell-types", "security", ".", str(out)], cwd=roots(cache)[source], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def findings(cache: Path):
    """(source, path, line, rule) of every security finding GLITCH wrote for each source."""
    for source, out in outputs(cache).items():
        if not out.exists():
            print(f"build.py: no GLITCH output for {source} ({out}): run with --fetch --scan", file=sys.stderr)
            continue
        for row in out.read_text(encoding="utf-8").splitlines()[1:]:
            parts = row.split(",", 4)
            if len(parts) < 4 or not parts[1].lstrip("-").isdigit():
                continue
            path = parts[0][2:] if parts[0].startswith("./") else parts[0]
            yield source, path, int(parts[1]), parts[2]


def snippets(items, cache: Path):
    """The snippet the filter builds for each finding, from the real file."""
    from iacfilter import plugins
    from iacfilter.decide import classify
    from iacfilter.findings import Finding, NoSnippet
    from iacfilter.rules import load_rules_map
    from iacfilter.sources import SourceRoot

    techs = plugins.technologies()
    rules = load_rules_map()
    out = []
    for source, path, line, rule in items:
        f = Finding(tool="GLITCH", rule=rule, path=path, line=line)
        classify([f], rules, techs, TECH[source])
        try:
            s = techs[f.tech].snippet(f, SourceRoot(roots(cache)[source]))
        except NoSnippet as exc:
            s = None
            print(f"build.py: {source}:{path}:{line}: no snippet ({exc})", file=sys.stderr)
        out.append((f, s))
    return out


def read_labels() -> dict[tuple, dict]:
    rows = list(csv.DictReader(io.StringIO((HERE / "labels.csv").read_text(encoding="utf-8"))))
    return {(r["source"], r["path"], int(r["line"]), r["rule"]): r for r in rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--fetch", action="store_true", help="download and unpack the packages into --cache")
    ap.add_argument("--scan", action="store_true", help="run the real GLITCH on the package sources")
    ap.add_argument("--draft", action="store_true", help="print unlabelled findings with the catalogue's reasons")
    ap.add_argument("-o", "--output", type=Path, help="where to write the dataset (JSONL)")
    args = ap.parse_args()
    if args.fetch:
        fetch(args.cache)
    if args.scan:
        scan(args.cache)
    from iacfilter_plugins.iac.catalogue import evidence

    labels = read_labels()
    items = sorted(set(findings(args.cache)))
    built = snippets(items, args.cache)
    if args.draft:
        for (source, path, line, rule), (f, s) in zip(items, built):
            if (source, path, line, rule) in labels or s is None:
                continue
            reasons = ";".join(f"{r}{sign:+d}" for r, sign in evidence(s))
            print(json.dumps({"source": source, "path": path, "line": line, "rule": rule, "smell": f.smell,
                              "line_text": s.line, "before": s.before, "after": s.after, "reasons": reasons}))
        return
    missing = [k for k in labels if k not in set(items)]
    if missing:
        raise SystemExit(f"build.py: {len(missing)} labels name no finding of GLITCH's output, e.g. {missing[0]}")
    rows = []
    for key, (f, s) in zip(items, built):
        label = labels.get(key)
        if label is None or s is None:
            continue
        source, path, line, _ = key
        rows.append({"tech": f.tech, "smell": f.smell, "file": f"{source}/{path}", "line": line, "content": s.line,
                     "context": "\n".join([*s.before, s.line, *s.after]), "label": label["label"],
                     "label_source": "catalogue, reviewed one by one", "reason": label["reason"],
                     "group": f"{source}/{path}"})
    unlabelled = sum(1 for k in items if k not in labels)
    print(f"build.py: {len(rows)} labelled findings ({sum(r['label'] == 'TP' for r in rows)} TP), "
          f"{unlabelled} findings without a label", file=sys.stderr)
    if args.output:
        args.output.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


if __name__ == "__main__":
    main()
