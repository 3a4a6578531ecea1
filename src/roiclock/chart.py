"""Pictures of the ROI clock: the portfolio curve as PNG or SVG (matplotlib, no display).

Measured points are solid, projected ones dashed inside their interval band; the break-even
line and the month most marketers measure (the first: 77% of them, LinkedIn 2019) are marked.
Output is deterministic: fixed size, fonts and hash salt, no dates in the file metadata.
"""

from __future__ import annotations

import io
import logging

import numpy as np
import pandas as pd

from .schema import InputError
from .words import method_name

TITLE = "Portfolio ROI by months since launch"
SIZE_INCHES = (8.0, 4.5)
DPI = 100  # 800 x 450 pixels
FORMATS = ("png", "svg")


def _matplotlib():
    # matplotlib reports a config or cache folder it cannot write (a read-only HOME or
    # MPLCONFIGDIR) and the font cache it builds through logging, on stderr: roiclock's
    # stderr is one line per message, so those notes are dropped (it then uses a temporary
    # folder, which it removes at exit)
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.hashsalt": "roiclock", "font.family": "DejaVu Sans",
                                "font.size": 10, "svg.fonttype": "path"})
    import matplotlib.pyplot as plt

    return plt


def figure(points: pd.DataFrame, title: str, confidence: float, method: str | None = None):
    """The matplotlib figure of a projection's curve (:func:`roiclock.projection.curve`);
    ``method`` names the projection in the legend."""
    plt = _matplotlib()
    fig, ax = plt.subplots(figsize=SIZE_INCHES, dpi=DPI)
    months = points["months"].to_numpy()
    measured = points["measured_roi"].to_numpy(dtype="float64") * 100
    projected = points["projected_roi"].to_numpy(dtype="float64") * 100
    low = points["interval_low"].to_numpy(dtype="float64") * 100
    high = points["interval_high"].to_numpy(dtype="float64") * 100
    ax.axhline(0, color="#444444", linewidth=1)
    # labelled at its left end, just right of the first-month line: the legend sits at the
    # lower right, where the label used to be
    ax.annotate("break-even", xy=(months[0], 0), xytext=(4, 2), textcoords="offset points",
                va="bottom", ha="left", color="#444444", gid="break-even")
    ax.fill_between(months, low, high, color="#f28e2b", alpha=0.2, linewidth=0,
                    label=f"{confidence:.0%} interval")
    n_proj = int(points["projected_campaigns"].iloc[0])
    n_meas = int(points["measured_campaigns"].iloc[0])
    how = f" ({method_name(method).removeprefix('the ')})" if method else ""
    ax.plot(months, projected, linestyle="--", color="#f28e2b", marker="o", markersize=3,
            label=f"projected{how}, all {n_proj} campaigns")
    if np.isfinite(measured).any():
        ax.plot(months, measured, linestyle="-", color="#4e79a7", marker="o", markersize=4,
                linewidth=2, label=f"measured, {n_meas} mature campaigns")
    ax.axvline(1, color="#e15759", linestyle=":", linewidth=1.5)
    top = np.nanmax(np.r_[measured, projected, high, 0.0])
    ax.annotate("most marketers\nmeasure here", xy=(1, top), xytext=(1.3, top),
                va="top", color="#e15759")
    ax.set_xlabel("months since launch")
    ax.set_ylabel("ROI (%)")
    ax.set_xticks(months)
    if months.min() == months.max():  # one month: give the axis a width of its own
        ax.set_xlim(months.min() - 1, months.max() + 1)
    ax.set_title(title, loc="left")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig


def drawable(points: pd.DataFrame) -> bool:
    """Whether the curve has a measured or a projected point (else the axes would be blank)."""
    values = points[["measured_roi", "projected_roi"]].to_numpy(dtype="float64")
    return bool(np.isfinite(values).any())


def check_drawable(points: pd.DataFrame, target: int, as_of: pd.Timestamp) -> None:
    """Refuse to draw blank axes: :class:`InputError` (exit 2, as for a backtest with nothing
    to backtest) when the curve has no measured and no projected point, i.e. no paid
    campaign is mature at ``target`` months and none can be projected to it yet."""
    if not drawable(points):
        raise InputError(f"nothing to draw: {nothing_drawn(target, as_of)}; a smaller --target "
                         "or a later --as-of may do")


def nothing_drawn(target: int, as_of: pd.Timestamp) -> str:
    """Why a curve has no point, in words (the chart's refusal, the page's caption)."""
    return (f"no paid campaign is mature at {target} months as of {as_of:%Y-%m-%d}, and "
            f"there is too little history to project one to {target} months")


def image(points: pd.DataFrame, title: str, confidence: float, fmt: str,
          method: str | None = None) -> bytes:
    """PNG or SVG bytes of the ROI curve."""
    if fmt not in FORMATS:
        raise InputError(f"expected {' or '.join(FORMATS)}, got '{fmt}'", option="fmt")
    plt = _matplotlib()
    fig = figure(points, title, confidence, method)
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buffer, format=fmt, metadata=metadata)
    plt.close(fig)
    return buffer.getvalue()
