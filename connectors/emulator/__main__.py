"""``python -m connectors.emulator``: both provider faces over synthetic mailboxes.

Serves the Microsoft face over TLS (msal accepts only https authorities; a throwaway
self-signed certificate is written to ``--cert-dir``) and the same app over plain HTTP for the
Google libraries, then prints the settings that point officestream at it. Stops on Ctrl-C or
SIGTERM. Everything binds to 127.0.0.1 unless ``--host`` says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

from aiohttp import web

from connectors.emulator.google import google_face
from connectors.emulator.google.state import CLIENT_ID as GOOGLE_CLIENT_ID
from connectors.emulator.google.state import CLIENT_SECRET as GOOGLE_CLIENT_SECRET
from connectors.emulator.microsoft import microsoft_face
from connectors.emulator.microsoft.state import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TENANT
from connectors.emulator.server import create_app
from connectors.emulator.tls import self_signed_tls
from connectors.emulator.world import World


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m connectors.emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--https-port", type=int, default=8443, help="Microsoft (and Google) over TLS")
    parser.add_argument("--http-port", type=int, default=8080, help="plain HTTP, for the Google libraries")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--users", type=int, default=2)
    parser.add_argument("--emails-per-user", type=int, default=200)
    parser.add_argument("--cert-dir", type=Path, default=Path(".emulator"))
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    world = World(seed=args.seed, users=args.users, emails_per_user=args.emails_per_user)
    app = create_app(world, faces=[microsoft_face, google_face])
    args.cert_dir.mkdir(parents=True, exist_ok=True)
    context, pem = self_signed_tls(args.cert_dir, args.host)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, args.host, args.https_port, ssl_context=context).start()
    await web.TCPSite(runner, args.host, args.http_port).start()
    https, http = (f"{scheme}://{args.host}:{port}" for scheme, port in (("https", args.https_port), ("http", args.http_port)))
    print(_announcement(world, https, http, pem), flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def _announcement(world: World, https: str, http: str, pem: Path) -> str:
    users = sorted(world.mailboxes)
    return "\n".join([
        f"emulator ready: {https} (TLS, CA file {pem}) and {http}",
        f"mailboxes: {', '.join(users)}",
        "# Microsoft:",
        f"OFFICESTREAM_MICROSOFT_AUTHORITY_URL={https}",
        f"OFFICESTREAM_MICROSOFT_GRAPH_URL={https}/v1.0",
        "OFFICESTREAM_MICROSOFT_VALIDATE_AUTHORITY=false",
        f"OFFICESTREAM_MICROSOFT_CA_BUNDLE={pem.resolve()}",
        f"OFFICESTREAM_MICROSOFT_TENANT_ID={DEMO_TENANT}",
        f"OFFICESTREAM_MICROSOFT_CLIENT_ID={DEMO_CLIENT_ID}",
        f"OFFICESTREAM_MICROSOFT_CLIENT_SECRET={DEMO_CLIENT_SECRET}",
        "# Google:",
        f"OFFICESTREAM_GOOGLE_TOKEN_URI={http}/token",
        f"OFFICESTREAM_GOOGLE_API_ENDPOINT={http}",
        f"OFFICESTREAM_GOOGLE_CLIENT_ID={GOOGLE_CLIENT_ID}",
        f"OFFICESTREAM_GOOGLE_CLIENT_SECRET={GOOGLE_CLIENT_SECRET}",
        "# Google refresh tokens: connectors.emulator.google.state.refresh_token_for(<mailbox>)",
    ])


def main(argv: list[str] | None = None) -> None:
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
