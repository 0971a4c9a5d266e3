"""Shapes shared by several services and clients, each written out once (see ``activity``)."""
