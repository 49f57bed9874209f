"""Named dependencies the handlers declare (provided in ``create_app``)."""

from __future__ import annotations

from litestar.di import NamedDependency

from serving.db import Db
from serving.pagination import Paging
from serving.settings import ServingSettings

DB = NamedDependency[Db]
UserId = NamedDependency[int]
Pages = NamedDependency[Paging]
Settings = NamedDependency[ServingSettings]
