"""The budgets a user-supplied script runs under: every number in one place.

A script is code a user hands to a server that others share (every sender on the worker waits
when the event loop waits), so everything a script can make the server do is bounded: what it
may contain (checked when it is loaded, a refusal names the rule and the field) and what a rule
may cost per delivery (exceeding it is a script failure: the delivery is answered 500 with
problem field ``script`` and journaled, and the worker keeps serving). docs/scripts.md lists
the same numbers for users; change both together.

The numbers come from measurement on a 2-core machine (bench/bench_templates.py): a template in
this kit renders in about 20 µs and round-trips through the sandbox process in about 0.14 ms,
so the time budget is three orders of magnitude above honest use and still a tenth of the
sender's 2-second budget. docs/scripts.md has the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SCRIPT_BUDGET", "ScriptBudget"]


@dataclass(frozen=True)
class ScriptBudget:
    """Limits on a script's size at load time and on its cost per delivery."""

    # ------------------------------------------------------------------ at load time
    script_bytes: int = 64 * 1024
    """Largest script text (a file or an admin API body), in bytes. Parsing is linear in it:
    libyaml took 217 ms for 256 KiB here, while a 50-rule script is under 10 KiB."""
    rules: int = 50
    """Most rules in one script: every delivery is matched against the rules in order."""
    template_chars: int = 16 * 1024
    """Longest template source: compiling one is linear in it, and it is compiled per process."""
    # YAML aliases (``*name``) are refused outright: a few hundred bytes of nested aliases
    # expand to gigabytes (the "billion laughs"), and scripts have no need to share nodes.

    # ----------------------------------------------------------- per delivery, matching
    match_ms: float = 50.0
    """All predicates of all rules for one delivery (checked between predicates)."""
    regex_ms: float = 50.0
    """One regular expression on one value (the `regex` engine can be stopped; `re` cannot)."""

    # ----------------------------------------------------------- per delivery, templates
    template_ms: float = 200.0
    """Wall time of one render in the sandbox process; beyond it the process is killed."""
    template_output_chars: int = 256 * 1024
    """Longest rendered text, in characters; rendering stops as soon as it is passed."""
    template_memory_bytes: int = 256 * 1024 * 1024
    """Address space a render may add to the sandbox process (RLIMIT_AS, where the OS has it)."""
    template_wait_ms: float = 1000.0
    """How long a render may wait for a free sandbox process before it fails."""
    sandbox_processes: int = 2
    """Render processes per server process, started when the first template is loaded."""


SCRIPT_BUDGET = ScriptBudget()
"""The budgets every script runs under."""
