"""iacfilter's training pipeline: one config-driven trial per command, sweeps, threshold sweep, champion freeze.

Stages (configs in ``training/configs``): 1 broad candidate sweep, 2 hyper-parameter tuning, 3 threshold sweep
on validation (0.30-0.70, step 0.01, one threshold for all technologies), 4 the champion configuration over
several seeds, median-F1 seed chosen and frozen. Nothing here ever reads a test split.
"""
