"""`mockserver fuzz` in process (`CliRunner`), its verdicts read back from the JUnit report.

The command's own process behaviour (Ctrl-C, the entry point) is tested as a subprocess in
test_hostile_cli and test_cli_options; a run here saves an interpreter start and the imports.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from tests.support.cli import run_cli

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
    done = run_cli("fuzz", *options)
    return Run(done.returncode, done.stdout, done.stderr, junit)
