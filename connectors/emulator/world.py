"""Deterministic synthetic mailboxes that change over time, shared by both provider faces.

Every user has emails (with their RFC 5322 bytes), calendar events and contacts. Each change
(created / updated / deleted) is appended to the user's change log with a sequence number; the
provider faces turn that log into delta links, history ids and sync tokens. Tokens older than
``retained_from`` are expired (the providers' 410 / 404 answers).
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal

DocKind = Literal["email", "event", "contact"]
ChangeKind = Literal["created", "updated", "deleted"]

#: Tracking numbers whose check digits are valid (the carriers' documented samples and
#: numbers computed with their algorithms), for shipping notifications.
TRACKING_NUMBERS = {
    "ups": ["1Z999AA10123456784", "1Z4W5R890357567126"],
    "fedex": ["986578788855", "041441760228964"],
    "usps": ["9400111201080805483016", "EA123456785US"],
    "dhl": ["3318810025"],
    "amazon": ["TBA301234567890"],
}
CARRIER_SENDERS = {
    "ups": ("UPS", "mcinfo@ups.com"),
    "fedex": ("FedEx", "trackingupdates@fedex.com"),
    "usps": ("USPS", "auto-reply@usps.com"),
    "dhl": ("DHL Express", "noreply@dhl.com"),
    "amazon": ("Amazon.com", "shipment-tracking@amazon.com"),
}
#: Placeholders in message templates, replaced per message (same length class as real values).
_TEMPLATE_DATE = b"Thu, 01 Jan 1970 00:00:00 +0000"
_TEMPLATE_ID = b"<template-message-id@emulator.example>"
TOPICS = ["Quarterly numbers", "Offsite planning", "Design review", "Caf\u00e9 menu: gr\u00f6\u00dfer?"]
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Berners-Lee"]


@dataclass
class MailItem:
    id: str
    thread_id: str
    mime: bytes
    folder: str = "inbox"
    labels: list[str] = field(default_factory=lambda: ["INBOX"])
    is_read: bool = False
    received_at: dt.datetime = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    version: int = 1
    #: When it last changed (Graph's ``lastModifiedDateTime``); None: never since it arrived.
    modified_at: dt.datetime | None = None


@dataclass
class EventItem:
    id: str
    title: str
    start: dt.datetime
    end: dt.datetime
    time_zone: str
    organizer: str
    attendees: list[tuple[str, str]]  # (email, response: accepted/declined/tentative/needsAction)
    all_day: bool = False
    recurrence: list[str] = field(default_factory=list)
    series_master_id: str | None = None
    original_start: dt.datetime | None = None
    cancelled: bool = False
    location: str | None = None
    online_meeting_url: str | None = None
    description: str = ""
    version: int = 1
    #: When it last changed (Graph's ``lastModifiedDateTime``), never after the world's clock;
    #: None: a day before it starts (an item made outside the world's own calendar).
    modified_at: dt.datetime | None = None


@dataclass
class ContactItem:
    id: str
    given_name: str
    family_name: str
    emails: list[tuple[str, str]]  # (address, label)
    phones: list[tuple[str, str]]  # (number, label)
    organization: str | None = None
    version: int = 1


@dataclass(frozen=True)
class Change:
    seq: int
    kind: DocKind
    change: ChangeKind
    item_id: str


@dataclass
class Mailbox:
    """One user's data and its change log."""

    user: str  # the mailbox address, e.g. ada.lovelace@contoso.example
    emails: dict[str, MailItem] = field(default_factory=dict)
    events: dict[str, EventItem] = field(default_factory=dict)
    contacts: dict[str, ContactItem] = field(default_factory=dict)
    log: list[Change] = field(default_factory=list)
    retained_from: int = 0  # sequence numbers below this are expired

    @property
    def seq(self) -> int:
        return self.log[-1].seq if self.log else 0

    def record(self, kind: DocKind, change: ChangeKind, item_id: str) -> Change:
        entry = Change(self.seq + 1, kind, change, item_id)
        self.log.append(entry)
        return entry

    def changes_since(self, seq: int, kind: DocKind) -> list[Change] | None:
        """Changes of ``kind`` after ``seq`` (latest per item), or None when ``seq`` expired."""
        if seq < self.retained_from:
            return None
        latest: dict[str, Change] = {}
        for entry in self.log:
            if entry.seq > seq and entry.kind == kind:
                latest[entry.item_id] = entry
        return sorted(latest.values(), key=lambda c: c.seq)

    def expire_tokens(self) -> None:
        """Every token handed out so far becomes too old (410 Gone / 404 / EXPIRED_SYNC_TOKEN)."""
        self.retained_from = self.seq + 1


class World:
    """All mailboxes, generated from ``seed``; ``now`` is the emulator's clock."""

    def __init__(self, *, seed: int = 42, users: int = 2, emails_per_user: int = 60, now: dt.datetime | None = None) -> None:
        self.rng = random.Random(seed)
        self.now = now or dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
        self.mailboxes: dict[str, Mailbox] = {}
        self._templates: dict[tuple[str, tuple], tuple[str, bytes]] = {}
        for index in range(users):
            address = f"{FIRST[index % len(FIRST)].lower()}.{LAST[index % len(LAST)].lower()}@contoso.example"
            if index >= len(FIRST):  # the names repeat: a numbered address keeps every mailbox (benches: 100 users)
                address = address.replace("@", f"{index // len(FIRST)}@")
            self.mailboxes[address] = self._generate(address, emails_per_user)

    def mailbox(self, user: str) -> Mailbox:
        return self.mailboxes[user]

    # -- generation ------------------------------------------------------------------------

    def _generate(self, user: str, emails: int) -> Mailbox:
        box = Mailbox(user)
        for n in range(emails):
            self._add_email(box, self._random_email(box, n, self.now - dt.timedelta(hours=emails - n)))
        for item in self._calendar(box):
            box.events[item.id] = item
            box.record("event", "created", item.id)
        for n in range(12):
            contact = self._contact(n)
            box.contacts[contact.id] = contact
            box.record("contact", "created", contact.id)
        return box

    def _add_email(self, box: Mailbox, item: MailItem) -> None:
        box.emails[item.id] = item
        box.record("email", "created", item.id)

    def _random_email(self, box: Mailbox, n: int, at: dt.datetime) -> MailItem:
        roll = self.rng.random()
        if roll < 0.15:
            carrier = self.rng.choice(sorted(TRACKING_NUMBERS))
            shape: tuple = ("shipping", carrier, self.rng.choice(TRACKING_NUMBERS[carrier]), self.rng.randrange(3))
        elif roll < 0.35:
            shape = ("newsletter",)
        else:
            shape = ("conversation", self.rng.randrange(len(TOPICS)), self.rng.randrange(len(FIRST)),
                     self.rng.randrange(len(LAST)), roll > 0.8)
        thread, template = self._template(box.user, shape)
        message_id = f"<{self.rng.getrandbits(64):016x}@emulator.example>"
        mime = template.replace(_TEMPLATE_DATE, format_datetime(at).encode()).replace(_TEMPLATE_ID, message_id.encode())
        return MailItem(
            id=f"m{self.rng.getrandbits(48):012x}",
            thread_id=thread,
            mime=mime,
            received_at=at,
            labels=["INBOX", "UNREAD"] if n % 3 else ["INBOX"],
            is_read=n % 3 == 0,
        )

    def _template(self, user: str, shape: tuple) -> tuple[str, bytes]:
        """The message bytes for one shape of email, with placeholder Date and Message-ID
        (building MIME with the email package is slow; 20,000-message mailboxes reuse these)."""
        key = (user, shape)
        if key not in self._templates:
            if shape[0] == "shipping":
                message = self._shipping_notice(user, *shape[1:])
            elif shape[0] == "newsletter":
                message = self._newsletter(user)
            else:
                message = self._conversation(user, *shape[1:])
            thread = message["X-Emulator-Thread"]
            del message["X-Emulator-Thread"]
            self._templates[key] = (thread, bytes(message))
        return self._templates[key]

    def _person(self) -> tuple[str, str]:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        return f"{first} {last}", f"{first.lower()}.{last.lower()}@fabrikam.example"

    def _base(self, sender: tuple[str, str], to: str, subject: str, thread: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = f"{sender[0]} <{sender[1]}>"
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = _TEMPLATE_DATE.decode()
        message["Message-ID"] = _TEMPLATE_ID.decode()
        message["X-Emulator-Thread"] = thread
        return message

    def _conversation(self, user: str, topic_index: int, first: int, last: int, with_attachment: bool) -> EmailMessage:
        sender = (f"{FIRST[first]} {LAST[last]}", f"{FIRST[first].lower()}.{LAST[last].lower()}@fabrikam.example")
        topic = TOPICS[topic_index]
        thread = f"t{zlib.crc32(f'{user}|{topic}'.encode()):010d}"  # hash() is salted per process
        message = self._base(sender, user, f"Re: {topic}", thread)
        message["In-Reply-To"] = f"<{thread}@fabrikam.example>"
        message["References"] = f"<{thread}@fabrikam.example>"
        text = f"Hi,\n\nfollowing up on {topic}. Let's discuss on Thursday.\n\n-- {sender[0]}\n"
        if "Café" in topic:
            message.set_content(text, charset="iso-8859-1", cte="quoted-printable")
        else:
            message.set_content(text)
        message.add_alternative(f"<html><body><p>Hi,</p><p>following up on <b>{topic}</b>.</p></body></html>", subtype="html")
        if with_attachment:
            message.add_attachment(b"%PDF-1.4 synthetic\n" * 40, maintype="application", subtype="pdf", filename="notes.pdf")
        return message

    def _newsletter(self, to: str) -> EmailMessage:
        message = self._base(("Weekly Digest", "news@northwind.example"), to, "This week at Northwind", "n-northwind")
        message.set_content("Read this newsletter in your browser.")
        body = "".join(f"<h2>Story {i}</h2><p>{'Lorem ipsum dolor sit amet. ' * 20}</p>" for i in range(5))
        message.add_alternative(f"<html><body>{body}<img src=\"cid:logo\"></body></html>", subtype="html")
        html = message.get_payload()[1]
        html.add_related(b"\x89PNG synthetic", maintype="image", subtype="png", cid="<logo>")
        return message

    def _shipping_notice(self, to: str, carrier: str, number: str, stage: int) -> EmailMessage:
        name, address = CARRIER_SENDERS[carrier]
        status = ["has shipped", "is out for delivery", "was delivered"][stage]
        message = self._base((name, address), to, f"Your package {status}", f"s{number}")
        message.set_content(f"Your package from Blue Bottle Coffee {status}.\nTracking number: {number}\n")
        return message

    def _calendar(self, box: Mailbox) -> list[EventItem]:
        day = self.now.replace(hour=0, minute=0, second=0, microsecond=0)
        colleague = self._person()[1]
        master = EventItem(
            id="evt-weekly", title="Weekly sync", start=day + dt.timedelta(hours=9), end=day + dt.timedelta(hours=10),
            time_zone="Europe/Berlin", organizer=box.user, attendees=[(colleague, "accepted")],
            recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10"], online_meeting_url="https://teams.example/l/meetup-join/weekly",
        )
        moved = EventItem(
            id="evt-weekly-ex1", title="Weekly sync (moved)", start=day + dt.timedelta(days=7, hours=11),
            end=day + dt.timedelta(days=7, hours=12), time_zone="Europe/Berlin", organizer=box.user,
            attendees=[(colleague, "tentative")], series_master_id=master.id, original_start=day + dt.timedelta(days=7, hours=9),
        )
        cancelled = EventItem(
            id="evt-weekly-ex2", title="Weekly sync", start=day + dt.timedelta(days=14, hours=9),
            end=day + dt.timedelta(days=14, hours=10), time_zone="Europe/Berlin", organizer=box.user, attendees=[],
            series_master_id=master.id, original_start=day + dt.timedelta(days=14, hours=9), cancelled=True,
        )
        offsite = EventItem(
            id="evt-offsite", title="Offsite", start=day + dt.timedelta(days=3), end=day + dt.timedelta(days=4),
            time_zone="America/Los_Angeles", organizer=colleague, attendees=[(box.user, "needsAction")], all_day=True,
            location="Lake Tahoe",
        )
        for item in (master, moved, cancelled, offsite):
            item.modified_at = self.now - dt.timedelta(days=1)  # made before the world's now, never in its future
        return [master, moved, cancelled, offsite]

    def _contact(self, n: int) -> ContactItem:
        first, last = FIRST[n % len(FIRST)], LAST[(n * 3) % len(LAST)]
        emails = [(f"{first.lower()}.{last.lower()}@fabrikam.example", "work")]
        if n % 2:
            emails.append((f"{first.lower()}{n}@home.example", "home"))
        return ContactItem(
            id=f"c{n:04d}", given_name=first, family_name=last, emails=emails,
            phones=[(f"+1 425 555 {n:04d}", "mobile")], organization="Fabrikam" if n % 3 else None,
        )

    # -- time passing ----------------------------------------------------------------------

    def advance(self, user: str) -> list[Change]:
        """One round of activity in ``user``'s mailbox: a new email, a read, a move, a delete,
        a changed and a cancelled meeting, a new and a changed contact."""
        box = self.mailboxes[user]
        self.now += dt.timedelta(minutes=5)
        before = box.seq
        self._add_email(box, self._random_email(box, len(box.emails), self.now))
        live = [m for m in box.emails.values()]
        if len(live) >= 3:
            read, moved, deleted = self.rng.sample(live, 3)
            read.is_read, read.version, read.modified_at = True, read.version + 1, self.now
            read.labels = [label for label in read.labels if label != "UNREAD"]
            box.record("email", "updated", read.id)
            moved.folder, moved.labels, moved.version, moved.modified_at = "archive", [], moved.version + 1, self.now
            box.record("email", "updated", moved.id)
            del box.emails[deleted.id]
            box.record("email", "deleted", deleted.id)
        self._touch_calendar(box)
        self._touch_contacts(box)
        return [c for c in box.log if c.seq > before]

    def _touch_calendar(self, box: Mailbox) -> None:
        master = box.events.get("evt-weekly")
        if master is not None:
            master.title, master.version = f"Weekly sync v{master.version + 1}", master.version + 1
            master.modified_at = self.now
            box.record("event", "updated", master.id)
        offsite = box.events.get("evt-offsite")
        if offsite is not None and not offsite.cancelled:
            offsite.cancelled, offsite.version, offsite.modified_at = True, offsite.version + 1, self.now
            box.record("event", "updated", offsite.id)

    def cancel_instance(self, user: str, master_id: str, original_start: dt.datetime) -> EventItem:
        """The organizer cancels the instance of a series that starts at ``original_start``: a
        cancelled exception, which each face renders as its provider does."""
        box = self.mailboxes[user]
        master = box.events[master_id]
        item = EventItem(
            id=f"{master_id}-cancelled-{original_start:%Y%m%dT%H%M}", title=master.title, start=original_start,
            end=original_start + (master.end - master.start), time_zone=master.time_zone, organizer=master.organizer,
            attendees=[], all_day=master.all_day, series_master_id=master_id, original_start=original_start, cancelled=True,
        )
        box.events[item.id] = item
        box.record("event", "updated", item.id)
        return item

    def _touch_contacts(self, box: Mailbox) -> None:
        contact = self._contact(len(box.contacts) + 100)
        box.contacts[contact.id] = contact
        box.record("contact", "created", contact.id)
        first = next(iter(box.contacts.values()))
        first.organization, first.version = "Contoso", first.version + 1
        box.record("contact", "updated", first.id)
