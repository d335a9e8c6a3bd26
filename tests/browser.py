"""Headless Chromium, shared by the browser tests and `make screenshots` (which photographs the
committed report pages into reports/screenshots/ so that a reader of the repository sees them).

Usage: python tests/browser.py PAGE.html OUT.png [WIDTH [HEIGHT]]
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome", "chrome")
                 if shutil.which(b)), None)
# Chromium's own background services (updates, time, dictionaries), not the page's requests.
BROWSER_HOSTS = ("google.com", "googleapis.com", "gvt1.com", "gstatic.com", "googleusercontent.com")


def flags(profile: Path) -> list[str]:
    """A headless Chromium that runs as root, starts no background service and keeps its profile
    in `profile` (a fresh folder per call: no state between tests)."""
    if CHROMIUM is None:
        raise RuntimeError("headless Chromium is not installed (Debian: apt-get install chromium)")
    return [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
            f"--user-data-dir={profile}"]


def screenshot(page: Path, out: Path, width: int = 1400, height: int = 1800) -> Path:
    """A PNG of the page's first `height` pixels at a `width`-pixel window, written to `out`
    through a temporary file (no half-written image)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        shot = Path(tmp) / "shot.png"
        subprocess.run(flags(Path(tmp) / "profile") + [f"--screenshot={shot}", f"--window-size={width},{height}",
                                                       "--virtual-time-budget=5000", Path(page).resolve().as_uri()],
                       capture_output=True, timeout=180, check=True)
        if not shot.is_file() or shot.stat().st_size == 0:
            raise RuntimeError(f"{page}: Chromium wrote no screenshot")
        staged = out.with_name(f".{out.name}.tmp")
        shutil.copyfile(shot, staged)
        staged.replace(out)
    return out


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4, 5):
        sys.exit(__doc__.strip().splitlines()[-1])
    size = [int(v) for v in sys.argv[3:]]
    print(screenshot(Path(sys.argv[1]), Path(sys.argv[2]), *size))
