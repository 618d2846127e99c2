"""The ``features`` scorer backend: a linear model over IaC-aware features of a snippet.

It reads what a reviewer reads: whether the flagged value is a variable or template reference
(``{{ vault_pw }}``, ``$var``, ``node['x']``, ``lookup(...)``, ``hiera(...)``), empty, a placeholder, a path,
a hex fingerprint; whether a comment keyword is a real TODO/FIXME/HACK/XXX/bug or a word that merely contains
one; whether a URL is a local, example or XML-namespace address; whether MD5/SHA-1 is used or only named.
Those features, with the words of the flagged line and (as weak evidence, scaled by ``context_weight``) of its
context, are hashed into a fixed-size vector. The smell catalogue's judgement of the line
(:mod:`iacfilter_plugins.iac.catalogue`: a reference, an empty value, an XML namespace, ``!MD5``, ...) can enter
in two ways, each set in ``features.json``: as a fixed prior added to the logit (``prior_weight`` times the sum
of its +1/-1 reasons), so the regression learns only what the catalogue does not already say, and as named
features (``catalogue: true``). The shipped default uses the prior alone (``prior_weight: 4``,
``catalogue: false``). The weights live in ``model.safetensors`` (numpy only at run time, no torch).

``features.json`` version 1 (binary features, no prior) still loads.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from iacfilter.findings import INTERCEPT, Snippet
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import ScorerBackend, refuse_options

from .catalogue import evidence

VERSION = 2
VERSIONS = (1, 2)
WORD = re.compile(r"[a-z][a-z0-9]*|[0-9]+")
ASSIGN = re.compile(r"^\s*[-\s]*(?P<key>[^=:]+?)\s*(?:=>|:|=|\s)\s*(?P<value>.*?)[,;]?\s*$")
REFERENCE = re.compile(
    r"\{\{|\$\{|\$[a-z_:]|#\{|%\{|\bnode\[|\bnode\.|\blookup\(|\bhiera|\bgetvar\(|\bpick\(|\bvault|@[a-z_]|"
    r"\bparams\[|new_resource\.|\benv\[|\bENV\[|\bsecrets?\.|\bdata_bag|\bdefault\[|\bfile\(|\bvar\.|"
    r"\bitem\b|\bregister\b|\bpw_hash\(|\bpassword_hash\b", re.I)
NULLISH = re.compile(r"^(?:undef|nil|none|null|~|false|true|yes|no|\[\]|\{\}|''|\"\"|)$", re.I)
PLACEHOLDER = re.compile(r"change.?me|x{3,}|\*{3,}|<[^>]+>|example|dummy|sample|placeholder|secret|password|"
                         r"your[_-]|replace|todo|test|foo|bar|default|\.\.\.", re.I)
SECRET_KEY = re.compile(r"pass|pwd|secret|token|private|credential|api.?key|auth", re.I)
USER_KEY = re.compile(r"user|login|owner|account|admin|name", re.I)
KEY_KEY = re.compile(r"key|cert|pem|ssl|gpg|fingerprint|id_rsa", re.I)
COMMENT_KW = re.compile(r"\b(todo|fixme|hack|xxx|bug|fix|broken|workaround|temporary|kludge)\b", re.I)
COMMENT_KW_UPPER = re.compile(r"\b(TODO|FIXME|HACK|XXX|BUG)\b")
COMMENT_KW_INWORD = re.compile(r"(todo|fixme|hack|xxx|bug)", re.I)
# the keyword itself, inflected ("bugs", "todos", "hacky"), as against the letters inside another word ("debug",
# "mastodon"): a different kind of evidence
COMMENT_KW_INFLECTED = re.compile(r"\b(?:todos|bugs|buggy|hacks|hacky|hacked|fixmes)\b", re.I)
LOCAL_URL = re.compile(r"https?://(?:localhost|127\.|0\.0\.0\.0|\[::1\]|10\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.)", re.I)
EXAMPLE_URL = re.compile(r"https?://[^/\s]*(?:example|test|invalid|local)\b", re.I)
NAMESPACE_URL = re.compile(r"https?://(?:www\.)?(?:w3\.org|xmlns|schemas?\.|apache\.org/licenses|"
                           r"opensource\.org|gnu\.org|json-schema)|xmlns|#\"?$", re.I)
DOC_URL = re.compile(r"https?://[^\s]*(?:/docs?/|/wiki/|/issues?/|/browse/|github\.com|readthedocs)", re.I)
WEAK_CRYPTO = re.compile(r"\b(md5|sha1|sha-1|des|rc4|3des)\b", re.I)
WEAK_CRYPTO_CALL = re.compile(r"(md5|sha1)\s*\(|hash\(['\"]?(md5|sha1)|digest.*(md5|sha1)|(md5|sha1)sum", re.I)
HEX = re.compile(r"^[0-9a-f]{16,}$", re.I)


def _strip_quotes(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def extract(s: Snippet) -> list[str]:
    """Named features of one snippet (the same function at training and at filter time)."""
    line, smell, tech = s.line, s.smell, s.tech
    is_comment = line.startswith(("#", "//", "/*", "*", "--", "<!--"))
    flags = {"comment": is_comment}
    m = ASSIGN.match(line)
    key, value = (m.group("key"), m.group("value")) if m else ("", line)
    bare = _strip_quotes(value)
    flags.update({
        "value_reference": bool(REFERENCE.search(value)),
        "value_nullish": bool(NULLISH.match(bare.strip())),
        "value_placeholder": bool(PLACEHOLDER.search(bare)),
        "value_quoted": value.strip()[:1] in ("'", '"') and "${" not in value and "#{" not in value,
        "value_path": bare.startswith(("/", "~/", "./")) or bool(re.search(r"\.(pem|key|crt|cert|pub)\b", bare)),
        "value_hex": bool(HEX.match(bare)),
        "value_mixed": bool(re.search(r"[a-z]", bare, re.I) and re.search(r"\d", bare)) and " " not in bare,
        "value_same_as_key": bool(bare) and bare.lower() in key.lower(),
        "value_has_space": " " in bare.strip(),
        "key_secret": bool(SECRET_KEY.search(key)),
        "key_user": bool(USER_KEY.search(key)),
        "key_keyish": bool(KEY_KEY.search(key)),
        "kw": bool(COMMENT_KW.search(line)),
        "kw_upper": bool(COMMENT_KW_UPPER.search(line)),
        "kw_inflected": bool(COMMENT_KW_INFLECTED.search(line)),
        "kw_inword": bool(COMMENT_KW_INWORD.search(line)) and not COMMENT_KW.search(line)
        and not COMMENT_KW_INFLECTED.search(line),
        "kw_leading": bool(re.match(r"^[#/*\s-]*(todo|fixme|hack|xxx|bug)\b", line, re.I)),
        "http": "http://" in line.lower(),
        "url_local": bool(LOCAL_URL.search(line)),
        "url_example": bool(EXAMPLE_URL.search(line)),
        "url_namespace": bool(NAMESPACE_URL.search(line)),
        "url_doc": bool(DOC_URL.search(line)),
        "url_templated": bool(re.search(r"https?://[^\s'\"]*(\{\{|\$\{|\$[a-z_]|#\{|%\{)", line, re.I)),
        "crypto_word": bool(WEAK_CRYPTO.search(line)),
        "crypto_call": bool(WEAK_CRYPTO_CALL.search(line)),
        "crypto_in_name": bool(re.search(r"[a-z_](md5|sha1)|(md5|sha1)[a-z_]", line, re.I)),
        "context_comment": any(b.startswith("#") for b in s.before + s.after),
    })
    length = len(bare)
    bucket = "0" if length == 0 else "1-4" if length < 5 else "5-9" if length < 10 else "10-19" if length < 20 else "20+"
    names = [f"smell={smell}", f"tech={tech}", f"st={smell}|{tech}", f"len={smell}|{bucket}"]
    for flag, on in flags.items():
        if on:
            names += [f"f={flag}", f"sf={smell}|{flag}"]
    names += [f"w={smell}|{w}" for w in set(_words(line))]
    names += [f"k={smell}|{w}" for w in set(_words(key))]
    return names


def context_names(s: Snippet) -> list[str]:
    """The words of the lines around the flagged one: weak evidence, scaled by ``context_weight``."""
    return [f"c={s.smell}|{w}" for w in set(_words(" ".join(s.before + s.after)))]


def prior(s: Snippet) -> float:
    """The catalogue's net judgement of the snippet: the sum of its +1/-1 reasons."""
    return float(sum(sign for _, sign in evidence(s)))


def catalogue_names(s: Snippet) -> list[str]:
    return [f"cat={reason}" for reason, _ in evidence(s)]


def _bucket(name: str, bits: int) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little") % (1 << bits)


def vectorise(snippets: Sequence[Snippet], bits: int, context_weight: float = 1.0, catalogue: bool = False):
    """Sparse rows as (indices, values, indptr) for a CSR matrix of hashed features."""
    indices, values, indptr = [], [], [0]
    for s in snippets:
        row: dict[int, float] = {}
        for n in extract(s) + (catalogue_names(s) if catalogue else []):
            row[_bucket(n, bits)] = 1.0
        if context_weight:
            for n in context_names(s):
                col = _bucket(n, bits)
                row[col] = max(row.get(col, 0.0), context_weight)
        cols = sorted(row)
        indices.extend(cols)
        values.extend(row[c] for c in cols)
        indptr.append(len(indices))
    return (np.asarray(indices, dtype=np.int64), np.asarray(values, dtype=np.float64),
            np.asarray(indptr, dtype=np.int64))


class LinearFeatureModel:
    def __init__(self, weights: np.ndarray, bias: float, bits: int, context_weight: float = 1.0,
                 prior_weight: float = 0.0, catalogue: bool = False):
        self.weights, self.bias, self.bits = weights, bias, bits
        self.context_weight, self.prior_weight, self.catalogue = context_weight, prior_weight, catalogue

    def logits(self, snippets: Sequence[Snippet]) -> np.ndarray:
        indices, values, indptr = vectorise(snippets, self.bits, self.context_weight, self.catalogue)
        rows = np.repeat(np.arange(len(snippets)), np.diff(indptr))
        sums = np.bincount(rows, weights=self.weights[indices] * values, minlength=len(snippets)) + self.bias
        if self.prior_weight:
            sums = sums + self.prior_weight * np.array([prior(s) for s in snippets])
        return sums

    def score(self, snippets: Sequence[Snippet]) -> list[float]:
        return (1.0 / (1.0 + np.exp(-self.logits(snippets)))).tolist()

    def explain(self, snippet: Snippet) -> list[tuple[str, float]]:
        """What each feature added to the logit (weight times its value; a hash bucket is named by the first
        feature in it), the catalogue prior's reasons and the intercept (the bias): they sum to the logit exactly."""
        indices, values, _ = vectorise([snippet], self.bits, self.context_weight, self.catalogue)
        value = dict(zip(indices.tolist(), values.tolist()))
        names = extract(snippet) + (catalogue_names(snippet) if self.catalogue else [])
        names += context_names(snippet) if self.context_weight else []
        out, seen = [], set()
        for name in names:
            bucket = _bucket(name, self.bits)
            if bucket in value and bucket not in seen:
                seen.add(bucket)
                out.append((name, float(self.weights[bucket]) * value[bucket]))
        if self.prior_weight:
            out += [(f"catalogue prior: {reason}", self.prior_weight * sign) for reason, sign in evidence(snippet) if sign]
        return out + [(INTERCEPT, self.bias)]


def load(champion, options=None) -> LinearFeatureModel:
    refuse_options(champion, options or {})
    from safetensors.numpy import load_file

    config = json.loads((champion.path / "features.json").read_text())
    if config.get("version") not in VERSIONS:
        raise ValueError(f"features.json version {config.get('version')} is not one of {VERSIONS}")
    tensors = load_file(str(champion.path / "model.safetensors"))
    weights = tensors["weights"].astype(np.float64)
    if weights.shape != (1 << config["bits"],):
        raise ValueError("weights do not match the feature size in features.json")
    return LinearFeatureModel(weights, float(tensors["bias"][0]), int(config["bits"]),
                              float(config.get("context_weight", 1.0)), float(config.get("prior_weight", 0.0)),
                              bool(config.get("catalogue", False)))


def fit_logistic(X, y: np.ndarray, offset: np.ndarray, C: float, sample_weight: np.ndarray, max_iter: int = 5000):
    """L2-regularised logistic regression with a fixed per-row offset (the catalogue prior), by L-BFGS."""
    from scipy.optimize import minimize

    n, d = X.shape
    sign = 2.0 * y - 1.0

    def loss(theta):
        w, b = theta[:d], theta[d]
        z = sign * (X @ w + b + offset)
        log1p = np.logaddexp(0.0, -z)
        g = -sign * sample_weight * (1.0 / (1.0 + np.exp(z)))
        value = float(sample_weight @ log1p) + 0.5 * float(w @ w) / C
        grad = np.concatenate([X.T @ g + w / C, [g.sum()]])
        return value, grad

    result = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    return result.x[:d], float(result.x[d])


def train(params: dict, train_set, val_set, out_dir, seed: int, log=print) -> list[float]:
    """Fit an L2 logistic regression (scipy L-BFGS) on the hashed features, with the catalogue prior as a fixed
    offset; save weights as safetensors. Params: ``C``, ``class_weight`` (null or balanced), ``bits``,
    ``context_weight`` (scale of context words, 0 drops them), ``prior_weight`` (0: no prior), ``catalogue``
    (the catalogue's reasons as features too)."""
    import scipy.sparse as sp
    from safetensors.numpy import save_file

    bits = int(params.get("bits", 18))
    context_weight = float(params.get("context_weight", 1.0))
    prior_weight = float(params.get("prior_weight", 0.0))
    catalogue = bool(params.get("catalogue", False))
    probe = LinearFeatureModel(np.zeros(1 << bits), 0.0, bits, context_weight, prior_weight, catalogue)

    def matrix(examples):
        indices, values, indptr = vectorise([e.snippet for e in examples], bits, context_weight, catalogue)
        return sp.csr_matrix((values, indices, indptr), shape=(len(examples), 1 << bits))

    labels = np.array([e.label for e in train_set], dtype=np.float64)
    offset = prior_weight * np.array([prior(e.snippet) for e in train_set]) if prior_weight else np.zeros(len(labels))
    weight = np.ones(len(labels))
    if params.get("class_weight") == "balanced":
        for value in (0.0, 1.0):
            count = (labels == value).sum()
            if count:
                weight[labels == value] = len(labels) / (2.0 * count)
    X = matrix(train_set)
    used = np.unique(X.indices)  # fit only the columns that occur (the rest stay 0), for speed
    w_used, bias = fit_logistic(X[:, used], labels, offset, float(params.get("C", 1.0)), weight,
                                int(params.get("max_iter", 5000)))
    weights = np.zeros(1 << bits, dtype=np.float32)
    weights[used] = w_used
    log(f"features: fitted {int((weights != 0).sum())} non-zero weights over {len(train_set)} examples "
        f"(context weight {context_weight}, prior weight {prior_weight}, catalogue features {catalogue})")
    save_file({"weights": weights, "bias": np.array([bias], dtype=np.float32)}, str(out_dir / "model.safetensors"))
    (out_dir / "features.json").write_text(json.dumps(
        {"version": VERSION, "bits": bits, "context_weight": context_weight, "prior_weight": prior_weight,
         "catalogue": catalogue}, indent=2) + "\n")
    # Score validation with exactly what load() will read back.
    probe.weights, probe.bias = weights.astype(np.float64), float(np.float32(bias))
    return probe.score([e.snippet for e in val_set])


DEFAULT_CHAMPION = Path(__file__).parent / "champions" / "features-default"


@hookimpl
def register_champions(register):
    register("features-default", DEFAULT_CHAMPION, default=True)


@hookimpl
def register_scorers(register):
    register(ScorerBackend("features", "linear model over IaC-aware features (numpy, CPU)", load, train,
                           extra="train"))
