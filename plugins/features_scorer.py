"""The ``features`` scorer backend: a linear model over IaC-aware features of a snippet.

It reads what a reviewer reads: whether the flagged value is a variable or template reference
(``{{ vault_pw }}``, ``$var``, ``node['x']``, ``lookup(...)``, ``hiera(...)``), empty, a placeholder, a path,
a hex fingerprint; whether a comment keyword is a real TODO/FIXME/HACK/XXX/bug or a word that merely contains
one; whether a URL is a local, example or XML-namespace address; whether MD5/SHA-1 is used or only named.
Those features, with the words of the flagged line and its context, are hashed into a fixed-size vector;
the weights live in ``model.safetensors`` (numpy only at run time, no torch).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from iacfilter.findings import Snippet
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import ScorerBackend, refuse_options

VERSION = 1
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
LOCAL_URL = re.compile(r"https?://(?:localhost|127\.|0\.0\.0\.0|\[::1\]|10\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.)", re.I)
EXAMPLE_URL = re.compile(r"https?://[^/\s]*(?:example|test|invalid|local)\b", re.I)
NAMESPACE_URL = re.compile(r"https?://(?:www\.)?(?:w3\.org|purl\.org|xmlns|schemas?\.|apache\.org/licenses|"
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
        "kw_inword": bool(COMMENT_KW_INWORD.search(line)) and not COMMENT_KW.search(line),
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
    names += [f"c={smell}|{w}" for w in set(_words(" ".join(s.before + s.after)))]
    return names


def _bucket(name: str, bits: int) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little") % (1 << bits)


def vectorise(snippets: Sequence[Snippet], bits: int):
    """Sparse rows as (indices, indptr) for a CSR matrix of hashed features."""
    indices, indptr = [], [0]
    for s in snippets:
        cols = sorted({_bucket(n, bits) for n in extract(s)})
        indices.extend(cols)
        indptr.append(len(indices))
    return np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)


class LinearFeatureModel:
    def __init__(self, weights: np.ndarray, bias: float, bits: int):
        self.weights, self.bias, self.bits = weights, bias, bits

    def score(self, snippets: Sequence[Snippet]) -> list[float]:
        indices, indptr = vectorise(snippets, self.bits)
        rows = np.repeat(np.arange(len(snippets)), np.diff(indptr))
        sums = np.bincount(rows, weights=self.weights[indices], minlength=len(snippets)) + self.bias
        return (1.0 / (1.0 + np.exp(-sums))).tolist()

    def explain(self, snippet: Snippet) -> list[tuple[str, float]]:
        """Each named feature of the snippet with its weight (features sharing a hash bucket: the first named)."""
        seen, out = set(), []
        for name in extract(snippet):
            bucket = _bucket(name, self.bits)
            if bucket not in seen:
                seen.add(bucket)
                out.append((name, float(self.weights[bucket])))
        return out


def load(champion, options=None) -> LinearFeatureModel:
    refuse_options(champion, options or {})
    from safetensors.numpy import load_file

    config = json.loads((champion.path / "features.json").read_text())
    if config.get("version") != VERSION:
        raise ValueError(f"features.json version {config.get('version')} is not {VERSION}")
    tensors = load_file(str(champion.path / "model.safetensors"))
    weights = tensors["weights"].astype(np.float64)
    if weights.shape != (1 << config["bits"],):
        raise ValueError("weights do not match the feature size in features.json")
    return LinearFeatureModel(weights, float(tensors["bias"][0]), int(config["bits"]))


def train(params: dict, train_set, val_set, out_dir, seed: int, log=print) -> list[float]:
    """Fit an L2 logistic regression (scikit-learn) on the hashed features; save weights as safetensors."""
    import scipy.sparse as sp
    from safetensors.numpy import save_file
    from sklearn.linear_model import LogisticRegression

    bits = int(params.get("bits", 18))

    def matrix(examples):
        indices, indptr = vectorise([e.snippet for e in examples], bits)
        return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(examples), 1 << bits))

    labels = np.array([e.label for e in train_set])
    clf = LogisticRegression(C=float(params.get("C", 1.0)), class_weight=params.get("class_weight"),
                             max_iter=int(params.get("max_iter", 5000)), random_state=seed)
    clf.fit(matrix(train_set), labels)
    log(f"features: fitted {int((clf.coef_ != 0).sum())} non-zero weights over {len(train_set)} examples")
    weights, bias = clf.coef_[0].astype(np.float32), clf.intercept_.astype(np.float32)
    save_file({"weights": weights, "bias": bias}, str(out_dir / "model.safetensors"))
    (out_dir / "features.json").write_text(json.dumps({"version": VERSION, "bits": bits}, indent=2) + "\n")
    # Score validation with exactly what load() will read back.
    return LinearFeatureModel(weights.astype(np.float64), float(bias[0]), bits).score([e.snippet for e in val_set])


DEFAULT_CHAMPION = Path(__file__).parent / "champions" / "features-default"


@hookimpl
def register_champions(register):
    register("features-default", DEFAULT_CHAMPION, default=True)


@hookimpl
def register_scorers(register):
    register(ScorerBackend("features", "linear model over IaC-aware features (numpy, CPU)", load, train))
