"""A raw data dir given as a URI (hdfs://, s3a://, file://, any Hadoop-compatible FileSystem) for the Spark build:
listed and read through the Spark session's Hadoop FileSystem API, by a HadoopPath that offers the part of pathlib's
Path the ETL uses (joining, names, is_dir/is_file, iterdir, stat, the bytes of a file), so the local path's checks,
fingerprint and title ETL run unchanged. Needs no pyspark to import: it only talks to a session it is given."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Union
from urllib.parse import urlsplit

from core.errors import DataError

URI_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
NOT_FOUND = "java.io.FileNotFoundException"
# What Hadoop raises when no FileSystem class serves a scheme, or its class is not on the classpath (s3a://
# without hadoop-aws, gs:// without the GCS connector).
NO_FILESYSTEM = ("UnsupportedFileSystemException", "ClassNotFoundException")


def is_uri(raw_dir: object) -> bool:
    """Whether a raw dir argument is a URI with a scheme (hdfs://..., s3a://..., file:///...), not a local path."""
    return isinstance(raw_dir, str) and URI_PATTERN.match(raw_dir.strip()) is not None


@dataclass(frozen=True)
class FileStat:
    """A file's size and modification time, named as os.stat_result names them."""

    st_size: int
    st_mtime_ns: int


class HadoopFs:
    """The Hadoop FileSystem serving a URI, from a Spark session's JVM and Hadoop configuration."""

    def __init__(self, spark: Any, uri: str) -> None:
        self.jvm = spark._jvm
        self.conf = spark._jsc.hadoopConfiguration()
        self.java = call(uri, "opening", lambda: self.path(uri).getFileSystem(self.conf),
                         missing_filesystem=self.connector_hint(uri))

    def path(self, uri: str) -> Any:
        """A Hadoop Path object."""
        return self.jvm.org.apache.hadoop.fs.Path(uri)

    def connector_hint(self, uri: str) -> str:
        """What to add when no FileSystem serves a URI's scheme."""
        scheme, version = urlsplit(uri).scheme, self.jvm.org.apache.hadoop.util.VersionInfo.getVersion()
        jars = (f"--packages org.apache.hadoop:hadoop-aws:{version}" if scheme == "s3a"
                else f"its jars for Hadoop {version} with --packages or --jars")
        return f"no Hadoop FileSystem for {scheme}:// in this Spark: add its connector (spark-submit {jars})"


def call(uri: str, doing: str, action: Callable[[], Any], missing_filesystem: str | None = None) -> Any:
    """Run a Hadoop call: a missing file gives FileNotFoundError, any other Java failure one DataError naming
    the URI (without the JVM stack)."""
    from py4j.protocol import Py4JJavaError  # comes with pyspark; only a Spark build gets here

    try:
        return action()
    except Py4JJavaError as exc:
        java = exc.java_exception
        if java.getClass().getName() == NOT_FOUND:
            raise FileNotFoundError(uri) from None
        text = str(java.toString()).strip().splitlines()[0]
        if missing_filesystem and any(name in text for name in NO_FILESYSTEM):
            raise DataError(f"{uri}: {missing_filesystem}") from None
        raise DataError(f"{uri}: {doing} failed ({text[:300]})") from None


@dataclass(frozen=True, order=True)
class HadoopPath:
    """A file or folder on a Hadoop FileSystem, named by its URI, with the part of pathlib.Path the ETL uses;
    its size and time are kept from the listing that found it (no call per file)."""

    uri: str
    fs: HadoopFs = field(compare=False, repr=False)
    known: FileStat | bool | None = field(default=None, compare=False, repr=False)  # stat, True: a folder

    @classmethod
    def of(cls, spark: Any, uri: str) -> HadoopPath:
        """The path of a URI on the FileSystem that serves its scheme (a DataError when none does)."""
        uri = uri.strip()
        uri = uri.rstrip("/") if urlsplit(uri).path.strip("/") else uri
        return cls(uri, HadoopFs(spark, uri))

    def __str__(self) -> str:
        return self.uri

    def __truediv__(self, name: str) -> HadoopPath:
        return HadoopPath(f"{self.uri.rstrip('/')}/{name}", self.fs)

    @property
    def name(self) -> str:
        """The last part of the path ('' for the root of a FileSystem)."""
        return urlsplit(self.uri).path.rstrip("/").rpartition("/")[2]

    @property
    def parent(self) -> HadoopPath:
        """The folder this path is in."""
        return HadoopPath(self.uri.rstrip("/").rpartition("/")[0], self.fs)

    def _status(self) -> FileStat | bool | None:
        """A file's FileStat, True for a folder, None when nothing is there."""
        if self.known is not None:
            return self.known
        try:
            return _known(call(self.uri, "reading", lambda: self.fs.java.getFileStatus(self.fs.path(self.uri))))
        except FileNotFoundError:
            return None

    def is_dir(self) -> bool:
        """Whether a folder is there."""
        return self._status() is True

    def is_file(self) -> bool:
        """Whether a file is there."""
        return isinstance(self._status(), FileStat)

    def iterdir(self) -> list[HadoopPath]:
        """The files and folders in this folder, each with its status."""
        statuses = call(self.uri, "listing", lambda: self.fs.java.listStatus(self.fs.path(self.uri)))
        return [HadoopPath(f"{self.uri.rstrip('/')}/{status.getPath().getName()}", self.fs, _known(status))
                for status in statuses]

    def stat(self) -> FileStat:
        """A file's size and modification time (Hadoop keeps milliseconds)."""
        status = self._status()
        if not isinstance(status, FileStat):
            raise FileNotFoundError(self.uri)
        return status

    def read_bytes(self) -> bytes:
        """The whole file (a small one: a title catalogue)."""
        return self.head(None)

    def head(self, size: int | None) -> bytes:
        """The first `size` bytes of the file (None: all), decompressed when its name says so (.gz, .bz2...)."""
        def read() -> bytes:
            path = self.fs.path(self.uri)
            stream = self.fs.java.open(path)
            try:
                codec = self.fs.jvm.org.apache.hadoop.io.compress.CompressionCodecFactory(self.fs.conf).getCodec(path)
                data = codec.createInputStream(stream) if codec else stream
                return bytes(data.readAllBytes() if size is None else data.readNBytes(size))
            finally:
                stream.close()
        return call(self.uri, "reading", read)


def _known(status: Any) -> FileStat | bool:
    """A Java FileStatus as this module keeps it: True for a folder, else the file's FileStat."""
    if status.isDirectory():
        return True
    return FileStat(int(status.getLen()), int(status.getModificationTime()) * 1_000_000)


RawPath = Union[Path, HadoopPath]  # a raw dir or file: local, or on a Hadoop FileSystem
