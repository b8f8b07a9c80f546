"""Why script templates render in a child process: what each way of bounding them costs and stops.

Three ways to run a sandboxed Jinja2 template under a deadline, side by side on one machine:

* in-process, unguarded (the baseline: what a render costs at all);
* in-process with a `sys.settrace` deadline (stops Python-level loops between lines);
* `TemplateSandbox` (a child process with a deadline, an output cap and RLIMIT_AS).

For each: the cost of an honest render (the README's bot-refusing template over the rich
example) as a ratio to the baseline, and, for hostile templates, how long the calling thread
was held (for the in-process ways that is how long the event loop would freeze). No assertion.

    .venv/bin/python bench/bench_templates.py
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import jinja2

from mockserver.contract import Webhook, load_contract
from mockserver.server.sandbox import TemplateFailed, TemplateSandbox
from mockserver.server.sandbox_child import compile_template, environment


def honest_template(webhook: Webhook) -> str:
    """The README's template: refuse the requested subscribers whose IDs start with bot_ (names from the contract)."""
    refused = webhook.response_roles["refused"]
    path = webhook.subset_of[refused].segments  # e.g. (list, "*", attribute)
    return (
        f'{{"{refused}": {{{{ body.{path[0]} | map(attribute="{path[-1]}")'
        " | select('startingwith', 'bot_') | list | tojson }}}"
    )


HOSTILE = {
    "nested loops (Python level)": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "one C call: x * n, n = 10^9": "{{ (body.x * 1000000000)|length }}",
    "one C call: |center(10^9)": "{{ body.x|center(1000000000)|length }}",
}
TIME_LIMIT_S = 0.2


@functools.cache
def compiled(source: str) -> jinja2.Template:
    return compile_template(ENV, "bench", source)


def in_process(source: str, context: dict[str, Any]) -> str:
    return compiled(source).render(context)


def traced(source: str, context: dict[str, Any]) -> str:
    template = compiled(source)
    deadline = time.monotonic() + TIME_LIMIT_S

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if time.monotonic() > deadline:
            raise TimeoutError("deadline")
        return tracer

    sys.settrace(tracer)
    try:
        return template.render(context)
    finally:
        sys.settrace(None)


def held(run: Callable[[], Any], give_up_s: float = 10.0) -> tuple[float, str]:
    """Seconds `run` kept its thread, and how it ended (the thread is left behind after give_up_s)."""
    outcome = ["still running"]

    def target() -> None:
        try:
            run()
            outcome[0] = "finished"
        except (TemplateFailed, TimeoutError) as exc:
            outcome[0] = f"stopped: {str(exc)[:60]}"
        except MemoryError:
            outcome[0] = "MemoryError"

    start = time.perf_counter()
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(give_up_s)
    return time.perf_counter() - start, outcome[0]


def per_render(run: Callable[[], Any], n: int) -> float:
    run()
    start = time.perf_counter()
    for _ in range(n):
        run()
    return (time.perf_counter() - start) / n


ENV = environment()


def main() -> None:
    contract = load_contract(None)
    webhook = next(w for w in contract.webhooks if w.can_refuse)
    rich = next((e for e in webhook.examples if "rich" in e.name), webhook.example())
    honest = honest_template(webhook)
    context = {"body": dict(rich.value), "query": {}, "command": webhook.command, "x": "abcd"}
    sandbox = TemplateSandbox()
    try:
        n = 2000
        base = per_render(lambda: in_process(honest, context), n)
        ways: dict[str, Callable[[str, dict[str, Any]], Any]] = {
            "in-process, unguarded": in_process,
            "in-process, settrace deadline": traced,
            "child process (TemplateSandbox)": lambda s, c: sandbox.render_blocking("bench", s, c),
        }
        print(f"honest render (bot-refusing template, {n} renders each):")
        for label, way in ways.items():
            cost = per_render(lambda way=way: way(honest, context), n)  # type: ignore[misc]
            print(f"  {label:<34} {cost * 1e6:8.1f} us/render  {cost / base:5.2f}x the unguarded render")
        print("hostile renders: how long the caller's thread was held (the event loop, in-process):")
        hostile_context = {**context, "body": {"x": "abcd"}}
        for label, source in HOSTILE.items():
            for way_label, way in ways.items():
                if way is in_process and "loops" in label:
                    print(f"  {label:<30} {way_label:<34} (skipped: hours)")
                    continue
                seconds, outcome = held(
                    lambda way=way, source=source: way(source, hostile_context)  # type: ignore[misc]
                )
                print(f"  {label:<30} {way_label:<34} {seconds * 1000:8.0f} ms  {outcome}")
    finally:
        sandbox.close()


if __name__ == "__main__":
    main()
