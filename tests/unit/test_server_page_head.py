"""The counter page and the TV board share one HTML head (templates/head.html, included
by both): each page comes out with the whole head, its own script and the direction of
the server's language."""

from __future__ import annotations

import pytest

from kiosk.server.page_texts import BOARD, COUNTER, texts
from kiosk.server.pages import render

HEAD = """<!DOCTYPE html>
<html lang="{lang}" dir="{dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/static/pages.css">
<script type="application/json" id="page-data">{data}</script>
<script src="/static/{page}.js" defer></script>
</head>
<body class="{page}">
"""


@pytest.mark.parametrize("page, words", [("board", BOARD), ("counter", COUNTER)])
@pytest.mark.parametrize("lang, direction", [("de", "ltr"), ("ar", "rtl")])
def test_each_page_has_the_whole_head_with_its_own_script(page, words, lang, direction):
    shown = texts(words, lang)
    html = render(f"{page}.html", {**shown, "title": "A & B"}, lang, {"n": 1})
    head = html[:html.index("<body")]
    data = head.split('id="page-data">')[1].split("</script>")[0]
    expected = HEAD.format(lang=lang, dir=direction, title="A &amp; B", data=data,
                           page=page)
    assert html.startswith(expected)
    assert '"n": 1' in data and html.count("<head>") == 1 and "{{" not in html
