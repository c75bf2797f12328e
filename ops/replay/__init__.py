"""`officestream replay`: moving a consumer group's committed offsets (or a side group's).

``offsets.py`` computes where each partition goes (pure, tested without Kafka); ``reset.py``
reads the group and the partitions through the admin API and applies the plan.
"""
