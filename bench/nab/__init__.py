"""The Numenta Anomaly Benchmark's scoring rule and its development set (``nab_dev``)."""
