"""The leaderboard page in a real headless Chromium (Debian's chromium + chromium-driver, selenium).

When Chromium or chromedriver is missing these tests are skipped with the reason and the install
command, except in CI (the ``CI`` environment variable set, as CI services do, and as ``.ci/run``
does), where ``.ci/run`` installs them and a missing browser is a failure.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from png_checks import assert_drawn_png  # tests/ is on sys.path (rootdir conftest)
from mmbench.report.html import to_html
from mmbench.report.leaderboard import build_leaderboard
from mmbench.report.synthetic import synthetic_result

pytestmark = pytest.mark.browser

EVIL = "<script>alert(1)</script>"
MODELS = {"mock:alpha": (0.9, 20.0), "mock:beta": (0.6, 300.0), EVIL: (0.4, 90.0), "mock:gamma": (0.7, 150.0)}
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,1000")


def _find(*names: str) -> str | None:
    return next((path for name in names if (path := shutil.which(name))), None)


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    browser, chromedriver = _find("chromium", "chromium-browser"), _find("chromedriver")
    if not browser or not chromedriver:
        message = ("browser tests need Debian's chromium and chromium-driver, not found on PATH "
                   "(apt-get install -y chromium chromium-driver)")
        if os.environ.get("CI", "").lower() in ("", "0", "false"):
            pytest.skip(message + "; skipped outside CI")
        pytest.fail(message + "; CI installs them (.ci/run), so their absence is a failure")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture(scope="module")
def page(driver, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    runs = [synthetic_result("vqa", name, quality, items_per_s=speed) for name, (quality, speed) in MODELS.items()]
    path = tmp_path_factory.mktemp("html") / "leaderboard.html"
    path.write_text(to_html(build_leaderboard(runs)), encoding="utf-8")
    driver.get(path.as_uri())
    return driver


def _models(driver) -> list[str]:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, "#leaderboard tbody tr")
    return [row.find_elements(By.TAG_NAME, "td")[0].text for row in rows if row.is_displayed()]


def _header(driver, text: str):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return next(b for b in driver.find_elements(By.CSS_SELECTOR, "#leaderboard th button") if b.text.strip(" ▲▼") == text)


def test_model_name_is_text_and_no_alert(page) -> None:  # type: ignore[no-untyped-def]
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        page.switch_to.alert.text  # noqa: B018
    assert EVIL in _models(page)
    assert page.execute_script("return document.querySelectorAll('script').length") == 1
    errors = [entry for entry in page.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, f"console errors (CSP or script): {errors}"


def test_sorting(page) -> None:  # type: ignore[no-untyped-def]
    by_speed = sorted(MODELS, key=lambda name: MODELS[name][1])
    _header(page, "items/s").click()  # numbers sort best (largest) first
    assert _models(page) == by_speed[::-1]
    _header(page, "items/s").click()
    assert _models(page) == by_speed
    _header(page, "Model").click()
    assert _models(page) == sorted(MODELS, key=str.lower)
    _header(page, "accuracy").click()
    assert _models(page) == sorted(MODELS, key=lambda name: -MODELS[name][0])


def test_filtering(page) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    box = page.find_element(By.ID, "filter")
    box.clear()
    box.send_keys("ALP")
    assert _models(page) == ["mock:alpha"]
    assert page.find_element(By.ID, "shown-count").text == "1"
    box.clear()
    box.send_keys("<script>")
    assert _models(page) == [EVIL]
    box.clear()
    box.send_keys("x")  # send_keys on an emptied field fires input events; clear() alone does not
    box.send_keys("\b")
    assert sorted(_models(page)) == sorted(MODELS)


def test_detail_opens_with_configuration(page) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    link = next(a for a in page.find_elements(By.CSS_SELECTOR, "a.detail-link") if a.text == EVIL)
    link.click()
    target = page.find_element(By.ID, link.get_attribute("href").split("#")[1])
    assert target.get_attribute("open") is not None
    assert "Configuration" in target.text and "batch_size" in target.text and EVIL in target.text


def test_screenshot(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shot = tmp_path / "leaderboard.png"
    assert page.save_screenshot(str(shot))
    assert_drawn_png(shot, min_size=(800, 600))


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def committed_page(driver, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The leaderboard of the committed results/ (many task columns), plus one run with a long hyphenated name."""
    from mmbench.commands.leaderboard import without_mock_runs
    from mmbench.report.loading import load_results

    runs = without_mock_runs(load_results([REPO / "results"]).results)
    runs.append(synthetic_result("vqa", "hf:llava-hf/llava-v1.6-mistral-7b-hf-long-hyphenated-name", 0.81, items_per_s=1320.0))
    path = tmp_path_factory.mktemp("committed") / "leaderboard.html"
    path.write_text(to_html(build_leaderboard(runs)), encoding="utf-8")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1400, "height": 1000, "deviceScaleFactor": 1,
                                                                   "mobile": False})  # the viewport, exactly
    driver.get(path.as_uri())
    return driver


def test_the_page_fits_a_1400_px_screen(committed_page) -> None:  # type: ignore[no-untyped-def]
    """No page-wide horizontal scroll: the wide table scrolls inside its own box; model names stay on one line."""
    from selenium.webdriver.common.by import By

    assert committed_page.execute_script("return [window.innerWidth, window.innerHeight]") == [1400, 1000]
    viewport = committed_page.execute_script("return document.documentElement.clientWidth")  # without a scroll bar
    assert committed_page.execute_script("return document.documentElement.scrollWidth") <= viewport
    for details in committed_page.find_elements(By.CSS_SELECTOR, "details"):  # opened detail panels too
        committed_page.execute_script("arguments[0].open = true", details)
    assert committed_page.execute_script("return document.documentElement.scrollWidth") <= viewport
    box = committed_page.find_element(By.CSS_SELECTOR, ".scroll-box")
    assert committed_page.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", box)  # it scrolls itself
    name = next(a for a in committed_page.find_elements(By.CSS_SELECTOR, "a.detail-link") if "long-hyphenated" in a.text)
    line_height = committed_page.execute_script("return parseFloat(getComputedStyle(arguments[0]).lineHeight)", name)
    assert name.size["height"] < 1.5 * line_height  # one line


def _is_round_step(step: float) -> bool:
    """1, 2 or 5 x 10^k."""
    exponent = math.floor(math.log10(step))
    return any(math.isclose(step, m * 10 ** exponent, rel_tol=1e-6) for m in (1, 2, 5))


def test_pareto_ticks_are_round_values_inside_the_plot(committed_page) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    plots = committed_page.find_elements(By.CSS_SELECTOR, "svg.scatter")
    assert len(plots) >= 4
    for svg in plots:
        ticks = [(t.get_attribute("textContent"), t.get_attribute("text-anchor"), t) for t in svg.find_elements(By.CSS_SELECTOR, "text.tick")]
        for text, _, tick in ticks:
            assert "e+" not in text and "e-" not in text and not text.startswith("-"), text  # no exponents, no negatives
            inside = committed_page.execute_script(
                "const t = arguments[0].getBBox(), s = arguments[1].viewBox.baseVal;"
                "return t.x >= s.x - 0.5 && t.x + t.width <= s.x + s.width + 0.5;", tick, svg)
            assert inside, f"tick {text} is cut off"
        y_values = [float(text.replace(",", "")) for text, anchor, tick in ticks if tick.get_attribute("x") == ticks[-1][2].get_attribute("x")]
        x_values = [float(text.replace(",", "")) for text, anchor, tick in ticks if tick.get_attribute("x") != ticks[-1][2].get_attribute("x")]
        assert len(y_values) >= 3 and len(x_values) >= 2
        steps = {round(b - a, 9) for a, b in zip(y_values[:-1], y_values[1:])}
        assert len(steps) == 1 and _is_round_step(abs(steps.pop())), y_values  # evenly spaced round values
        x_steps = {round(b - a, 9) for a, b in zip(x_values[:-1], x_values[1:])}
        log_round = all(_is_round_step(v) for v in x_values)  # log axis: 1, 2, 5 x 10^k
        linear_round = len(x_steps) == 1 and _is_round_step(next(iter(x_steps)))  # a narrow range: a finer round step
        assert log_round or linear_round, x_values
        assert max(y_values) <= 100.0 or "CIDEr" in svg.find_element(By.TAG_NAME, "title").get_attribute("textContent")


def test_screenshot_at_1400_by_1000(committed_page) -> None:  # type: ignore[no-untyped-def]
    """Saved as .pytest_cache/leaderboard-1400x1000.png for a person to look at."""
    shot = REPO / ".pytest_cache" / "leaderboard-1400x1000.png"
    shot.parent.mkdir(exist_ok=True)
    assert committed_page.save_screenshot(str(shot))
    assert_drawn_png(shot, size=(1400, 1000))
