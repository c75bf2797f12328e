"""``officestream demo``: the whole system on the local stack with the provider emulator."""
