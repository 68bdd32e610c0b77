"""A synthetic finger for the demo walk-through and the UI tests: a touch that goes
through Kivy's real input dispatch. (kivy.tests.UnitTestTouch does the same but imports
pytest, which an installed kiosk does not have.)"""

from __future__ import annotations

from kivy.base import EventLoop
from kivy.input.motionevent import MotionEvent


class SyntheticTouch(MotionEvent):
    _next_id = 0

    def __init__(self, x: float, y: float) -> None:
        window = EventLoop.window
        SyntheticTouch._next_id += 1
        super().__init__("kiosk-synthetic", SyntheticTouch._next_id,
                         {"x": x / (window.width - 1.0), "y": y / (window.height - 1.0)},
                         is_touch=True, type_id="touch")
        self.profile = ["pos"]

    def depack(self, args) -> None:
        self.sx, self.sy = args["x"], args["y"]
        super().depack(args)

    def touch_down(self) -> None:
        EventLoop.post_dispatch_input("begin", self)

    def touch_up(self) -> None:
        EventLoop.post_dispatch_input("end", self)
