"""Prometheus metrics of the gRPC gateway."""
from prometheus_client import Counter, Histogram

GRPC_REQUESTS = Counter("kepu_gateway_requests_total", "gRPC calls by method and status code.", ["method", "code"])
GRPC_LATENCY = Histogram("kepu_gateway_request_seconds", "gRPC call latency.", ["method"])
