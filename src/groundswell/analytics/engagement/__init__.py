"""Engagement effectiveness: response and resolution times, SLA attainment, CSAT, lift.

Figures are read from a per-day rollup (``rollup_models``) that is kept current in the
same transaction as the cases it describes (``hooks``), never by scanning cases per request.
"""
