"""noir: the brain-robot interface.

Intents, the What/How/confirm loop, operators, sessions and the CLI.
"""
