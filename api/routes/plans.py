"""Collection plans: the routes and stops for a date."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api import queries, schemas
from api.deps import Conn

router = APIRouter(prefix="/v1/plans", tags=["plans"])


@router.get("/{plan_date}")
def get_plan(
    conn: Conn, plan_date: date, version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> schemas.Plan:
    """The plan for a date (YYYY-MM-DD) with its routes, stops and left-out bins.

    The newest version unless `version` asks for another.
    """
    found = queries.plan(conn, plan_date, version)
    if found is None:
        raise HTTPException(404, f"no plan for {plan_date}")
    return found
