"""Command-line wiring, database set-up, benchmarks and runbooks."""
