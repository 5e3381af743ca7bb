"""app/logs.py, the console lines kept for the Logs page. The top-level
tests run on CPython and, from the .mpy file that gets frozen, on the
MicroPython unix port (test_micropython); test_log_prints_as_print_does
runs a process of each runtime."""
import asyncio
import sys

MICROPYTHON = sys.implementation.name == 'micropython'


def fresh():
    """The logs module as at boot: nothing logged yet."""
    sys.modules.pop('logs', None)
    import logs
    return logs


def stored(logs, *args):
    """How log(*args) of one line comes out in lines(): cut short."""
    data = ' '.join([str(arg) for arg in args]).encode()
    if len(data) >= logs.LINE:
        end = logs.LINE - 4
        while data[end] & 0xC0 == 0x80:
            end -= 1
        data = data[:end] + b'...'
    return data.decode() + '\n'


def test_lines_hold_what_was_logged_in_order():
    logs = fresh()
    assert logs.lines() == ''
    logs.log('firmware', '1.2.0', 'on', 'ESP32-C3')
    logs.log('IPv4 address:', '10.0.0.7', None, [1])
    logs.log()
    assert logs.lines() == ('firmware 1.2.0 on ESP32-C3\n'
                            'IPv4 address: 10.0.0.7 None [1]\n\n')


def test_a_long_line_is_cut_short_not_in_a_character():
    logs = fresh()
    logs.log('x' * 2 * logs.SIZE)
    # 'a' first: the cut falls inside a character
    logs.log('a' + 'é' * 1000)
    logs.log('a' + '€' * 1000)
    logs.log('a' * (logs.LINE - 1))  # just fits, with its newline
    text = logs.lines()
    lines = text.split('\n')
    assert lines[0] == 'x' * (logs.LINE - 4) + '...'
    assert lines[1] == 'a' + 'é' * ((logs.LINE - 5) // 2) + '...'
    assert lines[2] == 'a' + '€' * ((logs.LINE - 5) // 3) + '...'
    assert lines[3] == 'a' * (logs.LINE - 1)
    for line in lines:
        assert len(line.encode()) < logs.LINE


def test_each_line_of_a_text_is_cut_short_on_its_own():
    logs = fresh()
    logs.log('Traceback:\n' + 'y' * 1000 + '\nValueError:', 'boom')
    assert logs.lines() == ('Traceback:\n' + 'y' * (logs.LINE - 4) +
                            '...\nValueError: boom\n')


def args_of(i):
    return ('line', i, 'é' * (i % 13), 'x' * (i * 37 % 300))


def test_the_ram_taken_stays_bounded_and_keeps_the_newest_lines():
    logs = fresh()
    gap = logs.GAP.decode()
    for count in range(1, 1500):
        logs.log(*args_of(count - 1))
        text = logs.lines()
        assert len(text.encode()) <= logs.SIZE + len(gap)
        # (a line cut short ends in "...", so the gap is a line of its own)
        boot, dropped, recent = text.partition('\n' + gap)
        boot += '\n'
        if not dropped:
            assert text == ''.join(
                [stored(logs, *args_of(i)) for i in range(count)])
            continue
        # the first lines (the boot log), then the newest, whole
        kept = boot.count('\n')
        assert boot == ''.join([stored(logs, *args_of(i))
                                for i in range(kept)])
        assert len(boot.encode()) > logs.BOOT - logs.LINE
        oldest = count - recent.count('\n')
        assert recent == ''.join([stored(logs, *args_of(i))
                                  for i in range(oldest, count)])
        # and no more: the line before the oldest would not fit
        assert len(recent.encode()) + len(
            stored(logs, *args_of(oldest - 1)).encode()) > logs.RING
    assert oldest > kept + 100
    assert len(logs.boot) + len(logs.ring) == logs.SIZE


def read_on(logs, seq):
    """What a reader gets calling since() from `seq` until it has all."""
    texts = []
    while seq < logs.total:
        seq, text = logs.since(seq)
        assert len(text.encode()) <= logs.CHUNK + len(logs.GAP)
        assert text == '' or text.endswith('\n')  # '': a part line skipped
        texts.append(text)
    return texts


def test_since_gives_what_a_reader_has_not_read():
    logs = fresh()
    seq, text = logs.since(0)
    assert (seq, text) == (0, '')
    logs.log('one')
    logs.log('two')
    seq, text = logs.since(seq)
    assert (seq, text) == (8, 'one\ntwo\n')
    assert logs.since(seq) == (8, '')
    logs.log('three')
    assert logs.since(seq) == (14, 'three\n')
    assert logs.since(4) == (14, 'two\nthree\n')
    # a seq inside a line: from the next line on
    assert logs.since(5) == (14, 'three\n')
    # 0 or a seq of an earlier boot: from the start
    assert logs.since(0) == (14, 'one\ntwo\nthree\n')
    assert logs.since(1000) == (14, 'one\ntwo\nthree\n')


def test_since_gives_whole_lines_a_chunk_at_a_time():
    logs = fresh()
    for i in range(300):
        logs.log('line', i, 'é' * (i % 5), 'x' * (i * 7 % 200))
    texts = read_on(logs, 0)
    assert len(texts) > logs.SIZE // logs.CHUNK
    assert ''.join(texts) == logs.lines()
    assert texts[-1].endswith('line 299 éééé ' + 'x' * (299 * 7 % 200) +
                              '\n')


def test_any_seq_gives_whole_lines():
    logs = fresh()
    for i in range(600):
        logs.log('€' * (i % 4), i)
    everything = logs.lines()
    gap = logs.GAP.decode()
    assert '\n' + gap in everything
    for seq in range(0, logs.total + 3, 5):
        text = ''.join(read_on(logs, seq))
        if text.startswith(gap):
            text = text[len(gap):]
        # the end of what is kept, from the start of a line
        assert everything.endswith(text), seq
        assert text == everything or everything[-len(text) - 1] == '\n', seq


def test_a_reader_that_fell_behind_is_told_of_the_gap():
    logs = fresh()
    while logs.kept == logs.total:
        logs.log('boot line')
    logs.log('seen')
    seq = logs.total
    for i in range(500):
        logs.log('later', i)
    texts = read_on(logs, seq)
    assert texts[0].startswith('...\n')
    text = ''.join(texts)
    assert 'seen' not in text
    assert text.endswith('later 499\n')
    assert text == logs.GAP.decode() + logs.lines().partition(
        '\n' + logs.GAP.decode())[2]


async def test_wait_wakes_every_reader_when_a_line_is_logged():
    logs = fresh()
    logs.log('boot')
    seq = logs.total
    got = []

    async def reader():
        await logs.wait(seq)
        got.append(logs.since(seq))

    tasks = [asyncio.create_task(reader()) for _ in range(2)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert got == []
    logs.log('news')
    for task in tasks:
        await asyncio.wait_for(task, 5)
    assert got == [(seq + 5, 'news\n')] * 2
    # something logged already: no waiting
    await asyncio.wait_for(logs.wait(seq), 5)


async def test_a_reader_keeps_up_with_a_stream_of_lines():
    logs = fresh()
    received = []

    async def reader():
        seq = 0
        while len(received) < 200:
            await logs.wait(seq)
            seq, text = logs.since(seq)
            received.extend(text.split('\n')[:-1])

    task = asyncio.create_task(reader())
    for i in range(200):
        logs.log('line', i)
        if i % 3 == 0:
            await asyncio.sleep(0)
    await asyncio.wait_for(task, 5)
    assert received == ['line {}'.format(i) for i in range(200)]


def test_an_exception_is_logged_with_its_traceback():
    logs = fresh()

    def fails():
        raise ValueError('no such sensor')
    try:
        fails()
    except ValueError as exc:
        logs.log_exception(exc)
    lines = logs.lines().splitlines()
    assert lines[0] == 'Traceback (most recent call last):'
    assert [line for line in lines if 'in fails' in line], lines
    assert lines[-1] == 'ValueError: no such sensor'


if not MICROPYTHON:
    import os
    import subprocess

    import pytest

    from on_micropython import (  # noqa: F401 (app_mpy: a fixture)
        MICROPYTHON as MICROPYTHON_COMMAND, ROOT, app_mpy, micropython_env,
        portable_tests_on_micropython)

    test_micropython = portable_tests_on_micropython(__file__)

    CHILD = '''
import sys
import logs
assert sys.implementation.name != 'micropython' or \\
    logs.__file__.endswith('.mpy'), logs.__file__
logs.log('boot', 1, None, [2])
logs.log('é' * 300)
print('---')
print(logs.lines(), end='')
'''

    @pytest.mark.parametrize('runtime', ['cpython', 'micropython'])
    def test_log_prints_as_print_does(runtime, request, tmp_path):
        if runtime == 'micropython':
            command = [MICROPYTHON_COMMAND, '-c', CHILD]
            env = micropython_env(request.getfixturevalue('app_mpy'))
        else:
            command = [sys.executable, '-c', CHILD]
            env = dict(os.environ,
                       PYTHONPATH=str(ROOT / 'app'), PYTHONIOENCODING='utf-8')
        proc = subprocess.run(command, env=env, capture_output=True,
                              timeout=60, cwd=str(tmp_path))
        assert proc.returncode == 0, proc.stderr
        logs = fresh()
        assert proc.stdout.decode() == (
            'boot 1 None [2]\n' + 'é' * 300 + '\n---\n' +
            'boot 1 None [2]\n' + stored(logs, 'é' * 300))
