"""Reading .npz archives of plain arrays with allow_pickle=False, with errors that say what was found."""
import os
import zipfile

import numpy

from trainwell._errors import bad_type, bad_value


def read_npz(path, keys, where):
    """A dict {key: array} of `keys` from the .npz at `path`, never unpickling (DESIGN §5).

    A missing key, an object array (which only pickle could rebuild) or a file that is no .npz is a
    ValueError naming the file; a missing file is FileNotFoundError.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise bad_type(where, "path", "a file path (str or os.PathLike)", path)
    try:
        archive = numpy.load(path, allow_pickle=False)
        if not isinstance(archive, numpy.lib.npyio.NpzFile):
            raise bad_value(where, "path", "an .npz archive", os.fspath(path), fix="It is a single .npy array.")
        with archive:
            missing = sorted(set(keys) - set(archive.files))
            if missing:
                raise bad_value(where, "path", f"an .npz holding arrays {sorted(keys)}", os.fspath(path),
                                fix=f"It lacks {missing}; it holds {sorted(archive.files)}.")
            return {key: archive[key] for key in keys}
    except (zipfile.BadZipFile, EOFError) as error:
        raise bad_value(where, "path", "a readable .npz archive", os.fspath(path),
                        fix=f"Reading it failed ({type(error).__name__}: {error}).") from None
    except ValueError as error:
        if "pickle" not in str(error):
            raise
        raise bad_value(where, "path", "an .npz of plain (non-object) arrays", os.fspath(path),
                        fix="It holds object arrays or pickled data, which only unpickling could read, and "
                            "trainwell never unpickles.") from None
