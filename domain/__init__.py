"""People, their journeys and cases: aggregates, events, rules and reference data."""
