"""Name registries: string names -> classes or functions, and config (de)serialization.

Every public family (initializers, activations, losses, metrics, optimizers, layers, ...) owns
one `Registry`. Loading a config builds only what a registry (or the caller's custom_objects)
holds, never arbitrary code (DESIGN §5).
"""
from trainwell._errors import bad_type, unknown_name

ALL_REGISTRIES = {}


class Registry:
    """Maps names (class names and their aliases) to classes or functions of one family."""

    def __init__(self, kind):
        self.kind = kind
        self._entries = {}
        self._canonical = {}
        ALL_REGISTRIES[kind] = self

    def register(self, *aliases):
        """Decorator: register a class or function under its own name and `aliases`."""
        def decorate(obj):
            for name in (obj.__name__, *aliases):
                self._entries[name] = obj
            self._canonical[obj.__name__] = obj
            return obj
        return decorate

    def lookup(self, name, where, custom_objects=None):
        """The object registered under `name`; an error listing the valid names otherwise."""
        if not isinstance(name, str):
            raise bad_type(where, self.kind, "a string name", name)
        if custom_objects and name in custom_objects:
            return custom_objects[name]
        if name not in self._entries:
            raise unknown_name(where, self.kind, name, self._entries)
        return self._entries[name]

    def names(self):
        """Every accepted name, aliases included, sorted."""
        return sorted(self._entries)

    def members(self):
        """The distinct registered objects (one per canonical name), sorted by name."""
        return [self._canonical[name] for name in sorted(self._canonical)]

    def __contains__(self, name):
        return name in self._entries


def serialize(obj):
    """{'class_name': ..., 'config': ...} for an object with `get_config`."""
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def deserialize(registry, config, where, custom_objects=None):
    """Build an object from `serialize`'s output, looking its class up in `registry` only."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise bad_type(where, "config", "a dict with 'class_name' and 'config'", config)
    cls = registry.lookup(config["class_name"], where, custom_objects)
    return cls.from_config(dict(config.get("config") or {}))
