"""Rules maps: YAML data, one file per scanner. Loaded and validated by ``iacfilter.rules``."""
