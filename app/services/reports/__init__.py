"""PDF reports (ReportLab, imported lazily: it costs ~0.2 s to import)."""
