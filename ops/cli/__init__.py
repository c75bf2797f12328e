"""The ``officestream`` command. Commands parse input, call one function, and print the result."""

from __future__ import annotations

import typer

from ops.cli.backfill import backfill_app
from ops.cli.bridge import bridge_app
from ops.cli.connect import connect, disconnect
from ops.cli.demo import demo
from ops.cli.dlq import dlq_app
from ops.cli.normalize import normalize
from ops.cli.reconcile import reconcile_command
from ops.cli.replay import replay_command
from ops.cli.schemas import schemas_app
from ops.cli.services import meetings_app, shipments_app, worker
from ops.cli.stack import stack_app, topics_app
from ops.cli.status import status
from ops.cli.vespa import vespa_app

app = typer.Typer(no_args_is_help=True, add_completion=False, help="officestream: Office data on Kafka.")
app.add_typer(stack_app, name="stack")
app.add_typer(topics_app, name="topics")
app.add_typer(schemas_app, name="schemas")
app.add_typer(meetings_app, name="meetings")
app.add_typer(shipments_app, name="shipments")
app.add_typer(vespa_app, name="vespa")
app.add_typer(backfill_app, name="backfill")
app.add_typer(bridge_app, name="bridge")
app.add_typer(dlq_app, name="dlq")
app.command("connect")(connect)
app.command("disconnect")(disconnect)
app.command("worker")(worker)
app.command("normalize")(normalize)
app.command("reconcile")(reconcile_command)
app.command("demo")(demo)
app.command("replay")(replay_command)
app.command("status")(status)


def main() -> None:
    app(prog_name="officestream")
