"""One Litestar controller per REST resource; handlers call warehouse queries through ``Db``."""
