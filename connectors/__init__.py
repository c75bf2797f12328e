"""Everything that talks to the outside world: Kafka, Redis, providers, Vespa."""
