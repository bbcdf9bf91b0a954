# Loaded by pytest from the project folder: puts it on sys.path, so `toysys` imports.
