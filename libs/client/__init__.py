"""A client of the kepu.v1 gRPC API for department systems and the `kepu` CLI."""
