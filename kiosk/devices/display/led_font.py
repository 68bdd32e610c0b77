"""A 5x7 LED dot font, as on call-up signs: the classic public-domain 5x7 matrix font
(written out here), plus the sign's umlauts, ß and °. Used by the sign simulator's
picture so that "->" reads as an arrow and letters keep their shape."""

from __future__ import annotations

import unicodedata

WIDTH, HEIGHT = 5, 7

# ASCII 0x20-0x7E, five columns each, bit 0 = top row.
_ASCII_COLUMNS = bytes.fromhex(
    "0000000000" "00005f0000" "0007000700" "147f147f14" "242a7f2a12"  # space ! " # $
    "2313086462" "3649552250" "0005030000" "001c224100" "0041221c00"  # % & ' ( )
    "082a1c2a08" "08083e0808" "0050300000" "0808080808" "0060600000"  # * + , - .
    "2010080402" "3e5149453e" "00427f4000" "4261514946" "2141454b31"  # / 0 1 2 3
    "1814127f10" "2745454539" "3c4a494930" "0171090503" "3649494936"  # 4 5 6 7 8
    "064949291e" "0036360000" "0056360000" "0008142241" "1414141414"  # 9 : ; < =
    "4122140800" "0201510906" "324979413e" "7e1111117e" "7f49494936"  # > ? @ A B
    "3e41414122" "7f4141221c" "7f49494941" "7f09090101" "3e41415132"  # C D E F G
    "7f0808087f" "00417f4100" "2040413f01" "7f08142241" "7f40404040"  # H I J K L
    "7f0204027f" "7f0408107f" "3e4141413e" "7f09090906" "3e4151215e"  # M N O P Q
    "7f09192946" "4649494931" "01017f0101" "3f4040403f" "1f2040201f"  # R S T U V
    "7f2018207f" "6314081463" "0304780403" "6151494543" "00007f4141"  # W X Y Z [
    "0204081020" "41417f0000" "0402010204" "4040404040" "0001020400"  # \ ] ^ _ `
    "2054545478" "7f48444438" "3844444420" "384444487f" "3854545418"  # a b c d e
    "087e090102" "081454543c" "7f08040478" "00447d4000" "2040443d00"  # f g h i j
    "007f102844" "00417f4000" "7c04180478" "7c08040478" "3844444438"  # k l m n o
    "7c14141408" "081414187c" "7c08040408" "4854545420" "043f444020"  # p q r s t
    "3c4040207c" "1c2040201c" "3c4030403c" "4428102844" "0c5050503c"  # u v w x y
    "4464544c44" "0008364100" "00007f0000" "0041360800" "0201020402"  # z { | } ~
)

# Characters the sign shows beyond ASCII (its umlauts and the degree sign), row by row.
_EXTRA_ROWS = {
    "Ä": ("#...#", "..#..", ".#.#.", "#...#", "#####", "#...#", "#...#"),
    "Ö": ("#...#", ".###.", "#...#", "#...#", "#...#", "#...#", ".###."),
    "Ü": ("#...#", ".....", "#...#", "#...#", "#...#", "#...#", ".###."),
    "ä": (".#.#.", ".....", ".###.", "....#", ".####", "#...#", ".####"),
    "ö": (".#.#.", ".....", ".###.", "#...#", "#...#", "#...#", ".###."),
    "ü": (".#.#.", ".....", "#...#", "#...#", "#...#", "#..##", ".##.#"),
    "ß": (".##..", "#..#.", "#..#.", "#.#..", "#..#.", "#..#.", "#.##."),
    "°": (".##..", "#..#.", "#..#.", ".##..", ".....", ".....", "....."),
}


def _from_columns(columns: bytes) -> tuple[str, ...]:
    return tuple("".join("#" if columns[x] >> y & 1 else "." for x in range(WIDTH))
                 for y in range(HEIGHT))


GLYPHS: dict[str, tuple[str, ...]] = {
    chr(0x20 + i): _from_columns(_ASCII_COLUMNS[i * WIDTH:(i + 1) * WIDTH])
    for i in range(len(_ASCII_COLUMNS) // WIDTH)
}
GLYPHS.update(_EXTRA_ROWS)


def glyph(ch: str) -> tuple[str, ...]:
    """Seven rows of five dots ('#' lit). An accented letter the font lacks shows its
    base letter (é -> e); anything else a '?', as a sign shows what it cannot map."""
    if ch in GLYPHS:
        return GLYPHS[ch]
    base = unicodedata.normalize("NFD", ch)[:1]
    return GLYPHS.get(base, GLYPHS["?"])
