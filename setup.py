"""Build hook: compile the gettext catalogs (locales/*/LC_MESSAGES/kiosk.po -> .mo) and
ship them with the example configs inside the package, so an installed `kiosk` finds
them without the source tree. Compiled catalogs are never committed."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def compile_catalogs(target: Path) -> list[Path]:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted((ROOT / "locales").glob("*/LC_MESSAGES/kiosk.po")):
        lang = po.parent.parent.name
        mo = target / lang / "LC_MESSAGES" / "kiosk.mo"
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source:
            catalog = read_po(source, locale=lang)
        with mo.open("wb") as out:
            write_mo(out, catalog)
        written.append(mo)
    return written


class BuildWithCatalogs(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            # editable install: compile beside the .po files; i18n looks there too
            compile_catalogs(ROOT / "locales")
            return
        package = Path(self.build_lib) / "kiosk"
        compile_catalogs(package / "locales")
        configs = package / "config"
        configs.mkdir(parents=True, exist_ok=True)
        for toml in (ROOT / "config").glob("*.toml"):
            (configs / toml.name).write_bytes(toml.read_bytes())


setup(cmdclass={"build_py": BuildWithCatalogs})
