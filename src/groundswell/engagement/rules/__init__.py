"""Rules: conditions on a stored interaction → actions on cases (pure engine + service)."""
