"""Drives the real page in headless Chromium: upload a photo, wait for the result cards.

Skips when Chromium, chromedriver or selenium is missing. The server listens on 127.0.0.1
only and is always killed. With ``SKILL_SCREENSHOT_DIR`` set, screenshots are copied there too.

Also a script for the README screenshots of every tab, on the real data folder (the demo
catalog; ``SKILL_DATA_DIR`` points it elsewhere)::

    python -m tests.ui.test_browser --out docs --photo data/demo/photos/images/<file>.jpg
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
def streamlit_server(
    data_dir: Path | None,
    timeout: float = 180.0,
    site: Path = ROOT,
    console: Path | None = None,
):
    """Runs ``streamlit run app.py`` on a free local port; yields its URL; always kills it.

    Args:
        data_dir: ``SKILL_DATA_DIR`` of the app (default: the project's ``data/``).
        timeout: Seconds to wait for the health check.
        site: Folder holding the ``app.py`` to run and its ``.streamlit/config.toml``, run from
            there (the project; a test copies both elsewhere to keep its data under it).
        console: Where the server's stdout and stderr go (default: only stderr, kept for an
            early exit's message).
    """
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if data_dir is not None:
        env["SKILL_DATA_DIR"] = str(data_dir)
    command = [
        sys.executable, "-m", "streamlit", "run", str(site / "app.py"),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    log = open(console, "wb") if console is not None else None  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        command,
        cwd=site,
        env=env,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.PIPE,
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
                said = console.read_text() if log else server.stderr.read().decode()
                raise RuntimeError(f"streamlit exited: {said[-2000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError("streamlit did not answer its health check")
            time.sleep(0.3)
        yield url
    finally:
        server.kill()
        server.wait(timeout=10)
        if log:
            log.close()


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
        spinning = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSpinner"]')
        if not spinning and not any(
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


def test_build_progress_stays_in_view_and_the_console_stays_quiet(browser_ready, tmp_path):
    """A build started at the bottom of the Catalogs tab, in a 1440 x 1000 window.

    The app runs from a copy of ``app.py`` and ``.streamlit/config.toml`` with its data folder
    under it, as a user's ``data/`` sits under the project: with Streamlit's file watcher on,
    every build printed watchdog's 'Callback with id ... already exists' warnings.
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from tests.ui.apptest import make_tiny_catalog

    site = tmp_path / "site"
    (site / ".streamlit").mkdir(parents=True)
    shutil.copy(ROOT / "app.py", site / "app.py")
    shutil.copy(ROOT / ".streamlit" / "config.toml", site / ".streamlit" / "config.toml")
    photos = make_tiny_catalog(site / "data")
    console = tmp_path / "console.txt"
    with streamlit_server(site / "data", site=site, console=console) as url:
        driver = chromium(1440, 1000)
        try:
            driver.get(url)
            wait_for(driver, '[role="tab"]')
            settle(driver)
            open_tab(driver, "Catalogs")
            name = wait_for(driver, 'input[aria-label="Catalog name"]')[0]
            name.send_keys("again", Keys.TAB)
            settle(driver)
            folder = driver.find_element(By.CSS_SELECTOR, 'input[aria-label="Folder of photos"]')
            folder.send_keys(str(photos), Keys.TAB)
            settle(driver)
            for label in driver.find_elements(By.CSS_SELECTOR, "label"):
                if "PCA (instant)" in (label.get_attribute("textContent") or ""):
                    driver.execute_script("arguments[0].click()", label)
            settle(driver)
            button = next(
                b
                for b in driver.find_elements(By.CSS_SELECTOR, "button")
                if (b.get_attribute("textContent") or "").strip() == "Build catalog"
            )
            # As a user would: the button at the bottom edge of the window, then a click.
            driver.execute_script("arguments[0].scrollIntoView({block: 'end'})", button)
            driver.execute_script("arguments[0].click()", button)
            driver.set_script_timeout(150)
            in_view = driver.execute_script(
                """
                const deadline = Date.now() + 120000;
                return new Promise(done => {
                  const look = () => {
                    const bar = document.querySelector('[data-testid="stProgress"]');
                    if (bar) {
                      const box = bar.getBoundingClientRect();
                      done([box.top >= 0 && box.bottom <= window.innerHeight, box.top]);
                    } else if (Date.now() > deadline) { done(null); }
                    else { setTimeout(look, 50); }
                  };
                  look();
                });
                """
            )
            assert in_view is not None, "no progress bar appeared"
            assert in_view[0], f"the progress bar is out of view (top at {in_view[1]} px)"
            wait_for(driver, '[data-testid="stAlertContentSuccess"]', timeout=300)
            settle(driver)
            assert "again" in driver.page_source
        finally:
            driver.quit()
    said = console.read_text()
    for alarming in ("RuntimeWarning", "Traceback", "Callback with id", "Error"):
        assert alarming not in said, said[-3000:]


def capture_readme_screenshots(out: Path, photo: Path) -> list[Path]:
    """Every tab of the app on the data folder (``$SKILL_DATA_DIR``, else the project's
    ``data/``): the first page, a search with ``photo``, then Map, Trends, Catalogs, Models."""
    shots = []
    with streamlit_server(None) as url:
        driver = chromium(1440, 1500)
        try:
            driver.get(url)
            wait_for(driver, 'input[type="file"]')
            settle(driver)
            shots.append(screenshot(driver, out / "app-start.png"))
            search_with_photo(driver, url, photo)
            shots.append(screenshot(driver, out / "app-search.png"))
            for label, css in (("Map", ".js-plotly-plot"), ("Trends", '[data-testid="stExpander"]'),
                               ("Catalogs", '[data-testid="stDataFrame"]'),
                               ("Models", ".js-plotly-plot")):  # fmt: skip
                open_tab(driver, label)
                wait_for(driver, css)
                if label == "Models":  # tall enough for both charts under the encoder cards
                    driver.set_window_size(1440, 2350)
                settle(driver)
                time.sleep(2)  # tables and charts draw on a canvas after the page settles
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
