"""The templates example: a page rendered whole, with text from the URL
escaped, and a long page streamed as the template yields it."""
import re


def test_page_with_escaped_name(server, fetch, example_dir):
    reply = fetch(server + '/?name=%3Cb%3EAda%20%26%20co%3C/b%3E')
    assert reply.status == 200
    assert reply.headers['Content-Type'] == 'text/html; charset=UTF-8'
    assert '<title>Hello</title>' in reply.text  # from the included header
    assert '<p>Hello, &lt;b&gt;Ada &amp; co&lt;/b&gt;!</p>' in reply.text
    assert fetch(server + '/').text.count('Hello, world!') == 1
    # compiled on first use, next to the template
    assert (example_dir / 'templates' / 'index_html.py').is_file()


def test_long_page_streamed(server, fetch):
    reply = fetch(server + '/squares/400')
    assert reply.status == 200
    # sent as it was generated: no length known beforehand
    assert reply.headers['Transfer-Encoding'] == 'chunked'
    assert 'Content-Length' not in reply.headers
    assert '<title>Squares</title>' in reply.text
    rows = re.findall(r'<tr><td>(\d+)</td><td>(\d+)</td></tr>', reply.text)
    assert rows == [(str(n), str(n * n)) for n in range(1, 401)]
    assert reply.text.rstrip().endswith('</html>')


def test_too_many_rows(server, fetch):
    reply = fetch(server + '/squares/10001')
    assert (reply.status, reply.text) == (400, 'at most 10000 squares')
