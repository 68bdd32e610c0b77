"""Where bookings come from: the embedded store (CSV import) or a booking system over HTTP."""
