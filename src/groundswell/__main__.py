"""``python -m groundswell`` runs the command line.

Guarded: processes started with ``spawn`` (the enrichment process) import the parent's
main module again, and must not run the command line a second time.
"""

from groundswell.cli import app

if __name__ == "__main__":
    app()
