"""A device page: one HTML page (index.html) that asks the board for a
sensor reading every two seconds and draws the last ones, and the JSON
endpoint it asks. The board does little: it answers a small request with
a fresh reading; the browser keeps the history and draws it. The reading
comes from sensor.py: the ADC on an ESP32, a simulated voltage elsewhere.

Run it on CPython, from this folder:

    PYTHONPATH=../../modules python main.py

then open http://127.0.0.1:5000/. On a board with the framework and a
network: copy main.py, sensor.py and index.html to it (set the pin in
sensor.py).
"""
from microdot import Microdot, send_file

import sensor

app = Microdot()


@app.get('/')
async def index(request):
    return send_file('index.html', max_age=600)


@app.get('/api/reading')
async def reading(request):
    return {'millivolts': sensor.read_millivolts(),
            'simulated': sensor.SIMULATED}


if __name__ == '__main__':
    app.run(port=5000, debug=True)
