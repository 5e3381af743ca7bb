"""Templates rendered with utemplate (CPython and MicroPython). utemplate
turns each template into a Python generator function that yields the page in
pieces, so a page can also be streamed without building it in memory."""


class Template:
    """A template file, named relative to the templates directory:
    `Template('index.html').render(name='world')`."""

    loader = None

    @staticmethod
    def initialize(template_dir='templates', loader_class=None):
        """Sets the templates directory and the utemplate loader class. The
        directory is relative to the current directory, which must be on
        sys.path: the compiled templates are imported from there. The default
        loader, `utemplate.recompile.Loader`, compiles a template whose
        compiled file is missing or older (once a run: a template stays
        imported); `utemplate.compiled.Loader` only imports templates
        compiled beforehand, and keeps the compiler out of memory. Returns
        the loader."""
        if not loader_class:
            from utemplate.recompile import Loader as loader_class
        Template.loader = loader_class(None, template_dir)
        return Template.loader

    def __init__(self, name):
        loader = Template.loader or Template.initialize()
        self.name = name
        # generate(*args, **kwargs) is the compiled template itself: a
        # generator function that yields the page in str pieces; a handler
        # may return them as the response body, which is then streamed
        try:
            self.generate = loader.load(name)
        except ImportError as error:
            # CPython may not see a template compiled a moment ago in its
            # cached listing of the directory
            try:
                import importlib
            except ImportError:
                raise error  # MicroPython: no importlib, and no such cache
            importlib.invalidate_caches()
            self.generate = loader.load(name)

    def render(self, *args, **kwargs):
        """The rendered page as one str."""
        return ''.join(self.generate(*args, **kwargs))

    def generate_async(self, *args, **kwargs):
        """generate() as an async iterator, for `async for`."""
        return AsyncPieces(self.generate(*args, **kwargs))

    async def render_async(self, *args, **kwargs):
        """render() for async code (utemplate templates never await)."""
        return self.render(*args, **kwargs)


class AsyncPieces:
    """A template's pieces as an async iterator (MicroPython has no async
    generators)."""

    def __init__(self, pieces):
        self.pieces = pieces

    def __aiter__(self):
        return self

    async def __anext__(self):
        # the next piece, if there is one
        for piece in self.pieces:
            return piece
        raise StopAsyncIteration
