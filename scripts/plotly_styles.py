"""Write the style rules plotly.js injects at run time into a stylesheet of our own.

The pages' Content-Security-Policy forbids inline styles, so plotly.js must not add its
``<style>`` elements; it skips them when the page already has an element of the same id
marked ``no-inline-styles``. This script lets plotly.js draw a chart in Chromium on a
blank page, reads back the rules it injected, and writes them to
``src/govops/web/static/plotly.css`` with the ids the pages must declare. Run it again
after upgrading the ``plotly`` package:

    python3 scripts/plotly_styles.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly
from playwright.sync_api import sync_playwright

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
TARGET = Path(__file__).resolve().parents[1] / "src" / "govops" / "web" / "static"
READ_RULES = """() => Array.from(document.querySelectorAll('style')).map(s => ({
    id: s.id, rules: Array.from(s.sheet.cssRules).map(r => r.cssText)
}))"""


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.set_content("<div id='chart'></div>")
        page.add_script_tag(path=str(PLOTLY_JS))
        page.evaluate("Plotly.newPlot('chart', [{y: [1, 2, 3]}])")
        sheets = page.evaluate(READ_RULES)
        browser.close()
    ids = [sheet["id"] for sheet in sheets if sheet["id"]]
    # The rules of maplibre (map traces) are in another injected element, not needed by
    # the charts and geographic maps the pages draw; its id is declared all the same.
    ids += [i for i in re.findall(r'getElementById\("([0-9a-f]{64})"\)', PLOTLY_JS.read_text())]
    # The pages draw no tile maps: maplibre's rules (80 KB, mostly inline images) stay out.
    css = "\n".join(
        rule for sheet in sheets for rule in reversed(sheet["rules"]) if "maplibregl" not in rule
    )
    header = f"/* Written by scripts/plotly_styles.py from plotly {plotly.__version__}. */\n"
    (TARGET / "plotly.css").write_text(header + css + "\n", encoding="utf-8")
    (TARGET / "plotly-style-ids.json").write_text(json.dumps(sorted(set(ids))) + "\n")
    print(f"{len(css.splitlines())} rules; ids {sorted(set(ids))}")


if __name__ == "__main__":
    main()
