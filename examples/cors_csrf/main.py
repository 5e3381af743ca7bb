"""CORS and CSRF: a settings API that the device's own pages and one other
site (a dashboard at https://dashboard.example) may use from the browser,
while pages of any other site can neither read it (CORS: the browser
keeps the answer from them) nor change it (CSRF: a PUT or POST a browser
sends for another site is refused with 403). Clients that are not browsers,
such as curl or a script, are not concerned. A webhook stays open to
other sites with csrf.exempt.

Run it on CPython, from this folder:

    PYTHONPATH=../../modules python main.py
    curl -X PUT -H 'Content-Type: application/json' -d '{"brightness": 80}' \\
        http://127.0.0.1:5000/api/settings

On a board with the framework and a network: copy main.py to it, with the
origins of your own pages.
"""
from microdot import Microdot, abort
from microdot.cors import CORS
from microdot.csrf import CSRF

app = Microdot()
# the answers carry the Access-Control-* headers those pages need,
# preflight requests (OPTIONS) included
cors = CORS(app, allowed_origins=['https://dashboard.example'],
            allow_credentials=True, max_age=600)
# origins CORS allows are trusted by CSRF too
csrf = CSRF(app, cors)
settings = {'brightness': 50}
webhooks = {'count': 0, 'last_size': None}


@app.get('/api/settings')
async def get_settings(request):
    return settings


@app.put('/api/settings')
async def put_settings(request):
    data = request.json
    brightness = data.get('brightness') if isinstance(data, dict) else None
    if not isinstance(brightness, int) or not 0 <= brightness <= 100:
        abort(400, 'send {"brightness": 0 to 100} as JSON')
    settings['brightness'] = brightness
    return settings


@app.post('/api/webhook')
@csrf.exempt
async def webhook(request):
    # other sites' servers call it: no browser is involved
    webhooks['count'] += 1
    webhooks['last_size'] = len(request.body)
    return webhooks


if __name__ == '__main__':
    app.run(port=5000, debug=True)
