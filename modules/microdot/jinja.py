"""Templates rendered with Jinja2 (CPython only)."""
from jinja2 import Environment, FileSystemLoader, select_autoescape


class Template:
    """A template file, named relative to the templates directory:
    `Template('index.html').render(name='world')`."""

    jinja_env = None

    @classmethod
    def initialize(cls, template_dir='templates', enable_async=False,
                   **kwargs):
        """Sets the templates directory. With `enable_async` templates may
        call async functions, and must be rendered with render_async() or
        generate_async(). Other keyword arguments go to jinja2.Environment;
        HTML and XML templates are autoescaped unless `autoescape` says
        otherwise."""
        kwargs.setdefault('autoescape', select_autoescape())
        Template.jinja_env = Environment(loader=FileSystemLoader(template_dir),
                                         enable_async=enable_async, **kwargs)

    def __init__(self, template_name):
        if Template.jinja_env is None:
            Template.initialize()
        self.name = template_name
        self.template = Template.jinja_env.get_template(template_name)

    def generate(self, *args, **kwargs):
        """The rendered page as an iterator of str pieces; a handler may
        return it as the response body, which is then streamed."""
        return self.template.generate(*args, **kwargs)

    def render(self, *args, **kwargs):
        """The rendered page as one str."""
        return self.template.render(*args, **kwargs)

    def generate_async(self, *args, **kwargs):
        """generate() as an async iterator, for templates of an environment
        with `enable_async`."""
        return self.template.generate_async(*args, **kwargs)

    async def render_async(self, *args, **kwargs):
        """The rendered page as one str, for templates of an environment
        with `enable_async`."""
        return await self.template.render_async(*args, **kwargs)
