"""AppTest of steering on the pages: the Data page's initiative and target forms (admins alone set targets)."""
from conftest import app
from test_access import hosted

from queries import initiatives, targets, warehouse


def test_the_data_page_records_an_initiative_as_an_upload(demo_db):
    at = app("app/pages/data.py")
    assert not at.exception
    name = next(t for t in at.text_input if t.label == "Name")
    name.set_value("Champion pilot")
    covered = next(m for m in at.multiselect if m.label == "Departments it covers")
    department = covered.options[0]
    covered.set_value([department])
    next(b for b in at.button if b.label == "Record the initiative").click()
    at.run()
    assert not at.exception, at.exception
    assert any("initiatives" in s.value for s in at.success)
    with warehouse.opened(demo_db) as conn:
        held = initiatives.held(conn)
    assert [(i.name, i.departments) for i in held] == [("Champion pilot", (department,))]
    assert "initiatives" in list(at.dataframe[0].value["Kind"])  # the ledger lists it: undo takes it back


def test_an_initiative_without_a_name_is_refused_and_nothing_is_stored(demo_db):
    at = app("app/pages/data.py")
    next(b for b in at.button if b.label == "Record the initiative").click()
    at.run()
    assert any("Give the initiative a name" in e.value for e in at.error)
    with warehouse.opened(demo_db) as conn:
        assert initiatives.held(conn) == []


def test_only_admins_set_targets(demo_db):
    champion = hosted("ana@comms.example.com", "app/pages/data.py")
    assert not champion.exception
    assert not [b for b in champion.button if b.label == "Set the target"]
    admin = hosted("boss@example.com", "app/pages/data.py")
    next(b for b in admin.button if b.label == "Set the target").click()
    admin.run()
    assert not admin.exception
    with warehouse.opened(demo_db) as conn:
        [target] = targets.held(conn)
    assert (target.metric, target.value, target.department) == ("adoption", 0.6, None)
