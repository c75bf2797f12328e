"""Kafka client settings, the topic catalogue and topic administration."""
