"""A dark theme for imaging work: neutral greys (no colour cast on images), one accent, readable text."""

from __future__ import annotations

from PyQt6.QtGui import QColor, QPalette
from PyQt6.QtWidgets import QApplication, QLabel

__all__ = ["apply_dark_theme", "muted_label", "ACCENT", "WARN", "ERROR", "OK", "BG", "PANEL", "TEXT", "MUTED", "STYLE"]

BG = "#141518"
PANEL = "#1c1e22"
RAISED = "#26292e"
BORDER = "#34383f"
TEXT = "#d8dadf"
MUTED = "#8a8f98"
ACCENT = "#3d9be9"
OK = "#4caf6e"
WARN = "#e0a030"
ERROR = "#e05050"

STYLE = f"""
QMainWindow, QDialog {{ background: {BG}; }}
QWidget {{ color: {TEXT}; font-size: 9pt; }}
QDockWidget {{ titlebar-close-icon: none; }}
QDockWidget::title {{ background: {PANEL}; padding: 4px 6px; color: {MUTED}; font-weight: bold; }}
QGroupBox {{ border: 1px solid {BORDER}; border-radius: 4px; margin-top: 14px; padding: 6px 4px 4px 4px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; color: {MUTED};
                    font-weight: bold; text-transform: uppercase; }}
QToolButton, QPushButton {{ background: {RAISED}; border: 1px solid {BORDER}; border-radius: 4px;
                            padding: 3px 8px; min-height: 20px; }}
QToolButton:hover, QPushButton:hover {{ border-color: {ACCENT}; }}
QToolButton:checked, QPushButton:checked {{ background: {ACCENT}; color: white; border-color: {ACCENT}; }}
QToolButton:disabled, QPushButton:disabled {{ color: #555a62; }}
QPushButton#record {{ color: {ERROR}; font-weight: bold; }}
QPushButton#record:checked {{ background: {ERROR}; color: white; border-color: {ERROR}; }}
QComboBox, QSpinBox, QDoubleSpinBox, QLineEdit {{ background: {PANEL}; border: 1px solid {BORDER};
    border-radius: 3px; padding: 2px 4px; min-height: 18px; selection-background-color: {ACCENT}; }}
QComboBox QAbstractItemView {{ background: {PANEL}; selection-background-color: {ACCENT}; }}
QSlider::groove:horizontal {{ height: 4px; background: {BORDER}; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: {ACCENT}; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: {TEXT}; width: 12px; margin: -5px 0; border-radius: 6px; }}
QProgressBar {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 3px; text-align: center;
                min-height: 14px; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 2px; }}
QStatusBar {{ background: {PANEL}; color: {MUTED}; }}
QStatusBar QLabel {{ color: {MUTED}; padding: 0 6px; font-family: monospace; }}
QMenuBar {{ background: {PANEL}; }}
QMenuBar::item:selected, QMenu::item:selected {{ background: {ACCENT}; }}
QMenu {{ background: {PANEL}; border: 1px solid {BORDER}; }}
QLabel#readout {{ font-family: monospace; color: {TEXT}; }}
QLabel#value {{ font-family: monospace; }}
QLabel#muted {{ color: {MUTED}; }}
QLabel#banner {{ color: {MUTED}; font-size: 13pt; }}
QFrame#transport {{ background: {PANEL}; border-top: 1px solid {BORDER}; }}
QCheckBox::indicator {{ width: 13px; height: 13px; }}
"""


def muted_label(text: str = "") -> QLabel:
    """A label in the secondary text colour (object name ``muted``, styled by :data:`STYLE`)."""
    label = QLabel(text)
    label.setObjectName("muted")
    return label


def apply_dark_theme(app: QApplication) -> None:
    """Fusion style with a neutral dark palette and the stylesheet above."""
    app.setStyle("Fusion")
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: BG, QPalette.ColorRole.WindowText: TEXT, QPalette.ColorRole.Base: PANEL,
        QPalette.ColorRole.AlternateBase: RAISED, QPalette.ColorRole.ToolTipBase: PANEL,
        QPalette.ColorRole.ToolTipText: TEXT, QPalette.ColorRole.Text: TEXT, QPalette.ColorRole.Button: RAISED,
        QPalette.ColorRole.ButtonText: TEXT, QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.PlaceholderText: MUTED,
    }
    for role, color in roles.items():
        pal.setColor(role, QColor(color))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#555a62"))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#555a62"))
    app.setPalette(pal)
    app.setStyleSheet(STYLE)
