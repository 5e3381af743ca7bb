"""Dynamic URL segments ('/users/<int:id>'): compiled into one regular
expression when a route with one is added, so apps with static URLs only
never load this module, nor `re`."""
import re


def escape(text):
    for char in '\\.^$*+?()[]{}|':
        if char in text:
            text = text.replace(char, '\\' + char)
    return text


def count_groups(pattern):
    """Capturing groups in a user's regular expression, so that the groups
    of the segments after it are still found by number."""
    count = 0
    for i, char in enumerate(pattern):
        if char == '(' and (i == 0 or pattern[i - 1] != '\\') and \
                pattern[i + 1:i + 2] != '?':
            count += 1
    return count


def compile_segments(url_pattern, text):
    """The regular expression for the URL `text`, and its segments as
    (name, parser, group number); the segment types are those of the
    URLPattern `url_pattern`."""
    regex = '^'
    segments = []
    group = 1
    end = 0
    while True:
        start = text.find('<', end)
        if start < 0:
            break
        regex += escape(text[end:start])
        end = text.find('>', start) + 1
        if end == 0:
            raise ValueError('unclosed "<" in URL pattern ' + text)
        kind, _, name = text[start + 1:end - 1].rpartition(':')
        if kind.startswith('re:'):
            pattern = kind[3:]
            parser = None
        else:
            kind = kind or 'string'
            if kind not in url_pattern.segment_patterns:
                raise ValueError('unknown URL segment type "' + kind +
                                 '" in ' + text)
            pattern = url_pattern.segment_patterns[kind]
            parser = url_pattern.segment_parsers.get(kind)
        regex += '(' + pattern + ')'
        segments.append((name, parser, group))
        group += 1 + count_groups(pattern)
    return re.compile(regex + escape(text[end:]) + '$'), segments
