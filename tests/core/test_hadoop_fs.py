"""A raw dir given as a URI (core.hadoop_fs): what counts as a URI, and HadoopPath's names, which the Spark build's
checks, fingerprint and default output folder use (reading through a FileSystem: tests/core/test_spark_build.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import processed_dir_for
from core.hadoop_fs import HadoopPath, is_uri


@pytest.mark.parametrize("raw_dir, expected", [
    ("hdfs://namenode:8020/data/raw", True), ("s3a://bucket/raw", True), ("file:///data/raw", True),
    (" gs://bucket/raw", True), ("/data/raw", False), ("data/raw", False), ("C:\\data\\raw", False),
    ("weird:name/raw", False), (Path("/data/raw"), False), (None, False),
])
def test_is_uri(raw_dir, expected):
    assert is_uri(raw_dir) is expected


def test_hadoop_path_names_parents_and_joins_like_a_path():
    raw = HadoopPath("hdfs://namenode:8020/data/raw", fs=None)
    ratings = raw / "ratings" / "1.csv.gz"
    assert str(ratings) == "hdfs://namenode:8020/data/raw/ratings/1.csv.gz" and ratings.name == "1.csv.gz"
    assert ratings.parent.name == "ratings" and ratings.parent.parent == raw and raw.name == "raw"
    assert HadoopPath("s3a://bucket/", fs=None).name == "" and sorted([ratings, raw]) == [raw, ratings]


def test_the_default_output_of_a_uri_is_one_folder_per_uri(monkeypatch, tmp_path):
    monkeypatch.setenv("STREAMING_CACHE_DIR", str(tmp_path))
    folder = processed_dir_for(HadoopPath("hdfs://namenode:8020/data/raw", fs=None))
    assert folder.parent == tmp_path and folder.name.startswith("processed-raw-")
    assert folder == processed_dir_for(HadoopPath("hdfs://namenode:8020/data/raw", fs=None))
    assert folder != processed_dir_for(HadoopPath("s3a://bucket/data/raw", fs=None))
    assert processed_dir_for(HadoopPath("s3a://bucket/", fs=None)).name.startswith("processed-root-")
