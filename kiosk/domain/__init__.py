"""Pure rules of the queue: no I/O, no Kivy, no clock reads (time is passed in)."""
