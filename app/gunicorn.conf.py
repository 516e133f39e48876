"""gunicorn settings for the API fleet (and the local twin, and the benchmark).

Timeouts line up with the ALB: keep-alive (75 s) above its idle timeout (60 s) so
the ALB never reuses a connection gunicorn just closed (sporadic 502s), and
graceful_timeout (25 s) below the target group's deregistration delay (30 s) so
in-flight requests finish before the ALB gives up on the instance.

Request limits follow what CloudFront forwards (Amazon CloudFront Developer Guide,
"Quotas", general quotas): a URL of up to 8,192 bytes and a request of up to 20,480
bytes including headers and query string. A request CloudFront passes is therefore
never refused here for its size: the request line is unbounded (gunicorn caps any
positive limit at 8,190 bytes, below CloudFront's URL plus method and version; the ALB
in front bounds it), one header line may be as long as CloudFront's whole request, and
the header count allows CloudFront's request made of the shortest lines, plus the
headers CloudFront and the ALB add. What gunicorn still refuses it answers as
problem+json (`app.gunicorn_worker`).
"""

import multiprocessing
import os

bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
worker_class = "app.gunicorn_worker.ProblemThreadWorker"  # gthread, problem+json errors
workers = int(os.environ.get("GUNICORN_WORKERS") or max(2, multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
keepalive = 75
graceful_timeout = 25
timeout = 30
# Forwarded headers (X-Forwarded-Proto/For) are trusted only from the load balancer.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
logger_class = "app.access_log.JsonAccessLogger"
CLOUDFRONT_MAX_REQUEST_BYTES = 20480  # request line + headers, CloudFront quota
ADDED_HEADERS = 32  # Via, X-Amz-Cf-Id, X-Forwarded-*, X-Amzn-Trace-Id, the origin secret...
limit_request_line = 0  # unbounded here: see the module docstring
limit_request_field_size = CLOUDFRONT_MAX_REQUEST_BYTES
limit_request_fields = CLOUDFRONT_MAX_REQUEST_BYTES // len("a:\r\n") + ADDED_HEADERS
proc_name = "edgeflix-api"


def worker_exit(server, worker):  # noqa: ANN001 - gunicorn hook signature
    """Flush pending plays before the worker process goes away."""
    services = getattr(worker.wsgi, "extensions", {}).get("edgeflix")
    if services is not None:
        services.close()
