"""The fixed document whose WeasyPrint render time is the baseline P: two A4 pages of headings,
prose and a table, in the fonts the reports use, with no external resources."""

from __future__ import annotations

_ROWS = "\n".join(
    f"<tr><td>Site {n:03d}</td><td>{'Permitting' if n % 3 else 'Construction'}</td>"
    f"<td class='num'>{(n * 37) % 900 + 20} MW</td><td class='num'>{1.1 + (n % 40) / 100:.2f}</td>"
    f"<td class='num'>USD {(n * 7919) % 5000 + 100:,}.00 m</td></tr>"
    for n in range(1, 41)
)

_PARAGRAPH = (
    "<p>This fixed document is the harness's yardstick for PDF rendering. It holds a heading, "
    "a few paragraphs of running text and one table, laid out on A4 pages with running page "
    "numbers, so that a report's render time can be read as a ratio to the time WeasyPrint "
    "needs for two ordinary pages on the same machine in the same run.</p>"
)

DOCUMENT = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Baseline</title>
<style>
  @page {{ size: A4; margin: 20mm 18mm; @bottom-right {{ content: "Page " counter(page); }} }}
  body {{ font-family: "Noto Sans", sans-serif; font-size: 10pt; line-height: 1.4; }}
  h1 {{ font-size: 18pt; margin: 0 0 6mm; }}
  h2 {{ font-size: 13pt; margin: 6mm 0 3mm; }}
  table {{ width: 100%; border-collapse: collapse; }}
  th, td {{ border-bottom: 0.5pt solid #999; padding: 1.5mm 2mm; text-align: left; }}
  td.num {{ text-align: right; }}
</style></head>
<body>
<h1>Baseline document</h1>
{_PARAGRAPH * 3}
<h2>Sites</h2>
<table><thead><tr><th>Site</th><th>Status</th><th>Capacity</th><th>PUE</th><th>Committed</th>
</tr></thead><tbody>
{_ROWS}
</tbody></table>
<h2>Notes</h2>
{_PARAGRAPH * 2}
</body></html>
"""
EXPECTED_PAGES = 2
