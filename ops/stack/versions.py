"""Every version the local stack downloads, pinned in one place."""

#: Apache Kafka 4.0.x: faust-streaming 0.15 (aiokafka 0.14) and confluent-kafka 2.x work against it.
KAFKA_VERSION = "4.0.2"
KAFKA_SCALA = "2.13"
#: Kafka's published pom leaves the log4j2 runtime out; these complete it.
LOG4J_VERSION = "2.24.3"
#: Apicurio Registry 3.3.x; the Quarkus app needs Java 21 or newer.
APICURIO_VERSION = "3.3.3"
APICURIO_MIN_JAVA = 21
KAFKA_MIN_JAVA = 17
#: Maven's built-in default dependency plugin is ancient; pin a current one.
MAVEN_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
#: Vespa's config model (Maven Central), to check the application package as a deployment
#: would (ops/vespa). Its classes are built for Java 17.
VESPA_VERSION = "8.600.35"
VESPA_MIN_JAVA = 17
