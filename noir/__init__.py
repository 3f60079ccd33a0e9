"""noir: the brain-robot interface (intents, the What/How/confirm loop, operators, sessions, CLI)."""
