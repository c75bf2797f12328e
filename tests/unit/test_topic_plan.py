"""The topic catalogue and the plan that brings a broker in line with it."""

from connectors.kafka.admin import ExistingTopic, plan_topics
from connectors.kafka.topics import CONSUMER_GROUPS, TOPICS, TopicSpec, dead_letter_topic

SPEC = TopicSpec(name="email-updates", doc="d", partitions=6, retention_ms=1000)
STATE = TopicSpec(name="integration-state", doc="d", partitions=3, cleanup_policy="compact", retention_ms=None)


def test_canonical_topics_mirror_the_seeds_pubsub_names():
    names = {t.name for t in TOPICS}
    assert {"email-backfill", "email-updates", "calendar-updates", "contact-updates"} <= names
    assert len(names) == len(TOPICS)


def test_every_consumer_group_has_a_dead_letter_topic():
    names = {t.name for t in TOPICS}
    assert all(dead_letter_topic(group) in names for group in CONSUMER_GROUPS)


def test_state_topics_are_compacted_and_never_expire():
    state = [t for t in TOPICS if t.cleanup_policy == "compact"]
    assert state, "the catalogue must hold compacted state topics"
    assert all("retention.ms" not in t.config() for t in state)


def test_missing_topic_is_planned_for_creation_with_its_config():
    [action] = plan_topics([STATE], {}, prefix="p-")
    assert (action.kind, action.topic) == ("create", "p-integration-state")
    assert "cleanup.policy=compact" in action.detail


def test_matching_topic_is_left_unchanged():
    existing = {"email-updates": ExistingTopic(6, {"cleanup.policy": "delete", "retention.ms": "1000"})}
    assert [a.kind for a in plan_topics([SPEC], existing)] == ["unchanged"]


def test_drifted_config_is_planned_as_an_alteration():
    existing = {"integration-state": ExistingTopic(3, {"cleanup.policy": "delete"})}
    [action] = plan_topics([STATE], existing)
    assert action.kind == "alter-config"
    assert dict(action.config_changes) == {"cleanup.policy": "compact"}


def test_too_few_partitions_is_reported_not_changed():
    existing = {"email-updates": ExistingTopic(2, {"cleanup.policy": "delete", "retention.ms": "1000"})}
    [action] = plan_topics([SPEC], existing)
    assert action.kind == "warn" and "has 2 partitions" in action.detail


def test_topics_are_created_with_the_message_limit_the_producers_check():
    [action] = plan_topics([SPEC], {}, max_message_bytes=2_000_000)
    assert action.kind == "create" and action.config["max.message.bytes"] == "2000000"
    existing = {"email-updates": ExistingTopic(6, {"cleanup.policy": "delete", "retention.ms": "1000", "max.message.bytes": "1048588"})}
    [action] = plan_topics([SPEC], existing, max_message_bytes=2_000_000)
    assert action.kind == "alter-config" and dict(action.config_changes) == {"max.message.bytes": "2000000"}
    assert [a.kind for a in plan_topics([SPEC], existing, max_message_bytes=1_048_588)] == ["unchanged"]


def test_topics_get_the_min_insync_replicas_of_the_settings_and_none_when_unset():
    [action] = plan_topics([SPEC], {}, min_insync_replicas=2)
    assert action.kind == "create" and action.config["min.insync.replicas"] == "2"
    existing = {"email-updates": ExistingTopic(6, {"cleanup.policy": "delete", "retention.ms": "1000", "min.insync.replicas": "1"})}
    [action] = plan_topics([SPEC], existing, min_insync_replicas=2)
    assert action.kind == "alter-config" and dict(action.config_changes) == {"min.insync.replicas": "2"}
    # Unset (the single broker's default), a topic keeps the cluster's own value.
    assert [a.kind for a in plan_topics([SPEC], existing)] == ["unchanged"]
    [action] = plan_topics([SPEC], {})
    assert "min.insync.replicas" not in action.config
