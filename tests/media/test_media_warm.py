"""Edge warming against a loopback stand-in CDN: cookies, top-K, caps, X-Cache accounting."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from media.publisher import publish
from media.warm import WarmLimits, warm_edge

COOKIES = {"CloudFront-Policy": "cG9saWN5", "CloudFront-Signature": "c2ln",
           "CloudFront-Key-Pair-Id": "K2TESTKEY"}


class StubCdn:
    """Serves a library like the edge would: signed cookies on /video/*, X-Cache Miss then Hit."""

    def __init__(self, library):
        self.library = library
        # time, method, path, Cookie (GET) or Authorization (POST)
        self.requests: list[tuple[float, str, str, str]] = []
        self.cached: set[str] = set()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_):
                pass

            def _send(self, status, body=b"", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                stub.requests.append((time.monotonic(), "POST", self.path,
                                      self.headers.get("Authorization", "")))
                title_id = self.path.split("/")[4]
                if title_id not in {t.id for t in stub.library.catalog.titles}:
                    return self._send(404, b'{"error": "unknown title"}')
                body = json.dumps({"manifest_url": f"/video/{title_id}/master.m3u8",
                                   "cookies": COOKIES}).encode()
                self._send(200, body, {"Content-Type": "application/json",
                                       "Cache-Control": "private, no-store"})

            def do_GET(self):
                cookie = self.headers.get("Cookie", "")
                stub.requests.append((time.monotonic(), "GET", self.path, cookie))
                if self.path.startswith("/video/") and "CloudFront-Signature=" not in cookie:
                    return self._send(403, b"missing signed cookies")
                path = stub.library.root / self.path.lstrip("/")
                if not path.is_file():
                    return self._send(404)
                state = "Hit" if self.path in stub.cached else "Miss"
                stub.cached.add(self.path)
                self._send(200, path.read_bytes(), {"X-Cache": f"{state} from cloudfront"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    def paths(self, method="GET"):
        return [p for _, m, p, _ in self.requests if m == method]


@pytest.fixture
def cdn(small_library):
    stub = StubCdn(small_library)
    stub.thread.start()
    yield stub
    stub.server.shutdown()
    stub.server.server_close()


FAST = WarmLimits(requests_per_second=500, max_requests=100, timeout=5)


def _expected_paths(title):
    folder = f"/video/{title.id}"
    paths = [f"{folder}/master.m3u8"]
    for r in title.renditions:
        paths += [f"{folder}/{r.name}/index.m3u8", f"{folder}/{r.name}/seg_00001.ts"]
    return sorted(paths)


def test_warms_playlists_and_first_segments_of_the_top_k(cdn, small_library):
    top = small_library.catalog.top(2)

    report = warm_edge(cdn.url, small_library.catalog, 2, FAST)

    assert report.titles == [t.id for t in top]
    assert report.errors == []
    assert sorted(cdn.paths("GET")) == sorted(p for t in top for p in _expected_paths(t))
    assert sorted(cdn.paths("POST")) == sorted(f"/api/v1/titles/{t.id}/playback" for t in top)
    assert (report.misses, report.hits) == (14, 0)


def test_top_k_follows_popularity_not_catalogue_order(small_library):
    titles = [t.model_copy(update={"popularity": share})
              for t, share in zip(small_library.catalog.titles, (0.2, 0.3, 0.5), strict=True)]
    catalog = small_library.catalog.model_copy(update={"titles": titles})
    assert [t.id for t in catalog.top(2)] == [titles[2].id, titles[1].id]


def test_video_fetches_carry_the_signed_cookies(cdn, small_library):
    warm_edge(cdn.url, small_library.catalog, 1, FAST)

    video = [cookie for _, m, p, cookie in cdn.requests if p.startswith("/video/")]
    assert video and all(
        all(f"{k}={v}" in cookie for k, v in COOKIES.items()) for cookie in video)


def test_second_warming_reports_hits(cdn, small_library):
    warm_edge(cdn.url, small_library.catalog, 1, FAST)
    again = warm_edge(cdn.url, small_library.catalog, 1, FAST)
    assert (again.hits, again.misses) == (7, 0)


def test_total_request_cap_is_honoured(cdn, small_library):
    report = warm_edge(cdn.url, small_library.catalog, 3,
                       WarmLimits(requests_per_second=500, max_requests=5, timeout=5))
    assert len(cdn.requests) == 5
    assert report.capped


def test_request_rate_is_capped(cdn, small_library):
    rps = 40
    warm_edge(cdn.url, small_library.catalog, 1, WarmLimits(requests_per_second=rps))
    times = [t for t, *_ in cdn.requests]
    assert len(times) == 8
    assert times[-1] - times[0] >= (len(times) - 1) / rps * 0.9


def test_failures_are_reported_not_raised(cdn, small_library):
    cdn.library = type(small_library)(root=small_library.root / "nowhere",
                                      catalog=small_library.catalog)
    report = warm_edge(cdn.url, small_library.catalog, 1, FAST)
    assert report.errors and "HTTP 404" in report.errors[0]


def test_unreachable_cdn_is_reported_within_the_timeout(small_library):
    started = time.monotonic()
    report = warm_edge("http://127.0.0.1:9", small_library.catalog, 2,
                       WarmLimits(requests_per_second=500, max_requests=10, timeout=1))
    assert len(report.errors) == 2
    assert time.monotonic() - started < 5


def test_publish_warms_the_edge_after_uploading(cdn, library, s3):
    report = publish(library, "edgeflix-media-test", s3=s3, cdn_url=cdn.url, warm_top=1,
                     warm_limits=FAST, progress=False)

    assert report.warmed is not None
    assert report.warmed.titles == [library.catalog.top(1)[0].id]
    assert report.warmed.misses == 7


def test_warming_waits_for_the_invalidation_then_refetches(cdn, library, s3, cloudfront,
                                                           distribution_id):
    publish(library, "edgeflix-media-test", s3=s3, progress=False)
    top = library.catalog.top(1)[0]
    master = library.root / top.master
    master.write_text(master.read_text() + "## v2\n")

    report = publish(library, "edgeflix-media-test", s3=s3, cloudfront=cloudfront,
                     distribution_id=distribution_id, cdn_url=cdn.url, warm_top=1,
                     warm_limits=FAST, progress=False)

    # Each plan's master is made from the generated one: all three changed.
    assert sorted(report.invalidated) == sorted(
        f"/video/{top.id}/{folder}master.m3u8" for folder in ("", "standard/", "standard/basic/"))
    assert len(report.invalidation_ids) == 1
    status = cloudfront.get_invalidation(DistributionId=distribution_id,
                                         Id=report.invalidation_ids[0])
    assert status["Invalidation"]["Status"] == "COMPLETED"
    assert f"/video/{top.id}/master.m3u8" in cdn.paths("GET")


class SlowCloudFront:
    """A CloudFront whose invalidation completes on the third look (as on AWS, minutes later)."""

    def __init__(self):
        self.polls = 0
        self.paths: list[str] = []

    def create_invalidation(self, DistributionId, InvalidationBatch):  # noqa: N803 (boto3 names)
        self.paths += InvalidationBatch["Paths"]["Items"]
        return {"Invalidation": {"Id": "I2EXAMPLE", "Status": "InProgress"}}

    def get_invalidation(self, DistributionId, Id):  # noqa: N803
        self.polls += 1
        return {"Invalidation": {"Id": Id, "Status": "Completed" if self.polls >= 3
                                 else "InProgress"}}


def test_warming_starts_only_after_the_invalidation_completes(cdn, library, s3, monkeypatch):
    monkeypatch.setattr("media.publisher.INVALIDATION_POLL", 0.01)
    publish(library, "edgeflix-media-test", s3=s3, progress=False)
    catalog = library.root / "catalog.json"
    catalog.write_text(catalog.read_text().replace('"synopsis": "', '"synopsis": "Now: ', 1))
    slow = SlowCloudFront()

    report = publish(library.root, "edgeflix-media-test", s3=s3, cloudfront=slow,
                     distribution_id="E2EXAMPLE", cdn_url=cdn.url, warm_top=1,
                     warm_limits=FAST, progress=False)

    assert slow.paths == ["/catalog.json"]
    assert slow.polls == 3
    assert report.warmed is not None and report.warmed.errors == []


def test_warming_a_feature_length_title_stays_bounded(long_library):
    """300 segments per rendition still cost one playlist and one segment per rendition."""
    stub = StubCdn(long_library)
    stub.thread.start()
    try:
        report = warm_edge(stub.url, long_library.catalog, 5, FAST)
    finally:
        stub.server.shutdown()
        stub.server.server_close()
    [title] = long_library.catalog.titles
    assert report.errors == [] and not report.capped
    assert sorted(stub.paths("GET")) == _expected_paths(title)
    assert report.misses == 7


def test_grants_are_asked_for_as_the_warming_viewer(cdn, small_library):
    warm_edge(cdn.url, small_library.catalog, 1, FAST, access_token="warming-token")
    posts = [auth for _, method, _, auth in cdn.requests if method == "POST"]
    assert posts == ["Bearer warming-token"]
