"""The screens of Chairside: the only package that imports PySide6 or pyqtgraph."""
