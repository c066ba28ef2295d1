"""The storage layer: the article store (MongoDB or the embedded file), its config, the crawl's one
storage component (store and thread, shared), the buffered writer, the durable spool and the
quarantine. The only package that imports a database driver; item pipelines, middlewares,
extensions and commands use it, never the other way round."""
