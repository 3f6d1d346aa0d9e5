"""Identity resolution: the person behind the handles, with evidence and a human in the loop.

``scoring`` is the pure matcher (blocking keys, Fellegi-Sunter weights); ``service`` finds
and records candidate pairs; ``merge`` merges and unmerges contacts exactly, with a log.
"""
