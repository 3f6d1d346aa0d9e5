"""Drill-down: what a spike (or any time range) of talk about a subject is about.

``service.drilldown`` gathers the facts (volume, emerging terms, sentiment and channel
mix, authors, co-occurring subjects, sample posts, clusters) and ``summary`` turns them
into a few plain sentences. The pure parts (``keyness``, ``samples``, ``clusters``,
``summary``) know nothing of the database.
"""
