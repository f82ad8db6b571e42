"""Render two study charts of the bundled baseline as LibreOffice prints them (LibreOffice + poppler-utils):

    python docs/render_studies.py

docs/sweep.png: the optimal cost against the approval rate of every China licence, traced exactly, with
its breakpoints marked (`reeplan sweep … --exact`); docs/sizing.png: the sizing curve of the first stock row
the stockpile study enlarges (`reeplan stockpile`). Each workbook is converted to PDF whole; the chart's
page is found by its title and cropped to the chart, which sits at the top left of its page.
"""
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
BASELINE = DOCS.parent / "inputs" / "baseline"
DPI = 110
CHART_BOX = (30, 40, 710, 365)  # points: left, top, width, height of a chart on its landscape page, with a margin


def reeplan(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "planner", *args, "--quiet"], check=True, stdout=subprocess.DEVNULL)


def chart_page(pdf: Path, title: str) -> int:
    """The 1-based page whose text starts with the chart title `title` (a chart prints on a page of its own)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for number, page in enumerate(text.split("\f"), start=1):
        if re.search(r"\s+page \d+ of \d+", page) and " ".join(page.split()).startswith(title):
            return number
    raise SystemExit(f"no page of {pdf.name} shows a chart titled {title!r}")


def render(pdf: Path, page: int, name: str) -> Path:
    x, y, w, h = (round(v * DPI / 72) for v in CHART_BOX)
    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", str(page), "-l", str(page), "-singlefile",
                    "-x", str(x), "-y", str(y), "-W", str(w), "-H", str(h), str(pdf), str(DOCS / name)], check=True)
    return DOCS / f"{name}.png"


with tempfile.TemporaryDirectory() as tmp:
    tmp = Path(tmp)
    reeplan("sweep", str(BASELINE), "--sheet", "Licences", "--column", "approval_rate", "--values", "0:1:0.05",
            "--source", "China licensed", "--exact", "-o", str(tmp / "sweep.xlsx"))
    reeplan("stockpile", str(BASELINE), "-o", str(tmp / "stockpile.xlsx"), "--json", str(tmp / "stockpile.json"))
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp), str(tmp / "sweep.xlsx"),
                    str(tmp / "stockpile.xlsx")], check=True, stdout=subprocess.DEVNULL)
    sizes = json.loads((tmp / "stockpile.json").read_text())["sizes"]
    enlarged = next((s for s in sizes if s["level_t"] > s["initial_t"]), sizes[0])
    print(render(tmp / "sweep.pdf", chart_page(tmp / "sweep.pdf", "Optimal cost against approval_rate"), "sweep"))
    sizing = f"Sizing {enlarged['stockpile']} / {enlarged['material']}:"
    print(render(tmp / "stockpile.pdf", chart_page(tmp / "stockpile.pdf", sizing), "sizing"))
