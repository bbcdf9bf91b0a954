"""A history drawn as an inline SVG: one lane per process, one bar per operation.

The x axis is the order of events in the history (as in Jepsen's timelines):
an operation's bar runs from its invoke to its completion, so overlapping bars
are operations that raced. Faults (the ``nemesis`` process) are red lines
across every lane at the moment they struck. Everything is escaped: values
come from the system under test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape

from harness.history import NEMESIS, History, Op, OpType

MAX_EVENTS = 300  # beyond this a picture stops being readable; the JSON has the rest
LANE_H = 26
LABEL_W = 110
TOP = 36  # room for two staggered rows of fault labels
STEP_MIN, STEP_MAX, WIDTH_GOAL = 12, 70, 1000

COLOURS = {
    OpType.OK: "#2e7d32",
    OpType.FAIL: "#c62828",
    OpType.INFO: "#ef6c00",
    None: "#757575",  # invoked, never completed: the process died first
}


@dataclass(frozen=True)
class Bar:
    process: str
    start: int  # event slot of the invoke
    end: int  # event slot of the completion (or the last slot: never completed)
    invoke: Op | None
    done: Op | None


def pair(ops: list[Op]) -> list[Bar]:
    """Match each invoke with the next completion of the same process."""
    open_: dict[str, tuple[int, Op]] = {}
    bars: list[Bar] = []
    for slot, op in enumerate(ops):
        if op.process == NEMESIS:
            continue
        if op.type is OpType.INVOKE:
            if op.process in open_:  # a second invoke: the first never completed
                s, inv = open_.pop(op.process)
                bars.append(Bar(op.process, s, slot, inv, None))
            open_[op.process] = (slot, op)
        elif op.process in open_:
            s, inv = open_.pop(op.process)
            bars.append(Bar(op.process, s, slot, inv, op))
        else:  # a completion recorded on its own
            bars.append(Bar(op.process, slot, slot, None, op))
    last = max(len(ops) - 1, 0)
    for process, (s, inv) in open_.items():
        bars.append(Bar(process, s, last, inv, None))
    return sorted(bars, key=lambda b: (b.start, b.process))


def _short(value: object, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tip(bar: Bar) -> str:
    lines = []
    for op in (bar.invoke, bar.done):
        if op is None:
            continue
        line = f"#{op.index} {op.type.value} {op.f} {_short(op.value)} t={op.time_ns / 1e6:.3f} ms"
        if op.error:
            line += f" error: {_short(op.error)}"
        lines.append(line)
    if bar.done is None:
        lines.append("no completion: the process was killed or cut off")
    return "\n".join(lines)


def render_svg(history: History, title: str = "") -> str:
    ops = list(history.ops)
    truncated = len(ops) > MAX_EVENTS
    ops = ops[:MAX_EVENTS]
    processes = sorted({op.process for op in ops if op.process != NEMESIS})
    has_nemesis = any(op.process == NEMESIS for op in ops)
    lanes = processes + ([NEMESIS] if has_nemesis else [])
    if not ops:
        return ""
    step = max(STEP_MIN, min(STEP_MAX, WIDTH_GOAL // max(len(ops), 1)))
    width = max(LABEL_W + step * len(ops) + 20, 640)  # room for the legend
    height = TOP + LANE_H * len(lanes) + 38  # lanes, then the time ticks, then the legend
    y_of = {p: TOP + i * LANE_H for i, p in enumerate(lanes)}

    def x(slot: int) -> int:
        return LABEL_W + slot * step

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="11">',
        f"<title>{escape(title or 'history')}</title>",
    ]
    for i, p in enumerate(lanes):
        y = y_of[p]
        fill = "#f5f5f5" if i % 2 == 0 else "#ffffff"
        out.append(f'<rect x="0" y="{y}" width="{width}" height="{LANE_H}" fill="{fill}"/>')
        out.append(
            f'<text x="4" y="{y + 17}" fill="#212121" class="lane">{escape(_short(p, 16))}</text>'
        )
    for bar in pair(ops):
        colour = COLOURS[bar.done.type if bar.done else None]
        y = y_of[bar.process] + 4
        x0, x1 = x(bar.start), x(bar.end) + step - 2
        dash = ' stroke-dasharray="3,2" stroke="#424242"' if bar.done is None else ""
        named = bar.invoke or bar.done
        f = named.f if named is not None else ""
        out.append(
            f'<g class="op op-{escape(bar.done.type.value if bar.done else "open")}">'
            f"<title>{escape(_tip(bar))}</title>"
            f'<rect x="{x0}" y="{y}" width="{max(x1 - x0, 4)}" height="{LANE_H - 8}" rx="3" '
            f'fill="{colour}" fill-opacity="0.85"{dash}/>'
            f'<text x="{x0 + 3}" y="{y + 13}" fill="#ffffff">{escape(_short(f, max(1, (x1 - x0) // 6)))}</text>'
            "</g>"
        )
    bottom = TOP + LANE_H * len(lanes)
    faults = [(slot, op) for slot, op in enumerate(ops) if op.process == NEMESIS]
    for k, (slot, op) in enumerate(faults):
        cx = x(slot) + step // 2
        label_y = TOP - 8 - 13 * (k % 2)  # alternate rows, so close faults do not overlap
        tip = f"fault #{op.index}: {op.f} {_short(op.value)} t={op.time_ns / 1e6:.3f} ms"
        label = op.f if op.value in (None, "", {}) else f"{op.f} {_short(op.value, 40)}"
        out.append(
            f'<g class="fault"><title>{escape(tip)}</title>'
            f'<line x1="{cx}" y1="{label_y + 4}" x2="{cx}" y2="{bottom}" stroke="#b71c1c" '
            f'stroke-width="2" stroke-dasharray="5,3"/>'
            f'<text x="{cx + 3}" y="{label_y}" fill="#b71c1c">⚡ {escape(label)}</text></g>'
        )
    # When: the time of the first event, of every fault and of the last event.
    t0 = ops[0].time_ns
    ticks = {0, len(ops) - 1} | {i for i, op in enumerate(ops) if op.process == NEMESIS}
    for slot in sorted(ticks):
        ms = (ops[slot].time_ns - t0) / 1e6
        out.append(
            f'<text class="tick" x="{x(slot) + step // 2}" y="{bottom + 12}" fill="#616161" '
            f'text-anchor="middle">{"0" if slot == 0 else f"+{ms:.1f}"} ms</text>'
        )
    note = f" (first {MAX_EVENTS} of {len(history.ops)} events)" if truncated else ""
    out.append(
        f'<text x="{LABEL_W}" y="{height - 6}" fill="#616161">event order →{escape(note)} '
        "· green ok · red fail · orange unknown (info) · dashed: never completed</text>"
    )
    out.append("</svg>")
    return "".join(out)


def worth_drawing(history: History | None) -> bool:
    """Race and crash cases: more than one process, or a fault struck."""
    if history is None or not history.ops:
        return False
    procs = {op.process for op in history.ops}
    return (
        NEMESIS in procs
        or len(procs - {NEMESIS}) > 1
        or any(op.type is OpType.INFO for op in history.ops)
    )
