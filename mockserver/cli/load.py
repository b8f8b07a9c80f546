"""`mockserver load`: a load test of a webhook backend on Locust, with the simulator's signed traffic.

Locust is an extra (`pip install 'mockserver[load]'`): this module does not import it, so
`mockserver --help` works without it. The command checks the options it owns, then hands the
process to Locust (`python -m locust -f mockserver/traffic/locustfile.py ...`), so the web UI,
`--headless`, `--master --expect-workers N` and `--worker --master-host H` are Locust's own, and
any other Locust option can follow `--`.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import click

from mockserver.errors import InputError
from mockserver.traffic.sender import check_url

__all__ = ["command", "locust_argv"]

LOCUSTFILE = Path(__file__).resolve().parent.parent / "traffic" / "locustfile.py"


@click.command(
    name="load",
    context_settings={"max_content_width": 100, "ignore_unknown_options": True, "allow_extra_args": True},
)
@click.option("--url", metavar="WEBHOOK_URL", help="The backend's webhook URL (not needed by a --worker).")
@click.option("--users", type=click.IntRange(min=1), default=10, show_default=True, help="Simulated tenants.")
@click.option(
    "--spawn-rate", type=click.FloatRange(min=0.01), default=10, show_default=True, help="Users started per s."
)
@click.option("--run-time", metavar="60s|5m", help="Stop after this long (default: until stopped).")
@click.option("--headless", is_flag=True, help="No web UI: start at once and print the summary at the end.")
@click.option("--token", envvar="MOCKSERVER_TOKEN", show_envvar=True, help="Sign every delivery with this token.")
@click.option("--sdkappid", envvar="MOCKSERVER_SDKAPPID", show_envvar=True, help="The SdkAppid sent.")
@click.option("--scenario", default="lifecycle", show_default=True, metavar="NAME|FILE", help="What each user does.")
@click.option("--seed", type=click.IntRange(0, 2**62), default=0, show_default=True, help="User n uses seed + n.")
@click.option("--master", is_flag=True, help="Run as Locust master (give --expect-workers N with --headless).")
@click.option("--expect-workers", type=click.IntRange(min=1), help="Master: wait for this many workers.")
@click.option("--worker", is_flag=True, help="Run as a Locust worker of --master-host.")
@click.option("--master-host", default="127.0.0.1", show_default=True, help="Worker: the master's address.")
@click.option(
    "--master-port",
    type=click.IntRange(1, 65535),
    help="The port the master listens on and workers connect to (Locust's default 5557).",
)
@click.option("--web-port", type=click.IntRange(1, 65535), help="Port of Locust's web UI (default 8089).")
@click.pass_context
def command(ctx: click.Context, /, **options: object) -> None:
    """Load-test the backend at WEBHOOK_URL with Locust: each user simulates Official Accounts sending signed webhooks.

    Prints a summary per webhook at the end (throughput, latency percentiles, share over the
    contract's 2-second budget, failures by check). Locust's web UI serves at :8089 unless
    --headless. Distributed: `--master --expect-workers N` on one machine, `--worker
    --master-host H` on the others (each worker gives the same --token/--scenario). Exit 0 when
    no delivery failed, 1 when some did, 2 on a usage error. Options after `--` go to Locust.

    \b
    mockserver load --url http://127.0.0.1:8080/ --users 50 --spawn-rate 10 --run-time 60s --headless
    mockserver load --url http://127.0.0.1:8080/ --master --expect-workers 2 --headless --run-time 1m
    mockserver load --worker --master-host 10.0.0.5
    """
    if importlib.util.find_spec("locust") is None:
        raise click.UsageError("Locust is not installed: pip install 'mockserver[load]'")
    try:
        argv = locust_argv(ctx.args, **options)
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    env = {**os.environ}
    for name, variable in (("token", "MOCKSERVER_TOKEN"), ("sdkappid", "MOCKSERVER_SDKAPPID")):
        if options.get(name) is not None:
            env[variable] = str(options[name])  # secrets travel by environment, not on a command line
    sys.stdout.flush()
    os.execve(sys.executable, argv, env)


def locust_argv(extra: list[str], **options: object) -> list[str]:
    """The Locust command line for these options (secrets left to the environment)."""
    url = options.get("url")
    if not options.get("worker"):
        if not url:
            raise InputError("--url is required (except for a --worker, which gets it from the master)")
        check_url(str(url))
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--scenario", str(options["scenario"])]
    argv += ["--seed", str(options["seed"])]
    if url:
        argv += ["--host", str(url)]
    if options.get("worker"):
        argv += ["--worker", "--master-host", str(options["master_host"])]
    else:
        argv += ["--users", str(options["users"]), "--spawn-rate", str(options["spawn_rate"])]
        if options.get("run_time"):
            argv += ["--run-time", str(options["run_time"])]
        if options.get("headless"):
            argv += ["--headless"]
    if options.get("master"):
        argv += ["--master"]
        if options.get("expect_workers"):
            argv += ["--expect-workers", str(options["expect_workers"])]
    if options.get("master_port"):
        argv += ["--master-bind-port" if options.get("master") else "--master-port", str(options["master_port"])]
    if options.get("web_port"):
        argv += ["--web-port", str(options["web_port"])]
    return argv + list(extra)
