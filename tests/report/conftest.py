"""The toy project's fixtures, for every test under tests/report."""

from tests.report.toyproject import toy_audit, toy_project, toy_run

__all__ = ["toy_audit", "toy_project", "toy_run"]
