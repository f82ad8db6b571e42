"""Render the Summary sheet of the bundled baseline's result to docs/summary.png (LibreOffice + pdftoppm).

    python docs/render_summary.py

The whole result workbook is converted to PDF as LibreOffice prints it; Summary is its first page.
"""
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent

with tempfile.TemporaryDirectory() as tmp:
    tmp = Path(tmp)
    subprocess.run([sys.executable, "-m", "planner", "solve", "-o", str(tmp / "result.xlsx")], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp), str(tmp / "result.xlsx")],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(tmp / "result.pdf"),
                    str(DOCS / "summary")], check=True)
print(DOCS / "summary.png")
