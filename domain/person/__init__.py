"""The person aggregate, its events and the journey they add up to."""
