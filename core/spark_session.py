"""The Spark side of the build: a session (local[N], YARN, standalone or Kubernetes), with the project's code shipped
to the executors, and Spark's failures turned into one-line DataErrors."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from core.config import PROJECT_ROOT
from core.errors import DataError

APP_NAME = "streaming-atlas-build"
# Every session: Arrow between Python and the JVM, no progress bars in the build's log.
SESSION_SETTINGS = {"spark.sql.execution.arrow.pyspark.enabled": "true", "spark.ui.showConsoleProgress": "false"}
# The driver holds the model's arrays and streams the results; set when this process starts the JVM (under
# spark-submit, its --driver-memory decides).
DRIVER_MEMORY = "3g"
MASTER_PATTERN = re.compile(r"local(\[(\d+|\*)(,\d+)?\])?|yarn|(spark|k8s|mesos)://\S+")


def unavailable() -> str | None:
    """Why Spark cannot run here (None: it can): pyspark missing, or no Java to run it."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -r requirements-spark.txt)"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed (Spark needs Java 17: Debian's openjdk-17-jre-headless)"
    return None


def check_master(master: str) -> str:
    """A Spark master URL as given, or a DataError saying what is accepted."""
    if not MASTER_PATTERN.fullmatch(master.strip()):
        raise DataError(f"--master {master[:40]!r}: give local[N], yarn, spark://HOST:PORT or k8s://URL")
    return master.strip()


def start_session(master: str | None = None, settings: dict[str, str] | None = None) -> Any:
    """A SparkSession on `master` (None: whatever spark-submit or spark-defaults.conf say, else local[*]) with
    the project's code shipped to its executors; on one machine, two shuffle partitions per core (Spark's default
    200 is for clusters) unless set."""
    problem = unavailable()
    if problem:
        raise DataError(f"the spark engine cannot start: {problem}")
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(APP_NAME)
    if master:
        builder = builder.master(check_master(master))
    if "PYSPARK_GATEWAY_PORT" not in os.environ:  # not under spark-submit: this process starts the JVM
        builder = builder.config("spark.driver.memory", DRIVER_MEMORY)
    for key, value in {**SESSION_SETTINGS, **(settings or {})}.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 -- a JVM that cannot start, a master that does not answer
        raise spark_problem(exc, "starting Spark") from None
    spark.sparkContext.setLogLevel("ERROR")
    partitions = "spark.sql.shuffle.partitions"
    if spark.sparkContext.master.startswith("local") and spark.conf.get(partitions) == "200":
        spark.conf.set(partitions, str(2 * spark.sparkContext.defaultParallelism))
    ship_code(spark)
    return spark


def ship_code(spark: Any) -> None:
    """Send the `core` package to the executors as a zip (their Python workers import it to run the UDFs)."""
    folder = Path(tempfile.mkdtemp(prefix="atlas-spark-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # Spark reads it while the session runs
    archive = folder / "core.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted((PROJECT_ROOT / "core").glob("*.py")):
            out.write(path, f"core/{path.name}")
    spark.sparkContext.addPyFile(str(archive))


def spark_problem(exc: Exception, doing: str) -> DataError:
    """A one-line DataError for a Spark failure: the first line of its message, without the JVM stack."""
    text = str(getattr(exc, "desc", None) or exc).strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
    return DataError(f"{doing} failed: {first[:300]}")


class SparkBuild:
    """The Spark side of one build: the session is started on first use (a build with nothing to do starts
    none), and gives the ETL's rating engine and the model's parts fitter."""

    def __init__(self, master: str | None = None, settings: dict[str, str] | None = None) -> None:
        self.master = check_master(master) if master else None
        self.settings = settings
        self._session: Any = None
        self._owned = False  # started here (a session the caller had running is left running)

    @property
    def session(self) -> Any:
        """The SparkSession, started now if needed (or the one already running in this process)."""
        if self._session is None:
            from pyspark.sql import SparkSession

            self._owned = SparkSession.getActiveSession() is None
            self._session = start_session(self.master, self.settings)
        return self._session

    def rating_engine(self, spill_dir: Path) -> Any:
        """The ETL's rating engine on Spark (run_etl's `engine`; Spark keeps its own spill files)."""
        from core.spark_etl import SparkEngine

        return SparkEngine(self.session)

    def fit_parts(self, *args: Any) -> Any:
        """The recommender's rating parts fitted on Spark (HybridRecommender.fit's `fit_parts`)."""
        from core.spark_model import SparkFitter

        return SparkFitter(self.session)(*args)

    def stop(self) -> None:
        """Stop the session if this build started it."""
        if self._session is not None and self._owned:
            self._session.stop()
        self._session = None
