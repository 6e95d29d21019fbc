"""Pages: server time of the situation room's pages, and the bytes each page loads.

    python3 bench/pages.py                      # builds the demo store in a work folder
    python3 bench/pages.py --data-dir data      # the store `python3 run.py demo` built
    python3 bench/pages.py --pages home,indicator --requests 500

The real server (``govops serve``, demo mode) runs in a process of its own on a free
loopback port over the demo store. The script signs in through the sign-in form as the
demo analyst, as a person would, then asks each page ``--warmup`` times untimed and
``--requests`` times one after the other on one keep-alive connection: p50 and p95 are of
the client's wall-clock time per answer, which on loopback is the server's time plus well
under a millisecond.

Then each page is loaded once more as a browser would load it: the HTML, every stylesheet,
script and icon it names, and the boundaries a map fetches. Plotly.js (from the installed
``plotly`` package) is counted apart from our own assets. Targets: home page p95 under
150 ms; no page loads more than plotly.js plus 150 KB of our own assets, counted
uncompressed; the last column is what actually crossed the wire (static files are sent
compressed).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import httpx
from rich.table import Table

from common import (
    bench_progress,
    console,
    describe_code,
    free_port,
    machine_load,
    new_workdir,
    wait_until_ready,
)

# What each page shows of the demo store; the first is the home page.
PAGES = {
    "home": "/",
    "indicator": "/indicators/EXPORTS",
    "search": "/indicators?q=xuất khẩu",
    "map": "/map?indicator=EXPORTS",
    "province": "/provinces/01",
    "coverage": "/coverage",
    "wall": "/wall",
}
TARGET_HOME_P95_MS = 150.0
TARGET_OWN_BYTES = 150 * 1024
PLOTLY_PATH = "/static/vendor/plotly.min.js"
DEMO_USER = "demo.analyst"
ASSET = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"')
MAP_SPEC = re.compile(r'data-map="([^"]+)"')


@dataclass
class PageResult:
    name: str
    address: str
    latencies_ms: list[float] = field(default_factory=list)
    first_ms: float = 0.0
    html_bytes: int = 0
    own_bytes: int = 0
    plotly_bytes: int = 0
    sent_bytes: int = 0
    assets: list[str] = field(default_factory=list)

    def percentile(self, share: int) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(share / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    console.print(describe_code())
    workdir = new_workdir(args.workdir)
    data_dir = Path(args.data_dir) if args.data_dir else _build_demo(workdir / "demo")
    chosen = [name.strip() for name in args.pages.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in PAGES]
    if unknown:
        console.print(f"[red]unknown page {unknown[0]}; choose from {', '.join(PAGES)}")
        return 2
    results = []
    with running_server(data_dir, workdir) as client:
        _sign_in(client)
        console.print(machine_load())
        for name in chosen:
            result = PageResult(name, PAGES[name])
            _time(client, result, args)
            _weigh(client, result)
            results.append(result)
        console.print(machine_load())
    return _report(results, args)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder of a demo store (default: build one)")
    parser.add_argument("--workdir", help="folder for the demo store and the server's log")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated page names")
    return parser.parse_args(argv)


def _build_demo(folder: Path) -> Path:
    """The demo store, built by `govops demo` as the README's first command builds it."""
    if (folder / "govops.sqlite").exists():
        console.print(f"demo store found in {folder}")
        return folder
    console.print(f"building the demo store in {folder}")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "govops.cli", "demo", "--no-serve"],
        env={**os.environ, "GOVOPS_DATA_DIR": str(folder)},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    console.print(f"demo store built in {time.perf_counter() - started:.0f} s")
    return folder


@contextmanager
def running_server(data_dir: Path, workdir: Path) -> Iterator[httpx.Client]:
    """`govops serve` in demo mode on a free loopback port, stopped afterwards."""
    port = free_port()
    log_path = workdir / f"server-{port}.log"
    command = [sys.executable, "-m", "govops.cli", "serve", "--host", "127.0.0.1"]
    environment = {**os.environ, "GOVOPS_DATA_DIR": str(data_dir), "GOVOPS_MODE": "demo"}
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*command, "--port", str(port)], env=environment, stdout=log, stderr=log
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            wait_until_ready(client, server, log_path)
            yield client
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _sign_in(client: httpx.Client) -> None:
    """Through the sign-in form, with the demo analyst's published password."""
    from govops.demo.users import DEMO_PASSWORD

    form = client.get("/signin").text
    found = re.search(r'name="form_token" value="([^"]+)"', form)
    if found is None:
        raise RuntimeError("the sign-in page has no form token")
    fields = {"username": DEMO_USER, "password": DEMO_PASSWORD, "form_token": found.group(1)}
    answer = client.post("/signin", data={**fields, "next": "/"})
    # A page that warms no cache the measured pages use, so their first answers stay cold.
    probe = client.get("/indicators?q=zzz")
    if answer.status_code != 303 or probe.status_code != 200:
        raise RuntimeError(
            f"signing in as {DEMO_USER} failed ({answer.status_code}, then {probe.status_code})"
        )


def _time(client: httpx.Client, result: PageResult, args: argparse.Namespace) -> None:
    # The first answer reads everything; later ones may come from the answer cache.
    started = time.perf_counter()
    _get_page(client, result.address)
    result.first_ms = (time.perf_counter() - started) * 1000
    for _ in range(args.warmup):
        _get_page(client, result.address)
    with bench_progress() as progress:
        task = progress.add_task(result.name, total=args.requests)
        for _ in range(args.requests):
            started = time.perf_counter()
            _get_page(client, result.address)
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            progress.advance(task)


def _get_page(client: httpx.Client, address: str) -> httpx.Response:
    answer = client.get(address)
    if answer.status_code != 200:
        raise RuntimeError(f"{address} answered {answer.status_code}")
    return answer


def _weigh(client: httpx.Client, result: PageResult) -> None:
    """What a browser with an empty cache fetches to show the page."""
    page = _get_page(client, result.address)
    result.html_bytes = len(page.content)
    result.sent_bytes = page.num_bytes_downloaded
    addresses = [html.unescape(found) for found in ASSET.findall(page.text)]
    for spec in MAP_SPEC.findall(page.text):
        addresses.append(json.loads(html.unescape(spec))["geojson"])
    for address in dict.fromkeys(addresses):
        if not address.startswith("/"):
            raise RuntimeError(f"{result.address} names an asset from elsewhere: {address}")
        answer = _get_page(client, urljoin(result.address, address))
        size = len(answer.content)
        result.sent_bytes += answer.num_bytes_downloaded
        if address.startswith(PLOTLY_PATH):
            result.plotly_bytes += size
        else:
            result.own_bytes += size
            result.assets.append(f"{address.split('?')[0]} {size / 1024:.1f}")


def _report(results: list[PageResult], args: argparse.Namespace) -> int:
    title = f"pages: {args.requests} requests each after {args.warmup} untimed"
    table = Table(title=title, min_width=120)
    for column in ("page", "address", "first ms", "p50 ms", "p95 ms", "max ms"):
        table.add_column(column, justify="left" if column in ("page", "address") else "right")
    for column in ("HTML KB", "own assets KB", "HTML + own KB", "plotly.js KB", "sent KB"):
        table.add_column(column, justify="right")
    for result in results:
        table.add_row(
            result.name,
            result.address,
            f"{result.first_ms:.0f}",
            f"{statistics.median(result.latencies_ms):.1f}",
            f"{result.percentile(95):.1f}",
            f"{max(result.latencies_ms):.1f}",
            f"{result.html_bytes / 1024:.1f}",
            f"{result.own_bytes / 1024:.1f}",
            f"{(result.html_bytes + result.own_bytes) / 1024:.1f}",
            f"{result.plotly_bytes / 1024:.0f}" if result.plotly_bytes else "–",
            f"{result.sent_bytes / 1024:.0f}",
        )
    console.print(table)
    for result in results:
        console.print(f"{result.name}: " + ", ".join(result.assets))
    return _verdict(results)


def _verdict(results: list[PageResult]) -> int:
    missed = []
    home = next((result for result in results if result.name == "home"), None)
    if home is not None and home.percentile(95) >= TARGET_HOME_P95_MS:
        missed.append(f"home p95 {home.percentile(95):.1f} ms >= {TARGET_HOME_P95_MS:.0f} ms")
    for result in results:
        if result.own_bytes > TARGET_OWN_BYTES:
            missed.append(f"{result.name} loads {result.own_bytes / 1024:.1f} KB of our assets")
    for line in missed:
        console.print(f"[red]target missed: {line}")
    if not missed:
        console.print("[green]targets met: home p95 < 150 ms; own assets <= 150 KB a page")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
