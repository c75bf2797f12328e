"""Vespa's own check of the application package, without a running Vespa.

``config_model.install()`` fetches Vespa's config model from Maven Central (cached like the
stack's Kafka) and compiles ``ApplicationReader.java`` against it; ``ConfigModel.read()`` asks
it to read a package and returns what Vespa read: document types, fields and their types.
"""
