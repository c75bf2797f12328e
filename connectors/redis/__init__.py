"""Redis: settings and (later) the payload store for the pointer model."""
