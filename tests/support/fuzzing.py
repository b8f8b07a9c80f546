"""`mockserver fuzz` as a user runs it: a subprocess, its verdicts read back from the JUnit report."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Run", "fuzz"]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    junit: Path

    def failed_checks(self) -> set[str]:
        root = ET.parse(self.junit).getroot()
        return {case.get("name", "") for case in root.iter("testcase") if case.find("failure") is not None}

    def judged_checks(self) -> set[str]:
        root = ET.parse(self.junit).getroot()
        return {case.get("name", "") for case in root.iter("testcase") if case.find("skipped") is None}


def fuzz(url: str, tmp_path: Path, *args: str, max_examples: int = 2) -> Run:
    junit = tmp_path / "fuzz.xml"
    options = ["--url", url, "--max-examples", str(max_examples), "--seed", "11", "--junit-xml", str(junit), *args]
    command = [sys.executable, "-m", "mockserver", "fuzz", *options]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=240)
    return Run(proc.returncode, proc.stdout, proc.stderr, junit)
