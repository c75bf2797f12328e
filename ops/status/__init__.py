"""``officestream status``: one look at a running officestream, local stack or external cluster.

Everything here is read-only and needs only the ordinary settings (``OFFICESTREAM_KAFKA_*``,
``OFFICESTREAM_REGISTRY_*``, ``OFFICESTREAM_REDIS_*``): no consumer group is joined, no offset
committed, no secret opened.
"""
