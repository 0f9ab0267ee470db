"""The opt-in bus (issue #18): market data ingested once and fanned out over Redis Streams.

Nothing here is imported by the default install path: ``redis`` is imported only when a bus
connection is opened (``conn.import_redis``), only when a command is given ``--bus URL``,
``MEXC_BUS_URL`` or ``[bus] url`` in its config file (design record-replay-bus.md §2.5; check B1).
Floor 5: above ``strategy`` (the engine's seams it plugs into), below ``cli`` (which wires it).

Foundation (pure unless noted):

* ``url.py``        -- ``--bus`` / ``MEXC_BUS_URL`` / ``[bus] url`` -> ``BusURL`` (passwords only
                       from ``MEXC_BUS_PASSWORD`` or the env URL, never argv or a file)
* ``names.py``      -- every Redis key: ``mx:md:{channel}:{symbol}``, ``mx:md:ctl``,
                       ``mx:snap:*``, ``mx:ord:{account}:intents|events:{strategy}``,
                       ``mx:ctl:{account}``, ``mx:lease:{account}``, ``mx:kill:{account}``
* ``records.py``    -- entry encoding: market data fields r/c/s/d (recv ns, conn, per-stream
                       sequence, raw frame), control events, snapshot requests/replies (msgspec)
* ``retention.py``  -- ``Retention``: every XADD bounded by MINID (age) or MAXLEN; no unbounded
* ``conn.py``       -- I/O: ``BusConnection`` (redis.asyncio, reconnect with jittered backoff,
                       health ``bus_up``/``bus_down`` with listeners, ``BusUnavailable``)
* ``publish.py``    -- I/O: ``StreamWriter``, pipelined bounded XADD flushed once per loop turn

Market data (part A of #18):

* ``gateway.py``    -- ``mexc-futures gateway``: one ``MarketData``, every frame published with
                       receive time and per-stream sequence; control events; snapshot service
* ``consumer.py``   -- ``BusMarketData``: a ``MarketData`` fed by XREAD through the same
                       router/``BookSync``, re-syncing from gateway snapshots on a sequence gap
* ``status.py``     -- ``mexc-futures bus status``: stream lengths, groups, lag, pending, memory

Execution over the bus (part B of #18; docs/bus.md "Execution over the bus"):

* ``intents.py``    -- intent envelopes (id ``{strategy}:{boot}:{seq}``), outcomes, snapshots;
                       the intent -> ``externalOid`` mapping (pure)
* ``lease.py``      -- the leader lease state machine as a table, its Redis scripts (pure)
* ``ordkeys.py``    -- the execution keys (from ``names.py``), stream bounds, reply lists
* ``owners.py``     -- externalOid -> strategy, a table in the exec service's journal
* ``control.py``    -- operator commands (kill, reset, status) and the kill-latch mirror
* ``redisio.py``    -- I/O: a fail-fast redis client (the callers reconnect themselves)
* ``execservice.py``-- I/O: ``ExecService`` (``mexc-futures exec-service``): lease, intents via
                       XREADGROUP/XAUTOCLAIM, journal first, outcome before XACK; with the
                       mixins ``exec_events.py`` (events to strategies) and ``exec_control.py``
                       (kill mirror, commands)
* ``remote.py``     -- I/O: ``RemoteExecutor``, the engine's ``Executor`` over the bus
"""
