"""Real collaborators for tests and benchmarks: an SMTP sink, worker processes."""
