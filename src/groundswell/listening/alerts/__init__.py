"""Spike alerts: their lifecycle, rules, notifications (outbox), suppressions and reads.

Detection (``listening.detection``) finds anomalous minutes; this package turns them
into alert episodes people are told about once and can act on.
"""
