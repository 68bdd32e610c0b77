"""QR/barcode scanners: serial (CDC-ACM) and USB-HID keyboard mode, with payload validation."""
