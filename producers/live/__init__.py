"""The live side of the bridge: per (integration, resource) syncs from the stored cursors.

``sync.LiveSync`` is the entry point (webhook handlers, the orchestrator's hand-off, the People
poller and the reconciliation backstop all end in ``LiveSync.request``).
"""
