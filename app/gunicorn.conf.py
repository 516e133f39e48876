"""gunicorn settings for the API fleet (and the local twin, and the benchmark).

Timeouts line up with the ALB: keep-alive (75 s) above its idle timeout (60 s) so
the ALB never reuses a connection gunicorn just closed (sporadic 502s), and
graceful_timeout (25 s) below the target group's deregistration delay (30 s) so
in-flight requests finish before the ALB gives up on the instance.
"""

import multiprocessing
import os

bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
worker_class = "gthread"
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
limit_request_line = 4094
limit_request_fields = 100
proc_name = "edgeflix-api"


def worker_exit(server, worker):  # noqa: ANN001 - gunicorn hook signature
    """Flush pending plays before the worker process goes away."""
    services = getattr(worker.wsgi, "extensions", {}).get("edgeflix")
    if services is not None:
        services.close()
