"""Benchmark the generated package against the obvious alternatives, and print ratios.

1. Decode + validate every contract example: the generated msgspec models vs a pydantic v2
   `TypeAdapter` over the equivalent discriminated union. The pydantic models are built
   dynamically from the contract (the same component schemas, the same constraints), not written
   by hand, so both sides check the same rules. Target: at least 3x.
2. Requests per second over real HTTP (uvicorn in its own process on 127.0.0.1, a raw-socket
   keep-alive load client, every request signed): the generated ASGI app with signature checks
   and typed decoding vs a bare Starlette app that only does `json.loads` and answers the
   default answer. Target: at least 0.6x.

Run: .venv/bin/python bench/bench_models.py [--seconds 3] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import pydantic
from oa_webhooks import decode_event
from oa_webhooks.signing import sign_query
from rich.console import Console
from rich.table import Table

from mockserver.codegen.context import snake_case
from mockserver.contract import Contract, load_contract

TOKEN = "bench-token"


# ---------------------------------------------------------------- pydantic, from the contract
class _PydanticBuilder:
    """Pydantic models for every component schema, with aliases, constraints and discriminators."""

    def __init__(self, contract: Contract) -> None:
        self.schemas: dict[str, Any] = dict(contract.document["components"]["schemas"])
        self.built: dict[str, Any] = {}

    def named(self, name: str) -> Any:
        if name not in self.built:
            self.built[name] = self.type_of(self.schemas[name], name)
        return self.built[name]

    def type_of(self, schema: dict[str, Any], owner: str) -> Any:
        if "$ref" in schema:
            return self.named(schema["$ref"].rsplit("/", 1)[-1])
        if "discriminator" in schema and "oneOf" in schema:
            tag = schema["discriminator"]["propertyName"]
            mapped = set(schema["discriminator"]["mapping"].values())
            members = tuple(self.named(ref.rsplit("/", 1)[-1]) for ref in schema["discriminator"]["mapping"].values())
            extra = [b["$ref"] for b in schema["oneOf"] if b["$ref"] not in mapped]
            union: Any = Annotated[_union(members), pydantic.Field(discriminator=snake_case(tag))]
            if extra:  # an open union: known tags by discriminator, anything else the catch-all
                catch_all = self.named(extra[0].rsplit("/", 1)[-1])
                known = {ref_tag for ref_tag in schema["discriminator"]["mapping"]}

                def pick(value: Any, known: set[str] = known, tag: str = tag) -> str:
                    found = value.get(tag) if isinstance(value, dict) else getattr(value, "tag_value", None)
                    return "known" if found in known else "other"

                return Annotated[
                    Annotated[union, pydantic.Tag("known")] | Annotated[catch_all, pydantic.Tag("other")],
                    pydantic.Discriminator(pick),
                ]
            return union
        if "enum" in schema:
            return Literal[tuple(schema["enum"])]
        kind = schema.get("type")
        if kind == "string":
            return Annotated[
                str,
                pydantic.Field(
                    min_length=schema.get("minLength"),
                    max_length=schema.get("maxLength"),
                    pattern=schema.get("pattern"),
                ),
            ]
        if kind in ("integer", "number"):
            base = int if kind == "integer" else float
            return Annotated[
                base, pydantic.Field(ge=schema.get("minimum"), le=schema.get("maximum"), strict=kind == "integer")
            ]
        if kind == "array":
            item = self.type_of(schema.get("items", {}), f"{owner}Item")
            items: Any = list.__class_getitem__(item)
            return Annotated[
                items, pydantic.Field(min_length=schema.get("minItems"), max_length=schema.get("maxItems"))
            ]
        if kind == "object" or "properties" in schema:
            if not schema.get("properties"):
                return dict[str, Any]
            required = set(schema.get("required", []))
            fields: dict[str, Any] = {}
            for wire, prop in schema["properties"].items():
                annotation = self.type_of(prop, f"{owner}{wire}")
                if wire in required:
                    fields[snake_case(wire)] = (annotation, pydantic.Field(alias=wire))
                else:
                    fields[snake_case(wire)] = (annotation | None, pydantic.Field(default=None, alias=wire))
            return pydantic.create_model(owner, **fields)
        return Any


def _union(members: tuple[Any, ...]) -> Any:
    result = members[0]
    for member in members[1:]:
        result = result | member
    return result


def pydantic_adapter(contract: Contract) -> pydantic.TypeAdapter[Any]:
    builder = _PydanticBuilder(contract)
    return pydantic.TypeAdapter(builder.named(contract.request_schema_ref.rsplit("/", 1)[-1]))


def per_call(fn: Callable[[], object], seconds: float) -> float:
    """Seconds per call over one round of about `seconds`."""
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        for _ in range(200):
            fn()
        count += 200
        now = time.perf_counter()
        if now >= deadline:
            return (now - started) / count


def paired(
    ours: Callable[[], object], theirs: Callable[[], object], seconds: float, rounds: int = 10
) -> tuple[float, float]:
    """Seconds per call of each, best of `rounds` rounds taken in turn.

    Alternating short rounds exposes both sides to the same load on a shared, noisy machine (a
    burst of other work cannot land on one side only), and the minimum is the least disturbed.
    """
    best_ours = best_theirs = float("inf")
    for _ in range(rounds):
        best_ours = min(best_ours, per_call(ours, seconds / (2 * rounds)))
        best_theirs = min(best_theirs, per_call(theirs, seconds / (2 * rounds)))
    return best_ours, best_theirs


# ---------------------------------------------------------------- HTTP
_SERVER = """
import json, sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from oa_webhooks.server import DefaultWebhookHandler, create_app
kind, port, app_id, token, answer = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5].encode()
async def receive(request):
    json.loads(await request.body())
    return Response(answer, media_type="application/json")
app = (Starlette(routes=[Route("/", receive, methods=["POST"])]) if kind == "baseline"
       else create_app(DefaultWebhookHandler(), sdk_appid=app_id, token=token))
uvicorn.run(app, host="127.0.0.1", port=port, log_level="critical", access_log=False, lifespan="off")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(kind: str, app_id: int, answer: bytes) -> Iterator[tuple[str, int]]:
    """Run one app under uvicorn in its own process (so the load client does not share its GIL)."""
    port = _free_port()
    args = [sys.executable, "-c", _SERVER, kind, str(port), str(app_id), TOKEN, answer.decode()]
    process = subprocess.Popen(args)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the {kind} server did not start") from None
                time.sleep(0.05)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _requests(contract: Contract, host: str, port: int) -> list[bytes]:
    """Complete HTTP/1.1 requests (keep-alive), one per example, signed now (valid for the replay window)."""
    out = []
    for webhook in contract.webhooks:
        for example in webhook.examples:
            body = json.dumps(example.value, ensure_ascii=False).encode()
            query = contract.query_example(webhook.command)
            query.update(sign_query(TOKEN, int(time.time())))
            head = (
                f"POST /?{urlencode(query)} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            out.append(head.encode() + body)
    return out


def requests_per_second(host: str, port: int, requests: list[bytes], seconds: float, workers: int) -> float:
    """A minimal keep-alive HTTP/1.1 load client on raw asyncio streams (httpx would be the bottleneck)."""

    async def run() -> int:
        done = 0
        deadline = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal done
            reader, writer = await asyncio.open_connection(host, port)
            index = offset
            while time.perf_counter() < deadline:
                writer.write(requests[index % len(requests)])
                head = await reader.readuntil(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(head.decode(errors="replace"))
                length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
                await reader.readexactly(length)
                done += 1
                index += 1
            writer.close()

        await asyncio.gather(*(worker(i) for i in range(workers)))
        return done

    started = time.perf_counter()
    count = asyncio.run(run())
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per case")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP requests")
    args = parser.parse_args()
    contract = load_contract()
    adapter = pydantic_adapter(contract)
    console = Console()

    table = Table(title="decode + validate one body (best of 10 alternating rounds)")
    for column in ("example", "bytes", "generated (µs)", "pydantic v2 (µs)", "speed-up"):
        table.add_column(column, justify="right" if column != "example" else "left")
    ratios: list[float] = []
    for webhook in contract.webhooks:
        for example in webhook.examples:
            raw = json.dumps(example.value, ensure_ascii=False).encode()
            assert type(decode_event(raw)).__name__ == webhook.name
            assert type(adapter.validate_json(raw)).__name__ == webhook.name
            ours, theirs = paired(
                functools.partial(decode_event, raw), functools.partial(adapter.validate_json, raw), args.seconds / 2
            )
            ratios.append(theirs / ours)
            table.add_row(
                example.name, str(len(raw)), f"{ours * 1e6:.2f}", f"{theirs * 1e6:.2f}", f"{theirs / ours:.1f}x"
            )
    console.print(table)
    geo = 1.0
    for ratio in ratios:
        geo *= ratio
    geo **= 1 / len(ratios)
    console.print(f"decode: geometric mean speed-up {geo:.1f}x, worst {min(ratios):.1f}x (target >= 3x)")

    answer = json.dumps(contract.webhooks[0].default_response).encode()
    app_id = int(contract.parameter("app-id").example)
    http = Table(title=f"HTTP, {args.concurrency} concurrent keep-alive connections, {args.seconds:g} s each")
    for column in ("app", "requests/s", "ratio"):
        http.add_column(column)
    with serve("baseline", app_id, answer) as (host, port):
        requests_per_second(host, port, _requests(contract, host, port), 0.5, args.concurrency)  # warm-up
        base = requests_per_second(host, port, _requests(contract, host, port), args.seconds, args.concurrency)
    with serve("generated", app_id, answer) as (host, port):
        requests_per_second(host, port, _requests(contract, host, port), 0.5, args.concurrency)
        ours_rps = requests_per_second(host, port, _requests(contract, host, port), args.seconds, args.concurrency)
    http.add_row("bare Starlette + json.loads (baseline)", f"{base:.0f}", "1.00x")
    http.add_row("generated ASGI app (signature + typed decode)", f"{ours_rps:.0f}", f"{ours_rps / base:.2f}x")
    console.print(http)
    console.print(f"HTTP: {ours_rps / base:.2f}x the baseline's requests/s (target >= 0.6x)")


if __name__ == "__main__":
    main()
