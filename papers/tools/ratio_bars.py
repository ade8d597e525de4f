#!/usr/bin/env python3
"""Grouped bar chart (SVG, standard library only) of the ratio column of
interleave.py's Markdown tables: one group per test and pipeline depth, one
bar per server, a line at 1.0 (the baseline).

usage: ratio_bars.py [--title TEXT] OUT.svg LABEL=table.md [LABEL=table.md ...]
"""
import sys

COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"]


def read_table(path):
    rows = []
    for line in open(path):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0] not in ("test", "---") and not cells[0].startswith("-"):
            try:
                rows.append((cells[0], cells[1], float(cells[6])))
            except ValueError:
                pass
    return rows


def main():
    argv = sys.argv[1:]
    title = "Throughput relative to the first server (1.0 = same)"
    if argv[:1] == ["--title"]:
        title, argv = argv[1], argv[2:]
    out, specs = argv[0], argv[1:]
    groups, servers = [], []
    for spec in specs:
        label, path = spec.split("=", 1)
        by_test = {}
        for test, server, ratio in read_table(path):
            by_test.setdefault(test, {})[server] = ratio
            if server not in servers:
                servers.append(server)
        for test, ratios in by_test.items():
            groups.append((f"{test} {label}", ratios))
    top = max([1.2] + [r for _, rs in groups for r in rs.values()]) * 1.1
    bar, gap, left, height, bottom = 14, 24, 60, 320, 60
    width = left + len(groups) * (len(servers) * bar + gap) + 180
    y = lambda r: bottom + height - r / top * height
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + bottom + 70}" font-family="sans-serif" font-size="12">',
           f'<text x="{left}" y="30" font-size="15">{title}</text>']
    for tick in [i / 4 for i in range(int(top * 4) + 1)]:
        svg.append(f'<line x1="{left}" x2="{width - 170}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{left - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:.2f}</text>')
    x = left + gap / 2
    for name, ratios in groups:
        for i, server in enumerate(servers):
            r = ratios.get(server, 0)
            svg.append(f'<rect x="{x + i * bar:.1f}" y="{y(r):.1f}" width="{bar - 2}" height="{y(0) - y(r):.1f}" fill="{COLORS[i % len(COLORS)]}"><title>{server} {name}: {r:.2f}</title></rect>')
        svg.append(f'<text x="{x + len(servers) * bar / 2:.1f}" y="{y(0) + 18:.1f}" text-anchor="middle">{name}</text>')
        x += len(servers) * bar + gap
    svg.append(f'<line x1="{left}" x2="{width - 170}" y1="{y(1):.1f}" y2="{y(1):.1f}" stroke="#000" stroke-dasharray="4 3"/>')
    for i, server in enumerate(servers):
        svg.append(f'<rect x="{width - 150}" y="{bottom + i * 20}" width="12" height="12" fill="{COLORS[i % len(COLORS)]}"/>')
        svg.append(f'<text x="{width - 132}" y="{bottom + i * 20 + 11}">{server}</text>')
    svg.append("</svg>")
    open(out, "w").write("\n".join(svg))


if __name__ == "__main__":
    main()
