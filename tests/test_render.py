"""The render layer: everything escaped, one stylesheet, figures outside pyplot; and importing
the apps in a Jupyter kernel leaves the notebook's own plots alone."""

import pandas as pd
import pytest
from jupyter_client.manager import start_new_kernel

from sendlib import render


def test_every_piece_of_text_is_escaped():
    frame = pd.DataFrame({"<b>pupil</b>": ["<script>alert(1)</script>"]})
    html = str(render.table(frame))
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;pupil" in html
    error = str(render.error(ValueError("line one <i>\nline two"), title="A <title>"))
    assert "line one &lt;i&gt;<br>line two" in error and "A &lt;title&gt;" in error
    assert str(render.table(pd.DataFrame())) == str(render.NOTHING)


def test_a_report_page_escapes_its_footer_and_metadata_but_keeps_its_parts():
    page = render.report(["<p>part</p>"], "A & B", "made by <me>", {"sendlib-x": 'a"b'})
    assert "<p>part</p>" in page and "<title>A &amp; B</title>" in page
    assert "made by &lt;me&gt;" in page and 'content="a&#34;b"' in page


def test_a_figure_is_drawn_without_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig, ax = render.new_figure(3, 2)
    ax.plot([0, 1], [1, 0])
    assert render.figure_png(fig).startswith(b"\x89PNG") and plt.get_fignums() == before


@pytest.fixture(scope="module")
def kernel():
    manager, client = start_new_kernel(kernel_name="python3")
    yield client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def run(client, code: str) -> list[dict]:
    """Run ``code`` in the kernel: the contents of its display and result messages."""
    outputs = []
    client.execute_interactive(code, timeout=120, output_hook=lambda message: outputs.append(message))
    errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
    assert not errors, errors
    return [m["content"] for m in outputs if m["msg_type"] in ("display_data", "execute_result", "stream")]


def test_importing_the_apps_in_a_kernel_leaves_the_notebook_plots_inline(kernel):
    backend = run(kernel, "import matplotlib; print(matplotlib.get_backend())")[0]["text"].strip()
    assert "inline" in backend
    run(kernel, "import sendlib, sendlib.notebook, sendlib.apps.senco, sendlib.apps.forecast, sendlib.apps.committee")
    after = run(kernel, "print(matplotlib.get_backend())")[0]["text"].strip()
    assert after == backend
    shown = run(
        kernel,
        "import pandas as pd\n"
        "series = pd.DataFrame({'year': [2022, 2023, 2024], 'count': [10, 12, 13]})\n"
        "forecast = pd.DataFrame({'year': [2025], 'count': [14.0], 'lower_80': [13.0], "
        "'upper_80': [15.0], 'lower_95': [12.0], 'upper_95': [16.0]})\n"
        "sendlib.plot_forecast(series, forecast, label='EHC plans');",
    )
    assert any("image/png" in content.get("data", {}) for content in shown), shown


def test_a_workbook_is_laid_out_to_be_read():
    """Header frozen, columns as wide as they need, decimals to two places (whole numbers
    without), dates as dates: the values themselves kept whole."""
    import io

    import pandas as pd
    from openpyxl import load_workbook

    from sendlib.render import workbook

    frame = pd.DataFrame(
        {
            "school": ["Castle Hill School", "Oak"],
            "cost": [3713.382024482784, 12.5],
            "pupils": [189.0, 7.0],
            "start": pd.to_datetime(["2025-09-08", "2026-01-05"]),
        }
    )
    book = load_workbook(io.BytesIO(workbook({"Costs": frame}, header=["Costs", "Data as of 20 November 2026"])))
    sheet = book["Costs"]
    assert sheet.freeze_panes == "A5"  # two header lines, a blank row, the table's header
    assert sheet["B5"].value == 3713.382024482784 and sheet["B5"].number_format == "#,##0.00"
    assert sheet["C5"].number_format == "General" and sheet["D5"].number_format == "dd mmm yyyy"  # 189, not 189.00
    assert sheet.column_dimensions["A"].width == len("Castle Hill School") + 2
    empty = load_workbook(io.BytesIO(workbook({"Costs": frame.head(0), "Years": pd.DataFrame({"year": [2027, None]})})))
    assert empty["Costs"]["A1"].value == "school" and empty["Years"]["A2"].number_format == "General"  # not 2,027
