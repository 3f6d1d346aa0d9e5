"""Spike detector quality: labelled synthetic and airline series, scored against a z-score.

``python -m bench.eval_spikes`` (``make eval-spikes``) prints the table recorded in
``docs/benchmarks.md``; the method and the labels are described in
``docs/spike-detection.md``.
"""
