"""Server-side SVG charts: no script, no CDN, nothing to download.

Each chart is a <figure> holding an SVG with <title> and <desc> (what a screen reader says),
a legend in HTML, and the same numbers as a table, so it reads on a phone, in print and
without sight. Series differ by shape and pattern as well as colour (bars against a dashed
line; a hatched segment), which keeps them apart in grey print and for colour-blind eyes.
"""

from datetime import date

from markupsafe import Markup, escape

WIDTH = 480
FONT = 12
INK, GRID, MUTED = "#1b2430", "#d7dde3", "#556170"
CREATED, RESOLVED = "#0072b2", "#d55e00"  # Okabe-Ito blue and vermillion
STATUS_STYLE = {
    "new": ("New", "#0072b2", "#fff"),
    "open": ("Open", "#009e73", INK),
    "pending_customer": ("Waiting for customer", "#e69f00", INK),
}


def created_vs_resolved(chart_id: str, daily: list[dict], link=None) -> Markup:
    """Tickets created (bars) and resolved (line) per day; link(day, series) -> URL."""
    left, top, height, bottom = 36, 10, 170, 34
    plot_w = WIDTH - left - 10
    peak = max([1] + [max(d["created"], d["resolved"]) for d in daily])
    step, y_max = _ticks(peak)
    slot = plot_w / max(len(daily), 1)

    def y(value):
        return top + height - height * value / y_max

    parts = _y_axis(left, WIDTH - 10, step, y_max, y)
    for i, day in enumerate(daily):
        bar_w = max(slot * 0.6, 1)
        x = left + i * slot + (slot - bar_w) / 2
        parts.append(
            _link(
                link and link(day["day"], "created"),
                _rect(
                    x,
                    y(day["created"]),
                    bar_w,
                    top + height - y(day["created"]),
                    CREATED,
                    f"{_day(day['day'])}: {day['created']} created",
                ),
            )
        )
    points = [(left + (i + 0.5) * slot, y(d["resolved"])) for i, d in enumerate(daily)]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{RESOLVED}" '
            'stroke-width="2.5" stroke-dasharray="6 3" stroke-linejoin="round"/>'
        )
    for (x, yy), day in zip(points, daily, strict=True):
        parts.append(
            _link(
                link and link(day["day"], "resolved"),
                _rect(
                    x - 3.5,
                    yy - 3.5,
                    7,
                    7,
                    RESOLVED,
                    f"{_day(day['day'])}: {day['resolved']} resolved",
                    stroke="#fff",
                ),
            )
        )
    parts += _x_labels([_day(d["day"]) for d in daily], left, slot, top + height + 16)
    total_created = sum(d["created"] for d in daily)
    total_resolved = sum(d["resolved"] for d in daily)
    span = f"{_day(daily[0]['day'])} to {_day(daily[-1]['day'])}" if daily else "no days"
    description = (
        f"From {span}: {total_created} tickets created (bars) and "
        f"{total_resolved} resolved (dashed line), per day."
    )
    legend = [("bar", "Created", CREATED), ("line", "Resolved", RESOLVED)]
    table = _table(
        ["Day", "Created", "Resolved"],
        [
            [
                _day(d["day"]),
                (d["created"], link and link(d["day"], "created")),
                (d["resolved"], link and link(d["day"], "resolved")),
            ]
            for d in daily
        ],
    )
    return _figure(
        chart_id,
        "Tickets created and resolved per day",
        description,
        top + height + bottom,
        parts,
        legend,
        table,
    )


def backlog_by_age(chart_id: str, buckets: list[dict], link=None) -> Markup:
    """Open tickets by age (one bar each), stacked by status; link(bucket, status) -> URL."""
    label_w, row_h, top = 92, 34, 8
    plot_w = WIDTH - label_w - 40
    peak = max([1] + [b["total"] for b in buckets])
    parts = []
    for row, bucket in enumerate(buckets):
        y, x = top + row * row_h, label_w
        parts.append(_text(label_w - 6, y + 17, bucket["label"], anchor="end"))
        for status, (name, colour, ink) in STATUS_STYLE.items():
            count = bucket[status]
            width = plot_w * count / peak
            if not count:
                continue
            fill = f"url(#{chart_id}-hatch)" if status == "pending_customer" else colour
            segment = [
                _rect(
                    x,
                    y + 4,
                    width,
                    row_h - 10,
                    fill,
                    f"{bucket['label']}: {count} {name.lower()}",
                    stroke="#fff",
                )
            ]
            if width >= 18:
                segment.append(
                    _text(
                        x + width / 2, y + 21, str(count), anchor="middle", fill=ink, weight="700"
                    )
                )
            parts.append(_link(link and link(bucket["bucket"], status), "".join(segment)))
            x += width
        parts.append(_text(x + 6, y + 21, str(bucket["total"]), fill=MUTED))
    hatch = (
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="{STATUS_STYLE["pending_customer"][1]}"/>'
        f'<rect width="2" height="6" fill="{INK}" opacity=".35"/></pattern></defs>'
    )
    total = sum(b["total"] for b in buckets)
    description = (
        f"{total} open tickets by age: "
        + "; ".join(f"{b['label'].lower()} {b['total']}" for b in buckets)
        + "."
    )
    legend = [
        ("hatch" if status == "pending_customer" else "box", name, colour)
        for status, (name, colour, _) in STATUS_STYLE.items()
    ]
    table = _table(
        ["Age", *(name for name, _, _ in STATUS_STYLE.values()), "Total"],
        [
            [
                b["label"],
                *((b[s], link and link(b["bucket"], s)) for s in STATUS_STYLE),
                (b["total"], link and link(b["bucket"], "")),
            ]
            for b in buckets
        ],
    )
    return _figure(
        chart_id,
        "Open tickets by age and status",
        description,
        top + len(buckets) * row_h + 6,
        [hatch, *parts],
        legend,
        table,
    )


def _figure(chart_id, title, description, height, parts, legend, table) -> Markup:
    # An image hides its children; a chart whose bars are links is a group of links.
    role = "group" if any(part.startswith("<a ") for part in parts) else "img"
    svg = (
        f'<svg viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" '
        f'role="{role}" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="system-ui, sans-serif" font-size="{FONT}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>{"".join(parts)}</svg>'
    )
    keys = "".join(
        f"<li>{_swatch(kind, colour)} {escape(name)}</li>" for kind, name, colour in legend
    )
    return Markup(
        f'<figure class="chart" id="{chart_id}"><figcaption>{escape(title)}'
        f'</figcaption><div class="chart-frame">{svg}</div>'
        f'<ul class="chart-legend">{keys}</ul><details class="chart-data">'
        f'<summary>The numbers</summary><div class="table-wrap">{table}</div></details>'
        "</figure>"
    )


def _ticks(peak: int) -> tuple[int, int]:
    """A round step giving 2-5 gridlines, and the axis maximum (a multiple of it)."""
    step = 1
    while peak / step > 5:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if peak / step <= 5:
                break
    return step, step * -(-peak // step)


def _y_axis(left, right, step, y_max, y) -> list[str]:
    lines = []
    for value in range(0, y_max + 1, step):
        lines.append(
            f'<line x1="{left}" x2="{right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        lines.append(_text(left - 6, y(value) + 4, str(value), anchor="end", fill=MUTED))
    return lines


def _x_labels(labels: list[str], left: float, slot: float, y: float) -> list[str]:
    every = max(1, -(-len(labels) // 7))  # at most about seven labels fit
    return [
        _text(left + (i + 0.5) * slot, y, label, anchor="middle", fill=MUTED)
        for i, label in enumerate(labels)
        if i % every == 0
    ]


def _rect(x, y, width, height, fill, title, stroke="none") -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" '
        f'height="{max(height, 0):.1f}" fill="{fill}" stroke="{stroke}" stroke-width="1">'
        f"<title>{escape(title)}</title></rect>"
    )


def _text(x, y, text, *, anchor="start", fill=INK, weight="400") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" '
        f'font-weight="{weight}">{escape(text)}</text>'
    )


def _link(url: str | None, inner: str) -> str:
    return f'<a href="{escape(url)}">{inner}</a>' if url else inner


def _swatch(kind: str, colour: str) -> str:
    shape = f'<rect x="2" y="1" width="14" height="12" fill="{colour}"/>'
    if kind == "line":
        shape = (
            f'<line x1="1" x2="17" y1="7" y2="7" stroke="{colour}" stroke-width="2.5" '
            'stroke-dasharray="5 2"/>'
        )
    elif kind == "hatch":
        shape += "".join(
            f'<line x1="{x}" y1="13" x2="{x + 6}" y2="1" stroke="{INK}" '
            'stroke-opacity=".35" stroke-width="1.5"/>'
            for x in (0, 5, 10)
        )
    return f'<svg class="swatch" viewBox="0 0 18 14" width="18" height="14" aria-hidden="true">{shape}</svg>'


def _table(header: list[str], rows: list[list]) -> str:
    head = "".join(
        f'<th scope="col"{" class=num" if i else ""}>{escape(h)}</th>' for i, h in enumerate(header)
    )
    body = "".join(
        "<tr>" + "".join(_cell(i, cell) for i, cell in enumerate(row)) + "</tr>" for row in rows
    )
    return f'<table class="no-stack"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cell(index: int, cell) -> str:
    if index == 0:
        return f'<th scope="row">{escape(cell)}</th>'
    value, url = cell
    inner = f'<a href="{escape(url)}">{value}</a>' if url else str(value)
    return f'<td class="num">{inner}</td>'


def _day(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d %b").lstrip("0")
