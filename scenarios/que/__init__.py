"""QUE scenarios: the Redis job queue with a dual-write key migration (seed 003)."""
