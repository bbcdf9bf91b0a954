import xml.etree.ElementTree as ET

from harness.history import History
from harness.report.timeline import MAX_EVENTS, pair, render_svg, worth_drawing

SVG = "{http://www.w3.org/2000/svg}"


def _race() -> History:
    h = History()
    a = h.invoke("p1", "poll", None)
    b = h.invoke("p2", "poll", None)
    h.fault("kill", {"process": "p2", "at": "agt.poll.after_select"})
    h.ok(a, [1])
    h.invoke("p3", "poll", "<script>alert(1)</script>")
    h.info(b, "killed")
    return h


def test_bars_pair_invokes_with_their_completions() -> None:
    bars = pair(_race().ops)
    by_proc = {b.process: b for b in bars}
    assert (by_proc["p1"].start, by_proc["p1"].end) == (0, 3)
    assert by_proc["p2"].done is not None and by_proc["p2"].done.type.value == "info"
    assert by_proc["p3"].done is None  # never completed: drawn to the end, dashed


def test_svg_is_valid_xml_with_one_lane_per_process_and_the_fault() -> None:
    svg = render_svg(_race(), "AGT-2/race/prefix:schedule-1")
    root = ET.fromstring(svg)  # escaped: the hostile value did not break the markup
    lanes = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "lane"]
    assert lanes == ["p1", "p2", "p3", "nemesis"]
    faults = [g for g in root.iter(f"{SVG}g") if g.get("class") == "fault"]
    assert len(faults) == 1 and "kill" in "".join(faults[0].itertext())
    ops = [g for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("op ")]
    assert len(ops) == 3
    assert "<script>" not in svg


def test_long_histories_are_cut_and_say_so() -> None:
    h = History()
    for i in range(MAX_EVENTS + 50):
        h.ok(h.invoke(f"p{i % 3}", "w", i))
    svg = render_svg(h)
    assert f"first {MAX_EVENTS} of {2 * (MAX_EVENTS + 50)} events" in svg


def test_only_race_and_crash_cases_are_drawn() -> None:
    single = History()
    single.ok(single.invoke("p1", "read"))
    assert not worth_drawing(single)
    assert not worth_drawing(None)
    assert worth_drawing(_race())
