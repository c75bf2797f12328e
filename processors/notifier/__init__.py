"""The notifier: user-scoped live notifications over SSE and WebSocket (consumer group ``client-sse``)."""
