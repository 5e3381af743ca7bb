"""Templates rendered with utemplate (CPython and MicroPython). utemplate
turns each template into a Python generator function that yields the page in
pieces, so a page can also be streamed without building it in memory."""
try:
    from importlib import invalidate_caches
except ImportError:  # MicroPython keeps no cache of directory listings
    def invalidate_caches():
        pass


class Template:
    """A template file, named relative to the templates directory:
    `Template('index.html').render(name='world')`."""

    loader = None

    @classmethod
    def initialize(cls, template_dir='templates', loader_class=None):
        """Sets the templates directory and the utemplate loader class. The
        directory is relative to the current directory, which must be on
        sys.path: the compiled templates are imported from there. The default
        loader, `utemplate.recompile.Loader`, compiles a template whose
        compiled file is missing or older (once a run: a template stays
        imported); `utemplate.compiled.Loader` only imports templates
        compiled beforehand, and keeps the compiler out of memory."""
        if loader_class is None:
            from utemplate.recompile import Loader as loader_class
        Template.loader = loader_class(None, template_dir)

    def __init__(self, template_name):
        if Template.loader is None:
            Template.initialize()
        self.name = template_name
        try:
            self.template = Template.loader.load(template_name)
        except ImportError:
            # CPython may not see a template compiled a moment ago in its
            # cached listing of the directory
            invalidate_caches()
            self.template = Template.loader.load(template_name)

    def generate(self, *args, **kwargs):
        """The rendered page as an iterator of str pieces; a handler may
        return it as the response body, which is then streamed."""
        return self.template(*args, **kwargs)

    def render(self, *args, **kwargs):
        """The rendered page as one str."""
        return ''.join(self.generate(*args, **kwargs))

    def generate_async(self, *args, **kwargs):
        """generate() as an async iterator, for `async for`."""
        return AsyncPieces(self.generate(*args, **kwargs))

    async def render_async(self, *args, **kwargs):
        return self.render(*args, **kwargs)


class AsyncPieces:
    """A template's pieces as an async iterator (MicroPython has no async
    generators)."""

    def __init__(self, pieces):
        self.pieces = pieces

    def __aiter__(self):
        return self

    async def __anext__(self):
        try:
            return next(self.pieces)
        except StopIteration:
            raise StopAsyncIteration
