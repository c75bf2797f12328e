"""What every faust service shares: decoding, payload references, idempotence, retries, dead letters."""
