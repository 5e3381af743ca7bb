"""The sensor page example: the page, and the readings it polls, from the
simulated sensor on both runtimes (neither has machine.ADC); and the
board's sensor code with a fake ADC."""
import sys


def test_page(server, fetch, example_dir):
    reply = fetch(server + '/')
    assert reply.status == 200
    assert reply.headers['Content-Type'] == 'text/html'
    assert reply.headers['Cache-Control'] == 'max-age=600'
    assert reply.body == (example_dir / 'index.html').read_bytes()
    assert "fetch('/api/reading')" in reply.text


def test_readings(server, fetch):
    for _ in range(3):
        reply = fetch(server + '/api/reading')
        assert reply.status == 200
        reading = reply.json()
        assert reading['simulated'] is True
        assert isinstance(reading['millivolts'], int)
        # the simulated wave's range
        assert 1050 <= reading['millivolts'] <= 2250


def test_board_sensor_with_a_fake_adc(monkeypatch):
    """sensor.py as a board runs it: with machine.ADC (a fake one here)."""
    import importlib.util
    import pathlib
    import types

    made = []

    class Pin:
        def __init__(self, number):
            self.number = number

    class ADC:
        ATTN_11DB = 3

        def __init__(self, pin, atten):
            made.append((pin.number, atten))

        def read_uv(self):
            return 1234567

    monkeypatch.setitem(sys.modules, 'machine',
                        types.SimpleNamespace(ADC=ADC, Pin=Pin))
    spec = importlib.util.spec_from_file_location(
        'board_sensor', pathlib.Path(__file__).parent / 'sensor.py')
    board_sensor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(board_sensor)
    assert board_sensor.SIMULATED is False
    assert made == [(2, ADC.ATTN_11DB)]
    assert board_sensor.read_millivolts() == 1234
