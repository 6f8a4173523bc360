"""The container image builds, starts and answers: scripts/container-test.sh, where podman can run.

Skipped, with the reason, when podman is missing or cannot run here, or when the local base image
(docker.io/library/debian:bookworm-slim, made by ../shared/tools/container-base.sh) is missing and cannot be made:
those are the machine's limits. Anything the script finds wrong with the image itself fails the test.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "container-test.sh"
BASE_SCRIPT = ROOT.parent / "shared" / "tools" / "container-base.sh"
BASE_IMAGE = "docker.io/library/debian:bookworm-slim"
# Build (a fresh one: ~2-3 min on 2 cores) plus the start, with room to spare.
TIMEOUT = 20 * 60


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def podman_problem() -> str | None:
    """Why podman cannot build and run the image here, or None when it can."""
    if shutil.which("podman") is None:
        return "podman is not installed (../shared/tools/container-base.sh installs it)"
    try:
        info = subprocess.run(["podman", "info"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`podman info` did not work: {exc}"
    if info.returncode != 0:
        return f"`podman info` failed: {_tail(info.stderr, 3)}"
    if subprocess.run(["podman", "image", "exists", BASE_IMAGE], capture_output=True).returncode == 0:
        return None
    if not BASE_SCRIPT.is_file():
        return f"base image {BASE_IMAGE} is missing and there is no {BASE_SCRIPT} to make it"
    made = subprocess.run(["bash", str(BASE_SCRIPT)], capture_output=True, text=True, timeout=900)
    if made.returncode != 0:
        return f"base image {BASE_IMAGE} could not be made by {BASE_SCRIPT.name}: {_tail(made.stderr, 5)}"
    return None


@pytest.mark.container
def test_image_builds_starts_and_answers():
    problem = podman_problem()
    if problem:
        pytest.skip(problem)
    result = subprocess.run(["bash", str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    print(result.stdout)
    assert result.returncode == 0, (
        f"scripts/container-test.sh exited {result.returncode}\n--- stdout ---\n{_tail(result.stdout)}\n"
        f"--- stderr ---\n{_tail(result.stderr, 120)}")
    assert "container-test: OK" in result.stdout
