"""The bus, one module per job.

- ``topology``: who subscribes to what, and declaring that before anything is published;
- ``publisher``: publishing envelopes (and copies of received messages) with publisher confirms;
- ``dead_letters``: parking messages that kept failing, reading and replaying them.
"""
