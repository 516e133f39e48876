"""Shared fixtures: one small generated library per session, and moto-backed AWS."""

from __future__ import annotations

import shutil
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from edge.config import load_edge_config
from media.generate import LibrarySpec, generate_library
from media.library import Library
from media.tiers import published_files

BUCKET = "edgeflix-media-test"
SMALL = LibrarySpec(titles=3, seconds=8, profile="ci")
# One feature-length title in the tiny profile: 300 segments per rendition, cheap frames.
LONG = LibrarySpec(titles=1, seconds=20 * 60, profile="tiny")


@pytest.fixture(scope="session")
def small_library() -> Library:
    """3 ci-profile titles of 8 s (2 segments x 3 renditions each); cached in .cache/media."""
    return generate_library(SMALL)


@pytest.fixture(scope="session")
def long_library() -> Library:
    """One 20-minute title (tiny profile, ~1 min to encode once); cached in .cache/media."""
    return generate_library(LONG)


@pytest.fixture
def library(small_library: Library, tmp_path: Path) -> Library:
    """A private copy of the small library that a test may damage or edit."""
    root = tmp_path / "library"
    shutil.copytree(small_library.root, root)
    return Library.open(root)


@pytest.fixture
def published_keys(library: Library, tmp_path: Path) -> list[str]:
    """The keys publishing `library` puts in the bucket (media/tiers.py), sorted."""
    return sorted(published_files(library, tmp_path / "published"))


@pytest.fixture(scope="session")
def edge_config():
    return load_edge_config()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch):
    """In-process moto; no real endpoint or credentials can leak in."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


@pytest.fixture
def s3(aws):
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def cloudfront(aws):
    return boto3.client("cloudfront", region_name="us-east-1")


@pytest.fixture
def distribution_id(cloudfront) -> str:
    answer = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": "edgeflix-media-tests",
        "Comment": "media tests",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "media",
            "DomainName": f"{BUCKET}.s3.us-east-1.amazonaws.com",
            "S3OriginConfig": {"OriginAccessIdentity": ""},
        }]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "media",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    })
    return answer["Distribution"]["Id"]


@pytest.fixture
def bucket() -> str:
    return BUCKET


@pytest.fixture
def bucket_keys():
    """keys(s3) -> every key in the test bucket."""
    def keys(s3, bucket: str = BUCKET) -> list[str]:
        found = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            found += [o["Key"] for o in page.get("Contents", [])]
        return found
    return keys


@pytest.fixture
def invalidated_paths(cloudfront, distribution_id):
    """paths() -> the paths of every invalidation of the test distribution, oldest first."""
    def paths() -> list[list[str]]:
        listing = cloudfront.list_invalidations(DistributionId=distribution_id)
        items = listing["InvalidationList"].get("Items", [])
        batches = []
        for item in reversed(items):
            inv = cloudfront.get_invalidation(DistributionId=distribution_id, Id=item["Id"])
            batches.append(sorted(inv["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]))
        return batches
    return paths
