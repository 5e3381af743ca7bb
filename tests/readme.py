"""The README's sections, for the checks that compare what it says about the
firmware with what the code does: one reader of its headings."""
import re

from firmware_paths import ROOT

README = ROOT / 'README.md'


def section(heading):
    """The text under `heading` (a whole heading line, '### Sizes') up to
    the next heading of its level or above; code blocks are skipped over,
    since a comment line in them looks like a heading."""
    lines = README.read_text().split('\n')
    assert lines.count(heading) == 1, \
        'README.md should have one heading {!r}, it has {}'.format(
            heading, lines.count(heading))
    level = len(heading) - len(heading.lstrip('#'))
    end = re.compile('#{1,%d} ' % level)
    found, in_code = [], False
    for line in lines[lines.index(heading) + 1:]:
        if line.startswith('```'):
            in_code = not in_code
        elif not in_code and end.match(line):
            break
        found.append(line)
    return '\n'.join(found)
