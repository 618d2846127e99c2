"""Open-world web findings: the canonical HTTP smell of a check no rules map lists, inferred from its words.

A web scanner's finding names what it is about in words: its rule id (``Strict-Transport-Security``,
``http-missing-security-headers:x-frame-options``, ``cookies-without-httponly``), its name and description,
the header or cookie it names, its tags and CWE. ``SmellMatcher`` is a small multinomial logistic regression
over hashed word, word-pair and character n-gram features of that text; its classes are the canonical smells
(``exchange.SMELLS``) and ``other`` (web checks the policy has no smell for: injections, disclosures ...).
Its weights ship in ``matcher/model.safetensors`` (numpy only at run time), with ``matcher.json`` holding the
classes, the feature size and the confidence threshold chosen on held-out scanners' wordings (below it, the
finding is kept and marked not scored). ``train`` (scikit-learn, the ``train`` extra) rebuilds them:

    python benchmarks/web_smell_matcher.py [--real datasets/http-real]
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from .exchange import SMELLS

OTHER = "other"
CLASSES = (*SMELLS, OTHER)
MATCHER_DIR = Path(__file__).resolve().parent / "matcher"
VERSION = 1
TEXT_BUDGET = 600
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
WORD = re.compile(r"[a-z][a-z0-9]*|\d+")
NOISE = re.compile(r"\b(?=[A-Za-z0-9]*\d[A-Za-z0-9]*\d[A-Za-z0-9]*\d)[A-Za-z0-9]{10,}\b")  # ids, hashes, cookie names like DW91…

def rule_words(d: dict[str, Any]) -> str:
    """The words a finding says about itself (HTTP details shape): rule id, check name, the header or cookie it
    names, the rule's description, tags and CWE. Not its evidence value or the exchange: those are judged."""
    parts = [d.get("check_id") or "", d.get("check") or "", d.get("param") or "", d.get("rule_text") or ""]
    return " ".join(p for p in parts if p)[:TEXT_BUDGET]


def features(text: str) -> list[str]:
    """Word, word-pair and character 3-5-gram features of a rule's words (CamelCase and ids split)."""
    words = WORD.findall(CAMEL.sub(" ", NOISE.sub(" ", text or "")).lower())
    out = [f"w:{w}" for w in words]
    out += [f"b:{a}_{b}" for a, b in zip(words, words[1:])]
    for w in words:
        padded = f"<{w}>"
        out += [f"c:{padded[i:i + n]}" for n in (3, 4, 5) for i in range(max(0, len(padded) - n + 1))]
    return out


@functools.lru_cache(maxsize=1 << 16)
def _bucket(name: str, bits: int) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little") % (1 << bits)


def vector(text: str, bits: int) -> np.ndarray:
    v = np.zeros(1 << bits, dtype=np.float64)
    for f in features(text):
        v[_bucket(f, bits)] += 1.0
    norm = np.linalg.norm(v)
    return v / norm if norm else v


@dataclass(frozen=True)
class Match:
    smell: str | None   # the smell inferred, or None (other / below the threshold)
    guess: str          # the most likely class, whatever its confidence
    confidence: float
    threshold: float

    @property
    def note(self) -> str:
        return f"smell inferred from the rule text: {self.guess} (confidence {self.confidence:.2f})"


class SmellMatcher:
    def __init__(self, weights: np.ndarray, bias: np.ndarray, classes: Sequence[str], bits: int, threshold: float):
        self.weights, self.bias, self.classes, self.bits, self.threshold = weights, bias, tuple(classes), bits, threshold

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        x = np.stack([vector(t, self.bits) for t in texts]) if texts else np.zeros((0, 1 << self.bits))
        z = x @ self.weights.T + self.bias
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def match(self, text: str) -> Match:
        p = self.probabilities([text])[0]
        best = int(p.argmax())
        guess, confidence = self.classes[best], float(p[best])
        smell = guess if guess != OTHER and confidence >= self.threshold else None
        return Match(smell, guess, confidence, self.threshold)


@functools.cache
def load(directory: Path = MATCHER_DIR) -> SmellMatcher:
    from safetensors.numpy import load_file

    config = json.loads((directory / "matcher.json").read_text(encoding="utf-8"))
    if config.get("version") != VERSION:
        raise ValueError(f"{directory}/matcher.json is not a version {VERSION} smell matcher")
    tensors = load_file(str(directory / "model.safetensors"))
    weights, bias = tensors["weights"].astype(np.float64), tensors["bias"].astype(np.float64)
    if weights.shape != (len(config["classes"]), 1 << config["bits"]):
        raise ValueError(f"{directory}: weights do not match matcher.json")
    return SmellMatcher(weights, bias, config["classes"], int(config["bits"]), float(config["threshold"]))


# --- training -------------------------------------------------------------------------------------------

def fit(texts: Sequence[str], labels: Sequence[str], bits: int = 14, C: float = 10.0):
    """A multinomial logistic regression (scikit-learn) over the hashed features: (weights, bias, classes)."""
    from sklearn.linear_model import LogisticRegression

    x = np.stack([vector(t, bits) for t in texts])
    classes = [c for c in CLASSES if c in set(labels)]
    y = np.array([classes.index(label) for label in labels])
    clf = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
    clf.fit(x, y)
    weights, bias = np.zeros((len(CLASSES), 1 << bits)), np.full(len(CLASSES), -1e4)
    for i, c in enumerate(clf.classes_):
        row = CLASSES.index(classes[c])
        weights[row], bias[row] = (clf.coef_[i], clf.intercept_[i]) if len(clf.classes_) > 2 else (
            (clf.coef_[0], clf.intercept_[0]) if i == 1 else (-clf.coef_[0], -clf.intercept_[0]))
    return weights, bias


def save(directory: Path, weights: np.ndarray, bias: np.ndarray, bits: int, threshold: float, meta: dict) -> None:
    from safetensors.numpy import save_file

    directory.mkdir(parents=True, exist_ok=True)
    save_file({"weights": weights.astype(np.float32), "bias": bias.astype(np.float32)}, str(directory / "model.safetensors"))
    config = {"version": VERSION, "classes": list(CLASSES), "bits": bits, "threshold": round(threshold, 3), **meta}
    (directory / "matcher.json").write_text(json.dumps(config, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def rules_map_wordings(rules: Iterable) -> list[dict]:
    """(scanner, text, smell) of every web rule a rules map lists: its code, aliases, name and short text."""
    out = []
    for r in rules:
        if r.smell not in SMELLS:
            continue
        for code in (r.code, *r.aliases):
            out.append({"scanner": r.tool, "text": f"{code} {r.name} {r.short}", "smell": r.smell, "source": "rules map"})
    return out


WORDINGS = MATCHER_DIR / "wordings.yaml"


def training_wordings(extra: Iterable[dict] = (), n_generated: int = 3000, seed: int = 11) -> list[dict]:
    """(scanner, text, smell, source) of every wording the matcher learns from: the web rules maps, the
    extra wordings (``matcher/wordings.yaml``), the generator's scanner wordings, and ``extra`` rows (e.g. the
    real corpus's findings: their rule's words as the readers give them, with the reviewed smell)."""
    import yaml

    from iacfilter.rules import load_rules_map

    from .datagen.generate import generate

    rows = rules_map_wordings(load_rules_map().rules)
    doc = yaml.safe_load(WORDINGS.read_text(encoding="utf-8"))
    for scanner, code, name in doc.get("other") or []:
        rows.append({"scanner": scanner, "text": f"{code} {name}", "smell": OTHER, "source": "wordings.yaml"})
    for smell, entries in (doc.get("smells") or {}).items():
        for scanner, code, name in entries:
            rows.append({"scanner": scanner, "text": f"{code} {name}", "smell": smell, "source": "wordings.yaml"})
    for smell, names in (doc.get("headers") or {}).items():
        for name in names:
            rows.append({"scanner": "headers", "text": name, "smell": smell, "source": "wordings.yaml"})
    seen = set()
    for r in generate(n_generated, seed):
        f = r["finding"]
        text = rule_words(f)
        if (f["scanner"], text, r["smell"]) not in seen:
            seen.add((f["scanner"], text, r["smell"]))
            rows.append({"scanner": f["scanner"], "text": text, "smell": r["smell"], "source": "generator"})
    for r in extra:
        rows.append({**r, "source": r.get("source") or "real corpus"})
    return rows
