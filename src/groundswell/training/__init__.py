"""Training the sentiment and intent model from labelled examples."""
