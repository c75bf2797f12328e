"""Errors of the Kafka boundary, split into retriable and fatal."""

from __future__ import annotations


class KafkaBoundaryError(Exception):
    """Base of every error raised by ``connectors.kafka``."""

    retriable = False


class KafkaUnavailable(KafkaBoundaryError):
    """The brokers could not be reached in time; trying again later may work."""

    retriable = True


class TopicAdminError(KafkaBoundaryError):
    """The brokers refused a topic operation; the message names the topic and the reason."""


class ConsumerGroupError(KafkaBoundaryError):
    """The brokers refused a consumer-group operation (or a topic it needs is missing); the
    message names the group or topic and the reason."""
