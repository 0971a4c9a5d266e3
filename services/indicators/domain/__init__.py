"""The indicators service's pure rules: no bus, no database, and the clock only as an argument.

- ``windows``: an indicator's reporting windows (years, quarters, the period);
- ``counting``: what an activity adds to which window and scope, which revision counts;
- ``progress``: pace and the status of one window as of a date;
- ``status``: what a stored window's status becomes, and when the change is worth an event;
- ``replay``: which of a rebuild's replayed messages belong to the running rebuild.
"""
