"""The demo's own client of the live notifications: one server-sent event stream per user
(``/events``, as the live page opens it), counting what each user is delivered. It proves the
notifier's end of the pipeline in the summary, and ids seen twice are counted apart."""

from __future__ import annotations

import json
import threading
from collections import Counter

import httpx

from processors.notifier.sse import NOTIFICATION_EVENT, RESYNC_EVENT


class SseCounter:
    def __init__(self, notifier_url: str, tokens: dict[str, str]) -> None:
        self.url, self.tokens = notifier_url, tokens
        self.delivered: Counter[str] = Counter()
        self.duplicates: Counter[str] = Counter()
        #: ``resync`` frames per user: the notifier could not resume the client exactly (its
        #: ``Last-Event-ID`` was not buffered, e.g. on a restarted notifier).
        self.resyncs: Counter[str] = Counter()
        self._seen: dict[str, set[str]] = {user: set() for user in tokens}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> SseCounter:
        for user in self.tokens:
            thread = threading.Thread(target=self._listen, args=(user,), name=f"sse-{user}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def total(self) -> int:
        with self._lock:
            return sum(self.delivered.values())

    def seen(self) -> dict[str, set[str]]:
        """User → every notification id delivered to that user's client."""
        with self._lock:
            return {user: set(ids) for user, ids in self._seen.items()}

    def stop(self) -> None:
        self._stop.set()

    def _listen(self, user: str) -> None:
        """Read ``user``'s stream; reconnect with ``Last-Event-ID`` as a browser does."""
        last_id: str | None = None
        while not self._stop.is_set():
            headers = {"Authorization": f"Bearer {self.tokens[user]}"} | ({"Last-Event-ID": last_id} if last_id else {})
            try:
                with httpx.stream("GET", f"{self.url}/events", headers=headers, timeout=httpx.Timeout(5.0, read=30.0)) as answer:
                    if answer.status_code != 200:
                        self._stop.wait(2.0)
                        continue
                    event = pending_id = None
                    for line in answer.iter_lines():
                        if self._stop.is_set():
                            return
                        if line == "":  # the frame is complete: as EventSource, only now its id counts
                            last_id = pending_id or last_id
                            event = pending_id = None
                        elif line.startswith("id:"):  # a resume token (heartbeats carry one too)
                            pending_id = line[3:].strip()
                        elif line.startswith("event:"):
                            event = line[6:].strip()
                            if event == RESYNC_EVENT:  # told that something may be missed
                                with self._lock:
                                    self.resyncs[user] += 1
                        elif line.startswith("data:") and event == NOTIFICATION_EVENT:
                            self._count(user, json.loads(line[5:])["id"])
            except httpx.HTTPError:
                self._stop.wait(1.0)

    def _count(self, user: str, event_id: str) -> None:
        with self._lock:
            if event_id in self._seen[user]:
                self.duplicates[user] += 1
            else:
                self._seen[user].add(event_id)
                self.delivered[user] += 1
