"""Data loads, batches, voiding and reinstating, time travel, verification and rebuilds."""
