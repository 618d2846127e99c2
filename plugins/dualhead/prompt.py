"""The text the dual-head model reads and writes: one layout for training, scoring and the variant table.

A sequence is ``prompt | analysis | separator | verdict | eos``. The prompt states the finding (the snippet
text, already masked by its technology) and the token budget; the analysis is at most ``budget`` tokens; the
separator ``"\\n### Verdict:"`` closes it (its first token, a newline, ends generation: analyses are one
paragraph); the verdict is the first token of ``" TP"`` or ``" FP"``. Parts are tokenised separately and
concatenated, so training and scoring see the same ids.
"""

from __future__ import annotations

import re

SEPARATOR = "\n### Verdict:"
VERDICTS = (" TP", " FP")
# PE-SC: the base model prompted with the policy (a short rule-free summary of what makes a finding real).
POLICY = ("Policy: a finding is a true positive (TP) when the evidence shown proves a real weakness that must be "
          "fixed; it is a false positive (FP) when the evidence contradicts the scanner, the value is a placeholder, "
          "a variable, a test or documentation value, or the context makes the weakness harmless.\n")
SENTENCE = re.compile(r"(?<=[.!?])\s+")


def normalise(text: str) -> str:
    """One paragraph: an analysis never contains the newline that ends generation."""
    return " ".join(str(text).split())


def prompt_parts(snippet_text: str, budget: int, policy: bool = False) -> tuple[str, str]:
    """(head, tail): the head (policy, finding) may be cut to fit the context; the tail never is."""
    head = (POLICY if policy else "") + "### Finding\n" + snippet_text.strip() + "\n"
    tail = f"### Budget: {int(budget)} tokens\n### Analysis\n"
    return head, tail


def template_analysis(row: dict) -> str:
    """A rule-free rationale written from the label alone, for rows that carry no written analysis (IaC rows).

    It says nothing the label does not: phase 1 on such rows teaches the format and the verdict, not reasons.
    """
    smell = str(row.get("smell", "finding")).replace("_", " ")
    tech = str(row.get("tech", ""))
    line = normalise(row.get("content", ""))[:80]
    where = f" on the line `{line}`" if line else ""
    if row.get("label") == "TP":
        return f"The {tech} {smell} finding{where} is a real problem. It should be fixed."
    return f"The {tech} {smell} finding{where} is not a real problem. It can be filtered."


def fit_analysis(tokenizer, analysis: str, budget: int) -> list[int]:
    """The ids of the longest run of whole sentences of ``analysis`` within ``budget`` tokens (the first
    sentence cut at the budget when even it is longer); [] for budget 0."""
    if budget <= 0:
        return []
    kept: list[int] = []
    text = ""
    for sentence in SENTENCE.split(normalise(analysis)):
        candidate = (text + " " + sentence).strip()
        ids = tokenizer.encode(candidate, add_special_tokens=False)
        if len(ids) > budget:
            if not kept:
                kept = ids[:budget]
            break
        kept, text = ids, candidate
    return kept
