"""vespa-loader: Office records into per-user Vespa documents (streaming mode, ``g=<user_id>``)."""
