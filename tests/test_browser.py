"""The Snakemake HTML report of a smoke run, opened in headless Chromium as a reader would
open it: the report is a JavaScript app, so the test waits for it to render, then walks its
menu like a reader (every result category, each of its folders where it has several, every
result's viewer) and checks that every figure
of the run is shown with its own content and that the Claims section lists every data set's
claims report with its caption. A screenshot of the rendered claims section is saved under the
test's temporary directory.

Needs Chromium (Debian's `chromium`; `chromium-browser` or `google-chrome` also do); when it
is missing the test installs it with apt-get (root). Without root or apt the test FAILS
loudly; SEPARABILITY_SKIP_BROWSER=1 skips it instead.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PACKAGE = "chromium"
RENDER_BUDGET_MS = 60_000  # virtual time: the page's timers run as fast as the CPU allows
RENDER_TIMEOUT_S = 300

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Injected into a copy of the report: walks the menu as a reader would and writes what it saw
# as JSON into <pre id="render-check"> (read back from --dump-dom). It ends on the Claims
# section with its caption open, which is what the screenshot shows.
WALK_REPORT = r"""
<script>
(async () => {
  const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
  const link = text => [...document.querySelectorAll("a")].find(a => a.textContent.trim() === text);
  const seen = {categories: [], rows: {}, viewers: {}, links: {}, caption: "", error: null};
  const rows = () => [...document.querySelectorAll("tr")].filter(tr => tr.querySelector("td"));
  async function open(category, subcategory) {
    if (!link(category)) { link("Results").click(); await sleep(500); }
    link(category).click();
    await sleep(1000);
    if (subcategory !== undefined) { link(subcategory).click(); await sleep(1000); }
  }
  // a category with several subcategories (data sets) opens on a menu of folders
  const folders = category => {
    const names = Object.keys(categories[category]);
    return names.length > 1 ? names : [undefined];
  };
  try {
    for (let i = 0; i < 150 && !link("Workflow"); i++) await sleep(200);
    const header = [...document.querySelectorAll("li")].find(
      li => li.textContent.trim() === "Results");
    for (let li = header.nextElementSibling; li; li = li.nextElementSibling) {
      seen.categories.push(li.textContent.trim());
    }
    for (const category of seen.categories) {
      seen.rows[category] = [];
      for (const subcategory of folders(category)) {
      await open(category, subcategory);
      for (const row of rows()) {
        const name = row.querySelector("td").textContent.trim();
        seen.rows[category].push(name);
        const eye = row.querySelector('a[iconname="eye"]');
        const href = eye.getAttribute("href") || "";
        if (href.startsWith("data:")) { seen.links[name] = href; continue; }
        eye.click();
        await sleep(1000);
        const file = name.split("/").pop();
        const viewer = [...document.querySelectorAll("iframe, img, embed, object")].find(
          e => (e.src || e.data || "").includes("filename=" + file + ";"));
        seen.viewers[name] = viewer ? (viewer.src || viewer.data) : null;
      }
      }
    }
    await open("Claims");
    rows()[0].querySelector('a[iconname="information-circle"]').click();
    await sleep(1000);
    seen.caption = document.body.innerText;
  } catch (error) {
    seen.error = String(error);
  }
  const pre = document.createElement("pre");
  pre.id = "render-check";
  pre.textContent = JSON.stringify(seen);
  document.body.appendChild(pre);
})();
</script>
"""


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


@pytest.fixture(scope="session")
def browser() -> str:
    """A Chromium binary; installed with apt-get when missing (root)."""
    if os.environ.get("SEPARABILITY_SKIP_BROWSER") == "1":
        pytest.skip(
            "!!! browser test SKIPPED because SEPARABILITY_SKIP_BROWSER=1: the HTML "
            "report is NOT checked in this run !!!"
        )
    found = find_browser()
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        pytest.fail(
            f"!!! no Chromium ({', '.join(BROWSERS)}) and no way to install it (needs "
            "root and apt-get); install Debian's `chromium`, or set "
            "SEPARABILITY_SKIP_BROWSER=1 to skip knowingly !!!",
            pytrace=False,
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (
        [apt, "-q", "update"],
        [apt, "-q", "-y", "install", "--no-install-recommends", PACKAGE],
    ):
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
        if result.returncode != 0:
            pytest.fail(
                f"`{' '.join(command)}` failed:\n{(result.stdout + result.stderr)[-3000:]}",
                pytrace=False,
            )
    found = find_browser()
    if not found:
        pytest.fail(f"apt-get installed {PACKAGE} but none of {BROWSERS} is on PATH", pytrace=False)
    return found


def headless(browser: str, page: Path, *args: str) -> subprocess.CompletedProcess:
    """Chromium, headless, on ``page`` until the page's virtual time budget is spent."""
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            f"--virtual-time-budget={RENDER_BUDGET_MS}",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=RENDER_TIMEOUT_S,
    )


def data_url_bytes(url: str) -> bytes:
    """The content of a base64 data: URL."""
    return base64.b64decode(url.partition(";base64,")[2])


def test_report_renders_every_figure_and_the_claims(browser, smoke_run, smoke_report, tmp_path):
    report = smoke_report.path.read_text()
    end = report.rindex("</body>")
    page = tmp_path / "report_walk.html"
    page.write_text(report[:end] + WALK_REPORT + report[end:])

    t0 = time.monotonic()
    rendered = headless(browser, page, "--dump-dom")
    seconds = time.monotonic() - t0
    found = re.search(r'<pre id="render-check">(.*?)</pre>', rendered.stdout, re.S)
    assert found, f"the report did not render:\n{rendered.stderr[-3000:]}"
    seen = json.loads(html.unescape(found.group(1)))
    assert seen["error"] is None, seen["error"]

    workdir = smoke_run.path
    figures = sorted(str(path.relative_to(workdir)) for path in workdir.glob("figures/**/*.pdf"))
    datasets = yaml.safe_load((workdir / "tests" / "config.smoke.yaml").read_text())["datasets"]
    assert figures and "Claims" in seen["categories"], seen["categories"]
    for figure in figures:  # every figure of the run, shown in its viewer with its own content
        assert seen["viewers"].get(figure), (figure, sorted(seen["viewers"]))
        assert seen["viewers"][figure].startswith("data:application/pdf")
        assert data_url_bytes(seen["viewers"][figure]) == (workdir / figure).read_bytes(), figure
    claims = [f"results/{dataset}/claims.md" for dataset in datasets]
    assert sorted(seen["rows"]["Claims"]) == claims
    for path in claims:  # the claims report itself, and its caption
        text = data_url_bytes(seen["links"][path]).decode()
        assert text == (workdir / path).read_text() and "## C1" in text and "## C6" in text
    assert f"Claims C1..C6 on {datasets[0]}." in seen["caption"], seen["caption"][-2000:]

    screenshot = tmp_path / "report_claims.png"
    shot = headless(browser, page, f"--screenshot={screenshot}", "--window-size=1400,1000")
    assert screenshot.exists() and screenshot.stat().st_size > 10_000, shot.stderr[-2000:]
    print(f"report rendered and walked in {seconds:.1f} s; screenshot {screenshot}")
