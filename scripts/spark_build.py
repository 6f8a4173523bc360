"""The build on a Spark cluster, for spark-submit (which runs a file, not a module):

    spark-submit --master yarn --driver-memory 8g scripts/spark_build.py RAW_DIR [--out DIR] [--force]

is `python -m core.build RAW_DIR --engine spark` on the cluster spark-submit names (the project's `core` package
is shipped to the executors by the build itself). RAW_DIR: a folder every node sees, or a URI (hdfs://namenode/raw,
s3a://bucket/raw with `--packages org.apache.hadoop:hadoop-aws:<pyspark's Hadoop version>`); DIR is local."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.build import main  # noqa: E402 -- after the project root is on the path

if __name__ == "__main__":
    sys.exit(main([*sys.argv[1:], "--engine", "spark"]))
