"""The embedded local stack: Apache Kafka (KRaft), Apicurio Registry and Redis, run as processes."""
