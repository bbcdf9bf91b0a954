"""TRC scenarios: the trace ingestion pipeline (seed 001), one module per fix id."""
