"""Keyboard layouts for decoding a USB-HID scanner's key events (German QWERTZ and US).

Key codes are the numeric values of linux/input-event-codes.h, kept here so the
decoder and its tests work without evdev. A scanner types as if it were a
keyboard with the layout configured in its firmware; the same payload therefore
arrives as different key codes from a German and a US scanner.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EV_KEY = 0x01

KEY_ESC, KEY_1, KEY_2, KEY_3, KEY_4, KEY_5 = 1, 2, 3, 4, 5, 6
KEY_6, KEY_7, KEY_8, KEY_9, KEY_0 = 7, 8, 9, 10, 11
KEY_MINUS, KEY_EQUAL, KEY_BACKSPACE, KEY_TAB = 12, 13, 14, 15
KEY_Q, KEY_W, KEY_E, KEY_R, KEY_T, KEY_Y, KEY_U, KEY_I, KEY_O, KEY_P = range(16, 26)
KEY_LEFTBRACE, KEY_RIGHTBRACE, KEY_ENTER, KEY_LEFTCTRL = 26, 27, 28, 29
KEY_A, KEY_S, KEY_D, KEY_F, KEY_G, KEY_H, KEY_J, KEY_K, KEY_L = range(30, 39)
KEY_SEMICOLON, KEY_APOSTROPHE, KEY_GRAVE, KEY_LEFTSHIFT, KEY_BACKSLASH = 39, 40, 41, 42, 43
KEY_Z, KEY_X, KEY_C, KEY_V, KEY_B, KEY_N, KEY_M = range(44, 51)
KEY_COMMA, KEY_DOT, KEY_SLASH, KEY_RIGHTSHIFT, KEY_KPASTERISK = 51, 52, 53, 54, 55
KEY_LEFTALT, KEY_SPACE, KEY_CAPSLOCK, KEY_NUMLOCK = 56, 57, 58, 69
KEY_KP7, KEY_KP8, KEY_KP9, KEY_KPMINUS = 71, 72, 73, 74
KEY_KP4, KEY_KP5, KEY_KP6, KEY_KPPLUS = 75, 76, 77, 78
KEY_KP1, KEY_KP2, KEY_KP3, KEY_KP0, KEY_KPDOT = 79, 80, 81, 82, 83
KEY_102ND = 86
KEY_KPENTER, KEY_RIGHTCTRL, KEY_KPSLASH, KEY_RIGHTALT = 96, 97, 98, 100
KEY_LEFTMETA, KEY_RIGHTMETA = 125, 126

SHIFT_KEYS = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})
CTRL_KEYS = frozenset({KEY_LEFTCTRL, KEY_RIGHTCTRL})
# Keys that change nothing a scanner types; NumLock is assumed on.
IGNORED_KEYS = frozenset({KEY_NUMLOCK, KEY_LEFTMETA, KEY_RIGHTMETA})
END_KEYS = frozenset({KEY_ENTER, KEY_KPENTER})

# Levels in a key's entry: 0 plain, 1 with Shift, 2 with AltGr.
Entry = tuple[str | None, str | None, str | None]

_LETTER_KEYS = {
    "q": KEY_Q, "w": KEY_W, "e": KEY_E, "r": KEY_R, "t": KEY_T, "y": KEY_Y, "u": KEY_U,
    "i": KEY_I, "o": KEY_O, "p": KEY_P, "a": KEY_A, "s": KEY_S, "d": KEY_D, "f": KEY_F,
    "g": KEY_G, "h": KEY_H, "j": KEY_J, "k": KEY_K, "l": KEY_L, "z": KEY_Z, "x": KEY_X,
    "c": KEY_C, "v": KEY_V, "b": KEY_B, "n": KEY_N, "m": KEY_M,
}
_KEYPAD: dict[int, str] = {
    KEY_KP0: "0", KEY_KP1: "1", KEY_KP2: "2", KEY_KP3: "3", KEY_KP4: "4", KEY_KP5: "5",
    KEY_KP6: "6", KEY_KP7: "7", KEY_KP8: "8", KEY_KP9: "9", KEY_KPASTERISK: "*",
    KEY_KPMINUS: "-", KEY_KPPLUS: "+", KEY_KPSLASH: "/",
}
_DIGIT_KEYS = [KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9, KEY_0]


@dataclass(frozen=True)
class Layout:
    name: str
    keys: dict[int, Entry]
    # (key, level) -> spacing accent of a dead key, combined with the next key.
    dead: dict[tuple[int, int], str] = field(default_factory=dict)
    # Keys whose plain/shift pair follows Caps Lock (letters, and umlauts in German).
    caps_keys: frozenset[int] = frozenset()


def _build(name: str, letters: dict[str, int], symbols: dict[int, Entry], keypad_dot: str,
           dead: dict[tuple[int, int], str], extra_caps: frozenset[int] = frozenset()) -> Layout:
    keys: dict[int, Entry] = {code: (ch, ch, None) for code, ch in _KEYPAD.items()}
    keys[KEY_KPDOT] = (keypad_dot, keypad_dot, None)
    keys[KEY_SPACE] = (" ", " ", " ")
    keys[KEY_TAB] = ("\t", "\t", None)
    for letter, code in letters.items():
        keys[code] = (letter, letter.upper(), None)
    keys.update(symbols)
    return Layout(name, keys, dead, frozenset(letters.values()) | extra_caps)


def _digits(shifted: str, altgr: dict[int, str] | None = None) -> dict[int, Entry]:
    altgr = altgr or {}
    return {code: (str((i + 1) % 10), shifted[i], altgr.get(code))
            for i, code in enumerate(_DIGIT_KEYS)}


US = _build(
    "us",
    _LETTER_KEYS,
    {
        **_digits("!@#$%^&*()"),
        KEY_MINUS: ("-", "_", None), KEY_EQUAL: ("=", "+", None),
        KEY_LEFTBRACE: ("[", "{", None), KEY_RIGHTBRACE: ("]", "}", None),
        KEY_SEMICOLON: (";", ":", None), KEY_APOSTROPHE: ("'", '"', None),
        KEY_GRAVE: ("`", "~", None), KEY_BACKSLASH: ("\\", "|", None),
        KEY_COMMA: (",", "<", None), KEY_DOT: (".", ">", None), KEY_SLASH: ("/", "?", None),
        KEY_102ND: ("<", ">", None),
    },
    keypad_dot=".",
    dead={},
)

DE = _build(
    "de",
    # QWERTZ: the keys labelled Y and Z on a US board type z and y.
    {**_LETTER_KEYS, "z": KEY_Y, "y": KEY_Z},
    {
        **_digits('!"§$%&/()=', {KEY_2: "²", KEY_3: "³", KEY_7: "{", KEY_8: "[", KEY_9: "]", KEY_0: "}"}),
        KEY_MINUS: ("ß", "?", "\\"), KEY_EQUAL: (None, None, None),
        KEY_LEFTBRACE: ("ü", "Ü", None), KEY_RIGHTBRACE: ("+", "*", "~"),
        KEY_SEMICOLON: ("ö", "Ö", None), KEY_APOSTROPHE: ("ä", "Ä", None),
        KEY_GRAVE: (None, "°", None), KEY_BACKSLASH: ("#", "'", None),
        KEY_COMMA: (",", ";", None), KEY_DOT: (".", ":", None), KEY_SLASH: ("-", "_", None),
        KEY_102ND: ("<", ">", "|"),
        KEY_Q: ("q", "Q", "@"), KEY_E: ("e", "E", "€"), KEY_M: ("m", "M", "µ"),
    },
    keypad_dot=",",
    dead={(KEY_GRAVE, 0): "^", (KEY_EQUAL, 0): "´", (KEY_EQUAL, 1): "`"},
    extra_caps=frozenset({KEY_LEFTBRACE, KEY_SEMICOLON, KEY_APOSTROPHE}),
)

LAYOUTS: dict[str, Layout] = {"de": DE, "us": US}
