"""A JSON API: a task list kept in memory. Shows typed URL parts
(`<int:task_id>` reaches the handler as an int), JSON request bodies
(`request.json`), dicts returned as JSON responses, and errors answered as
JSON: 404 for a task that does not exist, 400 for a body that is not a
task, whether the framework finds it malformed or the app does.

    GET    /api/tasks             the tasks
    POST   /api/tasks             {"title": "..."} -> 201 and the new task
    GET    /api/tasks/<id>        one task
    PATCH  /api/tasks/<id>        {"title": "...", "done": true}, either
    DELETE /api/tasks/<id>        -> 204

Run it on CPython, from this folder:

    PYTHONPATH=../../modules python main.py
    curl -H 'Content-Type: application/json' \\
        -d '{"title": "water the plants"}' http://127.0.0.1:5000/api/tasks

On a board with the framework and a network: copy main.py to it.
"""
from microdot import Microdot, abort

app = Microdot()
tasks = {}  # id -> {'id': id, 'title': str, 'done': bool}
last_id = [0]


class BadTask(Exception):
    """A request body that is not a task; the message says why."""


def task_fields(request, required):
    """The fields of the request's JSON body, checked; `required` fields
    must be there."""
    data = request.json  # None unless the Content-Type is JSON
    if not isinstance(data, dict):
        raise BadTask('the body must be a JSON object '
                      '(Content-Type: application/json)')
    for name in required:
        if name not in data:
            raise BadTask('"%s" is missing' % name)
    fields = {}
    for name, value in data.items():
        if name == 'title':
            if not isinstance(value, str) or not value.strip():
                raise BadTask('"title" must be a non-empty string')
            fields[name] = value.strip()
        elif name == 'done':
            if not isinstance(value, bool):
                raise BadTask('"done" must be true or false')
            fields[name] = value
        else:
            raise BadTask('unknown field "%s"' % name)
    return fields


def find(task_id):
    task = tasks.get(task_id)
    if task is None:
        abort(404)
    return task


@app.get('/api/tasks')
async def list_tasks(request):
    return [tasks[task_id] for task_id in sorted(tasks)]


@app.post('/api/tasks')
async def create_task(request):
    fields = task_fields(request, ['title'])
    last_id[0] += 1
    task = {'id': last_id[0], 'title': fields['title'],
            'done': fields.get('done', False)}
    tasks[task['id']] = task
    return task, 201, {'Location': '/api/tasks/%d' % task['id']}


@app.get('/api/tasks/<int:task_id>')
async def get_task(request, task_id):
    return find(task_id)


@app.patch('/api/tasks/<int:task_id>')
async def update_task(request, task_id):
    task = find(task_id)
    task.update(task_fields(request, []))
    return task


@app.delete('/api/tasks/<int:task_id>')
async def delete_task(request, task_id):
    del tasks[find(task_id)['id']]
    return 204


@app.errorhandler(BadTask)
async def bad_task(request, exc):
    return {'error': str(exc)}, 400


@app.errorhandler(400)
async def bad_request(request):
    # the framework's own 400s: a body that is not valid JSON, say
    return {'error': 'malformed request'}, 400


@app.errorhandler(404)
async def not_found(request):
    # a URL with no route, or a task that does not exist
    return {'error': 'not found'}, 404


if __name__ == '__main__':
    app.run(port=5000, debug=True)
