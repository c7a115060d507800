"""The soak run: a live API and projection worker under mixed load for a long time, with
memory and connection counts sampled, to show nothing grows and nothing fails unexpectedly.

Run: .venv/bin/python -m ops.soak --minutes 30
"""
