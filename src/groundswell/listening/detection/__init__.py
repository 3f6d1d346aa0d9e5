"""Streaming spike detection, pure: no database, no clock, only the minutes it is given.

``groundswell.listening.spikes`` is the public face; this package holds its parts so each
stays small: types, parameters, the state layout, the vectorised step and the tail maths.
"""
