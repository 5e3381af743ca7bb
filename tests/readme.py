"""The README's sections, for the checks that compare what it says with
what the code does: one reader of its headings and of the parts between
<!-- name:start --> and <!-- name:end --> markers (which bench/ rewrites
and the docs include)."""
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / 'README.md'


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


def marked(name):
    """The text between <!-- name:start --> and <!-- name:end -->."""
    text = README.read_text()
    start, end = '<!-- %s:start -->' % name, '<!-- %s:end -->' % name
    assert text.count(start) == 1 and text.count(end) == 1, \
        'README.md should have one {} and one {}'.format(start, end)
    return text[text.index(start) + len(start):text.index(end)]
