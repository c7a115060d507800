"""A small HTTP load generator, run as its own process: N connections for a fixed time,
each sending requests back to back; prints requests/s, p50, p99 and errors as JSON.

Run: python -m ops.bench.load URL_TEMPLATE --connections 16 --seconds 15 [--header K:V]
     [--post-json BODY_TEMPLATE] [--keys FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

import httpx


async def worker(
    client: httpx.AsyncClient,
    args: argparse.Namespace,
    keys: list[str],
    *,
    k: int,
    stop_at: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    i = k
    while time.monotonic() < stop_at:
        key = keys[i % len(keys)] if keys else ""
        url = args.url.replace("{key}", key).replace("{i}", str(i))
        started = time.perf_counter()
        if args.post_json:
            body = args.post_json.replace("{key}", key).replace("{i}", str(i))
            response = await client.post(
                url, content=body, headers={"Content-Type": "application/json"}
            )
        else:
            response = await client.get(url)
        latencies.append(time.perf_counter() - started)
        if response.status_code >= 300:
            errors.append(response.status_code)
        i += args.connections


async def main_async(args: argparse.Namespace) -> dict[str, float]:
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    keys = Path(args.keys).read_text().split() if args.keys else []
    limits = httpx.Limits(
        max_connections=args.connections, max_keepalive_connections=args.connections
    )
    latencies: list[float] = []
    errors: list[int] = []
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        await client.get(
            args.url.replace("{key}", keys[0] if keys else "").replace("{i}", "0")
        ) if not args.post_json else None
        started = time.monotonic()
        stop_at = started + args.seconds
        await asyncio.gather(
            *(
                worker(client, args, keys, k=k, stop_at=stop_at, latencies=latencies, errors=errors)
                for k in range(args.connections)
            )
        )
        elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
        "errors": len(errors),
        "first_error": errors[0] if errors else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--post-json", default="")
    parser.add_argument("--keys", default="")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args))))


if __name__ == "__main__":
    main()
