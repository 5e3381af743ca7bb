"""The part of unittest that Microdot's suite uses, for MicroPython (which
has no unittest of its own). Test classes are run by ../runner.py."""


class SkipTest(Exception):
    pass


def skipIf(condition, reason):
    def decorated(test):
        if not condition:
            return test
        if isinstance(test, type):
            test.__unittest_skip__ = True
            return test

        def skipped(*args, **kwargs):
            raise SkipTest(reason)
        return skipped
    return decorated


class TestCase:
    def __init__(self, name='runTest'):
        self.name = name

    @classmethod
    def setUpClass(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        pass

    def setUp(self):
        pass

    def tearDown(self):
        pass

    def fail(self, message):
        raise AssertionError(message)

    def assertEqual(self, first, second, message=None):
        if not first == second:
            self.fail(message or '{!r} != {!r}'.format(first, second))

    def assertTrue(self, value, message=None):
        if not value:
            self.fail(message or '{!r} is not true'.format(value))

    def assertFalse(self, value, message=None):
        if value:
            self.fail(message or '{!r} is not false'.format(value))

    def assertIn(self, member, container, message=None):
        if member not in container:
            self.fail(message or '{!r} not in {!r}'.format(member, container))

    def assertIsNone(self, value, message=None):
        if value is not None:
            self.fail(message or '{!r} is not None'.format(value))

    def assertRaises(self, exc_class, function=None, *args, **kwargs):
        context = RaisesContext(exc_class)
        if function is None:
            return context
        with context:
            function(*args, **kwargs)


class RaisesContext:
    def __init__(self, exc_class):
        self.exc_class = exc_class
        self.exception = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is None:
            raise AssertionError('{} not raised'.format(
                self.exc_class.__name__))
        if not issubclass(exc_type, self.exc_class):
            return False
        self.exception = exc
        return True
