"""Scenarios of the agent command server (AGT-1..AGT-9), one module per fix id."""
