"""App start benchmark: `python app.py --data-dir DIR --port P` until the first page and its layout are served.

    python -m benchmarks.startup [--data-dir DIR] [--runs 3]

Run after the data is processed and the model saved (as `python -m benchmarks` does), so it measures a normal
restart: loading the processed data (and model) and serving `GET /` then `GET /_dash-layout`. Also reports the
server's resident memory once it answers.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    from benchmarks.load import free_port as _free_port

    return _free_port()


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process (psutil if installed, else /proc)."""
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss / 2**20
    except Exception:  # noqa: BLE001 -- psutil missing or process gone
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
    return None


def start_once(data_dir: Path | None, timeout: float = 600) -> dict:
    """Start the app once; seconds until `/` and until `/_dash-layout` answer 200, and RSS then."""
    port = free_port()
    command = [sys.executable, "app.py", "--port", str(port)] + (["--data-dir", str(data_dir)] if data_dir else [])
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    times: dict[str, float] = {}
    try:
        for path in ("/", "/_dash-layout"):
            while path not in times:
                if process.poll() is not None:
                    raise RuntimeError(f"app exited with {process.returncode}: {process.stderr.read()[-2000:]}")
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"app did not serve {path} within {timeout:.0f} s")
                try:
                    if requests.get(f"http://127.0.0.1:{port}{path}", timeout=5).status_code == 200:
                        times[path] = time.perf_counter() - started
                        continue
                except requests.RequestException:
                    pass
                time.sleep(0.02)
        memory = rss_mb(process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return {"first_page_s": times["/"], "layout_s": times["/_dash-layout"], "rss_mb": memory}


def measure_startup(data_dir: Path | None, runs: int = 3) -> dict:
    """`runs` starts; the median of each figure (and every run)."""
    results = [start_once(data_dir) for _ in range(runs)]
    median = {key: statistics.median(r[key] for r in results if r[key] is not None)
              for key in ("first_page_s", "layout_s", "rss_mb")}
    return {"runs": results, **median}


def markdown(result: dict) -> str:
    """The start-up rows of the benchmark table."""
    runs = ", ".join(f"{r['layout_s']:.2f}" for r in result["runs"])
    return ("| app start (processed data cached) | median of runs |\n|---|---:|\n"
            f"| `python app.py` → first `GET /` served | {result['first_page_s']:.2f} s |\n"
            f"| `python app.py` → `GET /_dash-layout` served | {result['layout_s']:.2f} s (runs: {runs} s) |\n"
            f"| server resident memory once serving | {result['rss_mb']:,.0f} MB |\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("STREAMING_DATA_DIR"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(markdown(measure_startup(Path(args.data_dir).resolve() if args.data_dir else None, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
