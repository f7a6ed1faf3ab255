"""Talking to boards: the serial protocol, emulators, the host port, flashing and the harness.

Light imports only (no torch): `protocol` is pure Python, `qemu`/`hostport` start processes.
"""
