"""What every connector shares: rate limits, back-off, budgets, stored accounts, leases."""
