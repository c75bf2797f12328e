"""The top floor: the ``officestream`` CLI and the local stack. Nothing imports this package."""
