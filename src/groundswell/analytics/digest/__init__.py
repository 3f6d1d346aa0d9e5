"""The executive digest: one page per brand and period (day or week).

``service.build_digest`` gathers the figures (what moved, why, how the team did, what to
do, and what data is missing) from listening's minute rollups, alerts and drill-down and
from engagement's cases; ``render`` turns them into the web fragment, the PDF and the
e-mail; ``schedule`` sends each subscriber's digest once per period.
"""
