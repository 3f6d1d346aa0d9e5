"""``python -m groundswell`` runs the command line."""

from groundswell.cli import app

app()
