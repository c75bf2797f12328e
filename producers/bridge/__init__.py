"""The streaming bridge: webhooks and pollers in, per-item update events out."""
