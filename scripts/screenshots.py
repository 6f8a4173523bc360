"""Screenshots of a running app at phone and desktop widths (Chrome's device emulation: headless Chromium's
--window-size cannot go below 500 px), for the README.

    STREAMING_DATA_DIR=../shared/data/raw python app.py --port 8050 &
    python scripts/screenshots.py http://127.0.0.1:8050 docs/screenshots
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options

# file name -> (path, CSS width, CSS height, device pixel ratio, phone?)
SHOTS = {
    "explore-390.png": ("/", 390, 1500, 2, True),
    "explore-1440.png": ("/", 1440, 1400, 1, False),
    "recommend-390.png": ("/recommend?user=54628&title=hs2338", 390, 1500, 2, True),
}


def browser() -> webdriver.Chrome:
    """Headless Chromium with a throw-away profile."""
    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1300,1000",
                 f"--user-data-dir={tempfile.mkdtemp(prefix='screenshots-')}"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def main() -> None:
    """Take every shot of SHOTS into the output folder."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="the running app, e.g. http://127.0.0.1:8050")
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    driver = browser()
    try:
        for name, (path, width, height, ratio, phone) in SHOTS.items():
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": width, "height": height, "deviceScaleFactor": ratio, "mobile": phone})
            driver.get(args.url.rstrip("/") + path)
            time.sleep(8)  # charts drawn, recommender answered
            driver.save_screenshot(str(args.out / name))
            print(f"{args.out / name}: {width} px wide")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
