"""Formatter benchmark: what the generator's ruff step costs, next to rendering and to black.

    .venv/bin/python bench/bench_formatter.py [--rounds 9] [--black PYTHON]

Renders the bundled contract's package once without the formatter step (the baseline), then
times, side by side on the same text: the ruff step (`codegen/formatter.py`: import and
``__all__`` sorting, then ``ruff format``; two processes), and, with ``--black PYTHON`` (an
interpreter that has black installed, e.g. a scratch venv), black's `format_str` on each file.
Prints the best of `--rounds` for each, as milliseconds and as a ratio to rendering, and
whether black would change ruff's output.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from unittest import mock

from mockserver.codegen import build_context, render_package
from mockserver.codegen import render as render_module
from mockserver.codegen.formatter import LINE_LENGTH, format_python
from mockserver.contract import load_contract

T = TypeVar("T")

_BLACK = """
import json, sys, time, black
files = json.load(open(sys.argv[1])); formatted = json.load(open(sys.argv[2])); rounds = int(sys.argv[3])
mode = black.Mode(line_length=int(sys.argv[4]), target_versions={black.TargetVersion.PY311})
timings = []
for _ in range(rounds):
    started = time.perf_counter()
    for text in files.values():
        black.format_str(text, mode=mode)
    timings.append(time.perf_counter() - started)
same = all(black.format_str(v, mode=mode) == v for v in formatted.values())
print(json.dumps({"seconds": min(timings), "version": black.__version__, "leaves_ruff_output": same}))
"""


def best_of(rounds: int, work: Callable[[], T]) -> tuple[float, T]:
    timings: list[float] = []
    result: T | None = None
    for _ in range(rounds):
        started = time.perf_counter()
        result = work()
        timings.append(time.perf_counter() - started)
    assert result is not None
    return min(timings), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--black", metavar="PYTHON", help="an interpreter with black installed, to compare")
    args = parser.parse_args()

    context = build_context(load_contract(), "oa_webhooks")
    with mock.patch.object(render_module, "format_python", dict):
        render_seconds, rendered = best_of(args.rounds, lambda: render_package(context))
    python = {f.path: f.text for f in rendered if f.path.endswith(".py")}
    ruff_seconds, formatted = best_of(args.rounds, lambda: format_python(python))
    lines = sum(text.count("\n") for text in python.values())
    print(f"{len(python)} modules, {lines} lines rendered; best of {args.rounds}")
    print(f"render (baseline)   {render_seconds * 1000:7.0f} ms   1.00x")
    print(f"ruff step           {ruff_seconds * 1000:7.0f} ms   {ruff_seconds / render_seconds:.2f}x")
    if args.black:
        with tempfile.TemporaryDirectory() as tmp:
            raw, done = Path(tmp, "raw.json"), Path(tmp, "ruff.json")
            raw.write_text(json.dumps(python), encoding="utf-8")
            done.write_text(json.dumps(formatted), encoding="utf-8")
            command = [args.black, "-c", _BLACK, str(raw), str(done), str(args.rounds), str(LINE_LENGTH)]
            black = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        seconds = black["seconds"]
        print(f"black {black['version']:<13} {seconds * 1000:7.0f} ms   {seconds / render_seconds:.2f}x (format only)")
        print(f"black leaves ruff's output unchanged: {black['leaves_ruff_output']}")


if __name__ == "__main__":
    main()
