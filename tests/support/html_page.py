"""Reading the HTML report back as a user sees it: its sections, their table rows as text, and the
resources the page would load. Parsed with the standard library's HTML parser."""
from __future__ import annotations

from html.parser import HTMLParser


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.section: str | None = None
        self.sections: dict[str, dict] = {}
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.tags: list[tuple[str, dict]] = []  # every start tag with its attributes

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "section":
            self.section = attrs.get("id")
            self.sections[self.section] = {"rows": [], "text": []}
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.section:
                self.sections[self.section]["rows"].append(self.row)
            self.row = None
        elif tag == "section":
            self.section = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        if self.section:
            self.sections[self.section]["text"].append(data)


def parse_report(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def section_rows(page: str, section: str) -> list[list[str]]:
    """Every table row (cell texts) of the section with this id."""
    return parse_report(page).sections[section]["rows"]


def section_html(page: str, section: str) -> str:
    """The markup of the section with this id, as written (for the charts in it)."""
    start = page.index(f'<section id="{section}">')
    return page[start:page.index("</section>", start)]


def section_text(page: str, section: str) -> str:
    return " ".join("".join(parse_report(page).sections[section]["text"]).split())


def external_loads(page: str) -> list[str]:
    """What the page would fetch: src/href attributes (other than #anchors), link/script/iframe tags,
    and url()/@import in style."""
    found = []
    for tag, attrs in parse_report(page).tags:
        if tag in ("script", "link", "iframe", "object", "embed", "img", "image", "use"):
            found.append(f"<{tag}>")
        for name in ("src", "href", "xlink:href", "srcset", "data"):
            value = attrs.get(name)
            if value is not None and not value.startswith("#"):
                found.append(f"{tag} {name}={value}")
    lowered = page.lower()
    found += [marker for marker in ("url(", "@import", "http://", "https://") if marker in lowered]
    return found
