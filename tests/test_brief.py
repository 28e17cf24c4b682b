"""The executive brief: one A4-landscape page with the stage, the headline figures and the fonts embedded."""
import io
import subprocess
import sys

from pypdf import PdfReader

from conftest import ROOT
from queries import brief, metrics, stages, views


def test_brief_is_one_page_with_stage_and_adoption(demo_db, conn):
    pdf = brief.build_brief(conn, "2026-10")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
    text = page.extract_text()
    placement = stages.evaluate(conn, "2026-10")
    assert placement.stage_name in text
    adoption = metrics.org_month(conn, "2026-10")["adoption_rate"]
    assert f"{adoption * 100:.0f}%" in text
    assert "October 2026" in text and "Filters: none" in text and "Last data refresh" in text
    assert "Top actions to reach stage" in text


def test_brief_embeds_its_fonts(demo_db, conn):
    pdf = brief.build_brief(conn, "2026-10", metrics.Filters(departments=("Legal",)))
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for ref in fonts.values():
        font = ref.get_object()
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, font["/BaseFont"]
    assert "department Legal" in reader.pages[0].extract_text()


def test_cli_writes_the_brief(demo_db, tmp_path):
    out = tmp_path / "brief.pdf"
    done = subprocess.run([sys.executable, "-m", "queries", "brief", "--month", "2026-10", "--out", str(out),
                           "--db", demo_db], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(PdfReader(str(out)).pages) == 1
    done = subprocess.run([sys.executable, "-m", "queries", "brief", "--month", "2019-01", "--out", str(out),
                           "--db", demo_db], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "no data for 2019-01" in done.stderr and "Traceback" not in done.stderr


def test_the_brief_renders_an_overview_model_without_a_warehouse():
    """brief.render takes the Overview's model and the edition's plain data: no connection."""
    month = metrics.as_month("2026-10")
    rubric = stages.load()
    placement = stages.place(month, rubric, {}, {})  # nothing measured: not started, every criterion no data
    summary = views.StageSummary("Stage 0 of 6: not started", "", None, None, views.not_started_ladder(rubric), None,
                                 placement)
    rates = (views.Tile("Adoption", "42%", "+3 pts"), views.Tile("Contribution", "12%"))
    model = views.Overview(month, metrics.previous_month(month), None, summary, "Adoption is 42%.", "",
                           rates, (views.Tile("Headcount", "1,200"),))
    scope = views.scope_for([metrics.previous_month(month), month], month)
    pdf = brief.render(model, brief.Edition(scope, None, None))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Stage 0 of 6" in text and "42%" in text and "1,200" in text and "No uploads yet" in text
    assert "Top actions to reach stage 1" in text
