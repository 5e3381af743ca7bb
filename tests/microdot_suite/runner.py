"""Runs the tests of one module of Microdot's suite and prints a marker line
per test: @@PASS, @@FAIL (then the traceback) or @@SKIP (Microdot's own
`skipIf`). The same file runs on CPython (with its unittest) and on
MicroPython (with mp/unittest.py). Started by test_microdot_suite.py in a
folder where `tests` is Microdot's suite.

    python runner.py test_microdot
"""
import sys
import unittest

if sys.implementation.name == 'micropython':
    print_exception = sys.print_exception
else:
    import traceback

    def print_exception(exc):
        traceback.print_exception(type(exc), exc, exc.__traceback__,
                                  file=sys.stdout)


def run(test_class, name):
    case = test_class(name)
    case.setUp()
    try:
        getattr(case, name)()
    finally:
        case.tearDown()


def main(module_name):
    module = __import__('tests.' + module_name, None, None, [module_name])
    for class_name in sorted(dir(module)):
        test_class = getattr(module, class_name)
        if not (isinstance(test_class, type) and
                issubclass(test_class, unittest.TestCase)):
            continue
        names = [name for name in sorted(dir(test_class))
                 if name.startswith('test_')]
        if getattr(test_class, '__unittest_skip__', False):
            for name in names:
                print('@@SKIP', class_name + '.' + name)
            continue
        test_class.setUpClass()
        for name in names:
            label = class_name + '.' + name
            try:
                run(test_class, name)
                print('@@PASS', label)
            except unittest.SkipTest:
                print('@@SKIP', label)
            except Exception as exc:
                print('@@FAIL', label)
                print_exception(exc)
        test_class.tearDownClass()
    print('@@DONE')


main(sys.argv[1])
