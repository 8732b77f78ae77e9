"""The training report (python -m minigan report RUN) opened in a real headless browser:
Debian's chromium, driven through chromedriver by selenium. Without them the test fails with
the command that installs them."""

import shutil
import tempfile

import numpy as np
import pytest

from minigan.cli import main
from minigan.evaluate import load_scores

BROWSER_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1200,900")
INSTALL = "apt-get install -y chromium chromium-driver"


def browser(profile):
    """A headless chromium under selenium, with a fresh profile and the console's messages kept."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is missing: pip install -e '.[test]'")
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.fail(f"this test opens the report in Debian's chromium through chromedriver; install them: {INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*BROWSER_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(chromedriver))


@pytest.fixture(scope="module")
def evaluated_run(mnist_dir, tmp_path_factory):
    """A run of 2 epochs with its flight record, each epoch's weights scored by evaluate."""
    folder = tmp_path_factory.mktemp("report")
    run, classifier = folder / "run", folder / "classifier.npz"
    assert main(["train", "--data", str(mnist_dir), "--out", str(run), "--epochs", "2", "--limit", "128",
                 "--sample-interval", "1", "--record", "2", "--threads", "1"]) == 0
    assert main(["train-classifier", "--epochs", "1", "--limit", "256", "--data", str(mnist_dir),
                 "--out", str(classifier)]) == 0
    assert main(["evaluate", "--checkpoint", str(run / "weights_epoch_001.npz"), str(run / "weights_epoch_002.npz"),
                 "--n", "50", "--classifier", str(classifier), "--data", str(mnist_dir)]) == 0
    return run


def test_the_report_renders_in_a_browser_with_every_picture_and_no_error(evaluated_run, capsys):
    run = evaluated_run
    assert [r["epoch"] for r in load_scores(run)] == [1, 2]  # evaluate kept its scores in the run folder
    assert main(["report", str(run)]) == 0
    page = run / "training_report.html"
    assert f"wrote {page}" in capsys.readouterr().out
    text = page.read_text()
    for loaded in ("http:", "https:", "<script", "<link", "@import", "url("):  # nothing to fetch, nothing to run
        assert loaded not in text, loaded
    with tempfile.TemporaryDirectory() as profile:
        driver = browser(profile)
        try:
            driver.get(page.as_uri())
            images = driver.execute_script(
                "return Array.from(document.images, i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight])")
            sections = driver.execute_script(
                "return Array.from(document.querySelectorAll('section'), s => [s.querySelector('h2').innerText, "
                "s.innerText.length, s.querySelectorAll('img').length])")
            fetched = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
            console = driver.get_log("browser")
            screenshot = driver.get_screenshot_as_png()
        finally:
            driver.quit()
    assert len(images) >= 9 and all(done and width > 0 and height > 0 for _, done, width, height in images), images
    assert {alt for alt, *_ in images} >= {"loss curves and D's outputs", "gradient norms, layer by time",
                                          "samples_epoch_000.png", "samples_epoch_002.png", "FID by epoch"}
    titles = [title for title, *_ in sections]
    assert titles == ["Settings", "Losses and D's outputs", "Gradient norms, layer by time", "Update-to-weight ratios",
                      "The gradient G's images get", "Activations", "Spectral norm", "Samples by epoch", "Scores"]
    assert all(pictures or length > len(title) + 20 for title, length, pictures in sections), sections  # none empty
    assert fetched == [] and console == [], (fetched, console)
    import io

    import matplotlib.image as mpimg

    pixels = mpimg.imread(io.BytesIO(screenshot), format="png")
    assert pixels.std() > 0.05  # the window shows a page, not a blank
    assert np.mean(pixels[..., :3] < 0.5) > 0.01  # with ink on it
