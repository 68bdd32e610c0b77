"""Device drivers (printer, call-up display, scanner). Never imports Kivy or services."""
