"""Drives the real page in headless Chromium: upload a photo, wait for the result cards.

Skips when Chromium, chromedriver or selenium is missing. The server listens on 127.0.0.1
only and is always killed. With ``SKILL_SCREENSHOT_DIR`` set, screenshots are copied there too.

Also a script for the README screenshots, on the real data folder (the demo catalog)::

    python tests/test_browser.py --out docs --photo data/demo/photos/images/<file>.jpg
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from skill.paths import PROJECT_DIR

ROOT = PROJECT_DIR
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def streamlit_server(data_dir: Path | None, timeout: float = 180.0):
    """Runs ``streamlit run app.py`` on a free local port; yields its URL; always kills it."""
    port = free_port()
    env = dict(os.environ)
    if data_dir is not None:
        env["SKILL_DATA_DIR"] = str(data_dir)
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None:
                raise RuntimeError(f"streamlit exited: {server.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError("streamlit did not answer its health check")
            time.sleep(0.3)
        yield url
    finally:
        server.kill()
        server.wait(timeout=10)


def chromium(width: int = 1440, height: int = 1400):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    options.page_load_strategy = "none"  # the waits below look for the app's own elements
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def wait_for(driver, css: str, count: int = 1, timeout: float = 180.0):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(
        lambda d: (found := d.find_elements(By.CSS_SELECTOR, css)) and len(found) >= count and found
    )


def open_tab(driver, label: str) -> None:
    from selenium.webdriver.common.by import By

    driver.execute_script("window.scrollTo(0, 0)")
    for tab in driver.find_elements(By.CSS_SELECTOR, '[role="tab"]'):
        # .text is empty for elements Selenium deems hidden (after a full-page resize)
        if (tab.get_attribute("textContent") or "").strip() == label:
            driver.execute_script("arguments[0].click()", tab)
            return
    raise AssertionError(f"no tab {label!r}")


def settle(driver, timeout: float = 60.0) -> None:
    """Waits until the app stops running (no 'running' status widget) and reflows."""
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout
    time.sleep(0.8)
    while time.monotonic() < deadline:
        running = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
        if not any(
            "Running" in el.text or el.get_attribute("innerHTML").count("Stop") for el in running
        ):
            break
        time.sleep(0.3)
    time.sleep(0.8)


def search_with_photo(driver, url: str, photo: Path) -> int:
    """Opens the page, uploads ``photo``; returns the number of cards shown."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    wait_for(driver, 'input[type="file"]')
    driver.find_element(By.CSS_SELECTOR, 'input[type="file"]').send_keys(str(photo))
    cards = wait_for(driver, ".sk-card", count=3)
    settle(driver)
    return len(cards)


def screenshot(driver, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    return path


@pytest.fixture(scope="module")
def browser_ready():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("chromium or chromedriver not installed")


def test_upload_photo_shows_result_cards(browser_ready, tmp_path):
    from tests.ui.apptest import draw_product, make_tiny_catalog

    make_tiny_catalog(tmp_path)
    photo = tmp_path / "query.png"
    draw_product("circle", (40, 40, 200)).save(photo)  # a circle in blue, a colour it lacks
    with streamlit_server(tmp_path) as url:
        driver = chromium()
        try:
            assert search_with_photo(driver, url, photo) >= 3
            page = driver.page_source
            assert "query.png" in page and "Similar designs" in page
            # The new photo's design is found in the colours the catalog has, before the rest.
            answer = page.find("This design in other colours")
            assert -1 < answer < page.find("Similar designs")
            assert "D-circle" in page[answer : page.find("Similar designs")]
            assert "sure it is the same design" in page
            shot = screenshot(driver, tmp_path / "search.png")
            assert shot.stat().st_size > 10_000
            open_tab(driver, "Map")
            wait_for(driver, ".js-plotly-plot")
            settle(driver)
            screenshot(driver, tmp_path / "map.png")
        finally:
            driver.quit()
    target = os.environ.get("SKILL_SCREENSHOT_DIR")
    if target:
        for name in ("search.png", "map.png"):
            shutil.copy(tmp_path / name, Path(target) / f"browser-test-{name}")


def capture_readme_screenshots(out: Path, photo: Path) -> list[Path]:
    """Search, map, catalogs and models tabs of the app on the real data folder."""
    shots = []
    with streamlit_server(None) as url:
        driver = chromium(1440, 1500)
        try:
            search_with_photo(driver, url, photo)
            shots.append(screenshot(driver, out / "app-search.png"))
            for label, css in (("Map", ".js-plotly-plot"), ("Catalogs", '[data-testid="stDataFrame"]'),
                               ("Models", ".js-plotly-plot")):  # fmt: skip
                open_tab(driver, label)
                wait_for(driver, css)
                settle(driver)
                shots.append(screenshot(driver, out / f"app-{label.lower()}.png"))
        finally:
            driver.quit()
    return shots


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--photo", type=Path, required=True)
    args = parser.parse_args()
    for shot in capture_readme_screenshots(args.out, args.photo.resolve()):
        print(shot)
