#!/usr/bin/env python3
"""Draws the adaptive-versus-grid figure of docs/performance.md from `commtune replay --format json`
outputs (schema commtune.replay/1): one point per strategy and recorded group, the cost of the
search (timed iterations relative to the full grid's) against the gap of its choice to the grid's
optimum (median over seeds, with a bar up to the worst seed); hovering a point names its grid. The goal of issue 9 (within 3 % of
the optimum for at most 20 % of the grid's cost) is the shaded corner. Plain SVG, no dependencies.

  scripts/replay_figure.py OUT.svg REPLAY.json [REPLAY.json...]
"""
import json
import sys

COLOURS = {"grid": "#555555", "random": "#1f77b4", "successive_halving": "#d62728"}
WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 720, 440, 70, 50, 30, 200


def load(paths):
    points = []
    for path in paths:
        with open(path) as f:
            document = json.load(f)
        if document.get("schema") != "commtune.replay/1":
            sys.exit(f"{path}: not a commtune.replay/1 document")
        spec = document["spec"].rsplit("/", 1)[-1].removesuffix(".yaml")
        for number, group in enumerate(document["groups"], 1):
            label = f"{spec} group {number} ({group['kernel']}, {group['ranks']} ranks)"
            for s in group.get("strategies", []):
                points.append((label, s))
    return points


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    points = load(sys.argv[2:])
    max_gap = max([0.10] + [s["worst_gap_fraction"] for _, s in points])
    max_gap = min(max_gap * 1.1, 1.0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(cost):
        return LEFT + plot_w * min(cost, 1.05) / 1.05

    def y(gap):
        return TOP + plot_h * (1 - min(gap, max_gap) / max_gap)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">',
           f'<rect x="{x(0)}" y="{y(0.03)}" width="{x(0.2) - x(0)}" height="{y(0) - y(0.03)}" fill="#d9f2d9"/>',
           f'<text x="{x(0) + 4}" y="{y(0.03) - 4}" fill="#2a7a2a">goal: gap &lt;= 3 %, cost &lt;= 20 %</text>',
           f'<line x1="{LEFT}" y1="{y(0)}" x2="{LEFT + plot_w}" y2="{y(0)}" stroke="black"/>',
           f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{y(0)}" stroke="black"/>']
    for tick in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
        out.append(f'<text x="{x(tick)}" y="{y(0) + 16}" text-anchor="middle">{tick * 100:.0f} %</text>')
    steps = 5
    for k in range(steps + 1):
        gap = max_gap * k / steps
        out.append(f'<text x="{LEFT - 6}" y="{y(gap) + 4}" text-anchor="end">{gap * 100:.1f} %</text>')
    out.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 12}" text-anchor="middle">cost: timed iterations / the full grid\'s</text>')
    out.append(f'<text transform="translate(16 {TOP + plot_h / 2}) rotate(-90)" text-anchor="middle">gap of the choice to the optimum (median, bar to worst seed)</text>')
    for label, s in points:
        colour = COLOURS.get(s["strategy"], "black")
        px, py = x(s["median_cost_fraction"]), y(s["median_gap_fraction"])
        out.append(f'<line x1="{px}" y1="{py}" x2="{px}" y2="{y(s["worst_gap_fraction"])}" stroke="{colour}" stroke-width="1"/>')
        out.append(f'<circle cx="{px}" cy="{py}" r="4" fill="{colour}" fill-opacity="0.8"><title>{label}: {s["strategy"]}</title></circle>')
    legend_x = WIDTH - RIGHT + 16
    row = TOP
    for strategy, colour in COLOURS.items():
        out.append(f'<rect x="{legend_x}" y="{row}" width="10" height="10" fill="{colour}"/><text x="{legend_x + 16}" y="{row + 10}">{strategy}</text>')
        row += 18
    out.append(f'<text x="{legend_x}" y="{row + 16}">{len(points) // max(len(COLOURS), 1)} recorded grids,</text>')
    out.append(f'<text x="{legend_x}" y="{row + 32}">one point each</text>')
    out.append("</svg>")
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
