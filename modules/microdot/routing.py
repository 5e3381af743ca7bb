"""URL patterns: '/users/<int:id>' compiled once, matched against paths."""
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


class URLPattern:
    """A route's URL. Static URLs compare as strings; those with dynamic
    segments (<name>, <int:name>, <path:name>, <re:regex:name>, or a type
    added with register_type) compile to one regular expression."""

    segment_patterns = {'string': '[^/]+', 'int': '-?\\d+', 'path': '.+'}
    segment_parsers = {'int': int}

    @classmethod
    def register_type(cls, type_name, pattern='[^/]+', parser=None):
        cls.segment_patterns[type_name] = pattern
        cls.segment_parsers[type_name] = parser

    def __init__(self, url_pattern):
        self.url_pattern = url_pattern
        self.regex = None
        self.segments = []  # (name, parser, group number)
        if '<' not in url_pattern:
            return
        regex = '^'
        group = 1
        end = 0
        while True:
            start = url_pattern.find('<', end)
            if start < 0:
                break
            regex += escape(url_pattern[end:start])
            end = url_pattern.find('>', start) + 1
            if end == 0:
                raise ValueError('unclosed "<" in URL pattern ' + url_pattern)
            spec = url_pattern[start + 1:end - 1]
            kind, _, name = spec.rpartition(':')
            if kind.startswith('re:'):
                pattern = kind[3:]
                parser = None
            else:
                kind = kind or 'string'
                if kind not in self.segment_patterns:
                    raise ValueError('unknown URL segment type "' + kind +
                                     '" in ' + url_pattern)
                pattern = self.segment_patterns[kind]
                parser = self.segment_parsers.get(kind)
            regex += '(' + pattern + ')'
            self.segments.append((name, parser, group))
            group += 1 + count_groups(pattern)
        self.regex = re.compile(regex + escape(url_pattern[end:]) + '$')

    def match(self, path):
        """The URL's arguments as a dict, or None if `path` does not match."""
        if self.regex is None:
            return {} if path == self.url_pattern else None
        match = self.regex.match(path)
        if match is None:
            return None
        args = {}
        for name, parser, group in self.segments:
            value = match.group(group)
            if parser:
                try:
                    value = parser(value)
                except ValueError:
                    value = None
                if value is None:
                    return None
            args[name] = value
        return args
