"""The claims ledger: each testable claim of the seeds, the scenarios that test it, its verdict."""

from harness.ledger.claims import Claim, MeasuredBy, TestedBy, load_claims
from harness.ledger.figures import Measurement
from harness.ledger.verdicts import ClaimStatus, ClaimVerdict, judge, judge_all

__all__ = [
    "Claim",
    "ClaimStatus",
    "ClaimVerdict",
    "MeasuredBy",
    "Measurement",
    "TestedBy",
    "judge",
    "judge_all",
    "load_claims",
]
