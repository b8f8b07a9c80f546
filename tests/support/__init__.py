"""Helpers shared by the test modules (no tests here): test modules import from this package only.

- `servers`: a real uvicorn on a kernel-chosen 127.0.0.1 port (for tests that need a socket);
- `hostile`: raw-socket peers that trickle or flood their answer;
- `asgi`: the same apps in process, through httpx's ASGI transport;
- `cli`: the `mockserver` command in process through click's `CliRunner`, or as a subprocess;
- `deliveries`: deliveries built from the contract; `contract_walk`: schema nodes to mutate;
- `fuzz_backends` / `fuzzing`: small webhook backends and a `mockserver fuzz` run read from its JUnit report;
- `stubs`: a generated server stub answering a fixed value.
"""
