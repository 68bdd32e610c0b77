"""The server's call bus: calls published from worker threads reach every stream in
order and the device listeners; a stream that stopped is forgotten, a stalled one
loses its oldest call instead of holding up the bus."""

from __future__ import annotations

import asyncio
import threading

from kiosk.server.events import CallBus


def test_calls_from_threads_reach_each_subscriber_in_order():
    bus = CallBus()

    async def main():
        got: dict[int, list] = {0: [], 1: []}
        subscribed = asyncio.Event()

        async def stream(i):
            gen = bus.subscribe()
            first = asyncio.ensure_future(gen.__anext__())
            await asyncio.sleep(0)
            if bus.subscribers == 2:
                subscribed.set()
            got[i].append(await first)
            async for call in gen:
                got[i].append(call)
                if len(got[i]) == 3:
                    break
            await gen.aclose()
        tasks = [asyncio.ensure_future(stream(i)) for i in range(2)]
        await asyncio.wait_for(subscribed.wait(), 10)
        sender = threading.Thread(target=lambda: [bus.publish({"n": n}) for n in range(3)])
        sender.start()
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
        sender.join()
        return got
    got = asyncio.run(main())
    assert got == {0: [{"n": 0}, {"n": 1}, {"n": 2}], 1: [{"n": 0}, {"n": 1}, {"n": 2}]}
    assert bus.subscribers == 0


def test_listeners_get_calls_and_a_failing_one_does_not_stop_the_others():
    bus = CallBus()
    seen = []

    def broken(call):
        raise RuntimeError("sign unplugged")
    bus.listen(broken)
    stop = bus.listen(seen.append)
    bus.publish({"n": 1})
    stop()
    bus.publish({"n": 2})
    assert seen == [{"n": 1}]


def test_a_stalled_stream_keeps_the_newest_calls():
    bus = CallBus(backlog=2)

    async def main():
        gen = bus.subscribe()
        first = asyncio.ensure_future(gen.__anext__())
        await asyncio.sleep(0)
        for n in range(5):
            bus.publish({"n": n})
        await asyncio.sleep(0.05)
        out = [await first, await gen.__anext__()]
        await gen.aclose()
        return out
    # five calls arrived while the reader did not run: the newest two are kept
    assert asyncio.run(main()) == [{"n": 3}, {"n": 4}]
