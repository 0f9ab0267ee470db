"""Public market-data methods of the REST client (spec §4, P1–P13; no credentials needed).

Each method calls one endpoint of ``protocol.endpoints`` through ``RestCore.call`` (limiter,
retries and classification as the core's contract says) and returns the typed ``data``: a list
endpoint's rows via ``rows``, a single object as its struct.
"""

from __future__ import annotations

from typing import cast

from mexc_futures.model.instrument import ContractSpec
from mexc_futures.protocol import rest as w
from mexc_futures.protocol.convert import contract_spec
from mexc_futures.transport.rest_core import RestCore, one, rows


class PublicEndpoints(RestCore):
    """Typed public endpoints (§4); part of ``RestClient``."""

    async def ping(self) -> int:
        """Server time in ms."""
        return int(await self.call("ping"))

    async def get_contracts(self) -> list[w.ContractDetail]:
        """Every contract (P2)."""
        return rows(await self.call("contract_detail"))

    async def get_contract(self, symbol: str) -> w.ContractDetail:
        """One contract (P2 with ``symbol``)."""
        return cast(
            w.ContractDetail, one(await self.call("contract_detail", params={"symbol": symbol}))
        )

    async def get_contract_spec(self, symbol: str) -> ContractSpec:
        """One contract as the domain ``ContractSpec`` (P2, converted by ``protocol.convert``), for
        callers above the transport floor that must not know the wire format (strategies)."""
        return contract_spec(await self.get_contract(symbol))

    async def get_depth(self, symbol: str, limit: int | None = None) -> w.DepthData:
        """Order-book snapshot (P4)."""
        return cast(
            w.DepthData, await self.call("depth", path={"symbol": symbol}, params={"limit": limit})
        )

    async def get_depth_commits(self, symbol: str, limit: int) -> list[w.DepthCommit]:
        """Last ``limit`` single-level changes, newest first (P5)."""
        return rows(await self.call("depth_commits", path={"symbol": symbol, "limit": limit}))

    async def get_deals(self, symbol: str, limit: int | None = None) -> list[w.DealData]:
        """Recent public trades (P12)."""
        return rows(await self.call("deals", path={"symbol": symbol}, params={"limit": limit}))

    async def get_klines(
        self,
        symbol: str,
        interval: str = "Min1",
        start: int | None = None,
        end: int | None = None,
        *,
        price: str = "last",
    ) -> w.KlineData:
        """Columnar klines (P9–P11); ``price`` is ``last``, ``index`` or ``fair``; s not ms."""
        name = {"last": "kline", "index": "kline_index_price", "fair": "kline_fair_price"}[price]
        return cast(
            w.KlineData,
            await self.call(
                name,
                path={"symbol": symbol},
                params={"interval": interval, "start": start, "end": end},
            ),
        )

    async def get_ticker(self, symbol: str) -> w.TickerData:
        """One ticker (P13)."""
        return cast(w.TickerData, one(await self.call("ticker", params={"symbol": symbol})))

    async def get_tickers(self) -> list[w.TickerData]:
        """Every ticker (P13)."""
        return rows(await self.call("ticker"))

    async def get_funding_rate(self, symbol: str) -> w.FundingRateData:
        """Funding of one contract (P8)."""
        return cast(w.FundingRateData, await self.call("funding_rate", path={"symbol": symbol}))

    async def get_funding_rates(self) -> list[w.FundingRateData]:
        """Funding of every contract (P8b)."""
        return rows(await self.call("funding_rates"))

    async def get_index_price(self, symbol: str) -> w.IndexPriceData:
        """Index price (P6)."""
        return cast(w.IndexPriceData, await self.call("index_price", path={"symbol": symbol}))

    async def get_fair_price(self, symbol: str) -> w.FairPriceData:
        """Fair (mark) price (P7)."""
        return cast(w.FairPriceData, await self.call("fair_price", path={"symbol": symbol}))


__all__ = ["PublicEndpoints"]
