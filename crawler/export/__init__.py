"""Getting stored articles out: which ones (:mod:`.query`), as what (:mod:`.records`), written how
(:mod:`.writers`), used by ``scrapy export`` and ``scrapy articles``."""
