"""Render the Summary sheet of the bundled example's result to docs/summary.png (LibreOffice + pdftoppm).

    python docs/render_summary.py
"""
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

DOCS = Path(__file__).resolve().parent

with tempfile.TemporaryDirectory() as tmp:
    tmp = Path(tmp)
    subprocess.run([sys.executable, "-m", "planner", "solve", "-o", str(tmp / "result.xlsx")], check=True,
                   stdout=subprocess.DEVNULL)
    wb = openpyxl.load_workbook(tmp / "result.xlsx")
    for name in wb.sheetnames:
        if name != "Summary":
            del wb[name]
    wb.save(tmp / "summary.xlsx")
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp), str(tmp / "summary.xlsx")],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-singlefile", str(tmp / "summary.pdf"), str(DOCS / "summary")],
                   check=True)
print(DOCS / "summary.png")
