#!/usr/bin/env python3
"""Draws the soak's samples (the CSV `cargo bench --bench soak -- --out FILE` writes) as one PNG:
one panel per series over elapsed time.

Needs matplotlib: `pip install matplotlib`.

    python3 engine/benches/soak_chart.py soak.csv soak.png [--title "10 min, 120 req/s"]
"""

import argparse
import csv
import sys

# Each panel: a title and the columns it draws (one line each).
PANELS = [
    ("RSS and database (MB)", ["rss_mb", "db_mb"]),
    ("open descriptors", ["fds"]),
    ("working tables (rows)", ["event_queue", "outbox_pending", "timers", "runs_active"]),
    ("history tables (rows)", ["messages", "run_journal", "outbox", "runs_ended", "inbox", "contacts"]),
    ("oldest waiting work (s)", ["queue_age_s", "outbox_age_s", "timer_overdue_s"]),
    ("timer lateness (ms)", ["timer_late_mean_ms", "timer_late_p99_ms"]),
    ("post → next message (ms)", ["p50_ms", "p99_ms"]),
    ("requests per interval", ["requests", "replies", "failed", "skipped"]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("png")
    parser.add_argument("--title", default="Switchboard soak")
    args = parser.parse_args()
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("soak_chart.py needs matplotlib: pip install matplotlib", file=sys.stderr)
        return 2

    with open(args.csv, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        print(f"{args.csv}: no samples", file=sys.stderr)
        return 1
    minutes = [float(r["elapsed_s"]) / 60 for r in rows]

    fig, axes = plt.subplots(4, 2, figsize=(12, 12), sharex=True)
    for ax, (title, columns) in zip(axes.flat, PANELS):
        for column in columns:
            if column not in rows[0]:
                continue
            values = [float(r[column]) for r in rows]
            ax.plot(minutes, values, marker=".", linewidth=1, label=column)
        ax.set_title(title, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.set_ylim(bottom=0)
        if len(columns) > 1:
            ax.legend(fontsize=7, loc="upper left")
    for ax in axes[-1]:
        ax.set_xlabel("minutes")
    fig.suptitle(args.title)
    fig.tight_layout()
    fig.savefig(args.png, dpi=80)
    print(f"wrote {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
