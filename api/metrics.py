"""Prometheus metrics: request rate and latency, command conflicts, projection lag."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    """One registry per application, so tests and workers never share counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "journey_http_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "journey_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.conflicts = Counter(
            "journey_command_conflicts",
            "Commands refused as conflicts",
            ["kind"],
            registry=self.registry,
        )
        self.lag_events = Gauge(
            "journey_projection_lag_events",
            "Events not yet projected",
            ["projection"],
            registry=self.registry,
        )
        self.lag_seconds = Gauge(
            "journey_projection_lag_seconds",
            "Age of the oldest unprojected event",
            ["projection"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
