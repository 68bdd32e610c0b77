"""Call-up display: Alpha sign and line protocols, the port supervisor and a pty simulator."""
