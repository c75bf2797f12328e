"""`officestream dlq list | show | replay`: the dead-letter topics, read and re-published.

``letters.py`` reads a service's dead letters and selects among them; ``originals.py`` gets a
letter's original value back (from Redis when it went by reference); ``replays.py`` re-publishes
letters to their source topics and keeps the record that stops a second replay.
"""
