"""Colours, symbols and type sizes: a colour-blind-safe palette (Okabe-Ito), never colour alone."""
from __future__ import annotations

from monitor_app.domain.thresholds import LEVEL_SYMBOL, Level

# Okabe-Ito colours, distinguishable with the common colour-vision deficiencies.
BLUE = "#0072B2"
SKY = "#56B4E9"
ORANGE = "#E69F00"
VERMILION = "#D55E00"
GREEN = "#009E73"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
INK = "#1b1f24"
MUTED = "#5f6b7a"
PAPER = "#ffffff"
PANEL = "#f4f6f8"

LEVEL_COLOUR = {Level.WARNING: ORANGE, Level.CRITICAL: VERMILION}
LEVEL_BACKGROUND = {Level.WARNING: "#fde9c4", Level.CRITICAL: "#f9d0bd"}
WARNING_SYMBOL = LEVEL_SYMBOL[Level.WARNING]
CRITICAL_SYMBOL = LEVEL_SYMBOL[Level.CRITICAL]
LATE_SYMBOL = "\u25f7"  # ◷ late entry (a clock face every bundled font has; U+23F1 is in none of them)
AMENDED_SYMBOL = "\u270e"  # ✎ amended
DUE_SYMBOL = "\u25d4"  # ◔ next reading due, and overdue (with the word OVERDUE and its colour)

SERIES = {"systolic": BLUE, "diastolic": BLUE, "heart_rate": VERMILION, "spo2": GREEN, "resp_rate": PURPLE}

BASE_POINT_SIZE = 11
LARGE_POINT_SIZE = 14  # about a quarter larger: the whole session screen still fits 1280x800
