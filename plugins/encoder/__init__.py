"""The ``encoder`` scorer backend: a Hugging Face sequence classifier fine-tuned on snippets."""
