"""Settings: every boundary refuses unknown, malformed and conflicting settings by name."""

import pytest

from connectors.kafka.settings import BATCH_HEADER_BYTES, HEADER_FRAMING_BYTES, RECORD_FRAMING_BYTES, KafkaSettings
from connectors.redis.settings import RedisSettings
from ops.stack.settings import StackSettings
from schemas.envsettings import SettingsError
from schemas.registry_settings import RegistrySettings


def test_defaults_point_at_the_local_stack():
    stack = StackSettings.from_env({})
    assert KafkaSettings.from_env({}).bootstrap_servers == stack.bootstrap_servers
    assert RegistrySettings.from_env({}).url == stack.registry_url
    assert RedisSettings.from_env({}).url == stack.redis_url


def test_values_come_from_prefixed_environment_variables():
    settings = KafkaSettings.from_env({"OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS": "a:1, b:2", "OTHER": "x"})
    assert settings.bootstrap_servers == "a:1,b:2"
    assert settings.librdkafka_config()["bootstrap.servers"] == "a:1,b:2"


def test_a_misspelt_setting_is_refused_by_name():
    with pytest.raises(SettingsError, match="unknown setting OFFICESTREAM_KAFKA_BOOTSTRAP_SERVER;"):
        KafkaSettings.from_env({"OFFICESTREAM_KAFKA_BOOTSTRAP_SERVER": "a:1"})


def test_a_malformed_value_names_the_variable():
    with pytest.raises(SettingsError, match="OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS: .*host:port"):
        KafkaSettings.from_env({"OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS": "localhost"})
    with pytest.raises(SettingsError, match="OFFICESTREAM_STACK_KAFKA_PORT"):
        StackSettings.from_env({"OFFICESTREAM_STACK_KAFKA_PORT": "eighty"})


def test_sasl_protocol_without_credentials_is_refused():
    with pytest.raises(SettingsError, match="needs OFFICESTREAM_KAFKA_SASL_MECHANISM"):
        KafkaSettings.from_env({"OFFICESTREAM_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"})


def test_sasl_credentials_with_plaintext_protocol_conflict():
    with pytest.raises(SettingsError, match="SASL_\\* is set but .*PLAINTEXT"):
        KafkaSettings.from_env({"OFFICESTREAM_KAFKA_SASL_USERNAME": "u"})


def test_secrets_reach_the_client_config_but_never_repr():
    settings = KafkaSettings.from_env(
        {
            "OFFICESTREAM_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "OFFICESTREAM_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "OFFICESTREAM_KAFKA_SASL_USERNAME": "svc",
            "OFFICESTREAM_KAFKA_SASL_PASSWORD": "hunter2",
        }
    )
    assert settings.librdkafka_config()["sasl.password"] == "hunter2"
    assert settings.aiokafka_config()["sasl_plain_password"] == "hunter2"
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings)


def test_registry_credentials_come_in_pairs_and_stay_secret():
    with pytest.raises(SettingsError, match="USERNAME and _PASSWORD must be set together"):
        RegistrySettings.from_env({"OFFICESTREAM_REGISTRY_USERNAME": "u"})
    settings = RegistrySettings.from_env({"OFFICESTREAM_REGISTRY_USERNAME": "u", "OFFICESTREAM_REGISTRY_PASSWORD": "p4ss"})
    assert settings.client_config()["basic.auth.user.info"] == "u:p4ss"
    assert "p4ss" not in repr(settings)


def test_redis_url_must_not_carry_a_password():
    with pytest.raises(SettingsError, match="OFFICESTREAM_REDIS_URL: .*OFFICESTREAM_REDIS_PASSWORD"):
        RedisSettings.from_env({"OFFICESTREAM_REDIS_URL": "redis://:secret@host:6379/0"})


def test_two_stack_components_on_one_port_conflict():
    with pytest.raises(SettingsError, match="OFFICESTREAM_STACK_REDIS_PORT and OFFICESTREAM_STACK_KAFKA_PORT are both 19092"):
        StackSettings.from_env({"OFFICESTREAM_STACK_REDIS_PORT": "19092"})


def test_topic_prefix_applies_to_physical_names():
    settings = KafkaSettings.from_env({"OFFICESTREAM_KAFKA_TOPIC_PREFIX": "staging."})
    assert settings.topic("email-updates") == "staging.email-updates"


def test_producers_refuse_what_the_topics_would_refuse_and_take_what_they_accept():
    settings = KafkaSettings.from_env({"OFFICESTREAM_KAFKA_MAX_MESSAGE_BYTES": "20000"})
    config = settings.producer_config()
    # librdkafka counts the record's framing itself; the batch header is left for the broker.
    assert config["message.max.bytes"] == 20000 - BATCH_HEADER_BYTES
    assert config["batch.size"] <= config["message.max.bytes"]
    headers = [("officestream.dlq.error.message", b"e" * 100)]
    room = 20000 - RECORD_FRAMING_BYTES - HEADER_FRAMING_BYTES - len(headers[0][0]) - 100 - len(b"user-1")
    assert settings.fits_in_a_message(b"user-1", b"v" * room, headers)
    assert not settings.fits_in_a_message(b"user-1", b"v" * (room + 1), headers)


def test_the_message_limit_defaults_to_what_a_broker_accepts_by_default():
    settings = KafkaSettings.from_env({})
    assert settings.max_message_bytes == 1_048_588
    assert settings.producer_config()["message.max.bytes"] > 1_000_000  # librdkafka's own default
    with pytest.raises(SettingsError, match="OFFICESTREAM_KAFKA_MAX_MESSAGE_BYTES"):
        KafkaSettings.from_env({"OFFICESTREAM_KAFKA_MAX_MESSAGE_BYTES": "999"})


def test_min_insync_replicas_is_unset_by_default_and_never_above_the_replication_factor():
    assert KafkaSettings.from_env({}).min_insync_replicas is None
    settings = KafkaSettings.from_env({"OFFICESTREAM_KAFKA_REPLICATION_FACTOR": "3", "OFFICESTREAM_KAFKA_MIN_INSYNC_REPLICAS": "2"})
    assert (settings.replication_factor, settings.min_insync_replicas) == (3, 2)
    with pytest.raises(SettingsError, match=r"MIN_INSYNC_REPLICAS \(2\) is above OFFICESTREAM_KAFKA_REPLICATION_FACTOR \(1\)"):
        KafkaSettings.from_env({"OFFICESTREAM_KAFKA_MIN_INSYNC_REPLICAS": "2"})
