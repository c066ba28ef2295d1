"""The storage layer: the article store (MongoDB or the embedded file), its config, the durable
spool and the quarantine. The only package that imports a database driver; item pipelines,
middlewares and commands use it, never the other way round."""
