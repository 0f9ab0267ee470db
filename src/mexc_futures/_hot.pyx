# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, embedsignature=True
"""The compiled depth path (issue #19; docs/speedups.md). Optional: ``mexc_futures._speedups``
imports it only when it was built, matches the installed picows, and ``MEXC_FUTURES_PURE`` is not
set; every name here has a pure-Python twin that behaves the same (the differential tests say so).

* ``Book``: one symbol's order book in C (``_hot_core.h``: two sorted arrays, best level last)
  behind the pure ``model.book.OrderBook`` API, so the sync machine's recovery code, the
  subscriptions and the tools use it unchanged.
* ``DepthTable`` / ``DepthSlot``: the market-data router's ``push.depth`` routes, by symbol, as
  the compiled listener sees them (the router adds and drops them with its streams).
* ``DepthListener``: a cdef subclass of picows' ``WSListener``. picows calls its ``on_ws_frame``
  through the C vtable (no Python frame, no memoryview); it scans a ``push.depth`` frame in C,
  runs the sync machine's in-order branch (the route's sync is ``hot``, the frame comes from its
  source connection, ``begin == version + 1``; merged or unmerged), applies the levels to the C
  book, bumps the same counters and publishes the same ``BookUpdate`` as the Python route. Every
  other frame, and every depth frame it does not apply, goes to the pure listener unchanged.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcmp, memcpy
from picows.picows cimport WSFrame, WSListener, WSMsgType, WSTransport

from mexc_futures.model.events import BookUpdate as _BookUpdate

cdef extern from *:
    """
    #ifndef MEXC_PICOWS_VERSION
    #define MEXC_PICOWS_VERSION "unknown"
    #endif
    """
    const char *MEXC_PICOWS_VERSION

cdef extern from "_hot_core.h" nogil:
    ctypedef struct hc_level:
        double p
        double v
    ctypedef struct hc_side:
        hc_level *lv
        int64_t n
        int64_t cap
    ctypedef struct hc_book:
        hc_side bids
        hc_side asks
    ctypedef struct hc_frame:
        const char *sym
        int symlen
        int has_begin, has_end
        int64_t begin, end, version, ts
        int nb, na
        hc_level bids[1]
        hc_level asks[1]
    int HC_APPLIED, HC_FALLBACK, HC_UNKNOWN, HC_NOT_HOT, HC_GAP, HC_STALE, HC_CROSSED
    int HC_MAXLV, HC_MAXSYM
    int hc_side_reserve(hc_side *s, int64_t need)
    void hc_side_free(hc_side *s)
    int hc_side_set(hc_side *s, double p, double v, int asc)
    double hc_side_get(const hc_side *s, double p, int asc)
    int hc_book_crossed(const hc_book *b)
    int hc_book_apply(hc_book *b, const hc_frame *f)
    int hc_scan(const char *buf, size_t length, hc_frame *f)

#: the picows release this module was compiled against (its C layout: WSFrame, WSListener)
PICOWS_BUILT = MEXC_PICOWS_VERSION.decode()

APPLIED = HC_APPLIED
FALLBACK = HC_FALLBACK
UNKNOWN = HC_UNKNOWN
NOT_HOT = HC_NOT_HOT
GAP = HC_GAP
STALE = HC_STALE
CROSSED = HC_CROSSED
MAX_LEVELS = HC_MAXLV

cdef WSMsgType _TEXT = WSMsgType.TEXT
cdef WSMsgType _BINARY = WSMsgType.BINARY


cdef inline object _best(const hc_side *s):
    return s.lv[s.n - 1].p if s.n else None


cdef class Book:
    """Price levels of one symbol, in C; the API of ``mexc_futures.model.book.OrderBook``."""

    cdef hc_book b
    cdef public str symbol
    cdef public object ts
    cdef int64_t _v          # the version when it fits int64 (always, on the compiled path)
    cdef object _vbig        # a version beyond int64 (the pure book takes any int), else None

    def __init__(self, str symbol=""):
        self.symbol = symbol
        self._v = 0
        self._vbig = None
        self.ts = 0

    @property
    def version(self):
        """The depth version the book is exact at (set by the sync machine)."""
        return self._v if self._vbig is None else self._vbig

    @version.setter
    def version(self, value):
        if -(1 << 62) < value < (1 << 62):
            self._v = value
            self._vbig = None
        else:
            self._vbig = value

    def __dealloc__(self):
        hc_side_free(&self.b.bids)
        hc_side_free(&self.b.asks)

    # ------------------------------------------------------------------ mutation

    cdef inline void _set(self, int bid, double p, double v) except *:
        if hc_side_set(&self.b.bids if bid else &self.b.asks, p, v, bid):
            raise MemoryError()

    def clear(self):
        """Remove every level and reset the version to 0."""
        self.b.bids.n = 0
        self.b.asks.n = 0
        self.version = 0

    def set_bid(self, double price, double vol):
        """Set one bid level to an absolute size; ``vol == 0`` deletes it."""
        self._set(1, price, vol)

    def set_ask(self, double price, double vol):
        """Set one ask level to an absolute size; ``vol == 0`` deletes it."""
        self._set(0, price, vol)

    def apply(self, bids, asks):
        """Apply absolute levels on both sides (``price``/``vol`` attributes); returns crossed."""
        for lv in bids:
            self._set(1, lv.price, lv.vol)
        for lv in asks:
            self._set(0, lv.price, lv.vol)
        return bool(hc_book_crossed(&self.b))

    def replace(self, bids, asks, version):
        """Replace the whole book (REST snapshot, spec §4.2, or ``push.depth.full``)."""
        self.b.bids.n = 0
        self.b.asks.n = 0
        for lv in bids:  # like the pure book: zero sizes are skipped, the last size of a price wins
            if lv.vol:
                self._set(1, lv.price, lv.vol)
        for lv in asks:
            if lv.vol:
                self._set(0, lv.price, lv.vol)
        self.version = version

    # ------------------------------------------------------------------ reading

    @property
    def best_bid(self):
        """Highest bid, ``None`` when the side is empty."""
        return _best(&self.b.bids)

    @property
    def best_ask(self):
        """Lowest ask, ``None`` when the side is empty."""
        return _best(&self.b.asks)

    def best_bid_level(self):
        """``(price, vol)`` of the best bid."""
        cdef hc_side *s = &self.b.bids
        return (s.lv[s.n - 1].p, s.lv[s.n - 1].v) if s.n else None

    def best_ask_level(self):
        """``(price, vol)`` of the best ask."""
        cdef hc_side *s = &self.b.asks
        return (s.lv[s.n - 1].p, s.lv[s.n - 1].v) if s.n else None

    @property
    def spread(self):
        """Best ask minus best bid, or ``None`` when a side is empty."""
        if not self.b.bids.n or not self.b.asks.n:
            return None
        return self.b.asks.lv[self.b.asks.n - 1].p - self.b.bids.lv[self.b.bids.n - 1].p

    @property
    def mid(self):
        """Midpoint of best bid and best ask, or ``None``."""
        if not self.b.bids.n or not self.b.asks.n:
            return None
        return (self.b.asks.lv[self.b.asks.n - 1].p + self.b.bids.lv[self.b.bids.n - 1].p) / 2

    @property
    def crossed(self):
        """True when both sides exist and best bid >= best ask."""
        return bool(hc_book_crossed(&self.b))

    def top(self, int64_t n):
        """Up to ``n`` levels per side: bids descending, asks ascending."""
        cdef list bids = [], asks = []
        cdef int64_t i
        cdef hc_side *s = &self.b.bids
        if n > 0:
            i = s.n - 1
            while i >= 0 and i >= s.n - n:
                bids.append((s.lv[i].p, s.lv[i].v))
                i -= 1
            s = &self.b.asks
            i = s.n - 1
            while i >= 0 and i >= s.n - n:
                asks.append((s.lv[i].p, s.lv[i].v))
                i -= 1
        return bids, asks

    def levels(self):
        """Every level (bids descending, asks ascending)."""
        return self.top(max(self.b.bids.n, self.b.asks.n))

    def depth(self):
        """Number of bid and ask levels."""
        return self.b.bids.n, self.b.asks.n

    def bid_vol(self, double price):
        """Size at a bid price (0 when absent)."""
        return hc_side_get(&self.b.bids, price, 1)

    def ask_vol(self, double price):
        """Size at an ask price (0 when absent)."""
        return hc_side_get(&self.b.asks, price, 0)

    def equals(self, bids, asks, *, depth=None):
        """True when this book equals reference levels (e.g. a REST top-N or the truth)."""
        ref_b = sorted(((float(lv[0]), float(lv[1])) for lv in bids if lv[1]), reverse=True)
        ref_a = sorted((float(lv[0]), float(lv[1])) for lv in asks if lv[1])
        if depth is None:
            mine_b, mine_a = self.levels()
        else:
            mine_b, mine_a = self.top(depth)
            ref_b, ref_a = ref_b[:depth], ref_a[:depth]
        return mine_b == ref_b and mine_a == ref_a

    def __repr__(self):
        return (f"OrderBook({self.symbol!r}, v={self.version}, bid={self.best_bid}, "
                f"ask={self.best_ask}, levels={self.b.bids.n}/{self.b.asks.n})")


cdef class DepthSlot:
    """One ``push.depth`` route as the compiled listener sees it.

    ``route`` is the router's ``Route`` (its ``publish`` is read per frame, so listeners added
    later are seen), ``sync`` its ``BookSync`` (``hot``/``source`` are read per frame: the
    Python machine stays the only owner of its state), ``on_crossed(route)`` the router's
    handling of an in-order frame that crossed the book.
    """

    cdef readonly object route
    cdef readonly object sync
    cdef readonly object stats
    cdef readonly Book book
    cdef readonly object on_crossed

    def __init__(self, route, sync, on_crossed):
        if type(sync.book) is not Book:
            raise TypeError("the sync machine's book is not a compiled Book")
        self.route = route
        self.sync = sync
        self.stats = sync.stats
        self.book = sync.book
        self.on_crossed = on_crossed


cdef class DepthTable:
    """Symbol -> ``DepthSlot``; one per market-data router, shared by its connections."""

    cdef dict _slots            # bytes symbol -> DepthSlot
    cdef char _last[64]         # one-entry cache: the last symbol found
    cdef int _last_n
    cdef DepthSlot _last_slot

    def __init__(self):
        self._slots = {}
        self._last_n = -1
        self._last_slot = None

    def add(self, str symbol, DepthSlot slot not None):
        """Route ``symbol``'s depth frames to ``slot`` (replaces any previous slot)."""
        self._slots[symbol.encode()] = slot
        self._last_n = -1
        self._last_slot = None

    def remove(self, str symbol, route=None):
        """Stop routing ``symbol`` (only if its slot belongs to ``route``, when given)."""
        key = symbol.encode()
        slot = self._slots.get(key)
        if slot is not None and (route is None or (<DepthSlot>slot).route is route):
            del self._slots[key]
        self._last_n = -1
        self._last_slot = None

    def __len__(self):
        return len(self._slots)

    def __contains__(self, str symbol):
        return symbol.encode() in self._slots

    cdef inline DepthSlot find(self, const char *sym, int n):
        if n == self._last_n and memcmp(sym, self._last, n) == 0:
            return self._last_slot
        slot = self._slots.get(PyBytes_FromStringAndSize(sym, n))
        if slot is None:
            return None
        if n <= 64:
            memcpy(self._last, sym, n)
            self._last_n = n
            self._last_slot = <DepthSlot>slot
        return <DepthSlot>slot


class _DepthFrame:
    """What a failed handler is reported with (``WsConnection._handler_failed`` reads these)."""

    channel = "push.depth"

    def __init__(self, symbol):
        self.symbol = symbol


cdef class DepthListener(WSListener):
    """picows listener of one connection: compiled ``push.depth`` in-order path, else ``py``.

    ``py`` is the pure listener of the same connection (``transport.ws._Listener``); it gets
    every frame this one does not apply, unchanged, and counts it in the connection's metrics.
    """

    cdef readonly int64_t conn_id
    cdef object conn_key         # conn_id as the Python int ``BookSync.source`` is compared with
    cdef readonly DepthTable table
    cdef readonly object py
    cdef object metrics
    cdef object on_error          # (exc, frame-like) -> None: a consumer raised (contained, D3)
    cdef hc_frame *f
    #: frames applied here / handed to ``py`` (tests and the benchmark read them)
    cdef readonly int64_t applied, handed_over
    cdef readonly int last_code

    def __cinit__(self):
        self.f = <hc_frame *>malloc(sizeof(hc_frame))
        if self.f is NULL:
            raise MemoryError()

    def __init__(self, int64_t conn_id, DepthTable table not None, py, metrics, on_error=None):
        self.on_error = on_error
        self.conn_id = conn_id
        self.conn_key = conn_id
        self.table = table
        self.py = py
        self.metrics = metrics
        self.last_code = HC_FALLBACK

    def __dealloc__(self):
        free(self.f)

    cdef int _depth(self, const char *buf, Py_ssize_t n) except -1:
        cdef hc_frame *f = self.f
        cdef DepthSlot slot
        cdef Book book
        cdef int crossed
        cdef int64_t nxt
        if hc_scan(buf, <size_t>n, f) != 0:
            return HC_FALLBACK
        slot = self.table.find(f.sym, f.symlen)
        if slot is None:
            return HC_UNKNOWN
        sync = slot.sync
        if not sync.hot or sync.source != self.conn_key:
            return HC_NOT_HOT
        book = slot.book
        if book._vbig is not None:
            return HC_NOT_HOT
        nxt = book._v + 1
        if f.begin != nxt:
            return HC_GAP if f.begin > nxt else HC_STALE
        m = self.metrics
        m.messages += 1
        m.bytes += n
        stats = slot.stats
        stats.frames += 1
        stats.applied += 1
        crossed = hc_book_apply(&book.b, f)
        if crossed < 0:
            raise MemoryError()
        book._v = f.end
        book.ts = f.ts
        self.applied += 1
        try:  # like the pure listener: a failing handler is contained (the connection replaced)
            if crossed:
                slot.on_crossed(slot.route)
                return HC_CROSSED
            publish = slot.route.publish
            if publish is not None:
                publish(_BookUpdate(symbol=book.symbol, version=f.end,
                                    best_bid=_best(&book.b.bids), best_ask=_best(&book.b.asks),
                                    ts=f.ts))
        except Exception as exc:
            if self.on_error is None:
                raise
            self.on_error(exc, _DepthFrame(book.symbol))
        return HC_CROSSED if crossed else HC_APPLIED

    cpdef on_ws_frame(self, WSTransport transport, WSFrame frame):
        cdef WSMsgType kind = frame.msg_type
        cdef int code
        if kind == _TEXT or kind == _BINARY:
            code = self._depth(frame.payload_ptr, frame.payload_size)
            self.last_code = code
            if code == HC_APPLIED or code == HC_CROSSED:
                return
        self.handed_over += 1
        self.py.on_ws_frame(transport, frame)

    cpdef on_ws_disconnected(self, WSTransport transport):
        self.py.on_ws_disconnected(transport)

    def feed(self, bytes payload):
        """Run one TEXT payload through ``on_ws_frame`` (tests, tools); returns the code."""
        from picows.picows import _make_test_ws_frame
        self.on_ws_frame(None, _make_test_ws_frame(_TEXT, payload, True, False))
        return self.last_code


def scan(bytes payload):
    """Scan one frame with the C scanner (tests, fuzzing).

    Returns ``None`` when the scanner declines (the Python path would decode it), else
    ``(symbol, begin, end, version, ts, bids, asks)`` with levels as ``(price, vol)`` tuples and
    ``begin``/``end`` as the sync machine reads them (unmerged: both ``version``).
    """
    cdef hc_frame *f = <hc_frame *>malloc(sizeof(hc_frame))
    cdef int i
    if f is NULL:
        raise MemoryError()
    try:
        if hc_scan(payload, len(payload), f) != 0:
            return None
        bids = [(f.bids[i].p, f.bids[i].v) for i in range(f.nb)]
        asks = [(f.asks[i].p, f.asks[i].v) for i in range(f.na)]
        return (f.sym[:f.symlen].decode("ascii"), f.begin, f.end, f.version, f.ts, bids, asks)
    finally:
        free(f)
