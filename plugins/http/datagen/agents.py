"""``--llm-url``: agents in sequence rewrite a generated row through an OpenAI-compatible endpoint.

1. The *writer* varies the page: it gets the response (headers and body) and returns a rewritten one.
2. The *critic* re-runs the rule-based POLICY.md labeller on the rewritten exchange (same smell, same subject):
   a rewrite that changes the label or the deciding rule -- or that cannot be read -- is dropped and the
   template's exchange is kept.
3. The *analyst* rewrites the analysis from the label, the rule and the evidence; a rewrite that is not 2-4
   sentences or that names the other label is dropped.

Requests go to ``POST {url}/chat/completions`` with the standard library (bounded timeout, two retries);
an endpoint that keeps failing stops the run with one line naming it.
"""

from __future__ import annotations

import copy
import json
import re
import time
import urllib.error
import urllib.request

from iacfilter.errors import IacfilterError

from . import analysis
from ..policy import judge

WRITER = ("You are the writer. You receive one HTTP response of a web application as JSON {\"headers\": [[name, "
          "value], ...], \"body\": \"...\"}. Rewrite it so that it reads like a different but realistic page of the "
          "same kind of software: change visible text, names, titles and markup details. Keep every header, "
          "form, hidden field, token, cookie, script payload and error detail that matters for security exactly as "
          "they are. Answer with the same JSON shape only.")
ANALYST = ("You are the analyst. Rewrite the given analysis of a web-scanner finding in your own words: 2 to 4 "
           "sentences, cite the concrete evidence (header values, status, content type, cookie, payload), keep the "
           "verdict ({label}: {verdict}) and the reasoning of the labelling policy. Answer with the text only.")
VERDICT_WORDS = {"TP": "true positive", "FP": "false positive"}


class Agents:
    """Callable as a row rewriter for ``generate(..., rewriter=Agents(url, model))``."""

    def __init__(self, url: str, model: str, *, timeout: float = 60, seed: int = 0, retries: int = 2):
        if not re.match(r"https?://", url):
            raise IacfilterError("--llm-url", f"{url!r} is not an http(s) URL")
        self.endpoint = url.rstrip("/") + "/chat/completions"
        self.model, self.timeout, self.seed, self.retries = model, timeout, seed, retries

    # ------------------------------------------------------------ transport

    def chat(self, system: str, user: str) -> str:
        payload = json.dumps({"model": self.model, "temperature": 0, "seed": self.seed,
                              "messages": [{"role": "system", "content": system},
                                           {"role": "user", "content": user}]}).encode()
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(0.5 * 2 ** (attempt - 1), 4))
            request = urllib.request.Request(self.endpoint, data=payload, method="POST",
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    answer = json.loads(response.read(4 * 1024 * 1024).decode("utf-8", "replace"))
                return str(answer["choices"][0]["message"]["content"])
            except urllib.error.HTTPError as exc:
                problem = f"HTTP {exc.code} {exc.reason}"
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                problem = str(getattr(exc, "reason", exc)) or type(exc).__name__
            except (ValueError, KeyError, IndexError, TypeError):
                problem = "answer is not an OpenAI chat completion (no choices[0].message.content)"
        raise IacfilterError(f"--llm-url {self.endpoint}", f"no usable answer after {self.retries + 1} tries: "
                                                           f"{problem}")

    # ------------------------------------------------------------ the agents

    def writer(self, finding: dict) -> dict | None:
        response = finding["response"]
        text = self.chat(WRITER, json.dumps({"headers": response["headers"], "body": response["body"]}))
        text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
        try:
            new = json.loads(text)
            headers, body = new["headers"], new["body"]
        except (ValueError, KeyError, TypeError):
            return None
        if not (isinstance(body, str) and isinstance(headers, list)
                and all(isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in headers)):
            return None
        rewritten = copy.deepcopy(finding)
        rewritten["response"]["headers"] = [list(h) for h in headers]
        rewritten["response"]["body"] = body if not response.get("body_note") else ""
        return rewritten

    @staticmethod
    def critic(row: dict, case, finding: dict):
        """The verdict on the rewritten exchange when it keeps the label and rule, else None."""
        verdict = judge(row["smell"], finding, case.subject)
        if verdict is None or verdict.label != row["label"] or verdict.rule != row["rule"]:
            return None
        return verdict

    def analyst(self, row: dict, verdict) -> str | None:
        label = row["label"]
        system = ANALYST.format(label=label, verdict=VERDICT_WORDS[label])
        user = json.dumps({"smell": row["smell"], "rule": row["rule"], "label": label,
                           "evidence": {k: v for k, v in verdict.facts.items() if v not in (None, "")},
                           "analysis": row["analysis"]}, default=str)
        text = " ".join(self.chat(system, user).split())
        sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z`\"(])", text) if s.strip()]
        other = "FP" if label == "TP" else "TP"
        if not 2 <= len(sentences) <= 4 or _names(text, other) or not _names(text, label):
            return None
        return text

    def __call__(self, row: dict, case, stats) -> dict:
        verdict = None
        if row["finding"]["response"] is None:   # nothing to vary: the report kept only the request
            stats.rewrites["no page"] += 1
            verdict = judge(row["smell"], row["finding"], case.subject)
        else:
            rewritten = self.writer(row["finding"])
            if rewritten is not None:
                verdict = self.critic(row, case, rewritten)
            if verdict is None:
                stats.rewrites["dropped"] += 1
                verdict = judge(row["smell"], row["finding"], case.subject)
            else:
                stats.rewrites["kept"] += 1
                row = dict(row, finding=rewritten)
                row["analysis"] = analysis.write(verdict, rewritten, _Fixed(row["analysis"]))
        text = self.analyst(row, verdict)
        if text is not None:
            stats.rewrites["analyses"] += 1
            row = dict(row, analysis=text)
        return row


def _names(text: str, label: str) -> bool:
    """Whether the text states the verdict ``label`` ("true positive" or "TP")."""
    return VERDICT_WORDS[label] in text.lower() or re.search(rf"\b{label}\b", text) is not None


class _Fixed:
    """A stand-in rng for re-rendering the template analysis of a kept rewrite (its evidence may have moved)."""

    def __init__(self, seed_text: str):
        self.n = sum(map(ord, seed_text))

    def random(self) -> float:
        return (self.n % 100) / 100

    def choice(self, seq):
        return seq[self.n % len(seq)]
