"""Conformance fuzzing: property-test a real webhook backend against the contract and the vendor's rules.

`cases` builds what is sent (schemathesis cases per webhook plus the vendor-rule probes),
`checks` holds the seven named checks, `runner` drives a run, `report` shows it, and
`mockserver.fuzz.pytest` (imported on its own, it needs pytest) puts it in a pytest suite.
"""

from mockserver.fuzz.checks import CHECKS, Check, Exchange, Finding
from mockserver.fuzz.runner import Failure, Fuzzer, FuzzOptions, FuzzResult, Progress, Unreachable, run

__all__ = [
    "CHECKS",
    "Check",
    "Exchange",
    "Failure",
    "Finding",
    "FuzzOptions",
    "FuzzResult",
    "Fuzzer",
    "Progress",
    "Unreachable",
    "run",
]
