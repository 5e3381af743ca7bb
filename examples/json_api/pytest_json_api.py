"""The JSON API example: a task's life through the API, and the errors a
client gets for what the API cannot take, all as JSON."""
import json

JSON = {'Content-Type': 'application/json'}


def send(fetch, url, method, data):
    return fetch(url, method, json.dumps(data), JSON)


def test_create_read_update_delete(server, fetch):
    reply = send(fetch, server + '/api/tasks', 'POST',
                 {'title': '  water the plants '})
    assert reply.status == 201
    assert reply.headers['Content-Type'] == 'application/json; charset=UTF-8'
    task = reply.json()
    assert task == {'id': task['id'], 'title': 'water the plants',
                    'done': False}
    location = reply.headers['Location']
    assert location == '/api/tasks/%d' % task['id']

    assert fetch(server + location).json() == task
    assert task in fetch(server + '/api/tasks').json()

    reply = send(fetch, server + location, 'PATCH', {'done': True})
    assert reply.status == 200
    assert reply.json() == dict(task, done=True)
    assert fetch(server + location).json()['done'] is True

    reply = fetch(server + location, 'DELETE')
    assert (reply.status, reply.body) == (204, b'')
    reply = fetch(server + location)
    assert reply.status == 404
    assert reply.json() == {'error': 'not found'}
    assert task not in fetch(server + '/api/tasks').json()


def test_ids_are_integers(server, fetch):
    # <int:task_id> matches digits only: anything else is no URL at all
    reply = fetch(server + '/api/tasks/first')
    assert reply.status == 404
    assert reply.json() == {'error': 'not found'}


def test_bodies_that_are_not_tasks(server, fetch):
    url = server + '/api/tasks'
    for data, error in [
            ({}, '"title" is missing'),
            ({'title': ' '}, '"title" must be a non-empty string'),
            ({'title': 'x', 'done': 'yes'}, '"done" must be true or false'),
            ({'title': 'x', 'owner': 'me'}, 'unknown field "owner"'),
            (['title'], 'the body must be a JSON object '
             '(Content-Type: application/json)')]:
        reply = send(fetch, url, 'POST', data)
        assert (reply.status, reply.json()) == (400, {'error': error}), data
    # JSON sent as text is not taken for JSON
    reply = fetch(url, 'POST', '{"title": "x"}',
                  {'Content-Type': 'text/plain'})
    assert reply.status == 400
    assert reply.json()['error'].startswith('the body must be a JSON object')
    # the framework refuses a body that is not JSON at all
    reply = fetch(url, 'POST', '{"title": ', JSON)
    assert (reply.status, reply.json()) == (400,
                                            {'error': 'malformed request'})
    # none of them made a task
    assert all(task['title'] != 'x' for task in fetch(url).json())
