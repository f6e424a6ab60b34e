"""The reports in a real browser (headless Chromium, Debian's ``chromium`` package): nothing wider
than the window at a desktop width (1280 px) or a phone's (390 px), every figure described."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

# The report goes into a frame of the width under test (headless Chromium will not make its own
# window narrower than 500 px, but a frame can be any width, and its media queries follow it).
# A `srcdoc` frame is same-origin with its page, so the page's script measures inside it: after
# everything has loaded, it opens every folded section and measures every element against the
# frame's width. The report itself carries no script.
PAGE = """<!doctype html><html><body style="margin:0">
<iframe id="report" style="border:0" width="{width}" height="2000" srcdoc="{report}"></iframe>
<script>
window.addEventListener('load', function () {{
  var win = document.getElementById('report').contentWindow, doc = win.document;
  doc.querySelectorAll('details').forEach(function (d) {{ d.open = true; }});
  var width = win.innerWidth, wide = [], scrolls = [], alts = [];
  doc.querySelectorAll('body *').forEach(function (e) {{
    var box = e.getBoundingClientRect();
    var what = e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + (e.textContent || '').slice(0, 40);
    if (box.width > 0 && (box.left < -0.5 || box.right > width + 0.5)) wide.push(what + ' [' + Math.round(box.left) + ', ' + Math.round(box.right) + ']');
    var overflow = win.getComputedStyle(e).overflowX;
    if ((overflow === 'auto' || overflow === 'scroll') && e.scrollWidth > e.clientWidth + 1) scrolls.push(what);
  }});
  doc.querySelectorAll('img').forEach(function (img) {{ alts.push(img.getAttribute('alt') || ''); }});
  var out = document.createElement('pre');
  out.id = 'layout-probe';
  out.textContent = JSON.stringify({{width: width, page: doc.documentElement.scrollWidth, wide: wide, scrolls: scrolls,
                                     alts: alts, details: doc.querySelectorAll('details').length}});
  document.body.appendChild(out);
}});
</script></body></html>"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("headless Chromium is needed to render the HTML report: install Debian's chromium "
                "(apt-get install chromium) so that `chromium` is on PATH.")


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.iterdir()))}"
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--hide-scrollbars", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


def measure(report: Path, width: int, tmp_path: Path) -> dict:
    """The probe's measurements of ``report`` in a window ``width`` pixels wide."""
    probed = tmp_path / f"probe-{width}-{report.stem}.html"
    probed.write_text(PAGE.format(width=width, report=html.escape(report.read_text(encoding="utf-8"), quote=True)), encoding="utf-8")
    done = run_chromium(tmp_path, "--dump-dom", "--window-size=1400,2000", probed.resolve().as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r"<pre id=\"layout-probe\">(.*?)</pre>", done.stdout, re.S)
    assert found, "the probe did not run: " + done.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("width", [1280, 390])
def test_nothing_is_wider_than_the_window(width, with_extras, multi_output, two_losses, suite_report, tmp_path):
    for report in (with_extras[2], multi_output[1], two_losses[1], suite_report[1]):
        seen = measure(report, width, tmp_path)
        assert seen["width"] == width  # the window is the size asked for
        assert seen["details"] >= 2  # the folded sections were opened, so their tables count too
        assert seen["page"] <= width, f"{report.name} scrolls sideways at {width} px"
        assert seen["wide"] == [], f"{report.name} at {width} px: wider than the window: {seen['wide'][:5]}"
        assert seen["scrolls"] == [], f"{report.name} at {width} px: scrolls inside: {seen['scrolls'][:5]}"
        assert seen["alts"] and all(alt.strip() for alt in seen["alts"])


def test_chromium_draws_the_report(three_losses, tmp_path):
    _, path = three_losses
    shot = tmp_path / "report.png"
    done = run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,3000", path.resolve().as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 3000)
    pixels = np.asarray(image)
    # Not a blank page: text, tables and plots put many colours on a good share of it.
    assert (pixels.min(axis=2) < 200).mean() > 0.02
    colours = pixels.astype(np.int64) @ np.array([1 << 16, 1 << 8, 1])
    assert len(np.unique(colours)) > 500
