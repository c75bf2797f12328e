"""client-sse: the live notifier as a faust worker (``faust -A processors.notifier.app worker``).

Every notifier instance must see every user's events (a client may connect to any of them),
so each instance is its own consumer group, ``client-sse.<instance_id>``, starting at the end
of the topics as of its first start ever (``start_position.py``: pinned before faust's consumer
joins, so a restart resumes where the last one stopped) and reading a few records before it
again to refill its replay buffers. Every record read advances the instance's positions
(``positions.py``); the resume token a client is sent carries its user's (``resume_token.py``),
so a client resumes exactly on any instance. An instance that is assigned only some partitions
(another one shares its instance_id) says so loudly (``assignment.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import mode

from connectors.kafka.consumer_groups import ConsumerGroups
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import CLIENT_SSE, TOPICS
from processors.common.exceptions import PoisonMessage
from processors.common.faust_transport import SEEK_BACK_ATTRIBUTE
from processors.common.faust_wiring import attach_agent, build_processor, create_app
from processors.common.inbound import InboundRecord
from processors.common.settings import ProcessorSettings
from processors.common.turns import LoopTurns
from processors.notifier.announced import AnnouncedVersions
from processors.notifier.assignment import AssignmentWatch
from processors.notifier.exceptions import InvalidNotification
from processors.notifier.hub import NotificationHub
from processors.notifier.notifications import SOURCE_TOPICS, notification_for
from processors.notifier.positions import ConsumedPositions
from processors.notifier.settings import NotifierSettings
from processors.notifier.start_position import pin_start_positions, read_back
from processors.notifier.web import create_web_app, start_web_server
from schemas.models import Event

log = logging.getLogger("officestream.notifier")

kafka = KafkaSettings.from_env()
settings = ProcessorSettings.from_env()
notifier = NotifierSettings.from_env()
positions = ConsumedPositions([kafka.topic(t) for t in SOURCE_TOPICS])
hub = NotificationHub.from_settings(notifier, positions=positions)
#: A raw change published again under a new event id is not told twice (``announced.py``).
announced = AnnouncedVersions(notifier.announced_items)
#: Where each source partition is read from, once (``start_position.read_back``); set at start-up.
read_from: dict[tuple[str, int], int] = {}
#: The connections write what a batch made every ``turn_ms`` of it, not after it (``turns.py``).
turns = LoopTurns(notifier.turn_ms / 1000)

group = f"{CLIENT_SSE}.{notifier.instance_id}"
app = create_app(group, kafka, settings, offset_reset="latest")
assignment = AssignmentWatch(instance_id=notifier.instance_id, group=group)


CATALOGUE_PARTITIONS = {spec.name: spec.partitions for spec in TOPICS}


@app.on_worker_init.connect
def _pin_start_positions(app: Any, **kwargs: Any) -> None:
    # Sent by the worker command before the worker (and faust's consumer) starts: blocking is fine.
    groups = ConsumerGroups(kafka)
    starts = pin_start_positions(groups, app.conf.id, positions.topics)
    read_from.update(read_back(groups, starts, notifier.reread_records))


def _seek_back(assigned: Iterable[Any]) -> dict[Any, int]:
    """Where faust reads from after its seek: ``read_from``, once per partition (the first assignment)."""
    chosen = {tp: read_from.pop((tp.topic, tp.partition)) for tp in assigned if (tp.topic, tp.partition) in read_from}
    positions.started({(tp.topic, tp.partition): offset for tp, offset in chosen.items()})
    if chosen:
        log.info("notifier reads %d partitions from up to %d records before their committed offsets", len(chosen), notifier.reread_records)
    return chosen


setattr(app, SEEK_BACK_ATTRIBUTE, _seek_back)


async def on_event(event: Event, record: InboundRecord) -> None:
    positions.read(record.topic, record.partition, record.offset)
    try:
        notification = notification_for(event)
    except InvalidNotification as exc:
        raise PoisonMessage(str(exc)) from exc
    if notification is not None and announced.is_news(event):
        hub.publish(notification, source=positions.source(record.topic, record.partition, record.offset, notification.user_id))
    await turns()


attach_agent(
    app,
    [kafka.topic(t) for t in SOURCE_TOPICS],
    build_processor(app, CLIENT_SSE, kafka, settings, on_event),
    name="events",
)


@app.on_partitions_assigned.connect
async def _check_assignment(app: Any, assigned: Any, **kwargs: Any) -> None:
    # Only the group leader's consumer knows the partition counts (its metadata snapshot); on any
    # other member the catalogue's counts, which ensure_topics created the topics with, stand in.
    counts = {kafka.topic(t): app.consumer.topic_partitions(kafka.topic(t)) or CATALOGUE_PARTITIONS[t] for t in SOURCE_TOPICS}
    assignment.update(assigned, counts)
    positions.assign(((tp.topic, tp.partition) for tp in assigned), counts)


@app.service
class NotifierWeb(mode.Service):
    """The SSE / WebSocket server, on faust's event loop (the hub is not thread-safe)."""

    runner: Any = None

    async def on_start(self) -> None:
        self.runner = await start_web_server(create_web_app(hub, notifier, assignment=assignment, announced=announced), notifier)
        log.info("notifier listening host=%s port=%s", notifier.host, notifier.port)

    async def on_stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
