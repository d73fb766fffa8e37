"""The README documents every setting Vigie reads."""

from __future__ import annotations

import re

from django.conf import settings


def test_every_environment_variable_is_in_the_readme():
    source = (settings.BASE_DIR / "config" / "settings.py").read_text()
    readme = (settings.BASE_DIR / "README.md").read_text()
    names = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', source))
    assert len(names) > 20
    missing = {n for n in names if n not in readme}
    assert not missing
